"""Every staff and applicant action of the cases services, and their error paths."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from yiwang.cases import services
from yiwang.cases.models import Case, CaseEvent, ClockInterval, CorrectionRequest, Notification, WorkItem
from yiwang.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .conftest import ZHANG_ID, World

MOVE = "QR03004000"  # 市内户口迁移: 承诺件 of 公安局 — 受理 → 审查 → 决定 by default
MOVE_FORM = {"applicant_name": "张伟", "applicant_id_number": ZHANG_ID, "phone": "13800000001",
             "new_address": "示范市东湖区湖滨街道幸福社区3栋201"}


def _open(case: Case, **filters: Any) -> WorkItem:
    return WorkItem.objects.get(case=case, status="open", **filters)


def _submit(world: World, **kw: Any) -> Case:
    return services.case_submit(applicant=world.applicant, item_code=MOVE, form=MOVE_FORM, **kw)


def _accepted(world: World, **kw: Any) -> Case:
    case = _submit(world, **kw)
    return services.task_act(work_item_id=_open(case).pk, user=world.clerk, action="accept", now=kw.get("now"))


def _at_decision(world: World) -> Case:
    case = _accepted(world)
    return services.task_act(work_item_id=_open(case).pk, user=world.approvers["公安局"], action="approve")


def _multisign(world: World, kind: str, *, participants: tuple[str, ...] = ("公安局", "卫健委", "医保局"),
               ratio: float = 0.5, sequential: bool = False) -> Case:
    """QR03004000 with 受理 → 审查 → a multi-sign step → 决定, the case waiting at the multi-sign step."""
    codes = [world.orgs[p].code for p in participants]
    police = world.orgs["公安局"].code
    services.definition_save(item_code=MOVE, definition={"steps": [
        {"code": "accept", "name": "受理", "kind": "intake", "role": "window_clerk",
         "department": world.orgs["政务服务中心"].code, "next": "review"},
        {"code": "review", "name": "审查", "kind": "task", "role": "approver", "department": police, "next": "joint"},
        {"code": "joint", "name": "会签", "kind": kind, "role": "approver", "participants": codes, "ratio": ratio,
         "sequential": sequential, "next": "decide"},
        {"code": "decide", "name": "决定", "kind": "decision", "role": "supervisor", "department": police},
    ]})
    case = _accepted(world)
    case = services.task_act(work_item_id=_open(case).pk, user=world.approvers["公安局"], action="approve")
    assert case.step_code == "joint"
    return case


def _sign(world: World, case: Case, short: str, action: str = "agree", comment: str = "") -> Case:
    item = _open(case, department_code=world.orgs[short].code)
    return services.task_act(work_item_id=item.pk, user=world.approvers[short], action=action, comment=comment)


def _types(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("type", flat=True))


# --- 受理 / 不予受理 / 补正 -----------------------------------------------------------------------------


def test_accept_moves_to_review_and_sets_the_promised_date(world: World) -> None:
    case = _accepted(world)
    assert case.status == "in_progress" and case.step_code == "review" and case.accepted_at is not None
    assert case.promised_due is not None and _open(case).due == case.promised_due
    assert Notification.objects.filter(user=world.zhang.user, case=case, title="申请已受理").exists()


def test_a_work_item_id_in_any_uuid_spelling_is_the_same_item(world: World) -> None:
    case = _submit(world)
    case = services.task_act(work_item_id=_open(case).pk.hex.upper(), user=world.clerk, action="accept")
    assert case.step_code == "review"


def test_not_accept_needs_a_reason_and_ends_the_case(world: World) -> None:
    case = _submit(world)
    intake = _open(case)
    with pytest.raises(ValidationFailed) as err:
        services.task_act(work_item_id=intake.pk, user=world.clerk, action="not_accept", comment="  ")
    assert err.value.code == "case.reason_required" and err.value.field == "reason"
    case = services.task_act(work_item_id=intake.pk, user=world.clerk, action="not_accept", comment="不属于本市管辖")
    assert case.status == "not_accepted" and case.outcome_reason == "不属于本市管辖"
    assert not WorkItem.objects.filter(case=case, status__in=["open", "waiting"]).exists()
    assert not ClockInterval.objects.filter(case=case, ended_at__isnull=True).exists()
    with pytest.raises(Conflict):
        services.task_act(work_item_id=intake.pk, user=world.clerk, action="accept")


def test_intake_refuses_actions_of_other_steps(world: World) -> None:
    intake = _open(_submit(world))
    with pytest.raises(ValidationFailed) as err:
        services.task_act(work_item_id=intake.pk, user=world.clerk, action="approve")
    assert err.value.code == "case.action_not_allowed"
    with pytest.raises(ValidationFailed) as unknown:
        services.task_act(work_item_id=intake.pk, user=world.clerk, action="fly")
    assert unknown.value.code == "case.action_unknown"


def test_corrections_need_points_happen_once_per_step_and_stop_the_clock(world: World) -> None:
    case = _accepted(world)
    review = _open(case)
    approver = world.approvers["公安局"]
    with pytest.raises(ValidationFailed) as err:
        services.task_act(work_item_id=review.pk, user=approver, action="request_corrections", points=["", " "])
    assert err.value.field == "points"
    case = services.task_act(work_item_id=review.pk, user=approver, action="request_corrections",
                             points=["新住址证明不清晰", "请补充房屋产权人同意书"])
    assert case.status == "corrections" and case.corrections_count == 1
    assert WorkItem.objects.get(pk=review.pk).status == "waiting"
    assert ClockInterval.objects.get(case=case, ended_at__isnull=True).owner == "applicant"
    request = CorrectionRequest.objects.get(case=case)
    assert [p["point"] for p in request.points] == ["新住址证明不清晰", "请补充房屋产权人同意书"]
    assert Notification.objects.filter(user=world.zhang.user, title="请补正材料").exists()
    with pytest.raises(Conflict):  # the item waits for the applicant: staff cannot act on it
        services.task_act(work_item_id=review.pk, user=approver, action="approve")
    with pytest.raises(ValidationFailed) as empty:
        services.corrections_answer(case_id=case.pk, applicant=world.applicant)
    assert empty.value.code == "case.correction_empty"
    case = services.corrections_answer(case_id=case.pk, applicant=world.applicant, note="已补充",
                                       form={"new_address": "示范市东湖区湖滨街道幸福社区3栋202"})
    assert case.status == "in_progress" and case.form["new_address"].endswith("202")
    assert ClockInterval.objects.get(case=case, ended_at__isnull=True).owner == "department"
    assert CorrectionRequest.objects.get(case=case).answered_at is not None
    with pytest.raises(ValidationFailed) as again:
        services.task_act(work_item_id=review.pk, user=approver, action="request_corrections", points=["再补"])
    assert again.value.code == "case.corrections_once"
    with pytest.raises(ValidationFailed):  # nothing outstanding any more
        services.corrections_answer(case_id=case.pk, applicant=world.applicant, note="again")


# --- 通过 / 退回 / 决定 ---------------------------------------------------------------------------------


def test_return_goes_only_to_earlier_steps_with_a_reason(world: World) -> None:
    case = _at_decision(world)
    decide = _open(case)
    head = world.heads["公安局"]
    with pytest.raises(ValidationFailed) as no_reason:
        services.task_act(work_item_id=decide.pk, user=head, action="return", target="review")
    assert no_reason.value.field == "reason"
    with pytest.raises(ValidationFailed) as bad_target:
        services.task_act(work_item_id=decide.pk, user=head, action="return", target="decide", comment="x")
    assert bad_target.value.code == "case.return_target"
    case = services.task_act(work_item_id=decide.pk, user=head, action="return", target="review",
                             comment="请核实新住址")
    assert case.step_code == "review" and case.returns_count == 1
    assert _open(case).step_code == "review" and "returned" in _types(case)
    intake = _open(_submit(world))
    with pytest.raises(ValidationFailed):  # nothing before 受理
        services.task_act(work_item_id=intake.pk, user=world.clerk, action="return", comment="x")


def test_decide_approve_and_deny(world: World) -> None:
    case = _at_decision(world)
    head = world.heads["公安局"]
    with pytest.raises(PermissionDenied):  # 决定 is the supervisor's; a plain approver may not
        services.task_act(work_item_id=_open(case).pk, user=world.approvers["公安局"], action="decide_approve")
    with pytest.raises(ValidationFailed):
        services.task_act(work_item_id=_open(case).pk, user=head, action="approve")
    case = services.task_act(work_item_id=_open(case).pk, user=head, action="decide_approve")
    assert (case.status, case.outcome) == ("completed", "approved") and case.decided_at and case.completed_at
    other = _at_decision(world)
    with pytest.raises(ValidationFailed) as err:
        services.task_act(work_item_id=_open(other).pk, user=head, action="decide_deny")
    assert err.value.field == "reason"
    other = services.task_act(work_item_id=_open(other).pk, user=head, action="decide_deny",
                              comment="新住址不在本市，不予办理；可依法申请行政复议")
    assert (other.status, other.outcome) == ("completed", "denied") and "行政复议" in other.outcome_reason
    assert _types(other)[-2:] == ["decided", "completed"]


def test_staff_of_another_department_or_role_cannot_act(world: World) -> None:
    review = _open(_accepted(world))
    with pytest.raises(PermissionDenied) as other_dept:
        services.task_act(work_item_id=review.pk, user=world.approvers["卫健委"], action="approve")
    assert other_dept.value.code == "case.other_department"
    with pytest.raises(PermissionDenied) as role:
        services.task_act(work_item_id=review.pk, user=world.clerks["公安局"], action="approve")
    assert role.value.code == "case.role_mismatch"
    with pytest.raises(PermissionDenied):
        services.task_act(work_item_id=review.pk, user=world.zhang.user, action="approve")
    with pytest.raises(NotFound):
        services.task_act(work_item_id="not-a-uuid", user=world.clerk, action="accept")


# --- 会签 / 或签 / 票签, 加签 / 减签 -----------------------------------------------------------------------


def test_all_sign_needs_every_agreement_and_a_disagreement_sends_it_back(world: World) -> None:
    case = _multisign(world, "all")
    assert WorkItem.objects.filter(case=case, step_code="joint", status="open").count() == 3
    case = _sign(world, case, "公安局")
    case = _sign(world, case, "卫健委")
    assert case.step_code == "joint"
    with pytest.raises(ValidationFailed):  # 不同意 needs an opinion
        _sign(world, case, "医保局", "disagree")
    case = _sign(world, case, "医保局", "disagree", "参保信息不一致")
    assert case.step_code == "review" and "sign_failed" in _types(case)
    # Back at 审查 and through the 会签 again: the earlier votes no longer count.
    case = services.task_act(work_item_id=_open(case).pk, user=world.approvers["公安局"], action="approve")
    assert case.step_code == "joint"
    assert WorkItem.objects.filter(case=case, step_code="joint", status="open").count() == 3
    for short in ("公安局", "卫健委"):
        case = _sign(world, case, short)
    assert case.step_code == "joint"
    case = _sign(world, case, "医保局")
    assert case.step_code == "decide"


def test_any_sign_passes_on_the_first_agreement(world: World) -> None:
    case = _multisign(world, "any")
    case = _sign(world, case, "卫健委", "disagree", "不同意")
    assert case.step_code == "joint"
    case = _sign(world, case, "医保局")
    assert case.step_code == "decide"
    assert WorkItem.objects.get(case=case, step_code="joint", department_code=world.orgs["公安局"].code).status == \
        "cancelled"
    with pytest.raises(ValidationFailed):  # only 同意/不同意 on a multi-sign step
        case2 = _multisign(world, "any")
        _sign(world, case2, "公安局", "approve")


def test_vote_carries_when_the_share_of_agreements_is_certain(world: World) -> None:
    case = _multisign(world, "vote", ratio=0.6)
    case = _sign(world, case, "公安局")
    assert case.step_code == "joint"  # 1 of 3 < 60 %
    case = _sign(world, case, "卫健委")
    assert case.step_code == "decide"  # 2 of 3 ≥ 60 %, the third vote cannot change it
    failing = _multisign(world, "vote", ratio=0.6)
    failing = _sign(world, failing, "公安局", "disagree", "否")
    failing = _sign(world, failing, "卫健委", "disagree", "否")
    assert failing.step_code == "review"


def test_add_and_remove_signers(world: World) -> None:
    case = _multisign(world, "all", participants=("公安局", "卫健委"))
    item = _open(case, department_code=world.orgs["公安局"].code)
    police = world.approvers["公安局"]
    with pytest.raises(ValidationFailed) as exists:
        services.task_act(work_item_id=item.pk, user=police, action="add_signer", target=world.orgs["卫健委"].code)
    assert exists.value.code == "case.signer_exists"
    with pytest.raises(ValidationFailed):
        services.task_act(work_item_id=item.pk, user=police, action="add_signer", target="")
    case = services.task_act(work_item_id=item.pk, user=police, action="add_signer", target=world.orgs["民政局"].code)
    added = _open(case, department_code=world.orgs["民政局"].code)
    assert added.step_code == "joint" and added.department_name == "示范市民政局"
    with pytest.raises(ValidationFailed) as unknown:
        services.task_act(work_item_id=item.pk, user=police, action="remove_signer", target=world.orgs["税务局"].code)
    assert unknown.value.code == "case.signer_unknown"
    case = services.task_act(work_item_id=item.pk, user=police, action="remove_signer", target=world.orgs["民政局"].code)
    assert WorkItem.objects.get(pk=added.pk).status == "cancelled"
    case = _sign(world, case, "公安局")
    case = _sign(world, case, "卫健委")
    assert case.step_code == "decide"  # the removed signer is not waited for
    review = _open(_accepted(world))
    with pytest.raises(ValidationFailed) as single:
        services.task_act(work_item_id=review.pk, user=police, action="add_signer", target=world.orgs["民政局"].code)
    assert single.value.code == "case.not_multisign"


def test_sequential_sign_opens_the_next_participant_after_each_agreement(world: World) -> None:
    case = _multisign(world, "all", participants=("公安局", "卫健委"), sequential=True)
    assert WorkItem.objects.filter(case=case, step_code="joint", status="open").count() == 1
    case = _sign(world, case, "公安局")
    assert _open(case).department_code == world.orgs["卫健委"].code
    case = _sign(world, case, "卫健委")
    assert case.step_code == "decide"


# --- 转办 / 委派 / 改派 / 认领 ------------------------------------------------------------------------------


def test_transfer_moves_the_item_to_another_department(world: World) -> None:
    review = _open(_accepted(world))
    with pytest.raises(ValidationFailed) as err:
        services.task_act(work_item_id=review.pk, user=world.approvers["公安局"], action="transfer")
    assert err.value.field == "target"
    case = services.task_act(work_item_id=review.pk, user=world.approvers["公安局"], action="transfer",
                             target=world.orgs["民政局"].code, comment="属民政局职责")
    moved = WorkItem.objects.get(pk=review.pk)
    assert moved.status == "open" and moved.department_code == world.orgs["民政局"].code and case.step_code == "review"
    with pytest.raises(PermissionDenied):
        services.task_act(work_item_id=moved.pk, user=world.approvers["公安局"], action="approve")
    case = services.task_act(work_item_id=moved.pk, user=world.approvers["民政局"], action="approve")
    assert case.step_code == "decide"


def test_delegate_and_return_delegation(world: World) -> None:
    review = _open(_accepted(world))
    approver, head = world.approvers["公安局"], world.heads["公安局"]
    with pytest.raises(ValidationFailed):
        services.task_delegate(work_item_id=review.pk, user=approver, to_user=world.zhang.user)
    with pytest.raises(ValidationFailed):
        services.task_delegate(work_item_id=review.pk, user=approver, to_user=approver)
    item = services.task_delegate(work_item_id=review.pk, user=approver, to_user=head, comment="请帮忙核查")
    assert item.assignee_id == head.pk and item.delegated_by_id == approver.pk
    with pytest.raises(Conflict) as other:  # assigned to the delegate: others may not act
        services.task_act(work_item_id=review.pk, user=approver, action="approve")
    assert other.value.code == "case.claimed_by_other"
    with pytest.raises(ValidationFailed):
        services.task_return_delegation(work_item_id=review.pk, user=approver)
    item = services.task_return_delegation(work_item_id=review.pk, user=head, comment="已核查，情况属实")
    assert item.assignee_id == approver.pk and item.delegated_by_id is None
    assert {"delegated", "delegation_returned"} <= set(_types(item.case))
    case = services.task_act(work_item_id=review.pk, user=approver, action="approve")
    assert case.step_code == "decide"


def test_reassign_only_within_the_department(world: World) -> None:
    review = _open(_accepted(world))
    with pytest.raises(ValidationFailed):
        services.task_reassign(work_item_id=review.pk, user=world.heads["公安局"], to_user=world.approvers["卫健委"])
    item = services.task_reassign(work_item_id=review.pk, user=world.heads["公安局"], to_user=world.approvers["公安局"])
    assert item.assignee_id == world.approvers["公安局"].pk


def test_claim_conflict(world: World) -> None:
    review = _open(_accepted(world))
    first = services.task_claim(work_item_id=review.pk, user=world.approvers["公安局"])
    assert first.assignee_id == world.approvers["公安局"].pk
    assert services.task_claim(work_item_id=review.pk, user=world.approvers["公安局"]).pk == review.pk  # idempotent
    with pytest.raises(Conflict) as err:
        services.task_claim(work_item_id=review.pk, user=world.heads["公安局"])
    assert err.value.code == "case.claimed_by_other"
    with pytest.raises(Conflict):
        services.task_act(work_item_id=review.pk, user=world.heads["公安局"], action="approve")
    with pytest.raises(Conflict):  # a stale version is refused
        services.task_act(work_item_id=review.pk, user=world.approvers["公安局"], action="approve",
                          expected_version=first.row_version - 1)


# --- 挂起 / 恢复 / 终止 / 撤销 / 拿回 -----------------------------------------------------------------------


def test_suspend_and_resume_are_for_the_supervisor(world: World) -> None:
    case = _accepted(world)
    with pytest.raises(PermissionDenied) as err:
        services.case_action(case_id=case.pk, user=world.approvers["公安局"], action="suspend", reason="专家评审")
    assert err.value.code == "case.supervisor_only"
    with pytest.raises(PermissionDenied):  # a supervisor of a department not involved in the case
        services.case_action(case_id=case.pk, user=world.heads["卫健委"], action="suspend", reason="专家评审")
    with pytest.raises(ValidationFailed):
        services.case_action(case_id=case.pk, user=world.heads["公安局"], action="suspend", reason="")
    case = services.case_action(case_id=case.pk, user=world.heads["公安局"], action="suspend", reason="专家评审")
    assert case.status == "suspended"
    assert ClockInterval.objects.get(case=case, ended_at__isnull=True).owner == "suspended"
    with pytest.raises(ValidationFailed):  # a suspended case's items cannot be acted on
        services.task_act(work_item_id=_open(case).pk, user=world.approvers["公安局"], action="approve")
    with pytest.raises(ValidationFailed):
        services.case_action(case_id=case.pk, user=world.heads["公安局"], action="suspend", reason="again")
    case = services.case_action(case_id=case.pk, user=world.heads["公安局"], action="resume")
    assert case.status == "in_progress" and case.clock_owner == "department"
    with pytest.raises(PermissionDenied):
        services.case_action(case_id=case.pk, user=world.zhang.user, action="resume")
    with pytest.raises(ValidationFailed):
        services.case_action(case_id=case.pk, user=world.heads["公安局"], action="explode")


@pytest.mark.parametrize("action,status", [("terminate", "terminated"), ("revoke", "revoked")])
def test_terminate_and_revoke_need_a_reason_and_end_the_case(world: World, action: str, status: str) -> None:
    case = _accepted(world)
    with pytest.raises(ValidationFailed):
        services.case_action(case_id=case.pk, user=world.heads["公安局"], action=action, reason=" ")
    case = services.case_action(case_id=case.pk, user=world.heads["公安局"], action=action, reason="申请人死亡")
    assert case.status == status and case.outcome_reason == "申请人死亡"
    assert not WorkItem.objects.filter(case=case, status__in=["open", "waiting"]).exists()
    with pytest.raises(Conflict):
        services.case_action(case_id=case.pk, user=world.heads["公安局"], action="resume")


def test_recall_only_by_the_previous_handler_before_the_next_step_is_touched(world: World) -> None:
    case = _multisign(world, "all", participants=("公安局", "卫健委"))
    approver = world.approvers["公安局"]  # approved 审查 in _multisign
    with pytest.raises(PermissionDenied):
        services.case_action(case_id=case.pk, user=world.heads["公安局"], action="recall")
    case = services.case_action(case_id=case.pk, user=approver, action="recall")
    assert case.step_code == "review" and _open(case).step_code == "review"
    assert WorkItem.objects.filter(case=case, step_code="joint", status="open").count() == 0
    case = services.task_act(work_item_id=_open(case).pk, user=approver, action="approve")
    case = _sign(world, case, "卫健委")  # the next step has been touched
    with pytest.raises((Conflict, PermissionDenied)):
        services.case_action(case_id=case.pk, user=approver, action="recall")
    case.refresh_from_db()
    assert case.step_code == "joint"


# --- applicant: 撤回; 催办; 超期督办 -------------------------------------------------------------------------


def test_withdraw_only_before_acceptance_and_only_ones_own(world: World) -> None:
    case = _submit(world)
    stranger = services.Applicant(ref="person:00000000-0000-4000-8000-000000000000", name="路人", user=None)
    with pytest.raises(NotFound):
        services.case_withdraw(case_id=case.pk, applicant=stranger)
    case = services.case_withdraw(case_id=case.pk, applicant=world.applicant, reason="填错了")
    assert case.status == "withdrawn" and not WorkItem.objects.filter(case=case, status="open").exists()
    accepted = _accepted(world)
    with pytest.raises(ValidationFailed) as err:
        services.case_withdraw(case_id=accepted.pk, applicant=world.applicant)
    assert err.value.code == "case.already_accepted"


def test_urge_records_a_reminder_only_for_open_cases(world: World) -> None:
    case = _accepted(world)
    services.task_claim(work_item_id=_open(case).pk, user=world.approvers["公安局"])
    services.case_urge(case_id=case.pk, user=world.zhang.user, note="请尽快办理")
    assert "urged" in _types(case)
    assert Notification.objects.filter(user=world.approvers["公安局"], title="催办提醒").exists()
    done = _submit(world)
    services.case_withdraw(case_id=done.pk, applicant=world.applicant)
    with pytest.raises(ValidationFailed):
        services.case_urge(case_id=done.pk, user=world.zhang.user)


def test_escalate_overdue_once_per_case(world: World) -> None:
    long_ago = timezone.now() - timedelta(days=90)
    late = _accepted(world, now=long_ago)
    assert late.promised_due is not None and late.promised_due < timezone.localdate()
    fresh = _accepted(world)
    assert services.escalate_overdue() == 1
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert late.escalated_at is not None and fresh.escalated_at is None
    assert "escalated" in _types(late)
    assert Notification.objects.filter(user=world.heads["公安局"], title="超期督办").exists()
    assert services.escalate_overdue() == 0


# --- planned transitions (ADR 0006) ----------------------------------------------------------------------


def test_an_action_planned_on_a_case_that_moved_meanwhile_is_planned_again(world: World, monkeypatch: Any) -> None:
    """Between the reads and the write transaction someone else writes the case (its row_version moves
    on): the guarded write misses, nothing of the first plan is written, and the action is planned
    again on the fresh case."""
    from django.db.models import F

    from yiwang.kernel import planned

    case = _submit(world)
    intake = _open(case)
    real = services._staff_may_act
    plans: list[int] = []

    def meanwhile(user: Any, item: WorkItem) -> None:
        plans.append(1)
        if len(plans) == 1:
            with planned.independent():
                Case.objects.filter(pk=case.pk).update(row_version=F("row_version") + 1)
        real(user, item)

    monkeypatch.setattr(services, "_staff_may_act", meanwhile)
    moved = services.task_act(work_item_id=intake.pk, user=world.clerk, action="accept")
    assert len(plans) == 2 and moved.step_code != "accept"
    assert CaseEvent.objects.filter(case=case, type="accepted").count() == 1
    assert ClockInterval.objects.filter(case=case, ended_at__isnull=True).count() == 1
    assert Case.objects.get(pk=case.pk).row_version == moved.row_version


def test_an_item_claimed_by_someone_else_after_it_was_read_is_a_conflict(world: World, monkeypatch: Any) -> None:
    """认领 does not touch the case: the item's own row_version guards the action, and the fresh plan
    then sees the claim."""
    from yiwang.kernel import planned

    case = _accepted(world)
    review = _open(case)
    other = world.approvers["公安局"]
    real = services._staff_may_act
    calls: list[int] = []

    def meanwhile(user: Any, item: WorkItem) -> None:
        if user.pk != other.pk:  # the claim below checks its own user
            return real(user, item)
        calls.append(1)
        if len(calls) == 1:
            with planned.independent():
                services.task_claim(work_item_id=item.pk, user=world.heads["公安局"])
        real(user, item)

    monkeypatch.setattr(services, "_staff_may_act", meanwhile)
    with pytest.raises(Conflict) as err:
        services.task_act(work_item_id=review.pk, user=other, action="approve")
    assert err.value.code == "case.claimed_by_other" and len(calls) == 2
    assert _open(case).pk == review.pk and not CaseEvent.objects.filter(case=case, type="approved").exists()
