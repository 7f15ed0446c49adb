"""办件 reads: the applicant's cases, the staff inbox, a case's timeline."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from yiwang.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    ClockInterval,
    CorrectionRequest,
    Material,
    WorkItem,
)
from yiwang.kernel import fastsql

_case_by_id = fastsql.Select(Case, where='"id" = %s', params=["id"], track=False)


def case_by_id(pk: Any) -> Case | None:
    try:
        return _case_by_id.first(pk)
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
    """The case's materials; a bundle's sub-case also shows the bundle's (submitted once for all)."""
    ids = [case.pk] + ([case.parent_id] if case.parent_id else [])
    return list(Material.objects.filter(case_id__in=ids))


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

    # The case's JSON columns (form, answers …) are not needed for a row; leaving them out keeps a
    # page's rows small.
    base = WorkItem.objects.select_related("case", "assignee").defer(
        "case__form", "case__answers", "case__prefill_sources", "case__engine_state")
    if tab == "done":
        return base.filter(done_by_id=user_id, status="done").order_by("-done_at")
    mine = Q(assignee_id=user_id) | Q(department_code=department_code, role__in=roles, assignee__isnull=True)
    if "supervisor" in roles:
        mine |= Q(department_code=department_code, assignee__isnull=True) & ~Q(role="system")
    qs = base.filter(mine, status="open")
    if tab == "overdue":
        qs = qs.filter(due__lt=timezone.localdate())
    return qs.order_by("due", "opened_at")


# --- figures, XES and 好差评 part (reads for cases/figures.py, cases/xes.py and the feedback app) ---

ENDED_STATUSES = ("completed", "not_accepted")  # 办结 in the broad sense: a decision or 不予受理


def with_ended_at(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate `ended_at`: 办结时间, or for 不予受理 (which has no completed_at) the time of that event."""
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import Coalesce

    refused = CaseEvent.objects.filter(case=OuterRef("pk"), type="not_accepted").order_by("-at").values("at")[:1]
    return qs.annotate(ended_at=Coalesce("completed_at", Subquery(refused)))


def ended_cases(*, since: Any = None, until: Any = None, item_code: str = "", department_code: str = "",
                statuses: tuple[str, ...] = ENDED_STATUSES) -> QuerySet[Case]:
    """Cases that ended (办结 or 不予受理), with `ended_at`, optionally within [since, until)."""
    qs = with_ended_at(Case.objects.filter(status__in=statuses).exclude(number__isnull=True))
    if item_code:
        qs = qs.filter(item_code=item_code)
    if department_code:
        qs = qs.filter(department_code=department_code)
    # `ended_at` is an annotation, which the type checker's model plugin does not see as a field.
    if since is not None:
        qs = qs.filter(**{"ended_at__gte": since})
    if until is not None:
        qs = qs.filter(**{"ended_at__lt": until})
    return qs


def case_ended_at(case: Case) -> Any:
    """When `case` ended (None while it is open or when it ended otherwise than 办结/不予受理)."""
    if case.status not in ENDED_STATUSES:
        return None
    if case.completed_at is not None:
        return case.completed_at
    ev = CaseEvent.objects.filter(case=case, type="not_accepted").order_by("-at").first()
    return ev.at if ev else case.updated_at


# --- applicant side (我的办件, 我的消息): keyset pages ------------------------------------------------

PAGE_SIZE = 20


def _encode_cursor(at: Any, pk: Any) -> str:
    import base64

    return base64.urlsafe_b64encode(f"{at.isoformat()}|{pk}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[Any, str] | None:
    import base64
    from datetime import datetime

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, pk = raw.partition("|")
        return datetime.fromisoformat(at), pk
    except (ValueError, UnicodeDecodeError):
        return None


def applicant_page(refs: list[str], *, status: str = "", cursor: str = "",
                   size: int = PAGE_SIZE) -> tuple[list[Case], str | None]:
    """One page of 我的办件, newest first, over the (applicant_ref, -created_at) index: a cursor of the
    last row's (created_at, id) instead of an offset, so page 1000 costs what page 1 does."""
    from django.db.models import Q

    if not refs:
        return [], None
    qs = cases_for_applicant(refs, status=status).order_by("-created_at", "-id")
    if cursor:
        decoded = _decode_cursor(cursor)
        if decoded is not None:
            at, pk = decoded
            qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (_encode_cursor(rows[-1].created_at, rows[-1].pk) if more and rows else None)


def children_of(cases: list[Case]) -> dict[Any, list[Case]]:
    """Sub-cases of the bundles among `cases`, in one query."""
    ids = [c.pk for c in cases if c.kind == Case.Kind.BUNDLE]
    out: dict[Any, list[Case]] = {}
    if ids:
        for child in Case.objects.filter(parent_id__in=ids).order_by("number"):
            out.setdefault(child.parent_id, []).append(child)
    return out


def notifications_for_user(user: Any, *, limit: int = 100) -> list[Any]:
    from yiwang.cases.models import Notification

    return list(Notification.objects.filter(user=user).select_related("case").order_by("-at", "-id")[:limit])


def unread_notifications(user: Any) -> int:
    from yiwang.cases.models import Notification

    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_outbox(*, limit: int = 200) -> list[Any]:
    """Every notification the local notifier kept (the demo's dev outbox page)."""
    from yiwang.cases.models import Notification

    return list(Notification.objects.select_related("user", "case").order_by("-at", "-id")[:limit])


def draft_for(draft_id: Any, refs: list[str]) -> Case | None:
    case = case_by_id(draft_id)
    if case is None or case.status != Case.Status.DRAFT or case.applicant_ref not in refs:
        return None
    return case


# --- staff workbench part (keyset inbox pages, SLA lights, who may see a case, department load) ----

WORKBENCH_PAGE_SIZE = 20
YELLOW_SHARE = 0.8  # 黄灯 once this share of the promised limit is used


class Sla:
    """The SLA countdown of an open case in working days: 绿灯 / 黄灯 (≥80 % used) / 红灯 (overdue);
    "paused" while the applicant or a suspension holds the clock, "none" before acceptance or after the end."""

    __slots__ = ("due", "limit", "remaining", "light")

    def __init__(self, due: Any, limit: int | None, remaining: int | None, light: str):
        self.due, self.limit, self.remaining, self.light = due, limit, remaining, light

    @property
    def overdue_days(self) -> int:
        return -self.remaining if self.remaining is not None and self.remaining < 0 else 0

    @property
    def label(self) -> str:
        if self.light == "none" or self.remaining is None:
            return "—"
        if self.light == "paused":
            return _("已停表")
        if self.remaining < 0:
            return _("超期 %(days)s 个工作日") % {"days": -self.remaining}
        if self.remaining == 0:
            return _("今日到期")
        return _("剩余 %(days)s 个工作日") % {"days": self.remaining}

    def as_dict(self) -> dict[str, Any]:
        return {"due": self.due, "limit_days": self.limit, "remaining_days": self.remaining, "light": self.light,
                "label": self.label}


def sla_of(case: Case, today: Any = None, calendar: Any = None) -> Sla:
    """`calendar`: a kernel WorkCalendar to reuse across the rows of a page (default: the current one)."""
    from django.utils import timezone

    from yiwang.kernel.calendar import current_calendar

    if case.promised_due is None or case.status not in OPEN_STATUSES:
        return Sla(case.promised_due, case.promised_limit_days, None, "none")
    today = today or timezone.localdate()
    limit = (case.promised_limit_days or 0) + case.paused_days
    remaining = (calendar or current_calendar()).working_days_between(today, case.promised_due)
    if case.status in (Case.Status.CORRECTIONS, Case.Status.SUSPENDED):
        return Sla(case.promised_due, limit, remaining, "paused")
    if today > case.promised_due:
        light = "red"
    elif limit <= 0 or (limit - remaining) >= YELLOW_SHARE * limit:
        light = "yellow"
    else:
        light = "green"
    return Sla(case.promised_due, limit, remaining, light)


ACTION_LABELS = {
    "accept": gettext_noop("受理"), "not_accept": gettext_noop("不予受理"),
    "request_corrections": gettext_noop("补正告知"), "approve": gettext_noop("通过"), "agree": gettext_noop("同意"),
    "disagree": gettext_noop("不同意"), "return": gettext_noop("退回"), "decide_approve": gettext_noop("准予"),
    "decide_deny": gettext_noop("不予"), "transfer": gettext_noop("转办"), "add_signer": gettext_noop("加签"),
    "remove_signer": gettext_noop("减签"), "auto": gettext_noop("秒批"),
}


class InboxRow:
    """One inbox line: a work item (待办/已办/超期) or a carbon copy (抄送我的), its case and SLA."""

    __slots__ = ("item", "copy", "case", "sla")

    def __init__(self, *, case: Case, sla: Sla, item: WorkItem | None = None, copy: Any = None):
        self.item, self.copy, self.case, self.sla = item, copy, case, sla

    @property
    def action_label(self) -> str:
        return _(ACTION_LABELS.get(self.item.action, self.item.action)) if self.item is not None else ""

    @property
    def applicant_masked(self) -> str:
        from yiwang.kernel.masking import mask_name

        if self.case.applicant_ref.startswith("enterprise:"):
            return self.case.applicant_name  # an enterprise's name is public registration data
        return mask_name(self.case.applicant_name)


def _wb_encode(parts: list[Any]) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(parts, separators=(",", ":")).encode()).decode().rstrip("=")


def _wb_when(value: Any) -> Any:
    from datetime import UTC, datetime

    at = datetime.fromisoformat(str(value))
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _wb_date(value: Any) -> Any:
    from datetime import date

    return date.fromisoformat(value) if value else None


def _wb_phase(value: Any) -> int:
    if value not in (0, 1):
        raise ValueError
    return int(value)


def _wb_uuid(value: Any) -> str:
    import uuid

    return str(uuid.UUID(str(value)))


def _wb_decode(cursor: str, kinds: tuple[Any, ...]) -> list[Any]:
    """The cursor's parts, each converted by its kind; anything else is a 422, never a 500."""
    import base64
    import json

    from yiwang.kernel.errors import ValidationFailed

    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        if not isinstance(parts, list) or len(parts) != len(kinds):
            raise ValueError
        return [kind(part) for kind, part in zip(kinds, parts, strict=True)]
    except (ValueError, TypeError, UnicodeDecodeError):
        raise ValidationFailed("case.bad_cursor", "分页游标无效", "cursor") from None


def _queue_roles(department_code: str, roles: set[str]) -> list[str]:
    """The roles whose unclaimed queue I see: my own, and for a 科室负责人 every role of the department
    (the distinct roles of its open items; the platform's own `system` steps excepted)."""
    mine = set(roles) - NOT_STEP_ROLES
    if "supervisor" in roles:
        mine |= workflow_roles()
    return sorted(mine - NOT_STEP_ROLES)


NOT_STEP_ROLES = frozenset({"staff", "citizen", "admin", "system"})  # never a step's role (system: the platform)


def workflow_roles() -> set[str]:
    """Every role a step can ask for: the default flows' and those of published definitions (a small
    table) — cheaper than a DISTINCT over a million work items."""
    from yiwang.cases.models import WorkflowDefinition

    found = {"window_clerk", "approver", "supervisor"}
    for definition in WorkflowDefinition.objects.values_list("definition", flat=True):
        for step in (definition or {}).get("steps", []):
            if isinstance(step, dict) and step.get("role"):
                found.add(str(step["role"]))
    return found


def _open_key(item: WorkItem) -> tuple[Any, ...]:
    from datetime import date

    return (0 if item.due else 1, item.due or date.max, item.opened_at, str(item.pk))


def _open_source(qs: QuerySet[WorkItem], cursor: list[Any] | None, size: int, *, overdue_before: Any) -> list[WorkItem]:
    """At most size+1 rows of one queue after `cursor`, in (due, opened_at, id) order — due dates
    first, then the items not yet accepted (no due date). Each query walks an index range."""
    from django.db.models import Q

    rows: list[WorkItem] = []
    phase = cursor[0] if cursor else 0
    if cursor:
        c_due, c_at, c_id = cursor[1], cursor[2], cursor[3]
    if phase == 0:
        q0 = qs.filter(due__isnull=False)
        if overdue_before is not None:
            q0 = q0.filter(due__lt=overdue_before)
        if cursor:
            q0 = q0.filter(due__gte=c_due).filter(Q(due__gt=c_due) | Q(opened_at__gt=c_at)
                                                   | Q(opened_at=c_at, id__gt=c_id))
        rows = list(q0.order_by("due", "opened_at", "id")[: size + 1])
    if len(rows) <= size and overdue_before is None:
        q1 = qs.filter(due__isnull=True)
        if cursor and phase == 1:
            q1 = q1.filter(Q(opened_at__gt=c_at) | Q(opened_at=c_at, id__gt=c_id))
        rows += list(q1.order_by("opened_at", "id")[: size + 1 - len(rows)])
    return rows


class _MemoCalendar:
    """A page's rows share few due dates: count the working days to each one once."""

    def __init__(self, calendar: Any):
        self.calendar = calendar
        self.memo: dict[tuple[Any, Any], int] = {}

    def working_days_between(self, start: Any, end: Any) -> int:
        key = (start, end)
        if key not in self.memo:
            self.memo[key] = int(self.calendar.working_days_between(start, end))
        return self.memo[key]


def inbox_page(*, department_code: str, roles: set[str], user_id: int | None, tab: str = "todo",
               cursor: str = "", size: int = WORKBENCH_PAGE_SIZE, today: Any = None) -> tuple[list[InboxRow], str | None]:
    """One keyset page of the staff inbox.

    todo     待办: open items assigned to me, and the unclaimed queue of my department for each of my
             roles — one (department_code, role, status, due) index range per role, merged here, so
             the first page costs the same with one case or one million;
    overdue  超期: the same, past the promised date;
    done     已办: items I finished, newest first (done_by, -done_at);
    cc       抄送我的: carbon copies to my department or to me, newest first.
    """
    from django.db.models import Q
    from django.utils import timezone

    from yiwang.kernel.calendar import current_calendar

    size = max(1, min(size, 100))
    today = today or timezone.localdate()
    cal = _MemoCalendar(current_calendar())
    # The case's JSON columns (form, answers …) are not needed for a row; leaving them out keeps a
    # page's rows small.
    base = WorkItem.objects.select_related("case", "assignee").defer(
        "case__form", "case__answers", "case__prefill_sources", "case__engine_state")
    if tab == "done":
        qs = base.filter(done_by_id=user_id, status="done").order_by("-done_at", "-id")
        if cursor:
            at, pk = _wb_decode(cursor, (_wb_when, _wb_uuid))
            qs = qs.filter(Q(done_at__lt=at) | Q(done_at=at, id__lt=pk))
        done = list(qs[: size + 1])
        last_done = done[size - 1] if len(done) > size else None
        nxt = (_wb_encode([last_done.done_at.isoformat(), str(last_done.pk)])
               if last_done is not None and last_done.done_at else None)
        return [InboxRow(case=w.case, item=w, sla=sla_of(w.case, today, cal)) for w in done[:size]], nxt
    if tab == "cc":
        from yiwang.cases.models import CarbonCopy

        cq = CarbonCopy.objects.select_related("case").filter(Q(department_code=department_code) | Q(user_id=user_id))
        cq = cq.order_by("-at", "-id")
        if cursor:
            at, pk = _wb_decode(cursor, (_wb_when, int))
            cq = cq.filter(Q(at__lt=at) | Q(at=at, id__lt=pk))
        copies = list(cq[: size + 1])
        nxt = _wb_encode([copies[size - 1].at.isoformat(), copies[size - 1].pk]) if len(copies) > size else None
        return [InboxRow(case=cc.case, copy=cc, sla=sla_of(cc.case, today, cal)) for cc in copies[:size]], nxt
    if tab not in ("todo", "overdue"):
        from yiwang.kernel.errors import ValidationFailed

        raise ValidationFailed("case.bad_tab", "未知的待办分类", "tab")
    decoded = _wb_decode(cursor, (_wb_phase, _wb_date, _wb_when, _wb_uuid)) if cursor else None
    overdue_before = today if tab == "overdue" else None
    sources: list[QuerySet[WorkItem]] = []
    if user_id is not None:
        sources.append(base.filter(assignee_id=user_id, status="open"))
    if department_code:
        for role in _queue_roles(department_code, roles):
            sources.append(base.filter(department_code=department_code, role=role, status="open",
                                       assignee__isnull=True))
    merged: dict[Any, WorkItem] = {}
    for qs in sources:
        for w in _open_source(qs, decoded, size, overdue_before=overdue_before):
            merged[w.pk] = w
    rows = sorted(merged.values(), key=_open_key)
    nxt = None
    if len(rows) > size:
        last = rows[size - 1]
        nxt = _wb_encode([0 if last.due else 1, last.due.isoformat() if last.due else "", last.opened_at.isoformat(),
                          str(last.pk)])
    return [InboxRow(case=w.case, item=w, sla=sla_of(w.case, today, cal)) for w in rows[:size]], nxt


def staff_can_view(case: Case, *, department_code: str, user_id: int | None, roles: set[str]) -> bool:
    """A member of staff sees a case that their department handles or handled (any of its work
    items, its sub-cases or its bundle), that was copied to them, or everything as a leader."""
    from django.db.models import Q

    from yiwang.cases.models import CarbonCopy

    if {"leader", "admin"} & roles:
        return True
    if department_code and case.department_code == department_code:
        return True
    cases = [case.pk] + ([case.parent_id] if case.parent_id else [])
    mine = Q(department_code=department_code) | Q(assignee_id=user_id) | Q(done_by_id=user_id)
    if WorkItem.objects.filter(case_id__in=cases).filter(mine).exists():
        return True
    if case.kind == Case.Kind.BUNDLE and Case.objects.filter(parent=case, department_code=department_code).exists():
        return True
    return CarbonCopy.objects.filter(case_id__in=cases).filter(
        Q(department_code=department_code) | Q(user_id=user_id)).exists()


def my_open_items(case: Case, user_id: int | None, department_code: str, roles: set[str]) -> list[WorkItem]:
    """The open (or waiting) items of `case` that the viewer could act on or claim."""
    from django.db.models import Q

    mine = Q(assignee_id=user_id) | Q(department_code=department_code, assignee__isnull=True)
    qs = WorkItem.objects.filter(case=case, status__in=("open", "waiting")).filter(mine).exclude(role="system")
    out = []
    for w in qs.select_related("assignee", "delegated_by").order_by("opened_at"):
        if w.assignee_id == user_id or w.role in roles or "supervisor" in roles:
            out.append(w)
    return out


def last_done_item(case: Case) -> WorkItem | None:
    return WorkItem.objects.filter(case=case, status="done").order_by("-done_at").first()


def copies_of(case: Case) -> list[Any]:
    from yiwang.cases.models import CarbonCopy

    return list(CarbonCopy.objects.filter(case=case).select_related("user").order_by("at"))


def department_load(department_code: str, *, today: Any = None) -> dict[str, Any]:
    """科室负责人's view: open items per person and per step, the unclaimed count, overdue cases (how
    long overdue) and the 超期督办 list."""
    from django.db.models import Count, Q
    from django.utils import timezone

    today = today or timezone.localdate()
    open_items = WorkItem.objects.filter(department_code=department_code, status="open")
    per_person = list(open_items.filter(assignee__isnull=False)
                      .values("assignee_id", "assignee__display_name", "assignee__username")
                      .annotate(n=Count("id")).order_by("-n"))
    per_step = list(open_items.values("step_name").annotate(
        n=Count("id"), unclaimed=Count("id", filter=Q(assignee__isnull=True))).order_by("-n"))
    involved = Q(department_code=department_code) | Q(work_items__department_code=department_code,
                                                    work_items__status="open")
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES).filter(involved).distinct()
    overdue = [(c, sla_of(c, today)) for c in open_cases.filter(promised_due__lt=today).order_by("promised_due")[:200]]
    escalated = list(open_cases.filter(escalated_at__isnull=False).order_by("-escalated_at")[:200])
    return {"open": open_items.count(), "unclaimed": open_items.filter(assignee__isnull=True).count(),
            "per_person": per_person, "per_step": per_step, "overdue": overdue, "escalated": escalated}


def departments_overview(*, today: Any = None) -> list[dict[str, Any]]:
    """领导: every department's open, unclaimed and overdue item counts."""
    from django.db.models import Count, Q
    from django.utils import timezone

    today = today or timezone.localdate()
    rows: Any = (WorkItem.objects.filter(status="open").exclude(role="system")
                .values("department_code", "department_name")
                .annotate(open=Count("id"), unclaimed=Count("id", filter=Q(assignee__isnull=True)),
                          overdue=Count("id", filter=Q(due__lt=today)))
                .order_by("-overdue", "-open"))
    return [dict(r) for r in rows]


def definitions_of(item_code: str) -> list[Any]:
    from yiwang.cases.models import WorkflowDefinition

    return list(WorkflowDefinition.objects.filter(item_code=item_code).order_by("-version"))


def rules_of(item_code: str) -> list[Any]:
    from yiwang.cases.models import AutoApprovalRule

    return list(AutoApprovalRule.objects.filter(item_code=item_code).order_by("-version"))


def material_of(case: Case, material_id: Any) -> Material | None:
    try:
        ids = [case.pk] + ([case.parent_id] if case.parent_id else [])
        return Material.objects.filter(case_id__in=ids, pk=material_id).first()
    except Exception:  # a malformed UUID is simply not found
        return None


PERSONAL_FIELD_TYPES = frozenset({"id_number", "phone"})
PERSONAL_NAME_HINTS = ("id_number", "phone", "mobile", "bank_account", "account_no")


def form_fields_of(case: Case) -> list[dict[str, Any]]:
    """The catalogue's field definitions for the case's form (labels and types)."""
    from yiwang.catalog import selectors as catalog_selectors

    if case.item_version_id:
        version = catalog_selectors.version_by_id(case.item_version_id)
        return list(version.form_fields) if version else []
    if case.bundle_code:
        bundle = catalog_selectors.bundle_by_code(case.bundle_code, published_only=False)
        return list(catalog_selectors.bundle_guide(bundle, case.answers)["fields"]) if bundle else []
    return []


def form_rows(case: Case, *, reveal: bool = False) -> list[dict[str, Any]]:
    """The form as (label, value) rows with personal fields (身份证号, phone, bank account) masked
    unless `reveal` — the caller decides and audit-logs a reveal (services.case_reveal)."""
    from yiwang.kernel.masking import mask_id_number, mask_phone

    fields = {str(f["name"]): f for f in form_fields_of(case)}
    rows = []
    for name, value in (case.form or {}).items():
        f = fields.get(name, {})
        kind = str(f.get("type") or "")
        text = "" if value is None else str(value)
        personal = kind in PERSONAL_FIELD_TYPES or any(h in name for h in PERSONAL_NAME_HINTS)
        shown = text
        if personal and not reveal:
            shown = mask_phone(text) if kind == "phone" or "phone" in name or "mobile" in name else mask_id_number(text)
        rows.append({"name": name, "label": str(f.get("label") or name), "value": shown, "personal": personal,
                     "masked": personal and not reveal and shown != text})
    return rows


class StaffContext:
    """Who is looking at the workbench: the user, their department and role codes."""

    __slots__ = ("user", "staff", "department_code", "department_name", "roles")

    def __init__(self, user: Any, staff: Any, roles: set[str]):
        self.user, self.staff, self.roles = user, staff, roles
        self.department_code = staff.organisation.code if staff is not None else ""
        self.department_name = staff.organisation.name if staff is not None else ""

    @property
    def is_supervisor(self) -> bool:
        return bool({"supervisor", "leader", "admin"} & self.roles)

    @property
    def is_leader(self) -> bool:
        return bool({"leader", "admin"} & self.roles)

    @property
    def sees_personal_data(self) -> bool:
        return self.staff is not None and any(r.sees_personal_data for r in self.staff.roles.all())


def staff_context(user: Any) -> StaffContext | None:
    """The workbench context of an active member of staff (or a leader/admin), else None."""
    from yiwang.identity import selectors as identity_selectors

    if user is None or not getattr(user, "is_authenticated", False):
        return None
    staff = identity_selectors.staff_for_user(user)
    if staff is not None and staff.active:
        # The same set User.role_names() gives, without loading the staff row a second time.
        roles = {"staff", *(r.code for r in staff.roles.all())}
        if getattr(user, "kind", "") == "admin" or user.is_superuser:
            roles |= {"admin"}
    else:
        roles = set(user.role_names()) if hasattr(user, "role_names") else set()
        if "admin" not in roles:
            return None
    return StaffContext(user, staff if staff is not None and staff.active else None, roles)
