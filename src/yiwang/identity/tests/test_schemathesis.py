"""API fuzzing of the identity endpoints (schemathesis over /api/v1/openapi.json, in process through
WSGI): whatever the input, no 5xx. Runs authenticated as a window clerk through a bearer token."""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from oauth2_provider.models import AccessToken, Application, set_token_value

from yiwang.identity import services

from .conftest import City

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application()).include(
    path_regex="^/api/v1/identity"
)

TOKEN = "schemathesis-test-token-0123456789abcdef"


@pytest.fixture
def bearer(city: City) -> dict[str, str]:
    app, _secret = services.client_register(name="fuzz", grant=Application.GRANT_AUTHORIZATION_CODE,
                                            scopes=["openid", "identity:read", "identity:lookup"],
                                            redirect_uris="http://127.0.0.1:8765/callback")
    token = AccessToken(user=city.clerk.user, application=app, scope="openid identity:read identity:lookup",
                        expires=timezone.now() + timedelta(hours=1))
    set_token_value(token, TOKEN)
    token.save()
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_identity_api_never_answers_5xx(case: schemathesis.Case, bearer: dict[str, str]) -> None:
    response = case.call(headers=bearer)
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:500])


@pytest.fixture
def session_cookies(city: City) -> dict[str, str]:
    """A citizen's browser session (cookie + CSRF header), so the session-only operations
    (delegations, acting-for, mandates) are exercised too."""
    c = Client()
    assert city.zhang.user is not None
    c.force_login(city.zhang.user)
    c.get("/login/")  # sets the CSRF cookie
    return {"sessionid": c.cookies["sessionid"].value, "csrftoken": c.cookies["csrftoken"].value}


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_identity_api_never_answers_5xx_in_a_session(case: schemathesis.Case,
                                                     session_cookies: dict[str, str]) -> None:
    # Schemathesis fills the `sessionid` cookie of the security scheme with generated values; use ours.
    case.cookies = {**(case.cookies or {}), **session_cookies}
    response = case.call(headers={"X-CSRFToken": session_cookies["csrftoken"]})
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:500])
