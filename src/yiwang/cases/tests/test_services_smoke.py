"""End to end through the services: an item from submission to 办结, and 出生一件事 across departments."""

from __future__ import annotations

from typing import Any

import pytest

from yiwang.cases import services
from yiwang.cases.models import Case, ClockInterval, WorkItem
from yiwang.kernel.errors import Conflict, ValidationFailed

from .conftest import ZHANG_ID, World, birth_form

MOVE_FORM = {"applicant_name": "张伟", "applicant_id_number": ZHANG_ID, "phone": "13800000001",
             "new_address": "示范市东湖区湖滨街道幸福社区3栋201"}
PHOTO = services.Upload(material="近期免冠彩色照片", filename="photo.png", content_type="image/png",
                        content=b"\x89PNG\r\n\x1a\n" + b"0" * 64)


def _open_item(case: Case, **filters: Any) -> WorkItem:
    return WorkItem.objects.get(case=case, status="open", **filters)


def test_single_item_flows_from_submission_to_completion(world: World) -> None:
    case = services.case_submit(applicant=world.applicant, item_code="QR03004000", form=MOVE_FORM)
    assert case.status == "submitted" and case.number and case.step_code == "accept"
    intake = _open_item(case)
    assert intake.department_code == world.orgs["政务服务中心"].code and intake.role == "window_clerk"
    case = services.task_act(work_item_id=intake.pk, user=world.clerk, action="accept")
    assert case.status == "in_progress" and case.step_code == "review" and case.promised_due
    review = _open_item(case)
    assert review.department_code == world.orgs["公安局"].code
    case = services.task_act(work_item_id=review.pk, user=world.approvers["公安局"], action="approve",
                             comment="材料齐全")
    decide = _open_item(case)
    assert decide.role == "supervisor"
    with pytest.raises(ValidationFailed) as denied:
        services.task_act(work_item_id=decide.pk, user=world.heads["公安局"], action="decide_deny")
    assert denied.value.field == "reason"
    case = services.task_act(work_item_id=decide.pk, user=world.heads["公安局"], action="decide_approve")
    assert case.status == "completed" and case.outcome == "approved" and case.completed_at
    assert not WorkItem.objects.filter(case=case, status__in=["open", "waiting"]).exists()
    assert ClockInterval.objects.filter(case=case, ended_at__isnull=True).count() == 0
    types = [e.type for e in case.history.all()]
    assert types[0] == "submitted" and "accepted" in types and types[-1] == "completed"


def test_second_staff_acting_on_the_same_item_gets_a_conflict(world: World) -> None:
    case = services.case_submit(applicant=world.applicant, item_code="QR03001000", form=birth_form())
    intake = _open_item(case)
    services.task_act(work_item_id=intake.pk, user=world.clerk, action="accept")
    with pytest.raises(Conflict):
        services.task_act(work_item_id=intake.pk, user=world.clerk, action="accept")


def test_idempotency_key_returns_the_first_case(world: World) -> None:
    first = services.case_submit(applicant=world.applicant, item_code="QR03001000", form=birth_form(),
                                 idempotency_key="k-1")
    again = services.case_submit(applicant=world.applicant, item_code="QR03001000", form=birth_form(),
                                 idempotency_key="k-1")
    assert again.pk == first.pk and Case.objects.count() == 1
    with pytest.raises(Conflict):
        services.case_submit(applicant=world.applicant, item_code="QR03001000",
                             form=birth_form(child_name="张小雪"), idempotency_key="k-1")


def test_bundle_corrections_stop_the_clock_and_the_bundle_ends_when_all_sub_cases_end(world: World) -> None:
    answers = {"vaccine": "no", "insurance": "yes", "maternity": "no"}
    case = services.case_submit(applicant=world.applicant, bundle_code="YJS0001", answers=answers, form=birth_form(),
                                uploads=[PHOTO])
    assert case.kind == "bundle"
    subs = list(Case.objects.filter(parent=case).order_by("number"))
    assert {s.item_code for s in subs} == {"GG06001000", "QR03001000", "GG05001000", "GG04001000"}
    intake = _open_item(case)
    services.task_act(work_item_id=intake.pk, user=world.clerk, action="accept")
    for s in subs:
        s.refresh_from_db()
        assert s.status == "in_progress" and s.accepted_at is not None
    police = next(s for s in subs if s.item_code == "GG04001000")  # 社会保障卡申领 (承诺件, 人社局)
    review = _open_item(police)
    with pytest.raises(ValidationFailed):
        services.task_act(work_item_id=review.pk, user=world.approvers["人社局"], action="request_corrections",
                          points=[])
    police = services.task_act(work_item_id=review.pk, user=world.approvers["人社局"], action="request_corrections",
                               points=["父亲身份证号与户籍信息不一致，请核对"])
    assert police.status == "corrections"
    assert ClockInterval.objects.get(case=police, ended_at__isnull=True).owner == "applicant"
    police = services.corrections_answer(case_id=police.pk, applicant=world.applicant,
                                         form={"father_name": "张伟"}, note="已核对")
    assert police.status == "in_progress"
    with pytest.raises(ValidationFailed):  # 一次性告知: no second request at the same step
        services.task_act(work_item_id=review.pk, user=world.approvers["人社局"], action="request_corrections",
                          points=["再补一次"])
    for s in Case.objects.filter(parent=case):
        while True:
            s.refresh_from_db()
            if s.is_final:
                break
            item = _open_item(s)
            short = next(k for k, o in world.orgs.items() if o.code == item.department_code)
            user = world.heads[short] if item.role == "supervisor" else (
                world.approvers[short] if item.role == "approver" else world.clerk)
            action = {"task": "approve", "decision": "decide_approve", "intake": "accept"}[item.step_kind]
            services.task_act(work_item_id=item.pk, user=user, action=action)
    case.refresh_from_db()
    assert case.status == "completed" and case.outcome == "approved"


def test_bundle_not_accepted_ends_its_sub_cases_too(world: World) -> None:
    answers = {"vaccine": "no", "insurance": "no", "maternity": "no"}
    case = services.case_submit(applicant=world.applicant, bundle_code="YJS0001", answers=answers, form=birth_form())
    intake = _open_item(case)
    case = services.task_act(work_item_id=intake.pk, user=world.clerk, action="not_accept",
                             comment="新生儿非本市助产机构出生，请向出生地申请")
    assert case.status == "not_accepted"
    subs = list(Case.objects.filter(parent=case))
    assert subs and all(s.status == "not_accepted" and s.completed_at for s in subs)
    assert not WorkItem.objects.filter(case__in=subs, status__in=["open", "waiting"]).exists()


def test_a_draft_item_version_cannot_be_applied_for(world: World) -> None:
    from yiwang.catalog import services as catalog_services

    draft = catalog_services.item_new_draft(code="QR03004000")
    with pytest.raises(ValidationFailed) as refused:
        services.case_submit(applicant=world.applicant, item_code="QR03004000", version_id=draft.pk, form=MOVE_FORM)
    assert refused.value.code == "case.version_not_published"


def test_sub_cases_show_the_materials_submitted_once_for_the_bundle(world: World) -> None:
    from yiwang.cases import selectors

    answers = {"vaccine": "no", "insurance": "yes", "maternity": "no"}
    case = services.case_submit(applicant=world.applicant, bundle_code="YJS0001", answers=answers, form=birth_form(),
                                uploads=[PHOTO])
    sub = Case.objects.get(parent=case, item_code="GG04001000")
    names = {m.name for m in selectors.materials(sub)}
    assert "近期免冠彩色照片" in names and names == {m.name for m in selectors.materials(case)}
    photo = next(m for m in selectors.materials(sub) if m.name == "近期免冠彩色照片")
    assert selectors.material_of(sub, photo.pk) is not None
