"""授权用证: the holder grants a department or a named party the use of one certificate for a purpose until
an end date; the grantee reads it with the token or as that department's staff; each use is recorded and
shown to the holder; revoked and expired shares are refused with structured errors; reads are audited."""

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from yiwang.certificates import selectors, services
from yiwang.certificates.models import CertificateShare, CertificateUse
from yiwang.identity import services as identity
from yiwang.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.kernel.models import AuditEntry

from .conftest import PASSWORD, ZHANG_ID, City, issue_hukou, logged_in

pytestmark = pytest.mark.django_db
TODAY = date.today()


def _share(city: City, cert: Any, **kw: Any) -> tuple[CertificateShare, str]:
    args: dict[str, Any] = {"identifier": cert.identifier, "grantee_kind": "party", "grantee_name": "示范市商业银行",
                            "purpose": "办理住房贷款", "valid_until": TODAY + timedelta(days=30), "granted_by": "张伟"}
    args.update(kw)
    return services.certificate_share_create(**args)


def _use(token: str, **body: Any) -> Any:
    return Client().post("/api/v1/certificates/shared/use", json.dumps(body), content_type="application/json",
                         HTTP_X_SHARE_TOKEN=token)


def test_share_validation(city: City) -> None:
    cert = issue_hukou(city)
    with pytest.raises(ValidationFailed) as e:
        _share(city, cert, purpose=" ")
    assert e.value.field == "purpose"
    with pytest.raises(ValidationFailed) as e:
        _share(city, cert, valid_until=TODAY - timedelta(days=1))
    assert e.value.field == "valid_until"
    with pytest.raises(ValidationFailed):
        _share(city, cert, valid_until=TODAY + timedelta(days=400))
    with pytest.raises(ValidationFailed) as e:
        _share(city, cert, grantee_kind="department", grantee_org_code="91000000000000000X")
    assert e.value.code == "certificate.unknown_grantee"
    with pytest.raises(ValidationFailed) as e:
        _share(city, cert, grantee_name="")
    assert e.value.field == "grantee_name"
    with pytest.raises(ValidationFailed):
        _share(city, cert, grantee_kind="everyone")
    short = issue_hukou(city, valid_until=TODAY + timedelta(days=10))
    with pytest.raises(ValidationFailed) as e:
        _share(city, short, valid_until=TODAY + timedelta(days=20))
    assert "有效期" in e.value.message
    services.certificate_suspend(identifier=cert.identifier, reason="异议处理")
    with pytest.raises(Conflict):
        _share(city, cert)
    assert not CertificateShare.objects.exists()


def test_token_use_is_recorded_audited_and_shown_to_the_holder(city: City) -> None:
    cert = issue_hukou(city)
    share, token = _share(city, cert)
    assert token.startswith("ycs_") and token not in share.token_enc and share.token_checksum != token
    r = _use(token, identifier=cert.identifier, operator="王敏", reference="HL-1")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["holder_name"] == "张伟" and body["holder_code"] == ZHANG_ID and body["status"] == "valid"
    assert body["share"]["purpose"] == "办理住房贷款" and body["use"]["user_label"] == "示范市商业银行（经办：王敏）"
    assert {"key": "KZ_ZZ", "label": "住址", "value": "示范市中心区人民路12号"} in body["fields"]
    # the grantee can check the signature offline: the presented payload verifies
    assert services.certificate_verify(presented=body["payload"]).signatures == {"ed25519": True, "sm2": True}
    use = CertificateUse.objects.get()
    assert (use.share, use.channel, use.purpose, use.reference) == (share, "share_token", "办理住房贷款", "HL-1")
    entry = AuditEntry.objects.get(action="certificate.share_read")
    assert entry.subject_ref == city.zhang.subject_ref and entry.object_id == cert.identifier
    assert "示范市商业银行" in entry.actor_label and entry.detail["purpose"] == "办理住房贷款"
    # the holder sees it: 谁查看了我的信息, the detail page, the wallet
    from yiwang.identity import selectors as identity_selectors

    assert entry in identity_selectors.personal_data_reads(city.zhang)
    page = logged_in(city.zhang.user).get(f"/certificates/c/{cert.identifier}/").content.decode()
    assert 'id="uses"' in page and "示范市商业银行（经办：王敏）" in page and "HL-1" in page and token in page
    wallet = logged_in(city.zhang.user).get("/certificates/wallet/").content.decode()
    assert "用证 1 次" in wallet
    # the issuer's staff see the certificate but neither the shares nor the uses
    staff_page = logged_in(city.police.user).get(f"/certificates/c/{cert.identifier}/").content.decode()
    assert 'id="uses"' not in staff_page and token not in staff_page


def test_bad_revoked_and_expired_tokens_are_refused(city: City) -> None:
    cert = issue_hukou(city)
    other = issue_hukou(city, person=city.chen)
    r = Client().post("/api/v1/certificates/shared/use", "{}", content_type="application/json")
    assert r.status_code == 401
    r = _use("ycs_not-a-token")
    assert r.status_code == 403 and r.json()["error"]["code"] == "certificate.share_invalid"
    share, token = _share(city, cert)
    r = _use(token, identifier=other.identifier)
    assert r.status_code == 403 and r.json()["error"]["code"] == "certificate.share_mismatch"
    services.certificate_share_revoke(identifier=cert.identifier, share_id=str(share.pk))
    r = _use(token)
    assert r.status_code == 403 and r.json()["error"] == {
        "code": "certificate.share_revoked", "message": r.json()["error"]["message"], "field": "token"}
    with pytest.raises(Conflict):
        services.certificate_share_revoke(identifier=cert.identifier, share_id=str(share.pk))
    with pytest.raises(NotFound):
        services.certificate_share_revoke(identifier=cert.identifier, share_id="nonsense")
    _share2, token2 = _share(city, cert, valid_until=TODAY)
    with pytest.raises(PermissionDenied) as e:
        services.certificate_use_by_token(token=token2, today=TODAY + timedelta(days=1))
    assert e.value.code == "certificate.share_expired" and "到期" in e.value.message
    assert _use(token2).status_code == 200  # still valid today
    services.certificate_revoke(identifier=cert.identifier, reason="户口迁出")
    r = _use(token2)
    assert r.status_code == 403 and r.json()["error"]["code"] == "certificate.not_usable"
    assert CertificateUse.objects.count() == 1  # refusals record nothing


def test_department_staff_use_a_share_to_their_department(city: City) -> None:
    cert = issue_hukou(city)
    minzheng = identity.staff_create(username="mz", display_name="民政审批", organisation=city.orgs["民政局"],
                                     employee_no="SF3", roles=["approver"], password=PASSWORD)
    staff = logged_in(minzheng.user)
    url = "/api/v1/certificates/shared/use"
    body = json.dumps({"identifier": cert.identifier, "purpose": "婚姻登记核验"})
    r = staff.post(url, body, content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "certificate.not_shared"
    share, _ = _share(city, cert, grantee_kind="department", grantee_org_code=city.orgs["民政局"].code)
    assert share.grantee_name == "示范市民政局"
    r = staff.post(url, body, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["use"]["user_label"] == "民政审批（民政局）" and r.json()["use"]["purpose"] == "婚姻登记核验"
    # another department's staff, a citizen, a missing identifier
    r = logged_in(city.market.user).post(url, body, content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "certificate.not_shared"
    r = logged_in(city.chen.user).post(url, body, content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "certificate.not_grantee"
    r = staff.post(url, json.dumps({"purpose": "x"}), content_type="application/json")
    assert r.status_code == 422 and r.json()["error"]["field"] == "identifier"
    # expired, then revoked
    with pytest.raises(PermissionDenied) as e:
        services.certificate_use_by_department(identifier=cert.identifier, org_code=city.orgs["民政局"].code,
                                               org_name="示范市民政局", user_label="x",
                                               today=TODAY + timedelta(days=60))
    assert e.value.code == "certificate.share_expired"
    services.certificate_share_revoke(identifier=cert.identifier, share_id=str(share.pk))
    r = staff.post(url, body, content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "certificate.share_revoked"
    assert [u.channel for u in selectors.uses_for_certificate(cert)] == ["department"]


def test_holder_shares_and_revokes_on_the_page(city: City) -> None:
    cert = issue_hukou(city)
    holder = logged_in(city.zhang.user)
    url = f"/certificates/c/{cert.identifier}/shares/"
    form = {"grantee_kind": "department", "grantee_org_code": city.orgs["人社局"].code, "purpose": "社保登记",
            "valid_until": (TODAY + timedelta(days=7)).isoformat()}
    assert logged_in(city.chen.user).post(url, form).status_code == 404  # not her certificate
    assert logged_in(city.police.user).post(url, form).status_code == 404  # the issuer is not the holder
    assert Client().post(url, form).status_code == 302
    r = holder.post(url, form)
    assert r.status_code == 302 and r["Location"].endswith("#shares")
    share = CertificateShare.objects.get()
    assert share.grantee_org_code == city.orgs["人社局"].code and share.granted_by == "张伟"
    r = holder.post(url, {**form, "valid_until": "not a date"}, follow=True)
    assert "请填写授权截止日期" in r.content.decode() and CertificateShare.objects.count() == 1
    page = holder.get(f"/certificates/c/{cert.identifier}/").content.decode()
    assert f'data-share="{share.pk}" data-state="active"' in page and 'id="share-form"' in page
    revoke = f"/certificates/c/{cert.identifier}/shares/{share.pk}/revoke/"
    assert logged_in(city.chen.user).post(revoke).status_code == 404
    assert holder.post(revoke).status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None and selectors.share_state(share) == "revoked"
    page = holder.get(f"/certificates/c/{cert.identifier}/").content.decode()
    assert 'data-state="revoked"' in page and services.share_token(share) not in page
    assert AuditEntry.objects.filter(action="certificate.share_revoke", object_id=cert.identifier).exists()
