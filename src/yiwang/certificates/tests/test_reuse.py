"""The functions the cases app calls: usable certificates by type for 材料免提交, and recording a use."""

from datetime import date, timedelta

import pytest

from yiwang.certificates import selectors, services
from yiwang.kernel.errors import NotFound, ValidationFailed
from yiwang.kernel.models import AuditEntry

from .conftest import City, issue_hukou, issue_licence, logged_in

pytestmark = pytest.mark.django_db


def test_wallet_certificates_by_type(city: City) -> None:
    today = date.today()
    good = issue_hukou(city)
    expired = issue_hukou(city, issued_on=today - timedelta(days=400), valid_until=today - timedelta(days=1))
    not_yet = issue_hukou(city, valid_from=today + timedelta(days=3))
    revoked = issue_hukou(city)
    services.certificate_revoke(identifier=revoked.identifier, reason="户口迁出")
    suspended = issue_hukou(city)
    services.certificate_suspend(identifier=suspended.identifier, reason="核查中")
    licence = issue_licence(city)
    chen = issue_hukou(city, person=city.chen)
    refs = [city.zhang.subject_ref, city.enterprise.subject_ref]
    found = selectors.wallet_certificates_by_type(refs, ["居民户口簿", "营业执照", "出生医学证明"])
    assert set(found) == {"居民户口簿", "营业执照"}  # only types with a usable certificate
    assert [c.identifier for c in found["居民户口簿"]] == [good.identifier]
    assert [c.identifier for c in found["营业执照"]] == [licence.identifier]
    for c in (expired, not_yet, revoked, suspended, chen):
        assert c.identifier not in {x.identifier for x in found["居民户口簿"]}
    assert selectors.wallet_certificates_by_type([], ["居民户口簿"]) == {}
    assert selectors.wallet_certificates_by_type(refs, []) == {}


def test_certificate_use_record(city: City) -> None:
    cert = issue_hukou(city)
    services.certificate_use_record(identifier=cert.identifier.lower(), user_label="刘洋", org_code=city.orgs["公安局"].code,
                                    org_name="示范市公安局", purpose="办件材料", reference="SF20261120000001")
    use = selectors.uses_for_certificate(cert)[0]
    assert (use.channel, use.purpose, use.reference, use.org_name) == ("service", "办件材料", "SF20261120000001",
                                                                        "示范市公安局")
    assert AuditEntry.objects.filter(action="certificate.use", subject_ref=city.zhang.subject_ref).count() == 1
    page = logged_in(city.zhang.user).get(f"/certificates/c/{cert.identifier}/").content.decode()
    assert "SF20261120000001" in page and "办件材料" in page
    with pytest.raises(NotFound):
        services.certificate_use_record(identifier="1.2.156.none", user_label="x", org_code="", org_name="",
                                        purpose="办件材料", reference="")
    with pytest.raises(ValidationFailed):
        services.certificate_use_record(identifier=cert.identifier, user_label="x", org_code="", org_name="",
                                        purpose="", reference="")
