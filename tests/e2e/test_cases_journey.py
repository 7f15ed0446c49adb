"""一网通办 journey: 张伟 applies for 出生一件事 once; 陈晨 (政务服务中心) accepts it at the one window;
刘洋 (公安局) asks for a correction, 张伟 corrects, 刘洋 approves; 赵强 (卫健委) approves; the bundle
ends 办结; 张伟 rates it 2 and 卫健委 sees the rectification task. Then a 秒批 item is approved the
moment it is submitted."""

from __future__ import annotations

import re

import pytest

from .helpers import login_as

pytestmark = pytest.mark.e2e

BIRTH = "/cases/apply/?bundle=YJS0001&vaccine=no&insurance=no&maternity=no"


def _fill_required(page) -> None:  # type: ignore[no-untyped-def]
    """Type a value into each required field the platform could not prefill."""
    values = {"child_name": "张小满", "child_birth_date": "2026-11-20", "birth_hospital": "示范市妇幼保健院",
              "mother_name": "陈静", "father_name": "张伟", "phone": "13800000001"}
    for name, value in values.items():
        box = page.locator(f"#apply-form [name='{name}']")
        if box.count() and not box.first.input_value():
            box.first.fill(value)
    for name, option in (("child_sex", "女"), ("hukou_follow", "随父")):
        box = page.locator(f"#apply-form select[name='{name}']")
        if box.count():
            box.first.select_option(option)
    # 身份证号 of the mother: the platform prefills the father's (the applicant's) own.
    mother = page.locator("#apply-form [name='mother_id_number']")
    if mother.count() and not mother.first.input_value():
        mother.first.fill("330106199511301085")


def _open_workbench_case(page, base: str, number: str) -> None:  # type: ignore[no-untyped-def]
    # The demo's history fills the inbox, so go to the case directly (the inbox is covered elsewhere).
    page.goto(f"{base}/cases/workbench/case/{number}/")
    page.wait_for_selector("#case-number")


def _claim_and(page, action: str) -> None:  # type: ignore[no-untyped-def]
    claim = page.locator("button[data-action='claim']")
    if claim.count():
        claim.first.click()
        page.wait_for_load_state()
    page.locator(f"form.wb-act button[data-action='{action}']").first.click()
    page.wait_for_load_state()


def test_birth_bundle_across_three_departments_then_rating(demo_server, page, shot):  # type: ignore[no-untyped-def]
    base = demo_server
    login_as(page, base, "13800000001")
    page.goto(base + BIRTH)
    page.wait_for_selector("#apply-form")
    assert page.locator("text=来源").count() > 0  # prefilled values say where they came from
    _fill_required(page)
    shot(page, "apply")
    page.click("#submit-button")
    page.wait_for_selector("#receipt, .field-error, #form-error")
    errors = page.locator(".field-error, #form-error")
    assert errors.count() == 0, errors.all_inner_texts()
    number = page.locator("#receipt").get_attribute("data-number")
    assert number and re.fullmatch(r"\d{20}", number)
    shot(page, "receipt")

    # 一窗受理 at 政务服务中心
    login_as(page, base, "chenchen")
    _open_workbench_case(page, base, number)
    _claim_and(page, "accept")
    assert page.locator("#action-error").count() == 0
    children = page.locator("#children a")
    subs = {children.nth(i).inner_text().strip(): children.nth(i).get_attribute("href")
            for i in range(children.count())}
    assert len(subs) == 2, subs
    police_no = next(h for t, h in subs.items() if "户口" in t or "出生登记" in t).rstrip("/").split("/")[-1]
    health_no = next(h for t, h in subs.items() if "出生医学证明" in t).rstrip("/").split("/")[-1]

    # 公安局 asks for a correction, listing every point at once
    login_as(page, base, "liuyang")
    _open_workbench_case(page, base, police_no)
    page.locator("button[data-action='claim']").first.click()
    page.wait_for_load_state()
    page.locator("details:has(button[data-action='request_corrections']) summary").first.click()
    page.locator("textarea[name='points']").first.fill("随父落户须提供父亲户口所在地地址，请在联系地址中补充")
    page.locator("button[data-action='request_corrections']").first.click()
    page.wait_for_load_state()
    assert page.locator("#case-facts, body").first.inner_text().count("补正") >= 1
    shot(page, "corrections-requested")

    # 张伟 answers the correction
    login_as(page, base, "13800000001")
    page.goto(f"{base}/cases/mine/{police_no}/corrections/")
    page.wait_for_selector("#corrections-form")
    assert "父亲户口所在地" in page.locator("#correction-points").inner_text()
    page.fill("#note", "已补充联系地址：示范市中心区人民路1号")
    page.click("#corrections-submit")
    page.wait_for_load_state()

    # 公安局 then 卫健委 decide
    login_as(page, base, "liuyang")
    _open_workbench_case(page, base, police_no)
    _claim_and(page, "decide_approve")
    login_as(page, base, "zhaoqiang")
    _open_workbench_case(page, base, health_no)
    _claim_and(page, "decide_approve")

    # The bundle has ended; 张伟 sees 办结 and rates it 2
    login_as(page, base, "13800000001")
    page.goto(f"{base}/cases/mine/{number}/")
    assert page.locator("#case-summary").get_attribute("data-status") == "completed"
    assert "受理" in page.locator("#timeline").inner_text()
    shot(page, "completed")
    page.goto(f"{base}/cases/mine/{police_no}/")  # the sub-case keeps its own history, 补正 included
    assert "补正" in page.locator("#timeline").inner_text()
    page.goto(f"{base}/cases/mine/{number}/")
    page.click("#rate-link")
    page.wait_for_selector("#rate-form")
    page.check("input[name='score'][value='2']")
    page.fill("#comment", "补正说明不够清楚，多跑了一趟网上流程")
    page.click("#rate-submit")
    page.wait_for_selector("#my-rating")
    assert page.locator("#my-rating").get_attribute("data-score") == "2"

    # The lead department (卫健委) sees the rectification task
    login_as(page, base, "zhaoqiang")
    page.goto(base + "/feedback/rectifications/")
    task = page.locator("[data-rectification]", has_text=number)
    assert task.count() == 1
    assert task.first.get_attribute("data-status") == "open"
    shot(page, "rectification")


def test_instant_approval_item(demo_server, page, shot):  # type: ignore[no-untyped-def]
    base = demo_server
    login_as(page, base, "13800000001")
    page.goto(base + "/cases/apply/?item=GG18003000")
    page.wait_for_selector("#apply-form")
    page.locator("#apply-form select[name='query_purpose']").select_option("购房")
    for name, value in (("applicant_name", "张伟"), ("phone", "13800000001")):
        box = page.locator(f"#apply-form [name='{name}']")
        if not box.input_value():
            box.fill(value)
    page.click("#submit-button")
    page.wait_for_selector("#receipt")
    receipt = page.locator("#receipt").inner_text()
    assert "已办结" in receipt and "准予" in receipt
    shot(page, "instant-approval")
