from datetime import date, timedelta
from typing import Any

import pytest

from yiwang.certificates import identifier, services
from yiwang.certificates.models import Certificate
from yiwang.kernel.errors import Conflict, ValidationFailed
from yiwang.kernel.models import AuditEntry, OutboxEvent
from yiwang.ledger import selectors as ledger_selectors

from .conftest import City, issue_hukou

pytestmark = pytest.mark.django_db


def test_issue_then_verify_valid(city: City, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        cert = issue_hukou(city)
    parsed = identifier.parse(cert.identifier)
    assert parsed.type_code == city.types["居民户口簿"].code and parsed.issuer_code == city.orgs["公安局"].code
    assert cert.holder_code_masked.startswith("330") and "*" in cert.holder_code_masked
    assert AuditEntry.objects.filter(action="certificate.issue", object_id=cert.identifier).exists()
    assert OutboxEvent.objects.filter(type="certificate.issued", subject=cert.identifier).exists()
    entry = ledger_selectors.entry_for_ref("certificates", cert.identifier)
    assert entry is not None and entry.kind == "certificate.issue"
    v = services.certificate_verify(cert.identifier)
    assert v.status == "valid", v.reasons
    assert v.signatures == {"ed25519": True, "sm2": True}
    assert v.ledger is not None and v.ledger.matches and v.ledger.index == entry.index
    # a second certificate gets the next serial and a different identifier
    second = issue_hukou(city, person=city.chen)
    assert second.identifier != cert.identifier


def test_content_is_validated(city: City) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.certificate_issue(type_code=city.types["居民户口簿"].code, issuer_code=city.orgs["公安局"].code,
                                   holder_name="张伟", holder_code="x", holder_code_type="公民身份号码",
                                   subject_ref=city.zhang.subject_ref, content={"KZ_XM": "张伟"})
    assert exc.value.field and exc.value.field.startswith("content.")
    with pytest.raises(ValidationFailed) as exc:  # validity ends before it starts
        issue_hukou(city, person=city.zhang, valid_until=date(2000, 1, 1))
    assert exc.value.field == "valid_until"
    with pytest.raises(ValidationFailed) as exc:  # a person's type for an enterprise
        issue_hukou(city, person=city.zhang, subject_ref=city.enterprise.subject_ref)
    assert exc.value.field == "subject_ref"


def test_tampered_content_is_detected(city: City, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        cert = issue_hukou(city)
    content = dict(cert.content, KZ_ZZ="示范市中心区别处1号")
    Certificate.objects.filter(pk=cert.pk).update(content=content)
    v = services.certificate_verify(cert.identifier)
    assert v.status == "tampered"
    assert v.signatures == {"ed25519": False, "sm2": False}
    assert any("账本" in r for r in v.reasons)
    # what a holder presents is checked the same way
    Certificate.objects.filter(pk=cert.pk).update(content=cert.content)
    presented = services.payload_of(Certificate.objects.get(pk=cert.pk))
    assert services.certificate_verify(presented=presented).status == "valid"
    presented["valid_until"] = "2099-12-31"
    assert services.certificate_verify(presented=presented).status == "tampered"


def test_revoke_with_reason(city: City, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        cert = issue_hukou(city)
    with pytest.raises(ValidationFailed):
        services.certificate_revoke(identifier=cert.identifier, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke(identifier=cert.identifier, reason="户口迁出，原户口簿作废")
    v = services.certificate_verify(cert.identifier)
    assert v.status == "revoked" and "户口迁出" in v.reasons[0]
    assert v.ledger is not None and v.ledger.revoke_index is not None and v.ledger.revoke_index > v.ledger.index
    with pytest.raises(Conflict):
        services.certificate_revoke(identifier=cert.identifier, reason="再次撤销")


def test_suspend_and_reinstate(city: City) -> None:
    cert = issue_hukou(city)
    services.certificate_suspend(identifier=cert.identifier, reason="信息核查中")
    v = services.certificate_verify(cert.identifier)
    assert v.status == "suspended" and "信息核查中" in v.reasons[0]
    services.certificate_reinstate(identifier=cert.identifier, reason="核查无误")
    assert services.certificate_verify(cert.identifier).status == "valid"


def test_expired(city: City) -> None:
    today = date.today()
    cert = issue_hukou(city, issued_on=today - timedelta(days=400), valid_until=today - timedelta(days=1))
    v = services.certificate_verify(cert.identifier)
    assert v.status == "expired" and "截止" in v.reasons[0]
    assert services.certificate_verify(cert.identifier, today=today - timedelta(days=2)).status == "valid"


def test_unknown_and_bad_identifier(city: City) -> None:
    cert = issue_hukou(city)
    parsed = identifier.parse(cert.identifier)
    other = identifier.build(parsed.type_code, parsed.issuer_code, "20990000001")
    assert services.certificate_verify(str(other)).status == "unknown"
    wrong = cert.identifier[:-1] + ("0" if cert.identifier[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as exc:
        services.certificate_verify(wrong)
    assert exc.value.field == "identifier" and exc.value.status == 422
