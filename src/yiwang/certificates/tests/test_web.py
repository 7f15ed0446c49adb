"""The path a user walks: the API issues, the holder sees the certificate in 我的证照 with a QR code,
anyone verifies it publicly, the issuing department revokes it, the verification page says so."""

import json
from typing import Any

import pytest
from django.test import Client

from yiwang.certificates.models import Certificate

from .conftest import ZHANG_ID, City, issue_hukou, issue_licence, logged_in

pytestmark = pytest.mark.django_db


def _issue_body(city: City) -> dict[str, Any]:
    return {"type_code": city.types["居民户口簿"].code, "issuer_code": city.orgs["公安局"].code,
            "holder_name": "张伟", "holder_code": ZHANG_ID, "subject_ref": city.zhang.subject_ref,
            "content": {"KZ_HZXM": "张伟", "KZ_HB": "家庭户", "KZ_ZZ": "示范市中心区人民路12号", "KZ_XM": "张伟",
                        "KZ_YHZGX": "户主", "KZ_XB": "男", "KZ_CSRQ": "1993-05-12"}}


def test_api_issue_refused_without_auth_or_wrong_department(city: City) -> None:
    body = json.dumps(_issue_body(city))
    r = Client().post("/api/v1/certificates/issue", body, content_type="application/json")
    assert r.status_code == 401
    r = Client().post("/api/v1/certificates/issue", body, content_type="application/json",
                      HTTP_AUTHORIZATION="Bearer not-a-token")
    assert r.status_code == 401
    r = logged_in(city.market.user).post("/api/v1/certificates/issue", body, content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "certificate.not_issuer"
    r = logged_in(city.zhang.user).post("/api/v1/certificates/issue", body, content_type="application/json")
    assert r.status_code == 403
    assert not Certificate.objects.exists()


def test_api_issue_and_public_verify(city: City, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        r = logged_in(city.police.user).post("/api/v1/certificates/issue", json.dumps(_issue_body(city)),
                                             content_type="application/json")
    assert r.status_code == 201, r.content
    ident = r.json()["identifier"]
    v = Client().get(f"/api/v1/certificates/verify/{ident}").json()
    assert v["status"] == "valid" and v["label"] == "有效" and v["issuer_name"] == "示范市公安局"
    assert v["signatures"] == {"ed25519": True, "sm2": True} and v["ledger"]["matches"] is True
    assert "张伟" not in json.dumps(v, ensure_ascii=False)  # no holder data on the public answer
    bad = ident[:-1] + ("0" if ident[-1] != "0" else "1")
    r = Client().get(f"/api/v1/certificates/verify/{bad}")
    assert r.status_code == 422 and r.json()["error"]["field"] == "identifier"
    body = _issue_body(city)
    body["content"].pop("KZ_ZZ")
    r = logged_in(city.police.user).post("/api/v1/certificates/issue", json.dumps(body),
                                         content_type="application/json")
    assert r.status_code == 422 and r.json()["error"]["field"] == "content.KZ_ZZ"


def test_wallet_shows_only_own_certificates(city: City) -> None:
    zhang_cert = issue_hukou(city)
    licence = issue_licence(city)
    page = logged_in(city.zhang.user).get("/certificates/wallet/").content.decode()
    assert zhang_cert.identifier in page and licence.identifier not in page
    page = logged_in(city.li.user).get("/certificates/wallet/").content.decode()
    assert licence.identifier in page and zhang_cert.identifier not in page and "示范市青禾餐饮有限公司" in page
    assert logged_in(city.chen.user).get(f"/certificates/c/{zhang_cert.identifier}/").status_code == 404
    assert Client().get("/certificates/wallet/").status_code == 302
    detail = logged_in(city.zhang.user).get(f"/certificates/c/{zhang_cert.identifier}/").content.decode()
    assert 'src="data:image/svg+xml' in detail and f"/certificates/verify/{zhang_cert.identifier}/" in detail
    assert ZHANG_ID not in detail and 'id="status-form"' not in detail


def test_staff_revokes_and_public_page_shows_it(city: City, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        cert = issue_hukou(city)
    page = Client().get(f"/certificates/verify/{cert.identifier}/").content.decode()
    assert 'data-status="valid"' in page and "示范市公安局" in page and 'id="ledger-proof"' in page
    assert "张伟" not in page
    # another department's approver cannot revoke
    other = logged_in(city.market.user)
    assert other.post(f"/certificates/c/{cert.identifier}/status/", {"action": "revoke", "reason": "x理由"}).status_code == 404
    police = logged_in(city.police.user)
    detail = police.get(f"/certificates/c/{cert.identifier}/").content.decode()
    assert 'id="status-form"' in detail
    with django_capture_on_commit_callbacks(execute=True):
        r = police.post(f"/certificates/c/{cert.identifier}/status/", {"action": "revoke", "reason": "户口迁出"})
    assert r.status_code == 302
    page = Client().get(f"/certificates/verify/{cert.identifier}/").content.decode()
    assert 'data-status="revoked"' in page and "已撤销" in page and "户口迁出" in page
    # the holder cannot post status changes
    assert logged_in(city.zhang.user).post(f"/certificates/c/{cert.identifier}/status/",
                                           {"action": "reinstate", "reason": "想恢复"}).status_code == 403
    wrong = cert.identifier[:-1] + ("Z" if cert.identifier[-1] != "Z" else "Y")
    r = Client().get(f"/certificates/verify/?identifier={wrong}")
    assert r.status_code == 422 and "校验位" in r.content.decode()


def test_api_issue_refuses_a_token_without_the_scope(city: City) -> None:
    import base64

    from oauth2_provider.models import Application

    from yiwang.identity import services as identity
    from yiwang.identity.auth import forget_all_tokens

    forget_all_tokens()
    app, secret = identity.client_register(name="公安局户籍系统", grant=Application.GRANT_CLIENT_CREDENTIALS,
                                           scopes=["identity:read"], organisation=city.orgs["公安局"])
    basic = "Basic " + base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    r = Client().post("/o/token/", {"grant_type": "client_credentials", "scope": "identity:read"},
                      HTTP_AUTHORIZATION=basic)
    assert r.status_code == 200, r.content
    api = Client(HTTP_AUTHORIZATION=f"Bearer {r.json()['access_token']}")
    r = api.post("/api/v1/certificates/issue", json.dumps(_issue_body(city)), content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.insufficient_scope"
    assert not Certificate.objects.exists()
    forget_all_tokens()


def test_wallet_marks_expired_certificates(city: City) -> None:
    from datetime import date, timedelta

    today = date.today()
    issue_hukou(city, issued_on=today - timedelta(days=400), valid_until=today - timedelta(days=1))
    page = logged_in(city.zhang.user).get("/certificates/wallet/").content.decode()
    assert "已过期" in page
