"""One login: password + SMS code for citizens and enterprises, staff login; throttling against
guessing; one-time codes (wrong, expired, reused); secure headers and CSP."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from yiwang.identity import services
from yiwang.identity.models import Enterprise, OneTimeCode, SmsMessage
from yiwang.kernel.errors import RateLimited
from yiwang.kernel.validators import make_credit_code

from .conftest import PASSWORD, ZHANG_PHONE, City

pytestmark = pytest.mark.django_db


def _post_login(c: Client, username: str, password: str, tab: str = "person", **extra: str) -> object:
    return c.post("/login/", {"tab": tab, "username": username, "password": password, **extra})


def _last_code() -> str:
    match = re.search(r"(\d{6})", SmsMessage.objects.latest("sent_at").body)
    assert match
    return match.group(1)


def test_citizen_login_with_password_and_sms_code(city: City) -> None:
    c = Client()
    r = _post_login(c, ZHANG_PHONE, PASSWORD, next="/me/data-reads/")
    assert r.status_code == 302 and r["Location"] == "/login/otp/"  # type: ignore[index]
    r = c.post("/login/otp/", {"code": _last_code()})
    assert r.status_code == 302 and r["Location"] == "/me/data-reads/"  # type: ignore[index]
    assert c.get("/api/v1/identity/me").json()["display_name"] == "张伟"


def test_staff_login_and_wrong_tab(city: City) -> None:
    c = Client()
    r = _post_login(c, "chenchen", PASSWORD, tab="staff")
    assert r.status_code == 302 and r["Location"] == "/workbench/"  # type: ignore[index]
    r = _post_login(Client(), ZHANG_PHONE, PASSWORD, tab="staff")
    assert r.status_code == 400 and "不是工作人员账号" in r.content.decode()  # type: ignore[attr-defined]


def test_enterprise_login_checks_legal_rep_and_credit_code(city: City) -> None:
    code = make_credit_code("9", "1", "990102", "MA7QH0C1X")
    ent = services.enterprise_register(credit_code=code, name="示范市青禾餐饮有限公司", legal_rep=city.zhang)
    c = Client()
    r = _post_login(c, ZHANG_PHONE, PASSWORD, tab="enterprise", credit_code=code)
    assert r.status_code == 302
    c.post("/login/otp/", {"code": _last_code()})
    assert c.session["acting_for"] == f"enterprise:{ent.pk}"
    # Not the legal representative and no mandate:
    r = _post_login(Client(), "13800000002", PASSWORD, tab="enterprise", credit_code=code)
    assert r.status_code == 403 and "法定代表人" in r.content.decode()  # type: ignore[attr-defined]
    # A malformed credit code: a 4xx naming what is wrong.
    r = _post_login(Client(), "13800000002", PASSWORD, tab="enterprise", credit_code=code[:-1] + "0")
    assert r.status_code == 422 and "校验" in r.content.decode()  # type: ignore[attr-defined]
    assert Enterprise.objects.count() == 1


def test_five_failures_lock_the_account_for_fifteen_minutes(city: City) -> None:
    for _ in range(5):
        r = _post_login(Client(), ZHANG_PHONE, "wrong-password")
        assert r.status_code == 400  # type: ignore[attr-defined]
    r = _post_login(Client(), ZHANG_PHONE, PASSWORD)  # even the right password is refused now
    assert r.status_code == 429 and "15分钟" in r.content.decode()  # type: ignore[attr-defined]
    with pytest.raises(RateLimited):
        services.login_check_allowed(username=ZHANG_PHONE, address="10.0.0.9")
    # Fifteen minutes later it opens again.
    from yiwang.identity.models import LoginAttempt

    LoginAttempt.objects.update(at=timezone.now() - timedelta(minutes=16))
    r = _post_login(Client(), ZHANG_PHONE, PASSWORD)
    assert r.status_code == 302  # type: ignore[attr-defined]


def test_one_address_guessing_many_accounts_is_locked(city: City) -> None:
    for i in range(20):
        services.login_record(username=f"139000000{i:02d}", address="10.1.1.1", success=False)
    with pytest.raises(RateLimited):
        services.login_check_allowed(username="chenchen", address="10.1.1.1")
    services.login_check_allowed(username="chenchen", address="10.1.1.2")  # another address is fine
    r = Client(REMOTE_ADDR="10.1.1.1").post("/login/", {"tab": "staff", "username": "chenchen",
                                                        "password": PASSWORD})
    assert r.status_code == 429


def test_otp_wrong_code_expiry_and_reuse(city: City) -> None:
    services.otp_send(phone=ZHANG_PHONE)
    code = _last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert not services.otp_verify(phone=ZHANG_PHONE, code=wrong)
    assert services.otp_verify(phone=ZHANG_PHONE, code=code)
    assert not services.otp_verify(phone=ZHANG_PHONE, code=code)  # used once only

    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    services.otp_send(phone=ZHANG_PHONE)
    code = _last_code()
    OneTimeCode.objects.filter(used_at__isnull=True).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not services.otp_verify(phone=ZHANG_PHONE, code=code)  # expired


def test_otp_locks_after_too_many_wrong_codes(city: City) -> None:
    services.otp_send(phone=ZHANG_PHONE)
    code = _last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(services.OTP_MAX_ATTEMPTS):
        assert not services.otp_verify(phone=ZHANG_PHONE, code=wrong)
    assert not services.otp_verify(phone=ZHANG_PHONE, code=code)


def test_otp_send_is_rate_limited_but_login_goes_on(city: City) -> None:
    services.otp_send(phone=ZHANG_PHONE)
    with pytest.raises(RateLimited):
        services.otp_send(phone=ZHANG_PHONE)
    c = Client()
    r = _post_login(c, ZHANG_PHONE, PASSWORD)
    assert r.status_code == 302 and r["Location"] == "/login/otp/"  # type: ignore[index]
    assert c.post("/login/otp/", {"code": _last_code()}).status_code == 302


def test_wrong_otp_on_the_page(city: City) -> None:
    c = Client()
    _post_login(c, ZHANG_PHONE, PASSWORD)
    r = c.post("/login/otp/", {"code": "000000" if _last_code() != "000000" else "111111"})
    assert r.status_code == 400 and "验证码不正确" in r.content.decode()


def test_secure_headers_and_csp(city: City) -> None:
    r = Client().get("/login/")
    assert r.status_code == 200
    csp = r["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert r["X-Frame-Options"] == "DENY"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Referrer-Policy"] == "same-origin"
    assert r["Cross-Origin-Opener-Policy"] == "same-origin"
    api = Client().get("/api/v1/identity/regions")
    assert api["X-Content-Type-Options"] == "nosniff" and api["X-Frame-Options"] == "DENY"


def test_session_cookie_is_http_only(city: City) -> None:
    c = Client()
    _post_login(c, "chenchen", PASSWORD, tab="staff")
    cookie = c.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_demo_login_is_demo_only(city: City, settings: object) -> None:
    settings.DEMO_MODE = False  # type: ignore[attr-defined]
    assert Client().post("/login/demo/", {"username": "chenchen"}).status_code == 404
    assert Client().get("/dev/sms/").status_code == 404
