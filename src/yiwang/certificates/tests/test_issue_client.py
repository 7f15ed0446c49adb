"""Department systems issue with a client-credentials token (`certificates:issue`) whose client is bound
to the issuing department; another department's client, an unbound client or a token without the scope
is refused with a structured 403. Expired certificates verify as 已过期 with a reason."""

import base64
import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from oauth2_provider.models import Application

from yiwang.certificates.models import Certificate
from yiwang.identity import selectors as identity_selectors
from yiwang.identity import services as identity
from yiwang.identity.auth import forget_all_tokens

from .conftest import City, issue_hukou

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> Iterator[None]:
    forget_all_tokens()
    yield
    forget_all_tokens()


def _birth_body(city: City) -> dict[str, Any]:
    return {"type_code": city.types["出生医学证明"].code, "issuer_code": city.orgs["卫健委"].code,
            "holder_name": "张小宝", "holder_code": "330106202611200011", "subject_ref": city.chen.subject_ref,
            "content": {"KZ_XSEXM": "张小宝", "KZ_XB": "男", "KZ_CSSJ": "2026-11-20 08:30",
                        "KZ_CSDD": "示范市妇幼保健院", "KZ_MQXM": "陈静", "KZ_JSJG": "示范市妇幼保健院"}}


def _token(org: Any, scopes: list[str], ask: str = "certificates:issue") -> str:
    app, secret = identity.client_register(name="业务系统", grant=Application.GRANT_CLIENT_CREDENTIALS,
                                           scopes=scopes, organisation=org)
    basic = "Basic " + base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    r = Client().post("/o/token/", {"grant_type": "client_credentials", "scope": ask}, HTTP_AUTHORIZATION=basic)
    assert r.status_code == 200, r.content
    return str(r.json()["access_token"])


def _post(token: str, body: dict[str, Any]) -> Any:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}").post("/api/v1/certificates/issue", json.dumps(body),
                                                             content_type="application/json")


def test_department_client_issues(city: City, django_capture_on_commit_callbacks: Any) -> None:
    token = _token(city.orgs["卫健委"], ["certificates:issue"])
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(token, _birth_body(city))
    assert r.status_code == 201, r.content
    cert = Certificate.objects.get(identifier=r.json()["identifier"])
    assert cert.issuer_name == "示范市卫生健康委员会" and cert.name == "出生医学证明"
    v = Client().get(f"/api/v1/certificates/verify/{cert.identifier}").json()
    assert v["status"] == "valid" and v["ledger"]["matches"] is True
    # the department's system may also fetch the PDF of what it issued, but not another department's
    pdf = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(f"/api/v1/certificates/{cert.identifier}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    police_cert = issue_hukou(city)
    other = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(f"/api/v1/certificates/{police_cert.identifier}/pdf")
    assert other.status_code == 404


def test_other_department_unbound_or_unscoped_clients_are_refused(city: City) -> None:
    body = _birth_body(city)
    r = _post(_token(city.orgs["公安局"], ["certificates:issue"]), body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "certificate.not_issuer"
    assert r.json()["error"]["field"] == "issuer_code" and "示范市公安局" in r.json()["error"]["message"]
    r = _post(_token(None, ["certificates:issue"]), body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "certificate.client_unbound"
    r = _post(_token(city.orgs["卫健委"], ["identity:read"], ask="identity:read"), body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.insufficient_scope"
    assert not Certificate.objects.exists()


def test_organisation_for_client(city: City) -> None:
    app, _ = identity.client_register(name="卫健委系统", grant=Application.GRANT_CLIENT_CREDENTIALS,
                                      scopes=["certificates:issue"], organisation=city.orgs["卫健委"])
    assert identity_selectors.organisation_for_client(app.client_id) == city.orgs["卫健委"]
    assert identity_selectors.organisation_for_client("no-such-client") is None
    assert identity_selectors.organisation_for_client("") is None


def test_expired_certificate_verifies_as_expired(city: City) -> None:
    today = date.today()
    cert = issue_hukou(city, issued_on=today - timedelta(days=400), valid_until=today - timedelta(days=1))
    v = Client().get(f"/api/v1/certificates/verify/{cert.identifier}").json()
    assert v["status"] == "expired" and v["label"] == "已过期"
    assert v["reasons"][0] == f"有效期已于 {today - timedelta(days=1):%Y-%m-%d} 截止"
    page = Client().get(f"/certificates/verify/{cert.identifier}/").content.decode()
    assert 'data-status="expired"' in page and "截止" in page
