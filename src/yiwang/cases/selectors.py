"""办件 reads: the applicant's cases, the staff inbox, a case's timeline."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yiwang.cases.models import OPEN_STATUSES, Case, CaseEvent, ClockInterval, CorrectionRequest, Material, WorkItem


def case_by_id(pk: Any) -> Case | None:
    try:
        return Case.objects.filter(pk=pk).first()
    except Exception:  # a malformed UUID is simply not found
        return None


def case_by_number(number: str) -> Case | None:
    return Case.objects.filter(number=number).first()


def cases_for_applicant(refs: list[str], *, status: str = "") -> QuerySet[Case]:
    """我的办件: top-level cases (items and bundles, not sub-cases), newest first."""
    qs = Case.objects.filter(applicant_ref__in=refs).exclude(kind=Case.Kind.SUB).order_by("-created_at")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status == "draft":
        qs = qs.filter(status=Case.Status.DRAFT)
    elif status == "done":
        qs = qs.exclude(status__in=[*OPEN_STATUSES, Case.Status.DRAFT])
    return qs


def children(case: Case) -> list[Case]:
    return list(Case.objects.filter(parent=case).order_by("number"))


def timeline(case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case).order_by("at", "id"))


def work_items(case: Case) -> list[WorkItem]:
    return list(WorkItem.objects.filter(case=case).select_related("assignee", "done_by").order_by("opened_at"))


def open_work_items(case: Case) -> list[WorkItem]:
    return list(WorkItem.objects.filter(case=case, status__in=("open", "waiting")).select_related("assignee"))


def materials(case: Case) -> list[Material]:
    return list(Material.objects.filter(case=case))


def corrections(case: Case) -> list[CorrectionRequest]:
    return list(CorrectionRequest.objects.filter(case=case).order_by("requested_at"))


def open_correction(case: Case) -> CorrectionRequest | None:
    return CorrectionRequest.objects.filter(case=case, answered_at__isnull=True).order_by("-requested_at").first()


def clock(case: Case) -> list[ClockInterval]:
    return list(ClockInterval.objects.filter(case=case).order_by("started_at", "id"))


def inbox(*, department_code: str, roles: set[str], user_id: int | None, tab: str = "todo") -> QuerySet[WorkItem]:
    """待办 (open items of my department and roles, or assigned to me), 已办 (items I finished),
    超期 (open items past their promised date)."""
    from django.db.models import Q
    from django.utils import timezone

    base = WorkItem.objects.select_related("case")
    if tab == "done":
        return base.filter(done_by_id=user_id, status="done").order_by("-done_at")
    mine = Q(assignee_id=user_id) | Q(department_code=department_code, role__in=roles, assignee__isnull=True)
    if "supervisor" in roles:
        mine |= Q(department_code=department_code, assignee__isnull=True) & ~Q(role="system")
    qs = base.filter(mine, status="open")
    if tab == "overdue":
        qs = qs.filter(due__lt=timezone.localdate())
    return qs.order_by("due", "opened_at")
