"""Data-sharing journey: 卫健委 requests a 有条件 resource, 公安局 and 数据局 approve, 卫健委 looks
张伟 up in the gateway console, and 张伟 sees the access with its purpose."""

from __future__ import annotations

import re

import pytest

from .helpers import login_as

pytestmark = pytest.mark.e2e

PURPOSE = "出生医学证明签发核对父母户籍（浏览器测试）"


def test_request_approve_lookup_and_the_person_sees_it(demo_server, page, shot):  # type: ignore[no-untyped-def]
    base = demo_server
    login_as(page, base, "zhaoqiang")
    page.goto(base + "/exchange/resources/A0101002/")
    form = page.locator("#share-request-form")
    boxes = form.locator("input[name=items][data-item]")
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.fill("#request-purpose", "出生医学证明签发时核对新生儿父母户籍信息")
    page.fill("#request-legal-basis", "《中华人民共和国母婴保健法》第二十三条")
    page.click("#request-submit")
    page.wait_for_load_state()
    page.goto(base + "/exchange/workbench/?tab=mine")
    row = page.locator("[data-request][data-status]").first
    number = row.get_attribute("data-request")
    assert number

    for approver in ("liuyang", "wugang"):
        login_as(page, base, approver)
        page.goto(base + "/exchange/workbench/")
        card = page.locator(f"[data-request='{number}']")
        card.locator("button[data-action=approve]").first.click()
        page.wait_for_load_state()

    login_as(page, base, "zhaoqiang")
    page.goto(base + "/exchange/console/")
    page.select_option("#lookup-resource", "A0101002")
    page.fill("#lookup-key", "330106199305121016")
    page.fill("#lookup-purpose", PURPOSE)
    page.click("#lookup-submit")
    page.wait_for_selector("#lookup-result[data-found=true]")
    name = page.locator("dd[data-item=xm]").inner_text()
    assert re.match(r"张", name)
    shot(page, "console")

    login_as(page, base, "13800000001")
    page.goto(base + "/exchange/my-data/")
    purposes = page.locator("#my-data-accesses tr[data-access-id] .access-purpose").all_inner_texts()
    assert any(PURPOSE in p for p in purposes), purposes
    shot(page, "my-data")
