from __future__ import annotations

import pytest
from django.test import Client

from yiwang.identity import services as identity_services
from yiwang.kernel.validators import make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen():  # type: ignore[no-untyped-def]
    from datetime import date

    person = identity_services.person_register(
        real_name="张伟", id_number=make_id_number("330106", date(1993, 5, 12), 101), phone="13800000001",
        password="correct-horse-1")
    return person.user


def test_healthz_answers_json(client: Client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


def test_home_is_chinese_with_security_headers(client: Client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-CN">' in html
    assert "示范市一体化政务服务平台" in html
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Request-Id"]


def test_english_through_i18n(client: Client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert '<html lang="en">' in response.content.decode()


def test_elderly_mode_is_remembered_for_the_user(client: Client, citizen):  # type: ignore[no-untyped-def]
    client.force_login(citizen)
    client.post("/elderly/", {"enabled": "1", "next": "/me/"})
    citizen.refresh_from_db()
    assert citizen.elderly_mode is True
    other = Client()  # a new browser: the preference follows the account, not the cookie
    other.force_login(citizen)
    assert 'class="elderly"' in other.get("/me/").content.decode()
    client.post("/elderly/", {"enabled": "0"})
    citizen.refresh_from_db()
    assert citizen.elderly_mode is False


def test_elderly_toggle_refuses_foreign_redirects(client: Client):
    response = client.post("/elderly/", {"enabled": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_personas_and_dev_pages_only_in_demo_mode(client: Client, citizen, settings):  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = False
    assert "演示角色一键登录" not in client.get("/login/").content.decode()
    assert client.get("/dev/sms/").status_code == 404
    assert client.post("/login/demo/", {"username": citizen.username}).status_code == 404


def test_workbench_is_for_staff_only(client: Client, citizen):  # type: ignore[no-untyped-def]
    assert client.get("/workbench/").status_code == 302
    client.force_login(citizen)
    assert client.get("/workbench/").status_code == 403


def test_chinese_by_default_even_for_an_english_browser(client: Client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-CN">' in html
    assert "个人办事" in html
