"""Machine clients: client-credentials tokens with scopes, scope enforcement with a structured error,
per-client scope allow-lists, revocation through DOT's revoke endpoint, hashed token storage."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Application

from yiwang.identity import services
from yiwang.identity.auth import token_checksum, validate_token

from .conftest import City

pytestmark = pytest.mark.django_db


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def _token(client_id: str, secret: str, scope: str) -> Any:
    r = Client().post("/o/token/", {"grant_type": "client_credentials", "scope": scope},
                      HTTP_AUTHORIZATION=_basic(client_id, secret))
    return r


@pytest.fixture
def machine(city: City) -> tuple[Application, str]:
    return services.client_register(name="市场监管局审批系统", grant=Application.GRANT_CLIENT_CREDENTIALS,
                                    scopes=["catalog:read", "identity:read"], organisation=city.org)


def test_client_credentials_token_with_scope_calls_the_api(machine: tuple[Application, str]) -> None:
    app, secret = machine
    r = _token(app.client_id, secret, "identity:read")
    assert r.status_code == 200, r.content
    access = r.json()["access_token"]
    assert r.json()["scope"] == "identity:read"
    api = Client(HTTP_AUTHORIZATION=f"Bearer {access}")
    r = api.get("/api/v1/identity/organisations")
    assert r.status_code == 200 and r.json()[0]["name"] == "示范市政务服务中心"
    info = api.get("/api/v1/identity/token").json()
    assert info == {"client_id": app.client_id, "scopes": ["identity:read"], "machine": True,
                    "expires_at": info["expires_at"]}


def test_token_without_the_scope_is_refused_with_a_clear_error(machine: tuple[Application, str]) -> None:
    app, secret = machine
    access = _token(app.client_id, secret, "catalog:read").json()["access_token"]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api.get("/api/v1/identity/token").json()["scopes"] == ["catalog:read"]
    r = api.get("/api/v1/identity/organisations")
    assert r.status_code == 403
    assert r.json() == {"error": {"code": "auth.insufficient_scope", "message": "访问令牌缺少所需的授权范围：identity:read",
                                  "field": None}}
    # A machine token stands for no person: /me says so.
    r = api.get("/api/v1/identity/me")
    assert r.status_code in (401, 403)


def test_unknown_or_garbage_tokens_get_401(city: City) -> None:
    for header in ("Bearer nope", "Bearer " + "x" * 2000, "Bearer", "Basic abc"):
        r = Client(HTTP_AUTHORIZATION=header).get("/api/v1/identity/organisations")
        assert r.status_code == 401, header
        assert r.json()["error"]["code"] == "auth.required"


def test_client_cannot_get_scopes_beyond_its_policy(machine: tuple[Application, str]) -> None:
    app, secret = machine
    r = _token(app.client_id, secret, "identity:lookup")
    assert r.status_code in (400, 401) and r.json()["error"] == "invalid_scope"
    assert not AccessToken.objects.exists()


def test_tokens_are_hashed_at_rest(machine: tuple[Application, str]) -> None:
    app, secret = machine
    access = _token(app.client_id, secret, "catalog:read").json()["access_token"]
    row = AccessToken.objects.get()
    assert row.token == "" and row.token_checksum == token_checksum(access)
    assert not Application.objects.filter(client_secret=secret).exists()  # the client secret is hashed too


def test_revoked_token_is_refused_at_once(machine: tuple[Application, str]) -> None:
    app, secret = machine
    access = _token(app.client_id, secret, "identity:read").json()["access_token"]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api.get("/api/v1/identity/organisations").status_code == 200
    assert validate_token(access) is not None  # now cached
    r = Client().post("/o/revoke_token/", {"token": access, "token_type_hint": "access_token"},
                      HTTP_AUTHORIZATION=_basic(app.client_id, secret))
    assert r.status_code == 200
    assert api.get("/api/v1/identity/organisations").status_code == 401
    assert validate_token(access) is None


def test_expired_token_is_refused(machine: tuple[Application, str]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    app, secret = machine
    access = _token(app.client_id, secret, "identity:read").json()["access_token"]
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    from yiwang.identity.auth import forget_token

    forget_token(access)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {access}").get("/api/v1/identity/organisations").status_code == 401


def test_bearer_post_is_not_blocked_by_csrf(city: City) -> None:
    """A bearer call without cookies must not be refused by the session authenticator's CSRF check."""
    app, secret = services.client_register(name="窗口系统", grant=Application.GRANT_CLIENT_CREDENTIALS,
                                           scopes=["identity:lookup"])
    access = _token(app.client_id, secret, "identity:lookup").json()["access_token"]
    r = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {access}").post(
        "/api/v1/identity/persons/lookup", {"id_number": "110105194912310021", "purpose": "测试"},
        content_type="application/json")
    assert r.status_code == 422 and r.json()["error"]["field"] == "id_number"


def test_session_post_needs_csrf(city: City) -> None:
    c = Client(enforce_csrf_checks=True)
    assert city.clerk.user is not None
    c.force_login(city.clerk.user)
    r = c.post("/api/v1/identity/persons/lookup", {"id_number": "x", "purpose": "测试"},
               content_type="application/json")
    assert r.status_code == 403
