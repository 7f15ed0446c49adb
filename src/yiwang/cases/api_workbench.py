"""办件 API (staff workbench): the inbox (keyset pages), claim, act, one case (masked) and the
case-level actions. Session or bearer (a staff user's token); handlers parse, authorise, call a
service and render."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from yiwang.cases import selectors, services
from yiwang.cases.models import Case, WorkItem
from yiwang.cases.schemas_workbench import (
    ActIn,
    CaseActionIn,
    CaseLiteOut,
    CaseOut,
    ClaimIn,
    ClockOut,
    EventOut,
    FormRowOut,
    InboxPageOut,
    MaterialOut,
    StaffCaseOut,
    WorkItemOut,
    sla_out,
)
from yiwang.identity.auth import session_or_bearer
from yiwang.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

router = Router(tags=["一网通办工作台"])
READ = session_or_bearer()
WRITE = session_or_bearer("cases:write")
TABS = ("todo", "done", "overdue", "cc")


def _ctx(request: HttpRequest) -> selectors.StaffContext:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        info = getattr(request, "token_info", None)
        if info is None or info.user_id is None:
            raise PermissionDenied("case.user_token_required", "工作台接口须使用工作人员身份的访问令牌", None)
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=info.user_id, is_active=True).first()
    ctx = selectors.staff_context(user)
    if ctx is None:
        raise PermissionDenied("case.not_staff", "只有工作人员可以使用办件工作台", None)
    return ctx


def _case_lite(c: Case) -> CaseLiteOut:
    return CaseLiteOut(id=c.pk, number=c.number, kind=c.kind, title=c.title, status=c.status,
                       status_label=str(c.get_status_display()), step_name=c.step_name,
                       department_name=c.department_name, outcome=c.outcome)


def case_out(c: Case) -> CaseOut:
    return CaseOut(**_case_lite(c).dict(), promised_due=c.promised_due, legal_due=c.legal_due,
                   submitted_at=c.submitted_at, children=[_case_lite(x) for x in selectors.children(c)])


def _item_out(w: WorkItem) -> WorkItemOut:
    return WorkItemOut(id=str(w.pk), case_number=w.case.number, step_code=w.step_code, step_name=w.step_name,
                       step_kind=w.step_kind, department_code=w.department_code, role=w.role, status=w.status,
                       assignee=str(w.assignee) if w.assignee_id else "", claimed_at=w.claimed_at,
                       version=w.row_version)


def _row_out(row: selectors.InboxRow) -> dict[str, Any]:
    """A plain dict (validated once, against InboxPageOut): the inbox is the hot path."""
    c = row.case
    out: dict[str, Any] = {
        "number": c.number, "case_id": c.pk, "title": c.title, "applicant": row.applicant_masked,
        "status": c.status, "status_label": str(c.get_status_display()), "sla": row.sla.as_dict()}
    if row.item is not None:
        w = row.item
        out.update(id=str(w.pk), kind="item", step_code=w.step_code, step_name=w.step_name,
                   department_code=w.department_code, department_name=w.department_name, role=w.role,
                   arrived_at=w.opened_at, claimed=w.assignee_id is not None,
                   assignee=str(w.assignee) if w.assignee_id else "", version=w.row_version)
        return out
    cc = row.copy
    out.update(id=str(cc.pk), kind="cc", step_code=cc.step_code, step_name=c.step_name, role="",
               department_code=c.department_code, department_name=c.department_name, arrived_at=cc.at,
               claimed=False, assignee="", version=0)
    return out


@router.get("/inbox", response=InboxPageOut, auth=READ)
def inbox(request: HttpRequest, tab: str = "todo", cursor: str = "") -> dict[str, Any]:
    """待办 (todo), 已办 (done), 超期 (overdue), 抄送我的 (cc): one keyset page of 20, most urgent first."""
    if tab not in TABS:
        raise ValidationFailed("case.bad_tab", "tab 应为 todo、done、overdue 或 cc", "tab")
    ctx = _ctx(request)
    rows, nxt = selectors.inbox_page(department_code=ctx.department_code, roles=ctx.roles,
                                     user_id=ctx.user.pk, tab=tab, cursor=cursor[:400])
    return {"items": [_row_out(r) for r in rows], "next": nxt}


@router.post("/items/{item_id}/claim", response=WorkItemOut, auth=WRITE)
def claim(request: HttpRequest, item_id: str, payload: ClaimIn | None = None) -> WorkItemOut:
    """认领: the first claim wins; someone else's claim answers 409 case.claimed_by_other."""
    ctx = _ctx(request)
    item = services.task_claim(work_item_id=item_id[:40], user=ctx.user,
                               expected_version=payload.version if payload else None)
    return _item_out(item)


@router.post("/items/{item_id}/act", response=CaseOut, auth=WRITE)
def act(request: HttpRequest, item_id: str, payload: ActIn) -> CaseOut:
    """One action on a work item; a stale `version` or someone acting first answers 409."""
    ctx = _ctx(request)
    case = services.task_act(work_item_id=item_id[:40], user=ctx.user, action=payload.action,
                             comment=payload.comment, target=payload.target, points=payload.points,
                             expected_version=payload.version)
    return case_out(case)


def _visible_case(ctx: selectors.StaffContext, number: str) -> Case:
    case = selectors.case_by_number(number[:40])
    if case is None or case.status == Case.Status.DRAFT:
        raise NotFound("case.not_found", "办件不存在", "number")
    if not selectors.staff_can_view(case, department_code=ctx.department_code, user_id=ctx.user.pk,
                                    roles=ctx.roles):
        raise PermissionDenied("case.other_department", "该办件不属于您的部门", "number")
    return case


@router.get("/cases/{number}", response=StaffCaseOut, auth=READ)
def case_detail(request: HttpRequest, number: str) -> StaffCaseOut:
    """The staff view of a case: personal fields masked (the full form only on the page, audit-logged)."""
    ctx = _ctx(request)
    case = _visible_case(ctx, number)
    parent = selectors.case_by_id(case.parent_id) if case.parent_id else None
    mats = [MaterialOut(id=m.pk, name=m.name, source=m.source, filename=m.filename, size=m.size,
                        certificate_identifier=m.certificate_identifier,
                        url=(f"/certificates/verify/{m.certificate_identifier}/" if m.certificate_identifier
                             else f"/cases/workbench/case/{case.number}/material/{m.pk}/" if m.file else ""))
            for m in selectors.materials(case)]
    return StaffCaseOut(
        **case_out(case).dict(), applicant=selectors.InboxRow(case=case, sla=selectors.sla_of(case)).applicant_masked,
        item_code=case.item_code, version=case.row_version, sla=sla_out(selectors.sla_of(case)),
        form=[FormRowOut(name=r["name"], label=r["label"], value=r["value"], masked=r["masked"])
              for r in selectors.form_rows(case)],
        materials=mats,
        history=[EventOut(at=e.at, type=e.type, step_name=e.step_name, department_name=e.department_name,
                          actor=e.actor_label, comment=e.comment) for e in selectors.timeline(case)],
        clock=[ClockOut(owner=c.owner, owner_label=str(c.get_owner_display()), department_code=c.department_code,
                        step_code=c.step_code, started_at=c.started_at, ended_at=c.ended_at)
               for c in selectors.clock(case)],
        work_items=[_item_out(w) for w in selectors.work_items(case)],
        parent=parent.number if parent else None)


@router.post("/cases/{number}/action", response=CaseOut, auth=WRITE)
def case_action(request: HttpRequest, number: str, payload: CaseActionIn) -> CaseOut:
    """挂起 / 恢复 / 终止 / 撤销 (the handling department's 科室负责人) and 拿回 (whoever finished the
    previous step)."""
    ctx = _ctx(request)
    case = _visible_case(ctx, number)
    if payload.version is not None and payload.version != case.row_version:
        raise Conflict("case.conflict", "该办件刚被其他人处理，请刷新后重试", "version")
    case = services.case_action(case_id=case.pk, user=ctx.user, action=payload.action, reason=payload.reason)
    return case_out(case)
