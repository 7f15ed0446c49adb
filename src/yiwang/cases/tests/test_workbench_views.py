"""The staff workbench pages: inbox tabs and SLA lights, claim and act with their error paths, batch
actions, the case page (masking and the audited reveal), case-level actions, supervisor pages and
workflow definitions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from yiwang.cases import services
from yiwang.cases.models import CarbonCopy, Case, CaseEvent, WorkflowDefinition, WorkItem
from yiwang.kernel.audit import AuditEntry

from .conftest import ZHANG_ID, World

MOVE_FORM = {"applicant_name": "张伟", "applicant_id_number": ZHANG_ID, "phone": "13800000001",
             "new_address": "示范市东湖区湖滨街道幸福社区3栋201"}


def move(world: World) -> Case:
    """迁移户口 (QR03004000): 受理 at the centre → 审查 (公安局 approver) → 决定 (公安局 head)."""
    return services.case_submit(applicant=world.applicant, item_code="QR03004000", form=dict(MOVE_FORM))


def client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def open_item(case: Case) -> WorkItem:
    return WorkItem.objects.get(case=case, status="open")


def accepted(world: World) -> Case:
    case = move(world)
    return services.task_act(work_item_id=open_item(case).pk, user=world.clerk, action="accept")


def act(c: Client, item: WorkItem, **data: Any) -> Any:
    return c.post(f"/cases/workbench/item/{item.pk}/act/", {"version": item.row_version, **data})


# --- inbox ------------------------------------------------------------------------------------------


def test_inbox_lists_my_departments_unclaimed_items_with_the_applicant_masked(world: World) -> None:
    case = move(world)
    body = client(world.clerk).get("/cases/workbench/").content.decode()
    assert case.number in body and 'data-claimed="false"' in body
    main = body.split('id="inbox-table"')[1]
    assert "张*" in main and "张伟" not in main
    assert case.number not in client(world.approvers["公安局"]).get("/cases/workbench/").content.decode()


def test_inbox_tabs_done_overdue_and_copied(world: World) -> None:
    case = accepted(world)
    clerk = client(world.clerk)
    assert case.number in clerk.get("/cases/workbench/?tab=done").content.decode()
    assert case.number not in clerk.get("/cases/workbench/?tab=todo").content.decode()
    police = client(world.approvers["公安局"])
    assert case.number not in police.get("/cases/workbench/?tab=overdue").content.decode()
    Case.objects.filter(pk=case.pk).update(promised_due="2020-01-02")
    WorkItem.objects.filter(case=case, status="open").update(due="2020-01-02")
    overdue = police.get("/cases/workbench/?tab=overdue").content.decode()
    assert case.number in overdue and 'data-light="red"' in overdue
    other = world.approvers["卫健委"]
    assert case.number not in client(other).get("/cases/workbench/?tab=cc").content.decode()
    services.case_copy_to(case_id=case.pk, user=world.heads["公安局"], to_user=other, note="请知悉")
    assert case.number in client(other).get("/cases/workbench/?tab=cc").content.decode()


def test_inbox_refuses_citizens_and_anonymous(world: World) -> None:
    assert client(world.zhang.user).get("/cases/workbench/").status_code == 403
    assert Client().get("/cases/workbench/").status_code == 302


# --- claim and act ------------------------------------------------------------------------------------


def test_claim_then_accept_moves_the_case_on(world: World) -> None:
    case = move(world)
    item = open_item(case)
    c = client(world.clerk)
    r = c.post(f"/cases/workbench/item/{item.pk}/claim/", {"version": item.row_version})
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.assignee_id == world.clerk.pk
    page = c.get(f"/cases/workbench/case/{case.number}/").content.decode()
    assert 'data-action="accept"' in page and 'data-action="not_accept"' in page
    assert 'data-action="approve"' not in page  # only the intake step's actions
    r = act(c, item, action="accept", comment="材料齐全")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == "in_progress" and case.step_code == "review"


def test_someone_elses_claim_answers_409_on_the_page(world: World) -> None:
    case = accepted(world)
    item = open_item(case)
    services.task_claim(work_item_id=item.pk, user=world.heads["公安局"])
    item.refresh_from_db()
    r = act(client(world.approvers["公安局"]), item, action="approve")
    assert r.status_code == 409
    assert "已被他人认领" in r.content.decode() and 'data-error-code="case.claimed_by_other"' in r.content.decode()
    r = client(world.approvers["公安局"]).post(f"/cases/workbench/item/{item.pk}/claim/", {})
    assert r.status_code == 409


def test_a_stale_page_gets_the_clear_conflict_message_never_a_500(world: World) -> None:
    case = accepted(world)
    item = open_item(case)
    stale = item.row_version
    services.task_claim(work_item_id=item.pk, user=world.approvers["公安局"])  # bumps the version
    r = client(world.approvers["公安局"]).post(f"/cases/workbench/item/{item.pk}/act/",
                                              {"version": stale, "action": "approve"})
    assert r.status_code == 409
    assert "刚被其他人处理，请刷新后重试" in r.content.decode()
    case.refresh_from_db()
    assert case.step_code == "review"


def test_acting_on_an_item_already_done_is_a_conflict(world: World) -> None:
    case = move(world)
    item = open_item(case)
    services.task_act(work_item_id=item.pk, user=world.clerk, action="accept")
    item.refresh_from_db()
    r = act(client(world.clerk), item, action="accept")
    assert r.status_code == 409


def test_another_departments_staff_get_403(world: World) -> None:
    case = accepted(world)
    item = open_item(case)
    r = act(client(world.approvers["卫健委"]), item, action="approve")
    assert r.status_code == 403
    assert client(world.approvers["卫健委"]).get(f"/cases/workbench/case/{case.number}/").status_code == 403
    case.refresh_from_db()
    assert case.step_code == "review"


@pytest.mark.parametrize("action", ["not_accept"])
def test_reasons_are_required_422_with_the_field(world: World, action: str) -> None:
    case = move(world)
    item = open_item(case)
    r = act(client(world.clerk), item, action=action, comment="  ")
    assert r.status_code == 422
    assert 'data-error-field="reason"' in r.content.decode()
    r = act(client(world.clerk), item, action="request_corrections", points="\n  \n")
    assert r.status_code == 422 and 'data-error-field="points"' in r.content.decode()


def test_corrections_list_points_once_then_the_action_is_gone(world: World) -> None:
    case = move(world)
    item = open_item(case)
    c = client(world.clerk)
    r = act(c, item, action="request_corrections", points="身份证复印件不清晰\n缺少户口簿首页", comment="请补正")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == "corrections"
    assert case.corrections.get().points == [{"point": "身份证复印件不清晰"}, {"point": "缺少户口簿首页"}]
    page = c.get(f"/cases/workbench/case/{case.number}/").content.decode()
    assert "等待申请人补正" in page and 'data-action="request_corrections"' not in page


def test_review_return_and_decide_deny_through_the_page(world: World) -> None:
    case = accepted(world)
    police = client(world.approvers["公安局"])
    assert act(police, open_item(case), action="approve").status_code == 302
    head = client(world.heads["公安局"])
    decide = open_item(case)
    page = head.get(f"/cases/workbench/case/{case.number}/").content.decode()
    assert 'data-action="claim"' in page
    r = act(head, decide, action="return", target="review", comment="")
    assert r.status_code == 422 and 'data-error-field="reason"' in r.content.decode()
    assert act(head, decide, action="return", target="review", comment="请核实地址").status_code == 302
    case.refresh_from_db()
    assert case.step_code == "review" and case.returns_count == 1
    assert act(police, open_item(case), action="approve").status_code == 302
    r = act(head, open_item(case), action="decide_deny", comment="不符合迁入条件")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == "completed" and case.outcome == "denied"


def test_recall_by_whoever_finished_the_previous_step(world: World) -> None:
    case = accepted(world)
    police = client(world.approvers["公安局"])
    act(police, open_item(case), action="approve")
    case.refresh_from_db()
    assert case.step_code == "decide"
    assert 'data-action="recall"' in police.get(f"/cases/workbench/case/{case.number}/").content.decode()
    r = client(world.heads["公安局"]).post(f"/cases/workbench/case/{case.number}/action/",
                                          {"action": "recall", "version": case.row_version})
    assert r.status_code == 403
    r = police.post(f"/cases/workbench/case/{case.number}/action/", {"action": "recall", "version": case.row_version})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.step_code == "review"


def test_supervisor_suspends_and_resumes_reason_required_and_stale_version(world: World) -> None:
    case = accepted(world)
    head = client(world.heads["公安局"])
    url = f"/cases/workbench/case/{case.number}/action/"
    r = head.post(url, {"action": "suspend", "reason": "", "version": case.row_version})
    assert r.status_code == 422 and 'data-error-field="reason"' in r.content.decode()
    r = client(world.approvers["公安局"]).post(url, {"action": "suspend", "reason": "鉴定", "version": case.row_version})
    assert r.status_code == 403
    r = head.post(url, {"action": "suspend", "reason": "等待外部鉴定", "version": case.row_version - 1})
    assert r.status_code == 409 and "刷新后重试" in r.content.decode()
    assert head.post(url, {"action": "suspend", "reason": "等待外部鉴定", "version": case.row_version}).status_code == 302
    case.refresh_from_db()
    assert case.status == "suspended"
    assert 'sla-paused' in head.get(f"/cases/workbench/case/{case.number}/").content.decode()
    assert head.post(url, {"action": "resume", "version": case.row_version}).status_code == 302
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert head.post(url, {"action": "terminate", "reason": "申请人死亡", "version": case.row_version}).status_code == 302
    case.refresh_from_db()
    assert case.status == "terminated"


def test_reassign_to_a_colleague_and_delegate_and_return(world: World) -> None:
    case = accepted(world)
    item = open_item(case)
    police = client(world.approvers["公安局"])
    head_no = world.heads["公安局"].staff.employee_no
    r = police.post(f"/cases/workbench/item/{item.pk}/reassign/", {"employee_no": "nobody", "version": item.row_version})
    assert r.status_code == 422
    other_no = world.approvers["卫健委"].staff.employee_no
    r = police.post(f"/cases/workbench/item/{item.pk}/reassign/", {"employee_no": other_no, "version": item.row_version})
    assert r.status_code == 422  # only within the department
    r = police.post(f"/cases/workbench/item/{item.pk}/reassign/", {"employee_no": head_no, "version": item.row_version})
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.assignee_id == world.heads["公安局"].pk
    head = client(world.heads["公安局"])
    appr_no = world.approvers["公安局"].staff.employee_no
    assert head.post(f"/cases/workbench/item/{item.pk}/delegate/",
                     {"employee_no": appr_no, "version": item.row_version}).status_code == 302
    item.refresh_from_db()
    assert item.assignee_id == world.approvers["公安局"].pk and item.delegated_by_id == world.heads["公安局"].pk
    assert 'data-action="return_delegation"' in police.get(f"/cases/workbench/case/{case.number}/").content.decode()
    assert police.post(f"/cases/workbench/item/{item.pk}/return-delegation/", {"comment": "已核实"}).status_code == 302
    item.refresh_from_db()
    assert item.assignee_id == world.heads["公安局"].pk
    assert {"transferred", "delegated", "delegation_returned"} <= set(
        CaseEvent.objects.filter(case=case).values_list("type", flat=True))


def test_the_case_page_offers_the_departments_colleagues_by_name_for_reassigning(world: World) -> None:
    case = accepted(world)
    html = client(world.approvers["公安局"]).get(f"/cases/workbench/case/{case.number}/").content.decode()
    datalist = html[html.index('<datalist id="colleagues">'):]
    datalist = datalist[:datalist.index("</datalist>")]
    head = world.heads["公安局"]
    assert f'<option value="{head.staff.employee_no}">{head}' in datalist  # a colleague, by number and name
    assert world.approvers["公安局"].staff.employee_no not in datalist  # not oneself
    assert world.approvers["卫健委"].staff.employee_no not in datalist  # not another department
    assert 'id="cc-user" maxlength="20" list="colleagues"' in html  # 抄送 to a colleague picks from it


def test_transfer_to_another_department(world: World) -> None:
    case = accepted(world)
    item = open_item(case)
    target = world.orgs["卫健委"].code
    r = act(client(world.approvers["公安局"]), item, action="transfer", target=target, comment="属卫健委职责")
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.department_code == target
    assert case.number in client(world.approvers["卫健委"]).get("/cases/workbench/").content.decode()


def test_urge_and_copy(world: World) -> None:
    case = accepted(world)
    head = client(world.heads["公安局"])
    assert head.post(f"/cases/workbench/case/{case.number}/urge/", {"note": "今日办结"}).status_code == 302
    assert CaseEvent.objects.filter(case=case, type="urged").exists()
    r = head.post(f"/cases/workbench/case/{case.number}/copy/", {"department_code": "", "employee_no": ""})
    assert r.status_code == 422
    dept = world.orgs["医保局"].code
    assert head.post(f"/cases/workbench/case/{case.number}/copy/",
                     {"department_code": dept, "note": "请知悉"}).status_code == 302
    assert CarbonCopy.objects.filter(case=case, department_code=dept).exists()
    assert case.number in client(world.approvers["医保局"]).get("/cases/workbench/?tab=cc").content.decode()
    # A copy lets the department read the case.
    assert client(world.approvers["医保局"]).get(f"/cases/workbench/case/{case.number}/").status_code == 200


# --- batch -----------------------------------------------------------------------------------------


def test_batch_accept_reports_partial_failure(world: World) -> None:
    first, second, third = move(world), move(world), move(world)
    a, b, c3 = open_item(first), open_item(second), open_item(third)
    services.task_claim(work_item_id=c3.pk, user=world.clerks["政务服务中心"])  # someone else's claim
    stale_b = b.row_version
    services.task_claim(work_item_id=b.pk, user=world.clerk)  # bumps b's version: the page is stale
    r = client(world.clerk).post("/cases/workbench/batch/", {"action": "accept", "items": [
        f"{a.pk}:{a.row_version}", f"{b.pk}:{stale_b}", f"{c3.pk}:{c3.row_version + 1}", "not-a-uuid:0"]})
    assert r.status_code == 200
    body = r.content.decode()
    assert body.count('data-batch-ok="true"') == 1 and body.count('data-batch-ok="false"') == 3
    assert "刷新后重试" in body and "已被他人认领" in body and "待办事项不存在" in body
    statuses = {c.number: Case.objects.get(pk=c.pk).status for c in (first, second, third)}
    assert statuses == {first.number: "in_progress", second.number: "submitted", third.number: "submitted"}


def test_batch_claim(world: World) -> None:
    cases = [move(world) for _ in range(2)]
    items = [open_item(c) for c in cases]
    r = client(world.clerk).post("/cases/workbench/batch/", {"action": "claim", "items": [
        f"{i.pk}:{i.row_version}" for i in items]})
    assert r.status_code == 200 and r.content.decode().count('data-batch-ok="true"') == 2
    assert all(WorkItem.objects.get(pk=i.pk).assignee_id == world.clerk.pk for i in items)


# --- the case page ---------------------------------------------------------------------------------


def test_case_page_masks_personal_data_and_the_reveal_is_audit_logged(world: World) -> None:
    case = accepted(world)
    police = client(world.approvers["公安局"])  # approver: no personal data
    page = police.get(f"/cases/workbench/case/{case.number}/").content.decode()
    assert ZHANG_ID not in page and "13800000001" not in page and 'data-masked="true"' in page
    assert 'id="reveal"' not in page
    assert police.post(f"/cases/workbench/case/{case.number}/reveal/").status_code == 403
    assert not AuditEntry.objects.filter(action="case.personal_data_read").exists()
    head = client(world.heads["公安局"])  # supervisor: sees personal data, on request
    assert 'id="reveal"' in head.get(f"/cases/workbench/case/{case.number}/").content.decode()
    r = head.post(f"/cases/workbench/case/{case.number}/reveal/", {"purpose": "核对身份"})
    assert r.status_code == 200 and ZHANG_ID in r.content.decode()
    entry = AuditEntry.objects.get(action="case.personal_data_read")
    assert entry.subject_ref == case.applicant_ref and entry.object_id == case.number


def test_case_page_shows_history_clock_and_multisign_actions(world: World) -> None:
    police, health = world.orgs["公安局"].code, world.orgs["卫健委"].code
    services.definition_save(item_code="QR03004000", definition={"steps": [
        {"code": "accept", "name": "受理", "kind": "intake", "role": "window_clerk",
         "department": world.orgs["政务服务中心"].code, "next": "sign"},
        {"code": "sign", "name": "联合会签", "kind": "all", "role": "approver", "participants": [police, health],
         "next": "decide"},
        {"code": "decide", "name": "决定", "kind": "decision", "role": "supervisor"}]})
    case = accepted(world)
    assert case.step_code == "sign"
    police_item = WorkItem.objects.get(case=case, status="open", department_code=police)
    c = client(world.approvers["公安局"])
    c.post(f"/cases/workbench/item/{police_item.pk}/claim/", {"version": police_item.row_version})
    page = c.get(f"/cases/workbench/case/{case.number}/").content.decode()
    for a in ("agree", "disagree", "add_signer", "remove_signer", "return"):
        assert f'data-action="{a}"' in page, a
    assert 'data-action="approve"' not in page and 'data-event="accepted"' in page and 'data-owner="department"' in page
    police_item.refresh_from_db()
    r = act(c, police_item, action="add_signer", target=world.orgs["医保局"].code)
    assert r.status_code == 302
    assert WorkItem.objects.filter(case=case, status="open", step_code="sign").count() == 3
    police_item.refresh_from_db()
    r = act(c, police_item, action="disagree", comment="")
    assert r.status_code == 422
    police_item.refresh_from_db()
    assert act(c, police_item, action="agree", comment="同意").status_code == 302


def test_material_download_and_certificate_link(world: World) -> None:
    photo = services.Upload(material="近期免冠彩色照片", filename="photo.png", content_type="image/png",
                            content=b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    from .conftest import birth_form

    case = services.case_submit(applicant=world.applicant, bundle_code="YJS0001",
                                answers={"vaccine": "no", "insurance": "yes", "maternity": "no"},
                                form=birth_form(), uploads=[photo])
    material = case.materials.filter(source="upload").first()
    assert material is not None
    c = client(world.clerk)
    page = c.get(f"/cases/workbench/case/{case.number}/").content.decode()
    assert f"/material/{material.pk}/" in page and 'id="children"' in page
    assert not AuditEntry.objects.filter(action="case.material_read").exists()
    r = c.get(f"/cases/workbench/case/{case.number}/material/{material.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"\x89PNG")
    read = AuditEntry.objects.get(action="case.material_read")
    assert read.subject_ref == world.zhang.subject_ref and read.detail["material"] == "近期免冠彩色照片"
    from yiwang.identity import selectors as identity_selectors

    assert read in identity_selectors.personal_data_reads(world.zhang)  # 谁查看了我的信息
    involved = set(Case.objects.filter(parent=case).values_list("department_code", flat=True))
    outsider = next(short for short, org in world.orgs.items()
                    if org.code not in involved and short != "政务服务中心")
    assert client(world.approvers[outsider]).get(
        f"/cases/workbench/case/{case.number}/material/{material.pk}/").status_code == 403
    assert c.get(f"/cases/workbench/case/{case.number}/material/nonsense/").status_code == 404
    assert AuditEntry.objects.filter(action="case.material_read").count() == 1  # refusals read nothing

    # The applicant downloads their own upload from 我的办件; nobody else can, by that path.
    own = client(world.zhang.user)
    detail = own.get(f"/cases/mine/{case.number}/").content.decode()
    assert f"/cases/mine/{case.number}/material/{material.pk}/" in detail
    mine = own.get(f"/cases/mine/{case.number}/material/{material.pk}/")
    assert mine.status_code == 200 and b"".join(mine.streaming_content).startswith(b"\x89PNG")
    assert mine["Content-Disposition"].startswith("attachment") and mine["X-Content-Type-Options"] == "nosniff"
    assert own.get(f"/cases/mine/{case.number}/material/nonsense/").status_code == 404
    assert client(world.clerk).get(f"/cases/mine/{case.number}/material/{material.pk}/").status_code == 404
    assert Client().get(f"/cases/mine/{case.number}/material/{material.pk}/").status_code in (302, 401)


# --- supervisors and definitions ---------------------------------------------------------------------


def test_department_page_is_for_supervisors_only(world: World) -> None:
    case = accepted(world)
    Case.objects.filter(pk=case.pk).update(promised_due="2020-01-02")
    assert client(world.approvers["公安局"]).get("/cases/workbench/department/").status_code == 403
    assert client(world.approvers["公安局"]).post("/cases/workbench/department/escalate/").status_code == 403
    head = client(world.heads["公安局"])
    page = head.get("/cases/workbench/department/").content.decode()
    assert 'id="unclaimed-count">1<' in page and case.number in page.split('id="overdue"')[1]
    assert head.post("/cases/workbench/department/escalate/").status_code == 302
    case.refresh_from_db()
    assert case.escalated_at is not None
    assert case.number in head.get("/cases/workbench/department/").content.decode().split('id="escalated"')[1]


def test_definitions_page_shows_versions_and_publishes_validated_json(world: World) -> None:
    url = "/cases/workbench/definitions/QR03004000/"
    assert 'id="no-definition"' in client(world.approvers["公安局"]).get(url).content.decode()
    r = client(world.approvers["公安局"]).post(url, {"definition": '{"steps": []}'})
    assert r.status_code == 403
    head = client(world.heads["公安局"])
    r = head.post(url, {"definition": "{not json"})
    assert r.status_code == 422 and "JSON" in r.content.decode()
    r = head.post(url, {"definition": '{"steps": [{"code": "a", "name": "受理", "kind": "intake", "next": "zz"}]}'})
    assert r.status_code == 422 and 'id="definition-error"' in r.content.decode()
    good = ('{"steps": [{"code": "accept", "name": "受理", "kind": "intake", "role": "window_clerk", "next": "decide"},'
            ' {"code": "decide", "name": "决定", "kind": "decision", "role": "supervisor"}]}')
    assert head.post(url, {"definition": good, "note": "即办"}).status_code == 302
    assert WorkflowDefinition.objects.filter(item_code="QR03004000").count() == 1
    page = head.get(url).content.decode()
    assert 'data-version="1"' in page and 'data-step="decide"' in page and "科室负责人" in page


def test_leader_sees_every_department_and_any_case(world: World) -> None:
    from yiwang.identity import services as identity

    identity.ensure_roles([("leader", "领导", False)])
    leader = identity.staff_create(username="zheng", display_name="郑局长", organisation=world.orgs["政务服务中心"],
                                   employee_no="L1", roles=["leader"], password="leader-pass-2026").user
    case = accepted(world)
    Case.objects.filter(pk=case.pk).update(promised_due="2020-01-02")
    WorkItem.objects.filter(case=case, status="open").update(due="2020-01-02")
    c = client(leader)
    page = c.get("/cases/workbench/department/").content.decode()
    police = world.orgs["公安局"].code
    assert f'data-dept="{police}"' in page
    page = c.get(f"/cases/workbench/department/?dept={police}").content.decode()
    assert case.number in page.split('id="overdue"')[1]
    r = c.get(f"/cases/workbench/case/{case.number}/")
    assert r.status_code == 200 and 'data-action="claim"' not in r.content.decode()  # reads, does not act
    assert 'id="definitions-link"' in r.content.decode()
