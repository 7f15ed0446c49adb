"""OpenID Connect end to end against the running provider, with authlib as the relying party: discovery
at the site root, authorization code with PKCE (S256) after the platform's own password + SMS login,
an RS256 ID token verified against the JWKS, and userinfo with the phone number masked."""

from __future__ import annotations

import re
import warnings
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from oauth2_provider.models import Application

from yiwang.identity import services
from yiwang.identity.models import SmsMessage
from yiwang.identity.oidc import subject_for

from .conftest import PASSWORD, ZHANG_PHONE, City

with warnings.catch_warnings():  # authlib.jose is deprecated in favour of joserfc but still maintained in 1.x
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, jwt

REDIRECT = "http://127.0.0.1:8765/callback"

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url)
    assert page.status_code == 200, page.text[:300]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def _login_through_platform(base: str, session: requests.Session, next_url: str) -> requests.Response:
    """The platform's one login: password, then the SMS code read from the local outbox."""
    token = _csrf(session, f"{base}/login/?next={requests.utils.quote(next_url)}")
    r = session.post(f"{base}/login/", data={"csrfmiddlewaretoken": token, "tab": "person", "username": ZHANG_PHONE,
                                             "password": PASSWORD, "next": next_url},
                     headers={"Referer": f"{base}/login/"}, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].endswith("/login/otp/"), r.text[:500]
    code = re.search(r"(\d{6})", SmsMessage.objects.latest("sent_at").body).group(1)  # type: ignore[union-attr]
    token = _csrf(session, f"{base}/login/otp/")
    return session.post(f"{base}/login/otp/", data={"csrfmiddlewaretoken": token, "code": code},
                        headers={"Referer": f"{base}/login/otp/"}, allow_redirects=False)


def test_oidc_authorization_code_with_pkce_end_to_end(live_server, city: City) -> None:
    base = live_server.url
    app, secret = services.client_register(
        name="第三方应用（演示）", grant=Application.GRANT_AUTHORIZATION_CODE, scopes=["openid", "profile", "phone"],
        redirect_uris=REDIRECT, skip_authorization=True)

    # Discovery at the site root (and the same document under /o/).
    meta = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
    assert meta == requests.get(f"{base}/o/.well-known/openid-configuration", timeout=10).json()
    assert "S256" in meta["code_challenge_methods_supported"]
    assert "plain" not in meta["code_challenge_methods_supported"]
    assert "RS256" in meta["id_token_signing_alg_values_supported"]
    assert meta["response_types_supported"] == ["code"]

    client = OAuth2Session(app.client_id, secret, scope="openid profile phone", redirect_uri=REDIRECT,
                           code_challenge_method="S256")
    verifier, nonce = generate_token(48), generate_token(20)
    auth_url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier,
                                                      nonce=nonce)

    # Not logged in: the provider sends the browser to the platform login, which comes back after the SMS code.
    browser = requests.Session()
    r = browser.get(auth_url, allow_redirects=False)
    assert r.status_code == 302 and "/login/" in r.headers["Location"]
    next_url = parse_qs(urlparse(r.headers["Location"]).query)["next"][0]
    r = _login_through_platform(base, browser, next_url)
    assert r.status_code == 302 and "/o/authorize/" in r.headers["Location"]
    r = browser.get(base + r.headers["Location"] if r.headers["Location"].startswith("/") else r.headers["Location"],
                    allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].startswith(REDIRECT), r.text[:500]
    callback = r.headers["Location"]
    assert parse_qs(urlparse(callback).query)["state"] == [state]

    token = client.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    assert token["token_type"].lower() == "bearer" and "id_token" in token

    # The ID token is RS256-signed with a key from the JWKS; sub is pseudonymous and stable.
    jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], jwks, claims_options={
        "iss": {"essential": True, "value": meta["issuer"]}, "aud": {"essential": True, "value": app.client_id},
        "nonce": {"essential": True, "value": nonce}})
    claims.validate()
    assert jwt.decode(token["id_token"], jwks).header["alg"] == "RS256"
    user = city.zhang.user
    assert user is not None
    assert claims["sub"] == subject_for(user.pk) and claims["sub"] != str(user.pk)
    assert claims["acr"] == "yiwang:loa:3"

    info = client.get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"]
    assert info["name"] == "张伟"
    assert info["phone_number"] == "138****0001"
    assert ZHANG_PHONE not in str(info)

    # The same access token works on the platform API (one login for every module).
    me = client.get(f"{base}/api/v1/identity/me").json()
    assert me["display_name"] == "张伟" and me["phone"] == "138****0001"


def test_pkce_is_required_and_plain_is_refused(live_server, city: City) -> None:
    app, secret = services.client_register(name="无PKCE客户端", grant=Application.GRANT_AUTHORIZATION_CODE,
                                           scopes=["openid"], redirect_uris=REDIRECT, skip_authorization=True)
    session = requests.Session()
    assert city.zhang.user is not None
    from django.test import Client

    c = Client()
    c.force_login(city.zhang.user)
    session.cookies.set("sessionid", c.cookies["sessionid"].value)
    base = live_server.url
    common = {"client_id": app.client_id, "response_type": "code", "scope": "openid", "redirect_uri": REDIRECT,
              "state": "xyz"}
    for extra in ({}, {"code_challenge": "a" * 43, "code_challenge_method": "plain"}):
        r = session.get(f"{base}/o/authorize/", params={**common, **extra}, allow_redirects=False)
        location = r.headers.get("Location", "")
        assert "code=" not in location, (extra, location)


def test_consent_page_for_third_party_apps(live_server, city: City) -> None:
    """Without skip_authorization the user sees a consent form; allowing it issues the code."""
    app, secret = services.client_register(name="第三方应用", grant=Application.GRANT_AUTHORIZATION_CODE,
                                           scopes=["openid", "profile"], redirect_uris=REDIRECT)
    from django.test import Client

    c = Client()
    assert city.zhang.user is not None
    c.force_login(city.zhang.user)
    client = OAuth2Session(app.client_id, secret, scope="openid profile", redirect_uri=REDIRECT,
                           code_challenge_method="S256")
    browser = requests.Session()
    browser.cookies.set("sessionid", c.cookies["sessionid"].value)
    verifier = generate_token(48)
    auth_url, _state = client.create_authorization_url(f"{live_server.url}/o/authorize/", code_verifier=verifier)
    page = browser.get(auth_url, allow_redirects=False)
    assert page.status_code == 200
    form = dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', page.text))
    assert form.get("client_id") == app.client_id
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert csrf
    form.update({"csrfmiddlewaretoken": csrf.group(1), "allow": "Authorize"})
    r = browser.post(f"{live_server.url}/o/authorize/", data=form, headers={"Referer": auth_url},
                    allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].startswith(REDIRECT) and "code=" in r.headers["Location"]
    token = client.fetch_token(f"{live_server.url}/o/token/", authorization_response=r.headers["Location"],
                               code_verifier=verifier)
    assert "id_token" in token
