"""好差评 writes: rate an ended case; a 差评 (1–2) opens a rectification for the case's department,
which records what it did (整改) and then calls the applicant back (回访).

Which cases can be rated: those that ended with 办结 (completed, whatever the outcome) or 不予受理
(not_accepted) — under the national 好差评 rules every 办件 that reached a result, including a refusal,
may be rated. Withdrawn, revoked and terminated cases and open cases cannot. Each case is rated once,
by its applicant only (the user who applied, or a user acting for the applicant's person or enterprise).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.cases import selectors as case_selectors
from yiwang.feedback.models import BAD_SCORES, DIMENSIONS, Rating, Rectification
from yiwang.identity import selectors as identity_selectors
from yiwang.kernel import events
from yiwang.kernel.audit import audit_append
from yiwang.kernel.calendar import add_working_days
from yiwang.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

SOURCE = "yiwang.feedback"
RECTIFY_WORKING_DAYS = 5
RECTIFY_ROLES = frozenset({"supervisor", "approver"})
MAX_COMMENT = 1000


def applicant_refs(user: Any) -> set[str]:
    """The subjects a user may rate for: their own person and the enterprises they represent."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    person = identity_selectors.person_for_user(user)
    if person is None:
        return set()
    return {person.subject_ref} | {e.subject_ref for e in identity_selectors.enterprises_for_person(person)}


def is_applicant(case: Any, user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return case.applicant_user_id == user.pk or case.applicant_ref in applicant_refs(user)


def rateable_case(case_number: str, user: Any) -> Any:
    """The case `user` may rate now, or the error saying why not (NotFound hides others' cases)."""
    case = case_selectors.case_by_number(case_number or "")
    if case is None or not is_applicant(case, user):
        raise NotFound("feedback.case_not_found", "办件不存在", "case")
    if case.status not in case_selectors.ENDED_STATUSES:
        raise ValidationFailed("feedback.case_not_ended", "办件办结后才能评价", "case")
    if Rating.objects.filter(case=case).exists():
        raise Conflict("feedback.already_rated", "该办件已评价，每个办件只能评价一次", "case")
    return case


def _check_score(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationFailed("feedback.score_invalid", "评价须为 1 到 5 之间的整数", field)
    return value


def rating_submit(*, case_number: str, user: Any, score: int, dimensions: Mapping[str, int] | None = None,
                  comment: str = "", channel: str = "网上", now: datetime | None = None) -> Rating:
    """Rate an ended case (once). A score of 1–2 opens a rectification for the case's department,
    due in RECTIFY_WORKING_DAYS working days."""
    now = now or timezone.now()
    score = _check_score(score, "score")
    dims: dict[str, int] = {}
    for key, value in (dimensions or {}).items():
        if key not in DIMENSIONS:
            raise ValidationFailed("feedback.dimension_unknown", f"未知的评价维度：{key}", "dimensions")
        dims[key] = _check_score(value, f"dimensions.{key}")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed("feedback.comment_too_long", f"评价内容不能超过 {MAX_COMMENT} 字", "comment")
    if score in BAD_SCORES and not comment:
        raise ValidationFailed("feedback.comment_required", "差评请写明不满意的原因，以便部门整改", "comment")
    case = rateable_case(case_number, user)
    ended_at = case_selectors.case_ended_at(case) or now
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                case=case, case_number=case.number or "", case_title=case.title, item_code=case.item_code,
                department_code=case.department_code, department_name=case.department_name,
                applicant_ref=case.applicant_ref, user=user, score=score, dimensions=dims, comment=comment,
                channel=channel[:8], case_ended_at=ended_at, at=now)
            audit_append(action="feedback.rated", object_type="case", object_id=rating.case_number,
                         subject_ref=case.applicant_ref, detail={"score": score})
            events.publish("feedback.rating_submitted", source=SOURCE, subject=rating.case_number, data={
                "rating_id": str(rating.pk), "case_id": str(case.pk), "number": rating.case_number,
                "item_code": rating.item_code, "department_code": rating.department_code, "score": score,
                "dimensions": dims, "at": now.isoformat()})
            if score in BAD_SCORES:
                _open_rectification(rating, now)
    except IntegrityError as exc:  # a concurrent second rating of the same case
        raise Conflict("feedback.already_rated", "该办件已评价，每个办件只能评价一次", "case") from exc
    return rating


def _open_rectification(rating: Rating, now: datetime) -> Rectification:
    deadline = add_working_days(timezone.localtime(now).date(), RECTIFY_WORKING_DAYS).due
    rect = Rectification.objects.create(rating=rating, case_number=rating.case_number,
                                        department_code=rating.department_code,
                                        department_name=rating.department_name, opened_at=now, deadline=deadline)
    audit_append(action="feedback.rectification_opened", object_type="rectification", object_id=str(rect.pk),
                 subject_ref=rating.applicant_ref, detail={"case": rating.case_number, "deadline": str(deadline)})
    events.publish("feedback.rectification_opened", source=SOURCE, subject=rating.case_number, data={
        "rectification_id": str(rect.pk), "number": rating.case_number, "department_code": rect.department_code,
        "score": rating.score, "deadline": deadline.isoformat()})
    return rect


def may_handle(user: Any, department_code: str) -> bool:
    """Supervisors and approvers of the rectification's department handle it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    staff = identity_selectors.staff_for_user(user)
    if staff is None or not staff.active or staff.organisation.code != department_code:
        return False
    return bool(RECTIFY_ROLES & set(staff.roles.values_list("code", flat=True)))


def _load_for(rectification_id: Any, user: Any) -> Rectification:
    try:
        rect = Rectification.objects.select_for_update().select_related("rating").filter(pk=rectification_id).first()
    except Exception:  # a malformed id is simply not found
        rect = None
    if rect is None:
        raise NotFound("feedback.rectification_not_found", "整改任务不存在", "rectification")
    if not may_handle(user, rect.department_code):
        raise PermissionDenied("feedback.not_your_department", "只有承办部门的科室负责人或审批人员可以办理整改", None)
    return rect


def rectification_record(*, rectification_id: Any, user: Any, action_taken: str,
                         now: datetime | None = None) -> Rectification:
    """整改: what the department did about the 差评 (it may be amended until the 回访 closes it)."""
    now = now or timezone.now()
    text = (action_taken or "").strip()
    if len(text) < 4:
        raise ValidationFailed("feedback.action_required", "请写明整改措施（至少 4 个字）", "action_taken")
    if len(text) > 2000:
        raise ValidationFailed("feedback.action_too_long", "整改情况不能超过 2000 字", "action_taken")
    with transaction.atomic():
        rect = _load_for(rectification_id, user)
        if rect.status == Rectification.Status.CLOSED:
            raise Conflict("feedback.rectification_closed", "该整改任务已回访办结", None)
        rect.action_taken, rect.rectified_at, rect.rectified_by = text, now, user
        rect.status = Rectification.Status.RECTIFIED
        rect.save(update_fields=["action_taken", "rectified_at", "rectified_by", "status"])
        audit_append(action="feedback.rectified", object_type="rectification", object_id=str(rect.pk),
                     subject_ref=rect.rating.applicant_ref, detail={"case": rect.case_number})
    return rect


def rectification_follow_up(*, rectification_id: Any, user: Any, contacted: bool, result: str,
                            satisfied: bool | None, now: datetime | None = None) -> Rectification:
    """回访: after the rectification, the department contacts the applicant and records the result;
    this closes the task (on time when closed on or before the deadline)."""
    now = now or timezone.now()
    text = (result or "").strip()
    if not text:
        raise ValidationFailed("feedback.result_required", "请填写回访情况", "result")
    if len(text) > 2000:
        raise ValidationFailed("feedback.result_too_long", "回访情况不能超过 2000 字", "result")
    if not contacted and satisfied is not None:
        raise ValidationFailed("feedback.not_contacted", "未联系上申请人时不能记录其是否满意", "satisfied")
    with transaction.atomic():
        rect = _load_for(rectification_id, user)
        if rect.status == Rectification.Status.OPEN:
            raise ValidationFailed("feedback.rectify_first", "请先记录整改情况，再进行回访", None)
        if rect.status == Rectification.Status.CLOSED:
            raise Conflict("feedback.rectification_closed", "该整改任务已回访办结", None)
        rect.followup_at, rect.followup_by = now, user
        rect.followup_contacted, rect.followup_result, rect.followup_satisfied = contacted, text, satisfied
        rect.closed_at = now
        rect.on_time = timezone.localtime(now).date() <= rect.deadline
        rect.status = Rectification.Status.CLOSED
        rect.save()
        audit_append(action="feedback.followed_up", object_type="rectification", object_id=str(rect.pk),
                     subject_ref=rect.rating.applicant_ref,
                     detail={"case": rect.case_number, "satisfied": satisfied, "on_time": rect.on_time})
        events.publish("feedback.rectification_closed", source=SOURCE, subject=rect.case_number, data={
            "rectification_id": str(rect.pk), "number": rect.case_number, "department_code": rect.department_code,
            "on_time": rect.on_time, "contacted": contacted, "satisfied": satisfied, "at": now.isoformat()})
    return rect
