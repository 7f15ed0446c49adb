"""好差评 API: rate an ended case (the applicant), handle 差评 (the department), rating figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from yiwang.feedback import selectors, services
from yiwang.feedback.models import Rating
from yiwang.identity.auth import session_or_bearer
from yiwang.kernel.errors import NotFound, PermissionDenied, Unauthenticated
from yiwang.kernel.permissions import has_any_role

router = Router(tags=["好差评"])

FIGURES_ROLES = ("supervisor", "leader", "data_officer", "auditor")
CITYWIDE_ROLES = ("leader", "data_officer", "auditor", "admin")


class RatingIn(Schema):
    case: str = Field(..., min_length=1, max_length=32, description="办件编号")
    score: int = Field(..., ge=1, le=5, description="5 非常满意 … 1 非常不满意")
    dimensions: dict[str, int] = Field(default_factory=dict,
                                       description="efficiency/attitude/convenience/openness/overall，各 1–5")
    comment: str = Field("", max_length=1000)


class RectificationBrief(Schema):
    id: str
    status: str
    deadline: date


class RatingOut(Schema):
    id: str
    case: str
    score: int
    score_label: str
    dimensions: dict[str, int]
    comment: str
    at: datetime
    rectification: RectificationBrief | None = None


class RectifyIn(Schema):
    action_taken: str = Field(..., min_length=1, max_length=2000)


class FollowUpIn(Schema):
    contacted: bool
    result: str = Field(..., min_length=1, max_length=2000)
    satisfied: bool | None = None


class RectificationOut(Schema):
    id: str
    case_number: str
    case_title: str
    status: str
    status_label: str
    score: int
    comment: str
    applicant: str  # masked
    deadline: date
    overdue: bool
    action_taken: str
    followup_result: str
    followup_satisfied: bool | None
    on_time: bool | None


def _user(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    info = getattr(request, "token_info", None)
    if info is not None and info.user_id:
        from django.contrib.auth import get_user_model

        found = get_user_model().objects.filter(pk=info.user_id, is_active=True).first()
        if found is not None:
            return found
    raise Unauthenticated("auth.no_user", "需要以用户身份登录", None)


def _rating_out(r: Rating) -> RatingOut:
    rect = getattr(r, "rectification", None)
    return RatingOut(id=str(r.pk), case=r.case_number, score=r.score, score_label=r.score_label,
                     dimensions=r.dimensions, comment=r.comment, at=r.at,
                     rectification=RectificationBrief(id=str(rect.pk), status=rect.status, deadline=rect.deadline)
                     if rect is not None else None)


@router.post("/ratings", response={201: RatingOut}, auth=session_or_bearer("cases:write"))
def rating_submit(request: HttpRequest, payload: RatingIn) -> Status:
    """Rate an ended case (办结 or 不予受理) once; 1–2 opens a rectification for the department."""
    rating = services.rating_submit(case_number=payload.case, user=_user(request), score=payload.score,
                                    dimensions=payload.dimensions, comment=payload.comment)
    rating = Rating.objects.select_related("rectification").get(pk=rating.pk)
    return Status(201, _rating_out(rating))


@router.get("/ratings/{number}", response=RatingOut, auth=session_or_bearer())
def rating_get(request: HttpRequest, number: str) -> RatingOut:
    """My rating of a case (the applicant only)."""
    rating = selectors.rating_by_number(number)
    if rating is None or not services.is_applicant(rating.case, _user(request)):
        raise NotFound("feedback.rating_not_found", "没有该办件的评价", "case")
    return _rating_out(rating)


def _staff_department(request: HttpRequest) -> str:
    from yiwang.identity import selectors as identity_selectors

    staff = identity_selectors.staff_for_user(_user(request))
    if staff is None or not staff.active or not has_any_role(_user(request), services.RECTIFY_ROLES):
        raise PermissionDenied("feedback.staff_only", "只有部门科室负责人或审批人员可以办理整改", None)
    return staff.organisation.code


def _rect_out(rect: Any) -> RectificationOut:
    v = selectors.rectification_view(rect)
    return RectificationOut(**{k: v[k] for k in RectificationOut.model_fields})


@router.get("/rectifications", response=list[RectificationOut], auth=session_or_bearer())
def rectification_list(request: HttpRequest, status: str = "todo") -> list[RectificationOut]:
    """差评整改 of my department (status: todo, open, rectified, closed)."""
    department = _staff_department(request)
    return [_rect_out(r) for r in selectors.rectifications(department_code=department, status=status)[:200]]


@router.post("/rectifications/{pk}/record", response=RectificationOut, auth=session_or_bearer())
def rectification_record(request: HttpRequest, pk: str, payload: RectifyIn) -> RectificationOut:
    rect = services.rectification_record(rectification_id=pk, user=_user(request), action_taken=payload.action_taken)
    return _rect_out(selectors.rectification_by_id(rect.pk))


@router.post("/rectifications/{pk}/follow-up", response=RectificationOut, auth=session_or_bearer())
def rectification_follow_up(request: HttpRequest, pk: str, payload: FollowUpIn) -> RectificationOut:
    rect = services.rectification_follow_up(rectification_id=pk, user=_user(request), contacted=payload.contacted,
                                            result=payload.result, satisfied=payload.satisfied)
    return _rect_out(selectors.rectification_by_id(rect.pk))


@router.get("/figures", response=dict, auth=session_or_bearer())
def figures(request: HttpRequest, days: int = 30, item: str = "", department: str = "") -> dict[str, Any]:
    """Rating figures (supervisors see their own department; leaders, data officers, auditors all)."""
    user = _user(request)
    if not has_any_role(user, FIGURES_ROLES):
        raise PermissionDenied("feedback.figures_forbidden", "只有科室负责人、领导、数据专员或审计人员可以查看评价统计", None)
    if not has_any_role(user, CITYWIDE_ROLES):
        from yiwang.identity import selectors as identity_selectors

        staff = identity_selectors.staff_for_user(user)
        department = staff.organisation.code if staff is not None else "-"
    return selectors.figures(days=days, item_code=item[:40], department_code=department[:18])
