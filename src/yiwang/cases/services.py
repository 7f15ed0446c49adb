"""办件 writes: submit, act on work items, answer 补正, and the case-level actions.

Every transition runs in one transaction: the case row is bumped with a conditional UPDATE on its
`row_version` (two staff acting at once: one wins, the other gets case.conflict), the pure rules in
workflow.py decide, and their effects become rows (work items, clock intervals, history), an audit
record and an outbox event — all committed together or not at all.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from yiwang.cases import formcheck, notify, rules
from yiwang.cases import workflow as wf
from yiwang.cases.models import (
    AutoApprovalRule,
    CarbonCopy,
    Case,
    CaseEvent,
    CaseNumberCounter,
    ClockInterval,
    CorrectionRequest,
    IdempotencyKey,
    Material,
    WorkflowDefinition,
    WorkItem,
)
from yiwang.catalog import selectors as catalog_selectors
from yiwang.kernel import events, fastsql, planned
from yiwang.kernel.audit import audit_append
from yiwang.kernel.calendar import current_calendar, working_days_between
from yiwang.kernel.context import Actor, current_actor
from yiwang.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed

SOURCE = "yiwang.cases"
CITY_REGION = "990100"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
ALLOWED_UPLOAD_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png",
                        "application/ofd": ".ofd"}

EVENT_TYPES = {  # history event → outbox event type
    "submitted": "case.submitted", "accepted": "case.accepted", "not_accepted": "case.not_accepted",
    "corrections_requested": "case.corrections_requested", "corrected": "case.corrected",
    "decided": "case.decided", "completed": "case.completed", "withdrawn": "case.withdrawn",
    "suspended": "case.suspended", "resumed": "case.resumed", "terminated": "case.terminated",
    "revoked": "case.revoked", "returned": "case.returned", "escalated": "case.escalated",
}


# --- errors ---------------------------------------------------------------------------------------

_CONFLICT_CODES = {"case.task_unknown", "case.task_not_open", "case.task_stale", "case.closed", "case.recall_too_late"}


def _domain(err: wf.WorkflowError) -> DomainError:
    if err.code in _CONFLICT_CODES:
        return Conflict(err.code, err.message, err.field)
    return ValidationFailed(err.code, err.message, err.field)


# --- definitions ---------------------------------------------------------------------------------

_intake_centre: dict[str, tuple[str, str]] = {}


def set_intake_centre(code: str, name: str) -> None:
    """The one-window centre (综合受理窗口) where bundles and items without their own window are
    accepted. Stored as a definition-independent setting in the process (the demo and tests set it)."""
    _intake_centre["centre"] = (code, name)


def intake_centre() -> tuple[str, str]:
    """(code, name) of 示范市政务服务中心 — the organisation whose short name is 政务服务中心 — or
    ("", "") where there is none (then each item is accepted at its own department's window)."""
    if "centre" not in _intake_centre:
        from yiwang.identity import selectors as identity_selectors

        org = identity_selectors.organisation_by_short_name("政务服务中心")
        _intake_centre["centre"] = (org.code, org.name) if org else ("", "")
    return _intake_centre["centre"]


def definition_save(*, item_code: str, definition: Mapping[str, Any], note: str = "") -> WorkflowDefinition:
    """Publish a new version of an item's workflow; running cases keep the version they started on."""
    parsed = _parse_definition(definition)
    with transaction.atomic():
        last = WorkflowDefinition.objects.filter(item_code=item_code).order_by("-version").first()
        row = WorkflowDefinition.objects.create(item_code=item_code, version=(last.version + 1) if last else 1,
                                                definition=parsed.to_data(), note=note)
        audit_append(action="cases.definition_saved", object_type="workflow", object_id=f"{item_code}v{row.version}")
    _definition_cache.clear()
    return row


def _parse_definition(definition: Mapping[str, Any]) -> wf.Definition:
    try:
        return wf.Definition.from_data(dict(definition))
    except wf.WorkflowError as err:
        raise _domain(err) from err


_definition_cache: dict[Any, tuple[WorkflowDefinition, wf.Definition]] = {}


def _definition_for(item_code: str, handling_type: str, department_code: str) -> tuple[WorkflowDefinition, wf.Definition]:
    key = ("item", item_code)
    hit = _definition_cache.get(key)
    if hit is not None:
        return hit
    row = WorkflowDefinition.objects.filter(item_code=item_code).order_by("-version").first()
    if row is None:
        centre_code, _ = intake_centre()
        defn = wf.default_definition(handling_type=handling_type, department=department_code,
                                     intake_department=centre_code or department_code)
        try:  # committed on its own, also while a submission is being planned
            with planned.independent(), transaction.atomic():
                row = WorkflowDefinition.objects.create(item_code=item_code, version=1, definition=defn.to_data(),
                                                        note="按事项办理流程生成的默认流程")
        except IntegrityError:
            row = WorkflowDefinition.objects.get(item_code=item_code, version=1)
    parsed = wf.Definition.from_data(row.definition)
    _definition_cache[key] = (row, parsed)
    _definition_cache[("id", row.pk)] = (row, parsed)
    return row, parsed


def _definition_by_id(pk: int) -> wf.Definition:
    hit = _definition_cache.get(("id", pk))
    if hit is not None:
        return hit[1]
    row = WorkflowDefinition.objects.get(pk=pk)
    parsed = wf.Definition.from_data(row.definition)
    _definition_cache[("id", pk)] = (row, parsed)
    return parsed


def forget_definitions() -> None:
    _staff_cache.clear()
    _definition_cache.clear()
    _version_cache.clear()
    _intake_centre.clear()


def bundle_definition(centre_code: str) -> wf.Definition:
    """A bundle's own flow: 一窗受理 at the centre, then a decision the platform takes (role
    "system", in nobody's inbox) when every sub-case has ended."""
    return wf.Definition((
        wf.StepDef("accept", "一窗受理", "intake", role="window_clerk", department=centre_code, next="combine"),
        wf.StepDef("combine", "汇总办结", "decision", role="system", department=centre_code),
    ))


# --- numbers and clocks ----------------------------------------------------------------------------


def _case_number(now: datetime) -> str:
    """办件编号: region (6) + date (8) + daily sequence (6), e.g. 99010020261123000042. One
    UPDATE … RETURNING bumps the day's counter (SQLite ≥ 3.35 and PostgreSQL both have it)."""
    day = timezone.localtime(now).strftime("%Y%m%d")
    table = connection.ops.quote_name(CaseNumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE {table} SET "last" = "last" + 1 WHERE "day" = %s RETURNING "last"', [day])
        row = cursor.fetchone()
    if row is None:
        try:
            with transaction.atomic():
                CaseNumberCounter.objects.create(day=day, last=1)
            last = 1
        except IntegrityError:
            with connection.cursor() as cursor:
                cursor.execute(f'UPDATE {table} SET "last" = "last" + 1 WHERE "day" = %s RETURNING "last"', [day])
                last = cursor.fetchone()[0]
    else:
        last = row[0]
    return f"{CITY_REGION}{day}{last:06d}"


def _local_date(at: datetime) -> date:
    return timezone.localtime(at).date()


def _set_dues(case: Case, start: datetime) -> None:
    base = _local_date(start)
    calendar = current_calendar()  # once: each lookup checks the calendar tables are unchanged
    if case.promised_limit_days is not None:
        case.promised_due = calendar.add_working_days(base, case.promised_limit_days + case.paused_days).due
    if case.legal_limit_days is not None:
        case.legal_due = calendar.add_working_days(base, case.legal_limit_days + case.paused_days).due


def _clock_switch(case: Case, owner: str, now: datetime, step_code: str = "", department_code: str = "") -> None:
    """Close the open interval and open one for `owner` ("" = the clock stops for good). Time spent
    outside the department (补正, 挂起) extends the due dates by the working days it covered."""
    # No owner means the clock never started or has stopped for good: there is no open interval.
    if case.clock_owner == ClockInterval.Owner.DEPARTMENT:  # the usual move: nothing to read back
        _close_open_interval(case, now)
        open_row = None
    else:
        open_row = ClockInterval.objects.filter(case=case, ended_at__isnull=True).first() if case.clock_owner else None
    if open_row is not None:
        open_row.ended_at = now
        fastsql.update(ClockInterval, open_row.pk, {"ended_at": now})
        if open_row.owner != ClockInterval.Owner.DEPARTMENT and case.accepted_at is not None:
            case.paused_days += working_days_between(_local_date(open_row.started_at), _local_date(now))
            _set_dues(case, case.accepted_at)
    if owner:
        fastsql.insert([ClockInterval(case=case, owner=owner, started_at=now, step_code=step_code,
                                      department_code=department_code if owner == "department" else "")])
    case.clock_owner = owner


def _close_open_interval(case: Case, now: datetime) -> None:
    fastsql.update_where(ClockInterval, {"ended_at": now}, where={"case_id": case.pk}, null=["ended_at"])


# --- state ---------------------------------------------------------------------------------------


def _state_of(case: Case, items: Sequence[WorkItem]) -> wf.State:
    extra = case.engine_state or {}
    return wf.State(
        status=case.status, step=case.step_code,
        tasks=tuple(wf.Task(str(w.pk), w.step_code, w.department_code, w.role, status=w.status,
                            vote=w.action, sequence=w.sequence) for w in items),
        outcome=case.outcome, corrected_steps=frozenset(extra.get("corrected_steps", [])),
        resume_status=extra.get("resume_status", ""), previous_step=extra.get("previous_step", ""),
        stale_tasks=frozenset(extra.get("stale_tasks", [])))


_items_of_case = fastsql.Select(WorkItem, where='"case_id" = %s', params=["case"], track=False)


def _relevant_items(case: Case) -> list[WorkItem]:
    """All of the case's items (a handful): open work, the current step's votes, and the earlier
    visits of a step that a return re-enters (the rules mark those stale so their votes don't count)."""
    return _items_of_case.all(case.pk)


@dataclass
class _Ctx:
    case: Case
    defn: wf.Definition
    now: datetime
    actor: Actor
    by_user: Any = None
    comment: str = ""
    quiet: frozenset[str] = frozenset()  # history kinds not to record (a sub-case's 提交 is already there)
    held: list[CaseEvent] | None = None  # when set, events are published later (e.g. once numbered)


def _dept_name(code: str, case: Case) -> str:
    if code == case.department_code:
        return case.department_name
    centre_code, centre_name = intake_centre()
    if code == centre_code:
        return centre_name
    from yiwang.identity import selectors as identity_selectors

    org = identity_selectors.departments().filter(code=code).first()
    return org.name if org else code


def _run(ctx: _Ctx, cmd: wf.Command, *, items: list[WorkItem] | None = None) -> wf.Result:
    """Apply one command to `ctx.case` and write its effects (inside the caller's transaction)."""
    case = ctx.case
    items = items if items is not None else _relevant_items(case)
    by_key = {str(w.pk): w for w in items}
    try:
        result = wf.apply(ctx.defn, _state_of(case, items), cmd, case_department=case.department_code,
                          new_key=lambda: str(uuid.uuid4()))
    except wf.WorkflowError as err:
        raise _domain(err) from err
    new_items: list[WorkItem] = []
    history: list[CaseEvent] = []
    step_names = {s.code: s.name for s in ctx.defn.steps}
    step_kinds = {s.code: s.kind for s in ctx.defn.steps}
    clock_moved = False
    for eff in result.effects:
        if eff.kind == "open_task":
            new_items.append(WorkItem(
                id=uuid.UUID(eff.task), case=case, step_code=eff.step, step_name=step_names[eff.step],
                step_kind=step_kinds[eff.step], department_code=eff.department,
                department_name=_dept_name(eff.department, case), role=eff.role, sequence=eff.sequence,
                opened_at=ctx.now, due=case.promised_due))
        elif eff.kind in ("close_task", "cancel_task", "wait_task", "resume_task", "move_task"):
            w = by_key[eff.task]
            if eff.kind == "close_task":
                w.status, w.action, w.done_at, w.done_by, w.comment = "done", eff.value, ctx.now, ctx.by_user, ctx.comment
            elif eff.kind == "cancel_task":
                w.status, w.done_at = "cancelled", ctx.now
            elif eff.kind == "wait_task":
                w.status = "waiting"
            elif eff.kind == "resume_task":
                w.status = "open"
            else:
                w.department_code, w.department_name = eff.department, _dept_name(eff.department, case)
                w.assignee, w.claimed_at = None, None
            # Guarded: a claim or delegation of the item since it was read makes this a conflict.
            w.row_version += 1
            if not fastsql.update(WorkItem, w.pk, {
                "status": w.status, "action": w.action, "done_at": w.done_at, "done_by_id": w.done_by_id,
                "comment": w.comment, "department_code": w.department_code, "department_name": w.department_name,
                "assignee_id": w.assignee_id, "claimed_at": w.claimed_at, "row_version": w.row_version,
            }, guard={"row_version": w.row_version - 1}):
                raise Conflict("case.conflict", "该待办刚被其他人处理，请刷新后重试", "task")
        elif eff.kind == "clock":
            clock_moved = True
            step = result.state.step
            _clock_switch(case, eff.value, ctx.now, step, _step_department(ctx.defn, step, case))
        elif eff.kind == "event":
            if eff.value == "cc":
                fastsql.insert([CarbonCopy(case=case, department_code=eff.department, step_code=eff.step,
                                           at=ctx.now)])
                continue
            if eff.value == "step_entered" or eff.value in ctx.quiet:
                continue
            history.append(_event(ctx, eff.value, step=eff.step or result.state.step, step_names=step_names,
                                  department=eff.department))
        elif eff.kind == "final":
            _finalise(ctx, eff.value, eff.step, history, step_names)
    fastsql.insert(new_items)
    state = result.state
    entered = state.step != case.step_code
    case.status, case.step_code, case.outcome = state.status, state.step, state.outcome or case.outcome
    case.step_name = step_names.get(state.step, "")
    case.engine_state = {"corrected_steps": sorted(state.corrected_steps), "resume_status": state.resume_status,
                         "previous_step": state.previous_step, "stale_tasks": sorted(state.stale_tasks)}
    if entered and not clock_moved and case.clock_owner == "department":
        _clock_switch(case, "department", ctx.now, state.step, _step_department(ctx.defn, state.step, case))
    fastsql.insert(history)
    if ctx.held is not None:
        ctx.held.extend(history)
    else:
        for h in history:
            _publish(case, h)
    return result


def _step_department(defn: wf.Definition, step: str, case: Case) -> str:
    if not step:
        return ""
    s = defn.step(step)
    return s.department or (s.participants[0] if s.participants else case.department_code)


def _event(ctx: _Ctx, kind: str, *, step: str = "", step_names: Mapping[str, str] | None = None,
           department: str = "", detail: dict[str, Any] | None = None) -> CaseEvent:
    case = ctx.case
    dept = department or (_step_department(ctx.defn, step, case) if step else case.department_code)
    return CaseEvent(case=case, at=ctx.now, type=kind, step_code=step,
                     step_name=(step_names or {}).get(step, ""), department_code=dept,
                     department_name=_dept_name(dept, case) if dept else "", actor_label=ctx.actor.label[:120],
                     actor_id=ctx.actor.user_id, comment=ctx.comment, detail=detail or {})


def _finalise(ctx: _Ctx, status: str, outcome: str, history: list[CaseEvent], step_names: Mapping[str, str]) -> None:
    case = ctx.case
    if status == Case.Status.COMPLETED:
        case.decided_at = case.decided_at or ctx.now
        case.completed_at = ctx.now
        if outcome == "denied" and ctx.comment:
            case.outcome_reason = ctx.comment
        history.append(_event(ctx, "completed", step=case.step_code, step_names=step_names,
                              detail={"outcome": outcome}))
    elif ctx.comment:
        case.outcome_reason = ctx.comment


def _publish(case: Case, h: CaseEvent) -> None:
    event_type = EVENT_TYPES.get(h.type)
    if not event_type:
        return
    events.publish(event_type, source=SOURCE, subject=case.number or str(case.pk), data={
        "case_id": str(case.pk), "number": case.number, "kind": case.kind, "item_code": case.item_code,
        "bundle_code": case.bundle_code, "title": case.title, "department_code": case.department_code,
        "applicant_ref": case.applicant_ref, "status": case.status, "outcome": case.outcome,
        "step": h.step_code, "step_name": h.step_name, "at": h.at.isoformat(),
        "parent": str(case.parent_id) if case.parent_id else "",
    })


def _save_case(case: Case) -> None:
    """Write the case with a conditional UPDATE: if someone else moved it meanwhile, refuse."""
    case.updated_at = timezone.now()
    fields = fastsql.changed(case)  # only what this transition touched (never the form, usually)
    fields["row_version"] = case.row_version + 1
    updated = fastsql.update(Case, case.pk, fields, guard={"row_version": case.row_version})
    if not updated:
        raise Conflict("case.conflict", "该办件刚被其他人处理，请刷新后重试")
    case.row_version += 1
    fastsql.saved(case, fields)


_case_for_update = fastsql.Select(Case, where='"id" = %s', params=["id"], for_update=True)
# Read while a write plan is made (no transaction, no lock): the case's row_version guards the writes.
_case_of_item = fastsql.Select(
    Case, where=f'"id" = (SELECT "case_id" FROM "{WorkItem._meta.db_table}" WHERE "id" = %s)', params=["id"])


def _lock(case_id: Any) -> Case:
    try:
        case = _case_for_update.first(case_id)
    except Exception as exc:  # a malformed UUID fails in the field's conversion
        raise NotFound("case.not_found", "办件不存在", "case") from exc
    if case is None:
        raise NotFound("case.not_found", "办件不存在", "case")
    return case


# --- submission ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    material: str
    filename: str
    content_type: str
    content: bytes


def _check_uploads(uploads: Sequence[Upload]) -> None:
    for u in uploads:
        if u.content_type not in ALLOWED_UPLOAD_TYPES:
            raise ValidationFailed("case.material_type", f"材料“{u.material}”的文件类型不支持，请上传 PDF、JPG、PNG 或 OFD",
                                   "materials")
        if len(u.content) > MAX_UPLOAD_BYTES:
            raise ValidationFailed("case.material_too_large", f"材料“{u.material}”超过 10MB", "materials")
        if not u.content:
            raise ValidationFailed("case.material_empty", f"材料“{u.material}”是空文件", "materials")


def _request_hash(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _idempotent_hit(user: Any, key: str, request_hash: str) -> Case | None:
    row = IdempotencyKey.objects.filter(user=user, key=key).select_related("case").first()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise Conflict("case.idempotency_mismatch", "同一个 Idempotency-Key 已用于另一份不同的申请", "Idempotency-Key")
    return row.case


@dataclass(frozen=True)
class Applicant:
    ref: str  # person:<uuid> / enterprise:<uuid>
    name: str
    user: Any


# Published item versions never change, and which one is in force changes at most daily: a short
# in-process cache saves the catalogue query on every submission.
_VERSION_TTL_S = 5.0
_version_cache: dict[Any, tuple[float, Any]] = {}


def _version(key: Any, load: Any) -> Any:
    now = time.monotonic()
    hit = _version_cache.get(key)
    if hit is not None and now - hit[0] < _VERSION_TTL_S:
        return hit[1]
    value = load()
    if value is not None:
        if len(_version_cache) > 2000:
            _version_cache.clear()
        _version_cache[key] = (now, value)
    return value


def cached_version(version_id: Any, load: Any) -> Any:
    """An item version by id through the short in-process cache (`load` reads it on a miss)."""
    return _version(("id", str(version_id)), load)


def _target(item_code: str = "", version_id: Any = None, bundle_code: str = "") -> tuple[Any, Any]:
    if bundle_code:
        bundle = catalog_selectors.bundle_by_code(bundle_code)
        if bundle is None:
            raise NotFound("case.bundle_unknown", "该“一件事”不存在或未发布", "bundle")
        return None, bundle
    version = cached_version(version_id, lambda: catalog_selectors.version_by_id(version_id)) \
        if version_id else None
    if version is not None and version.status != "published":
        raise ValidationFailed("case.version_not_published", "该事项版本未发布或已被替代，请按现行版本申请", "version")
    if version is None and item_code:
        version = _version(("code", item_code, timezone.localdate()),
                           lambda: catalog_selectors.current_version(item_code))
    if version is None:
        raise NotFound("case.item_unknown", "事项不存在或未发布", "item")
    if item_code and version.item.code != item_code:
        raise ValidationFailed("case.version_mismatch", "事项版本与事项编码不一致", "version")
    return version, None


def case_save_draft(*, applicant: Applicant, item_code: str = "", version_id: Any = None, bundle_code: str = "",
                    answers: Mapping[str, str] | None = None, form: Mapping[str, Any] | None = None,
                    draft_id: Any = None) -> Case:
    """Save (or update) a draft; nothing is checked except that the target exists."""
    version, bundle = _target(item_code, version_id, bundle_code)
    with transaction.atomic():
        if draft_id:
            case = _lock(draft_id)
            if case.applicant_ref != applicant.ref or case.status != Case.Status.DRAFT:
                raise PermissionDenied("case.not_your_draft", "只能修改自己的草稿", "draft")
        else:
            case = Case(applicant_ref=applicant.ref, applicant_name=applicant.name, applicant_user=applicant.user)
            _fill_target(case, version, bundle)
        case.answers = dict(answers or {})
        case.form = {k: v for k, v in (form or {}).items() if isinstance(k, str)}
        if draft_id:
            _save_case(case)
        else:
            case.save()
    return case


def _fill_target(case: Case, version: Any, bundle: Any) -> None:
    if bundle is not None:
        case.kind, case.bundle_code, case.title = Case.Kind.BUNDLE, bundle.code, bundle.name
        case.department_code = bundle.lead_department_code
        case.department_name = bundle.lead_department_name
        case.promised_limit_days, case.legal_limit_days = bundle.combined_limit_days, bundle.legal_limit_days
        case.handling_type = "承诺件"
    else:
        case.kind, case.item_code, case.item_version_id = Case.Kind.ITEM, version.item.code, version.pk
        case.title, case.handling_type = version.name, version.handling_type
        case.department_code, case.department_name = version.department_code, version.department_name
        case.promised_limit_days, case.legal_limit_days = version.promised_limit_days, version.legal_limit_days


def case_submit(*, applicant: Applicant, item_code: str = "", version_id: Any = None, bundle_code: str = "",
                answers: Mapping[str, str] | None = None, form: Mapping[str, Any] | None = None,
                uploads: Sequence[Upload] = (), certificates: Mapping[str, str] | None = None,
                shared: Mapping[str, str] | None = None, idempotency_key: str = "", draft_id: Any = None,
                prefill_sources: Mapping[str, Any] | None = None, channel: str = "网上",
                now: datetime | None = None) -> Case:
    """Submit an application. `certificates` maps a material name to a wallet certificate identifier
    that stands in for an upload (材料免提交); `shared` maps a material name to the shared resource the
    department reads instead. A retry with the same Idempotency-Key returns the first case."""
    now = now or timezone.now()
    form = dict(form or {})
    answers = dict(answers or {})
    certificates = dict(certificates or {})
    shared = dict(shared or {})
    version, bundle = _target(item_code, version_id, bundle_code)
    _check_uploads(uploads)
    request_hash = ""
    if idempotency_key:
        if len(idempotency_key) > 100:
            raise ValidationFailed("case.idempotency_key", "Idempotency-Key 不能超过 100 个字符", "Idempotency-Key")
        request_hash = _request_hash({"item": item_code, "version": str(version_id or ""), "bundle": bundle_code,
                                      "answers": answers, "form": form, "certificates": certificates,
                                      "uploads": sorted((u.material, hashlib.sha256(u.content).hexdigest())
                                                        for u in uploads)})
        hit = _idempotent_hit(applicant.user, idempotency_key, request_hash)
        if hit is not None:
            return hit
    # What the case must carry, per item (a bundle: the items its 情形 answers select).
    if bundle is not None:
        guide = catalog_selectors.bundle_guide(bundle, answers)
        versions = list(guide["applicable"])
        if not versions:
            raise ValidationFailed("case.bundle_empty", "根据情形选择，没有需要办理的事项", "answers")
        fields = guide["fields"]
        materials = guide["materials"]
    else:
        versions = [version]
        fields, materials = version.form_fields, version.materials
    cleaned = formcheck.validate(fields, form)
    provided = {u.material for u in uploads} | set(certificates) | set(shared)
    for m in materials:  # a shared-data resource stands in unless the applicant brought the material
        if m["name"] not in provided and m.get("shared_resource") and formcheck.material_required(m):
            shared[m["name"]] = m["shared_resource"]
            provided.add(m["name"])
    missing = [m["name"] for m in materials if formcheck.material_required(m) and m["name"] not in provided]
    if missing:
        raise ValidationFailed("case.material_missing", "缺少申请材料：" + "、".join(missing), "materials")
    cert_rows = _check_certificates(applicant, certificates)

    def plan() -> Case:
        """Built with no transaction open (ADR 0006). The 办件编号 is taken first when the writes run,
        so that numbers have no gaps; what carries it (the case row, its event, audit entry and
        notification) is written right after."""
        if draft_id:
            case = _lock(draft_id)
            if case.applicant_ref != applicant.ref or case.status != Case.Status.DRAFT:
                raise PermissionDenied("case.not_your_draft", "只能提交自己的草稿", "draft")
        else:
            case = Case(applicant_ref=applicant.ref, applicant_name=applicant.name, applicant_user=applicant.user)
            _fill_target(case, version, bundle)
        planned.later(lambda: setattr(case, "number", _case_number(now)))
        case.answers, case.form, case.channel = answers, cleaned, channel
        case.prefill_sources = dict(prefill_sources or {})
        case.submitted_at = now
        case.visits = 0 if channel in ("网上", "掌上") else 1
        if bundle is not None:
            centre_code, _ = intake_centre()
            defn = bundle_definition(centre_code or bundle.lead_department_code)
        else:
            defn_row, defn = _definition_for(version.item.code, version.handling_type, version.department_code)
            case.definition = defn_row
        # The rows that point to the case are written before it (foreign keys are checked at commit).
        _attach_materials(case, uploads, cert_rows, shared)
        actor = current_actor()
        held: list[CaseEvent] = []
        ctx = _Ctx(case=case, defn=defn, now=now, actor=actor, by_user=applicant.user, held=held)
        _run(ctx, wf.Command("submit"), items=[])
        if bundle is None and (rule := rules.matching_rule(case.item_code, cleaned,
                                                            _verified_facts(applicant, cert_rows))):
            _auto_approve(ctx, rule)
        if case.status == Case.Status.SUBMITTED:
            _set_dues(case, now)  # provisional until acceptance, so the applicant sees a date

        def write_numbered() -> None:
            if draft_id:
                _save_case(case)
            else:
                fastsql.insert([case])
            if bundle is not None:
                _spawn_children(case, versions, cleaned, now, actor)
            for h in held:
                _publish(case, h)
            if idempotency_key:
                fastsql.insert([IdempotencyKey(key=idempotency_key, user=applicant.user, case=case,
                                               request_hash=request_hash)])
            audit_append(action="cases.submitted", object_type="case", object_id=case.number or "",
                         subject_ref=applicant.ref, detail={"title": case.title, "channel": channel})
            notify.send(user=applicant.user, case=case, title="申请已提交",
                        body=f"您的“{case.title}”申请已提交，办件编号 {case.number}。")

        planned.later(write_numbered)
        return case

    try:
        case = planned.run_planned(plan)
    except planned.Stale as exc:
        raise Conflict("case.conflict", "该草稿刚被修改，请刷新后重试", "draft") from exc
    except IntegrityError:
        if idempotency_key:  # a concurrent retry with the same key committed first
            hit = _idempotent_hit(applicant.user, idempotency_key, request_hash)
            if hit is not None:
                return hit
        raise
    for identifier, row in cert_rows.items():
        _record_certificate_use(identifier, row, case)
    return case


def _check_certificates(applicant: Applicant, certificates: Mapping[str, str]) -> dict[str, Any]:
    """Each offered certificate must be valid and held by the applicant (or a member of their family
    is out of scope: only the applicant's own wallet is offered)."""
    if not certificates:
        return {}
    from yiwang.certificates import selectors as cert_selectors

    out: dict[str, Any] = {}
    refs = {applicant.ref}
    if applicant.user is not None:
        refs |= {ref for ref, _ in cert_selectors.wallet_refs(applicant.user)}
    for material, identifier in certificates.items():
        cert = cert_selectors.certificate_by_identifier(identifier)
        if cert is None or cert.subject_ref not in refs:
            raise ValidationFailed("case.certificate_unknown", f"材料“{material}”所选电子证照不在您的证照夹中",
                                   "certificates")
        expired = cert.valid_until is not None and cert.valid_until < timezone.localdate()
        if cert.status != "issued" or expired:
            raise ValidationFailed("case.certificate_invalid", f"材料“{material}”所选电子证照已失效", "certificates")
        out[material] = cert
    return out


def _verified_facts(applicant: Applicant, cert_rows: Mapping[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {"applicant_ref": applicant.ref}
    for material, cert in cert_rows.items():
        facts[f"cert:{material}"] = True
        facts[f"cert_type:{cert.name}"] = True
    return facts


def _attach_materials(case: Case, uploads: Sequence[Upload], certs: Mapping[str, Any], shared: Mapping[str, str]) -> None:
    from django.core.files.base import ContentFile

    rows: list[Material] = []
    for u in uploads:
        m = Material(case=case, name=u.material, source=Material.Source.UPLOAD, filename=u.filename[:200],
                     content_type=u.content_type, size=len(u.content), sha256=hashlib.sha256(u.content).hexdigest())
        m.file.save(f"{uuid.uuid4().hex}{ALLOWED_UPLOAD_TYPES[u.content_type]}", ContentFile(u.content), save=False)
        # Stored while planning; a plan that is not applied (replanned, refused) takes its file away.
        planned.on_discard(functools.partial(m.file.storage.delete, str(m.file.name)))
        rows.append(m)
    for name, cert in certs.items():
        rows.append(Material(case=case, name=name, source=Material.Source.CERTIFICATE,
                             certificate_identifier=cert.identifier))
    for name, resource in shared.items():
        rows.append(Material(case=case, name=name, source=Material.Source.SHARED, resource_code=str(resource)[:40]))
    fastsql.insert(rows)


def _record_certificate_use(material: str, cert: Any, case: Case) -> None:
    try:
        from yiwang.certificates import services as cert_services

        record = getattr(cert_services, "certificate_use_record", None)
        if record is not None:
            record(identifier=cert.identifier, user_label=case.applicant_name, org_code=case.department_code,
                   org_name=case.department_name, purpose=f"办件材料：{material}", reference=case.number or "")
    except DomainError:
        pass  # the use record is informative; the case already holds which certificate it used


def _auto_approve(ctx: _Ctx, rule: AutoApprovalRule) -> None:
    case = ctx.case
    case.auto_rule = f"{rule.name} v{rule.version}"
    auto_ctx = _Ctx(case=case, defn=ctx.defn, now=ctx.now, actor=Actor(label=f"秒批规则：{rule.name} v{rule.version}"),
                    comment=f"符合秒批规则“{rule.name}”（第{rule.version}版），系统自动准予", held=ctx.held)
    case.accepted_at = ctx.now
    _run(auto_ctx, wf.Command("auto_approve"))


def _spawn_children(parent: Case, versions: Iterable[Any], form: Mapping[str, Any], now: datetime,
                    actor: Actor) -> None:
    """A bundle's sub-cases: one per selected item, in its department, waiting for 一窗受理."""
    for i, version in enumerate(versions, start=1):
        child = Case(kind=Case.Kind.SUB, parent=parent, applicant_ref=parent.applicant_ref,
                     applicant_name=parent.applicant_name, applicant_user=parent.applicant_user,
                     channel=parent.channel, answers=parent.answers, submitted_at=now)
        _fill_target(child, version, None)
        child.number = f"{parent.number}-{i:02d}"
        fields = {f["name"] for f in version.form_fields}
        child.form = {k: v for k, v in form.items() if k in fields}
        child.definition, _ = _definition_for(version.item.code, version.handling_type, version.department_code)
        child.status = Case.Status.SUBMITTED
        child.save(force_insert=True)
        CaseEvent.objects.create(case=child, at=now, type="submitted", actor_label=actor.label[:120],
                                 actor_id=actor.user_id, department_code=child.department_code,
                                 department_name=child.department_name,
                                 detail={"bundle": parent.bundle_code, "parent": parent.number})


def _accept_children(parent: Case, ctx: _Ctx) -> None:
    """一窗受理 of a bundle accepts every sub-case at once: each skips its own intake step."""
    for child in Case.objects.filter(parent=parent, status=Case.Status.SUBMITTED):
        defn = _definition_by_id(child.definition_id) if child.definition_id else None
        if defn is None:
            continue
        child_ctx = _Ctx(case=child, defn=defn, now=ctx.now, actor=ctx.actor, by_user=ctx.by_user,
                         comment="一件事一窗受理", quiet=frozenset({"submitted"}))
        child.status = wf.DRAFT
        _run(child_ctx, wf.Command("submit"), items=[])
        intake = WorkItem.objects.filter(case=child, status="open").first()
        if intake is not None and defn.first.kind == "intake":
            _run(child_ctx, wf.Command("accept", task=str(intake.pk)))
        child.accepted_at = ctx.now
        _set_dues(child, ctx.now)
        WorkItem.objects.filter(case=child, status="open").update(due=child.promised_due)
        _save_case(child)


def _settle_parent(child: Case, now: datetime) -> None:
    """When every sub-case of a bundle has ended, the bundle is decided by the platform."""
    if child.parent_id is None:
        return
    parent = _lock(child.parent_id)
    if parent.status not in (Case.Status.IN_PROGRESS,):
        return
    children = list(Case.objects.filter(parent=parent).values_list("status", "outcome"))
    if any(status not in wf.FINAL for status, _ in children):
        return
    approved = any(s == Case.Status.COMPLETED and o == "approved" for s, o in children)
    all_approved = all(s == Case.Status.COMPLETED and o == "approved" for s, o in children)
    task = WorkItem.objects.filter(case=parent, status="open").first()
    if task is None:
        return
    centre_code, _ = intake_centre()
    defn = bundle_definition(task.department_code or centre_code)
    summary = "；".join(f"{c.title}：{c.get_outcome_display() if c.status == 'completed' else c.get_status_display()}"
                       for c in Case.objects.filter(parent=parent))
    ctx = _Ctx(case=parent, defn=defn, now=now, actor=Actor(label="一网通办平台"), comment=summary)
    _run(ctx, wf.Command("decide_approve" if approved else "decide_deny", task=str(task.pk),
                         reason=summary or "各子件均未准予"))
    if approved and not all_approved:
        parent.outcome = Case.Outcome.PARTIAL
    _save_case(parent)
    notify.send(user_id=parent.applicant_user_id, case=parent, title="一件事已办结",
                body=f"您的“{parent.title}”（{parent.number}）已全部办结：{summary}。欢迎评价。")


def _close_children(parent: Case, ctx: _Ctx) -> None:
    """A bundle that ends before its sub-cases (不予受理, 终止, 撤销) ends them too, with the same
    status and reason; a sub-case never waits for a parent that is gone."""
    if parent.kind != Case.Kind.BUNDLE:
        return
    for child in Case.objects.filter(parent=parent).exclude(status__in=list(wf.FINAL)):
        if child.status == Case.Status.SUBMITTED and not WorkItem.objects.filter(case=child).exists():
            child.status = parent.status
            child.completed_at = ctx.now
            child.outcome_reason = parent.outcome_reason
            CaseEvent.objects.create(case=child, at=ctx.now, type=parent.status, actor_label=ctx.actor.label[:120],
                                     actor_id=ctx.actor.user_id, comment=ctx.comment or "一件事已结束",
                                     department_code=child.department_code, department_name=child.department_name)
            _save_case(child)
            continue
        action = "revoke" if parent.status == Case.Status.REVOKED else "terminate"
        child_ctx = _Ctx(case=child, defn=_defn_of(child), now=ctx.now, actor=ctx.actor, by_user=ctx.by_user,
                         comment=ctx.comment or "一件事已结束")
        _run(child_ctx, wf.Command(action, reason=child_ctx.comment))
        _save_case(child)


# --- staff actions -------------------------------------------------------------------------------


_STAFF_TTL_S = 5.0
_staff_cache: dict[int, tuple[float, tuple[str, frozenset[str]] | None]] = {}


def _staff_profile(user: Any) -> tuple[str, frozenset[str]] | None:
    """(department code, role codes) of a member of staff, cached a few seconds per process (a
    transfer or role change applies within that window, like identity's token snapshot)."""
    from yiwang.identity import selectors as identity_selectors

    pk = getattr(user, "pk", None)
    if pk is None:
        return None
    now = time.monotonic()
    hit = _staff_cache.get(pk)
    if hit is not None and now - hit[0] < _STAFF_TTL_S:
        return hit[1]
    staff = identity_selectors.staff_for_user(user)
    profile = None if staff is None or not staff.active else (
        staff.organisation.code, frozenset(r.code for r in staff.roles.all()))
    if len(_staff_cache) > 5000:
        _staff_cache.clear()
    _staff_cache[pk] = (now, profile)
    return profile


def _staff_may_act(user: Any, item: WorkItem) -> None:

    if item.role == "system":
        raise PermissionDenied("case.system_step", "该环节由平台自动办理", "task")
    if item.assignee_id is not None and item.assignee_id != getattr(user, "pk", None):
        raise Conflict("case.claimed_by_other", "该待办已被他人认领", "task")
    profile = _staff_profile(user)
    if profile is None:
        raise PermissionDenied("case.not_staff", "只有工作人员可以办理", None)
    if item.assignee_id == user.pk:
        return
    org_code, roles = profile
    if org_code != item.department_code:
        raise PermissionDenied("case.other_department", "该待办不属于您的部门", "task")
    if item.role not in roles and not ({"supervisor"} & roles):
        raise PermissionDenied("case.role_mismatch", "您没有办理该环节的岗位权限", "task")


def _case_of_item_pk(work_item_id: Any) -> tuple[Case, uuid.UUID]:
    """(case, item pk): the case a work item belongs to, in one query. The id may come in any UUID
    spelling."""
    try:
        item_pk = work_item_id if isinstance(work_item_id, uuid.UUID) else uuid.UUID(str(work_item_id))
        case = _case_of_item.first(item_pk)
    except Exception as exc:  # a malformed UUID
        raise NotFound("case.task_unknown", "待办事项不存在", "task") from exc
    if case is None:
        raise NotFound("case.task_unknown", "待办事项不存在", "task")
    return case, item_pk


def _load_item(work_item_id: Any) -> WorkItem:
    try:
        return WorkItem.objects.select_related("case").get(pk=work_item_id)
    except (WorkItem.DoesNotExist, ValueError, DomainError) as exc:
        raise NotFound("case.task_unknown", "待办事项不存在", "task") from exc
    except Exception as exc:  # malformed UUIDs raise ValidationError from the field
        raise NotFound("case.task_unknown", "待办事项不存在", "task") from exc


def _defn_of(case: Case) -> wf.Definition:
    if case.kind == Case.Kind.BUNDLE:
        task = WorkItem.objects.filter(case=case).order_by("opened_at").first()
        centre_code, _ = intake_centre()
        return bundle_definition(task.department_code if task else centre_code)
    if case.definition_id is None:
        raise ValidationFailed("case.no_definition", "办件没有流程定义", None)
    return _definition_by_id(case.definition_id)


def task_claim(*, work_item_id: Any, user: Any, expected_version: int | None = None,
               now: datetime | None = None) -> WorkItem:
    """认领: the first to claim owns the item; a second claim gets case.claimed_by_other."""
    with transaction.atomic():
        item = _load_item(work_item_id)
        if item.status != "open":
            raise Conflict("case.task_not_open", "该待办已处理", "task")
        _staff_may_act(user, item)
        if expected_version is not None and expected_version != item.row_version:
            raise Conflict("case.conflict", "该待办刚被其他人处理，请刷新后重试", "task")
        now = now or timezone.now()
        updated = WorkItem.objects.filter(pk=item.pk, row_version=item.row_version, assignee__isnull=True,
                                          status="open").update(assignee=user, claimed_at=now,
                                                                row_version=item.row_version + 1)
        if not updated:
            if item.assignee_id == user.pk:
                return item
            raise Conflict("case.claimed_by_other", "该待办已被他人认领", "task")
        item.assignee, item.claimed_at, item.row_version = user, now, item.row_version + 1
        audit_append(action="cases.claimed", object_type="work_item", object_id=str(item.pk))
    return item


def task_act(*, work_item_id: Any, user: Any, action: str, comment: str = "", target: str = "",
             points: Sequence[str] = (), expected_version: int | None = None, now: datetime | None = None) -> Case:
    """One staff action on a work item: 受理, 不予受理, 补正, 通过, 同意/不同意, 退回, 准予/不予, 转办, 加签, 减签.

    Planned (ADR 0006): the case and its items are read and the effects computed with no transaction
    open; the writes then run in one short transaction behind the case's and the items' row_version
    guards. If another action got in between, the plan is made again from what it wrote."""
    now = now or timezone.now()
    if action not in wf.TASK_ACTIONS:
        raise ValidationFailed("case.action_unknown", f"不支持的操作：{action}", "action")
    if len(comment) > 2000:
        raise ValidationFailed("case.comment_too_long", "意见不能超过 2000 字", "comment")
    try:
        return planned.run_planned(lambda: _plan_task_act(work_item_id, user, action, comment, target, points,
                                                          expected_version, now))
    except planned.Stale as exc:
        raise Conflict("case.conflict", "该办件刚被其他人处理，请刷新后重试", "task") from exc


def _plan_task_act(work_item_id: Any, user: Any, action: str, comment: str, target: str, points: Sequence[str],
                   expected_version: int | None, now: datetime) -> Case:
    case, item_pk = _case_of_item_pk(work_item_id)
    items = _relevant_items(case)
    item = next((w for w in items if w.pk == item_pk), None)
    if item is None or item.status != "open":
        raise Conflict("case.task_not_open", "该待办已被处理，请刷新后查看", "task")
    if expected_version is not None and expected_version != item.row_version:
        raise Conflict("case.conflict", "该待办刚被其他人处理，请刷新后重试", "task")
    _staff_may_act(user, item)
    defn = _defn_of(case)
    ctx = _Ctx(case=case, defn=defn, now=now, actor=current_actor(), by_user=user, comment=comment)
    if action == "request_corrections":
        clean_points = tuple(p.strip() for p in points if p and p.strip())
    else:
        clean_points = tuple(points)
    was_intake = case.status == Case.Status.SUBMITTED
    _run(ctx, wf.Command(action, task=str(item.pk), target=target, reason=comment, points=clean_points),
         items=items)
    if action == "request_corrections":
        fastsql.insert([CorrectionRequest(case=case, work_item=item, step_code=item.step_code,
                                          points=[{"point": p} for p in clean_points], requested_at=now,
                                          requested_by_label=ctx.actor.label)])
        case.corrections_count += 1
        notify.send(user_id=case.applicant_user_id, case=case, title="请补正材料",
                    body=f"您的办件 {case.number}（{case.title}）需要补正：" + "；".join(clean_points))
    if action == "return":
        case.returns_count += 1
    if was_intake and case.status == Case.Status.IN_PROGRESS:
        case.accepted_at = now
        case.paused_days = 0
        _set_dues(case, now)
        _set_open_items_due(case)
        if case.kind == Case.Kind.BUNDLE:
            planned.later(lambda: _accept_children(case, ctx))  # reads the sub-cases inside the transaction
        notify.send(user_id=case.applicant_user_id, case=case, title="申请已受理",
                    body=f"您的办件 {case.number}（{case.title}）已受理，承诺 {case.promised_due} 前办结。")
    if case.status == Case.Status.COMPLETED:
        case.decided_at = case.decided_at or now
        notify.send(user_id=case.applicant_user_id, case=case, title="办件已办结",
                    body=f"您的办件 {case.number}（{case.title}）已办结，结果：{case.get_outcome_display()}。欢迎评价。")
    elif case.status == Case.Status.NOT_ACCEPTED:
        notify.send(user_id=case.applicant_user_id, case=case, title="申请不予受理",
                    body=f"您的办件 {case.number}（{case.title}）不予受理：{comment}")
    _save_case(case)
    if case.is_final and (case.parent_id is not None or case.kind == Case.Kind.BUNDLE):
        def settle() -> None:  # the parent and the sub-cases are read and locked inside the transaction
            _settle_parent(case, now)
            _close_children(case, ctx)

        planned.later(settle)
    audit_append(action=f"cases.{action}", object_type="case", object_id=case.number or str(case.pk),
                 subject_ref=case.applicant_ref, detail={"step": item.step_code, "target": target})
    return case


def _set_open_items_due(case: Case) -> None:
    fastsql.update_where(WorkItem, {"due": case.promised_due}, where={"case_id": case.pk, "status": "open"})


def _check_version(item: WorkItem, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != item.row_version:
        raise Conflict("case.conflict", "该办件刚被其他人处理，请刷新后重试", "version")


def task_delegate(*, work_item_id: Any, user: Any, to_user: Any, comment: str = "",
                  expected_version: int | None = None) -> WorkItem:
    """委派: hand the item to a colleague, who returns it with task_return_delegation."""
    with transaction.atomic():
        item = _load_item(work_item_id)
        _check_version(item, expected_version)
        if item.status != "open":
            raise Conflict("case.task_not_open", "该待办已处理", "task")
        _staff_may_act(user, item)
        if to_user is None or to_user.pk == user.pk:
            raise ValidationFailed("case.delegate_target", "请选择其他工作人员", "to_user")
        from yiwang.identity import selectors as identity_selectors

        staff = identity_selectors.staff_for_user(to_user)
        if staff is None:
            raise ValidationFailed("case.delegate_target", "委派对象不是工作人员", "to_user")
        updated = WorkItem.objects.filter(pk=item.pk, row_version=item.row_version).update(
            assignee=to_user, delegated_by=user, claimed_at=timezone.now(), row_version=item.row_version + 1)
        if not updated:
            raise Conflict("case.conflict", "该待办刚被其他人处理，请刷新后重试", "task")
        CaseEvent.objects.create(case=item.case, at=timezone.now(), type="delegated", step_code=item.step_code,
                                 step_name=item.step_name, department_code=item.department_code,
                                 department_name=item.department_name, actor_label=current_actor().label[:120],
                                 actor_id=current_actor().user_id, comment=comment,
                                 detail={"to": getattr(to_user, "display_name", "") or to_user.username})
        item.refresh_from_db()
    return item


def task_return_delegation(*, work_item_id: Any, user: Any, comment: str = "") -> WorkItem:
    with transaction.atomic():
        item = _load_item(work_item_id)
        if item.delegated_by_id is None or item.assignee_id != user.pk:
            raise ValidationFailed("case.not_delegated", "该待办不是委派给您的", "task")
        WorkItem.objects.filter(pk=item.pk).update(assignee=item.delegated_by, delegated_by=None,
                                                   comment=comment, row_version=item.row_version + 1)
        CaseEvent.objects.create(case=item.case, at=timezone.now(), type="delegation_returned",
                                 step_code=item.step_code, step_name=item.step_name,
                                 department_code=item.department_code, department_name=item.department_name,
                                 actor_label=current_actor().label[:120], actor_id=current_actor().user_id,
                                 comment=comment)
        item.refresh_from_db()
    return item


def task_reassign(*, work_item_id: Any, user: Any, to_user: Any, comment: str = "",
                  expected_version: int | None = None) -> WorkItem:
    """转办 to a named colleague in the same department (task_act(action="transfer") moves it to
    another department)."""
    with transaction.atomic():
        item = _load_item(work_item_id)
        _check_version(item, expected_version)
        if item.status != "open":
            raise Conflict("case.task_not_open", "该待办已处理", "task")
        _staff_may_act(user, item)
        from yiwang.identity import selectors as identity_selectors

        staff = identity_selectors.staff_for_user(to_user) if to_user is not None else None
        if staff is None or staff.organisation.code != item.department_code:
            raise ValidationFailed("case.reassign_target", "只能转办给本部门的工作人员", "to_user")
        WorkItem.objects.filter(pk=item.pk).update(assignee=to_user, delegated_by=None, claimed_at=timezone.now(),
                                                   row_version=item.row_version + 1)
        CaseEvent.objects.create(case=item.case, at=timezone.now(), type="transferred", step_code=item.step_code,
                                 step_name=item.step_name, department_code=item.department_code,
                                 department_name=item.department_name, actor_label=current_actor().label[:120],
                                 actor_id=current_actor().user_id, comment=comment,
                                 detail={"to": getattr(to_user, "display_name", "") or to_user.username})
        item.refresh_from_db()
    return item


def case_action(*, case_id: Any, user: Any, action: str, reason: str = "", now: datetime | None = None) -> Case:
    """Staff-level case actions: 挂起 suspend, 恢复 resume, 终止 terminate, 撤销 revoke, 拿回 recall."""
    now = now or timezone.now()
    if action not in ("suspend", "resume", "terminate", "revoke", "recall"):
        raise ValidationFailed("case.action_unknown", f"不支持的操作：{action}", "action")
    from yiwang.identity import selectors as identity_selectors

    staff = identity_selectors.staff_for_user(user)
    if staff is None:
        raise PermissionDenied("case.not_staff", "只有工作人员可以办理", None)
    with transaction.atomic():
        case = _lock(case_id)
        roles = {r.code for r in staff.roles.all()}
        if action in ("terminate", "revoke", "suspend", "resume"):
            involved = WorkItem.objects.filter(case=case, department_code=staff.organisation.code).exists()
            if not involved or "supervisor" not in roles:
                raise PermissionDenied("case.supervisor_only", "挂起、恢复、终止和撤销须由承办部门科室负责人操作", None)
        if action == "recall":
            last = WorkItem.objects.filter(case=case, status="done").order_by("-done_at").first()
            if last is None or last.done_by_id != user.pk:
                raise PermissionDenied("case.recall_not_yours", "只有上一环节的办理人可以拿回", None)
        ctx = _Ctx(case=case, defn=_defn_of(case), now=now, actor=current_actor(), by_user=user, comment=reason)
        _run(ctx, wf.Command(action, reason=reason))
        _save_case(case)
        if case.is_final:
            _settle_parent(case, now)
            _close_children(case, ctx)
        audit_append(action=f"cases.{action}", object_type="case", object_id=case.number or str(case.pk),
                     subject_ref=case.applicant_ref, detail={"reason": reason})
    return case


def case_urge(*, case_id: Any, user: Any, note: str = "") -> Case:
    """催办: a reminder to whoever holds the case now (history + notification), no state change."""
    with transaction.atomic():
        case = _lock(case_id)
        if not case.is_open:
            raise ValidationFailed("case.not_active", "办件已结束，无需催办", None)
        open_items = list(WorkItem.objects.filter(case=case, status="open"))
        CaseEvent.objects.create(case=case, at=timezone.now(), type="urged", step_code=case.step_code,
                                 step_name=case.step_name, actor_label=current_actor().label[:120],
                                 actor_id=current_actor().user_id, comment=note)
        for item in open_items:
            if item.assignee_id:
                notify.send(user=item.assignee, case=case, title="催办提醒",
                            body=f"办件 {case.number}（{case.title}）被催办：{note or '请尽快办理'}")
    return case


def case_copy_to(*, case_id: Any, user: Any, department_code: str = "", to_user: Any = None, note: str = "") -> CarbonCopy:
    """抄送 a case to a department or a person (read-only)."""
    if not department_code and to_user is None:
        raise ValidationFailed("case.cc_target", "请选择抄送对象", "department_code")
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        raise NotFound("case.not_found", "办件不存在", "case")
    return CarbonCopy.objects.create(case=case, department_code=department_code, user=to_user,
                                     step_code=case.step_code, note=note[:200], at=timezone.now())


# --- applicant actions ---------------------------------------------------------------------------


def _own(case: Case, applicant: Applicant) -> None:
    if case.applicant_ref != applicant.ref:
        raise NotFound("case.not_found", "办件不存在", "case")


def case_withdraw(*, case_id: Any, applicant: Applicant, reason: str = "", now: datetime | None = None) -> Case:
    """撤回 before acceptance."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock(case_id)
        _own(case, applicant)
        ctx = _Ctx(case=case, defn=_defn_of(case), now=now, actor=current_actor(), comment=reason or "申请人撤回")
        _run(ctx, wf.Command("withdraw"))
        _save_case(case)
        for child in Case.objects.filter(parent=case, status=Case.Status.SUBMITTED):
            child.status = Case.Status.WITHDRAWN
            child.completed_at = now
            _save_case(child)
        audit_append(action="cases.withdrawn", object_type="case", object_id=case.number or "",
                     subject_ref=case.applicant_ref)
    return case


def corrections_answer(*, case_id: Any, applicant: Applicant, form: Mapping[str, Any] | None = None,
                       uploads: Sequence[Upload] = (), note: str = "", now: datetime | None = None) -> Case:
    """The applicant answers a 补正: changed fields and new materials; the clock restarts."""
    now = now or timezone.now()
    _check_uploads(uploads)
    with transaction.atomic():
        case = _lock(case_id)
        _own(case, applicant)
        request = CorrectionRequest.objects.filter(case=case, answered_at__isnull=True).order_by("-requested_at").first()
        if request is None or case.status != Case.Status.CORRECTIONS:
            raise ValidationFailed("case.no_corrections", "办件没有待补正的事项", None)
        if not form and not uploads and not note.strip():
            raise ValidationFailed("case.correction_empty", "请修改表单、上传材料或填写说明后再提交补正", "form")
        if form:
            fields = _fields_of(case)
            merged = {**case.form, **{k: v for k, v in form.items() if k in {f["name"] for f in fields}}}
            case.form = formcheck.validate(fields, merged)
        _attach_materials(case, uploads, {}, {})
        request.answered_at = now
        request.answer = {"fields": sorted((form or {}).keys()), "materials": [u.material for u in uploads],
                          "note": note}
        request.save(update_fields=["answered_at", "answer"])
        ctx = _Ctx(case=case, defn=_defn_of(case), now=now, actor=current_actor(), comment=note)
        _run(ctx, wf.Command("answer_corrections"))
        _save_case(case)
        audit_append(action="cases.corrected", object_type="case", object_id=case.number or "",
                     subject_ref=case.applicant_ref)
    return case


def _fields_of(case: Case) -> list[dict[str, Any]]:
    if case.item_version_id:
        version = catalog_selectors.version_by_id(case.item_version_id)
        return list(version.form_fields) if version else []
    if case.bundle_code:
        bundle = catalog_selectors.bundle_by_code(case.bundle_code, published_only=False)
        return list(catalog_selectors.bundle_guide(bundle, case.answers)["fields"]) if bundle else []
    return []


# --- supervision ---------------------------------------------------------------------------------


def escalate_overdue(*, today: date | None = None, now: datetime | None = None) -> int:
    """超期督办: every open case past its promised date, not yet escalated, goes to the department's
    supervisor (history, event, notification). Returns how many were escalated."""
    now = now or timezone.now()
    today = today or _local_date(now)
    from yiwang.identity import selectors as identity_selectors

    count = 0
    due = Case.objects.filter(status=Case.Status.IN_PROGRESS, promised_due__lt=today, escalated_at__isnull=True)
    for case in due.iterator():
        with transaction.atomic():
            # The version moves on like any write to the case, so a transition planned before it plans again.
            if not Case.objects.filter(pk=case.pk, escalated_at__isnull=True).update(
                    escalated_at=now, row_version=F("row_version") + 1):
                continue  # escalated meanwhile by another run
            case.escalated_at = now
            ev = CaseEvent.objects.create(case=case, at=now, type="escalated", step_code=case.step_code,
                                          step_name=case.step_name, department_code=case.department_code,
                                          department_name=case.department_name, actor_label="超期督办",
                                          comment=f"已超过承诺办结日期 {case.promised_due}")
            _publish(case, ev)
            for head in identity_selectors.supervisors_of(case.department_code):
                notify.send(user=head, case=case, title="超期督办",
                            body=f"办件 {case.number}（{case.title}）已超期，请督办。")
        count += 1
    return count


def rule_save(*, item_code: str, name: str, conditions: Sequence[Mapping[str, Any]], active: bool = True) -> AutoApprovalRule:
    """Publish a new version of an item's 秒批 rule (older versions stay for the record)."""
    rules.validate(conditions)
    with transaction.atomic():
        last = AutoApprovalRule.objects.filter(item_code=item_code).order_by("-version").first()
        AutoApprovalRule.objects.filter(item_code=item_code).update(active=False)
        row = AutoApprovalRule.objects.create(item_code=item_code, version=(last.version + 1) if last else 1,
                                              name=name, conditions=list(conditions), active=active)
        audit_append(action="cases.rule_saved", object_type="auto_rule", object_id=f"{item_code}v{row.version}")
    rules.forget()
    return row


# --- applicant side: 我的消息 ----------------------------------------------------------------------


def notifications_mark_read(*, user: Any, notification_id: Any = None, now: datetime | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; returns how many changed."""
    from yiwang.cases.models import Notification

    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        try:
            qs = qs.filter(pk=int(notification_id))
        except (TypeError, ValueError):
            raise NotFound("case.notification_unknown", "消息不存在", "notification") from None
    return qs.update(read_at=now or timezone.now())


# --- staff workbench part ------------------------------------------------------------------------


def material_for_staff(*, case: Case, material_id: Any, purpose: str = "办件审查") -> Material:
    """An uploaded material of `case` for the acting member of staff (the caller has checked that they
    may see the case). Uploads are copies of documents about the applicant, so every staff download is
    audit-logged against the applicant and shows on their 谁查看了我的信息 page."""
    from yiwang.cases import selectors
    from yiwang.kernel.audit import audit_record

    material = selectors.material_of(case, material_id)
    if material is None or not material.file:
        raise NotFound("case.material_not_found", "材料不存在", "material_id")
    audit_record(action="case.material_read", object_type="case", object_id=case.number or str(case.pk),
                 subject_ref=case.applicant_ref,
                 detail={"material": material.name, "filename": material.filename, "purpose": purpose[:200]})
    return material


def case_reveal(*, case: Case, viewer: Any, purpose: str = "") -> dict[str, Any]:
    """The full form of `case` (身份证号, phone … unmasked) for a member of staff whose role sees
    personal data (identity Role.sees_personal_data); every reveal is audit-logged against the applicant,
    like identity.services.person_reveal."""
    from yiwang.identity import selectors as identity_selectors
    from yiwang.kernel.audit import audit_record

    staff = identity_selectors.staff_for_user(viewer)
    if staff is None or not staff.active or not any(r.sees_personal_data for r in staff.roles.all()):
        raise PermissionDenied("case.reveal_forbidden", "您的角色无权查看完整个人信息", None)
    audit_record(action="case.personal_data_read", object_type="case", object_id=case.number or str(case.pk),
                 subject_ref=case.applicant_ref, detail={"fields": sorted(case.form or {}), "purpose": purpose[:200]})
    return dict(case.form or {})
