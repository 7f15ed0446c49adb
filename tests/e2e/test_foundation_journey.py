"""The foundation journey in a real browser: citizen login with password + SMS code, elderly mode
remembered across reloads, masked 身份证号, logout, staff login to the workbench."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def _latest_code(page, base: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(base + "/dev/sms/")
    body = page.locator(".sms-body").first.inner_text()
    match = re.search(r"验证码为 (\d{6})", body)
    assert match, body
    return match.group(1)


def test_citizen_then_staff(demo_server, page, shot):  # type: ignore[no-untyped-def]
    base = demo_server
    page.goto(base + "/login/")
    assert page.locator("h1").first.inner_text() == "统一身份认证"
    shot(page, "login")

    # Citizen 张伟: password first, then the one-time code from the local SMS outbox.
    page.fill("#username", "13800000001")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit].primary")
    assert "账号或密码不正确" in page.content()
    page.fill("#username", "13800000001")
    page.fill("#password", "yiwang-demo-2026")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/login/otp/")
    otp_url = page.url
    code = _latest_code(page, base)
    page.goto(otp_url)
    page.fill("#code", code)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/me/")

    # Masked 身份证号: region and last four only.
    id_text = page.locator("#id-number").inner_text()
    assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", id_text), id_text

    # Elderly mode: switch on, reload, still on (remembered for the user).
    assert "elderly" not in (page.locator("body").get_attribute("class") or "")
    page.click("#elderly-toggle")
    page.wait_for_load_state()
    assert "elderly" in (page.locator("body").get_attribute("class") or "")
    page.reload()
    assert "elderly" in (page.locator("body").get_attribute("class") or "")
    font_px = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_px >= 20
    shot(page, "citizen-elderly")

    page.click("#logout")
    page.wait_for_url(base + "/")
    assert page.locator("a.button", has_text="登录").count() == 1

    # Staff 陈晨 (window clerk) reaches the workbench.
    page.goto(base + "/login/?tab=staff")
    page.fill("#username", "chenchen")
    page.fill("#password", "yiwang-demo-2026")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/workbench/")
    assert "示范市政务服务中心" in page.content()
    shot(page, "staff-workbench")


def test_citizen_cannot_open_workbench(demo_server, page):  # type: ignore[no-untyped-def]
    page.goto(demo_server + "/login/")
    page.click("button[data-persona='13800000001']")
    page.wait_for_url("**/me/")
    response = page.goto(demo_server + "/workbench/")
    assert response is not None and response.status == 403
