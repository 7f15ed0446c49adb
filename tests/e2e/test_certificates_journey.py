"""E-certificate journey: 张伟 opens his 居民户口簿 in the wallet, downloads the PDF, follows the QR link and sees 有效 with
the issuer and the ledger proof; 刘洋 (公安局) revokes it; the public page then shows 已撤销."""

from __future__ import annotations

import pytest

from .helpers import login_as

pytestmark = pytest.mark.e2e


def test_wallet_verify_revoke(demo_server, page, shot):  # type: ignore[no-untyped-def]
    base = demo_server
    login_as(page, base, "13800000001")
    page.goto(base + "/certificates/wallet/")
    card = page.locator("a.certificate-card", has_text="居民户口簿").first
    identifier = card.get_attribute("data-identifier")
    assert identifier and identifier.startswith("1.2.156.3005.2.")
    card.click()
    page.wait_for_selector("#certificate-qr")
    verify_url = page.locator("#verify-link").get_attribute("href")
    assert verify_url and identifier in verify_url
    shot(page, "detail")
    pdf_href = page.locator("#pdf-link").get_attribute("href")
    assert pdf_href
    response = page.request.get(base + pdf_href)  # the browser's own session downloads it
    assert response.ok and response.headers["content-type"].startswith("application/pdf")
    pdf = response.body()
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf  # the CJK font travels inside the file

    page.context.clear_cookies()  # the verifier is anyone, not logged in
    page.goto(verify_url if verify_url.startswith("http") else base + verify_url)
    assert page.locator("#verification").get_attribute("data-status") == "valid"
    assert "公安局" in page.locator("#verify-issuer").inner_text()
    assert page.locator("#ledger-proof").get_attribute("data-index") not in (None, "", "None")
    shot(page, "verify-valid")

    login_as(page, base, "liuyang")
    page.goto(f"{base}/certificates/c/{identifier}/")
    page.fill("#reason", "户口迁出示范市，原户口簿作废")
    page.click("#status-form button[value=revoke]")
    page.wait_for_load_state()

    page.context.clear_cookies()
    page.goto(verify_url if verify_url.startswith("http") else base + verify_url)
    assert page.locator("#verification").get_attribute("data-status") == "revoked"
    assert "已撤销" in page.locator("#verification h2").inner_text()
    shot(page, "verify-revoked")
