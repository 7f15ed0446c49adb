"""办件工作台 pages for staff: the inbox (待办/已办/超期/抄送我的) with SLA lights and batch actions, the
full case page with its action panel, the 科室负责人's department view (load, overdue, 超期督办) and
the workflow definitions of an item.

Views parse, authorise, call a service and render. A refused action (stale page, someone else's
claim, a missing reason) renders the case page again with the message and the error's 4xx status.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiwang.cases import selectors, services
from yiwang.cases import workflow as wf
from yiwang.cases.downloads import material_download
from yiwang.cases.models import Case, WorkItem
from yiwang.identity import selectors as identity_selectors
from yiwang.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from yiwang.kernel.permissions import has_any_role, roles_required

SUPERVISOR_ROLES = ("supervisor", "leader", "admin")
DEFINITION_EDITORS = ("supervisor", "catalog_manager", "admin")
TABS = (("todo", gettext_noop("待办")), ("done", gettext_noop("已办")), ("overdue", gettext_noop("超期")),
        ("cc", gettext_noop("抄送我的")))
BATCH_ACTIONS = {
    "claim": gettext_noop("批量认领"), "accept": gettext_noop("批量受理"), "approve": gettext_noop("批量通过"),
}
KIND_LABELS = {
    "intake": gettext_noop("受理"), "task": gettext_noop("审查"), "all": gettext_noop("会签"),
    "any": gettext_noop("或签"), "vote": gettext_noop("票签"), "decision": gettext_noop("决定"),
}
ROLE_LABELS = {
    "window_clerk": gettext_noop("窗口受理人员"), "approver": gettext_noop("审批人员"),
    "supervisor": gettext_noop("科室负责人"), "system": gettext_noop("平台自动"),
}
EVENT_LABELS = {
    "submitted": gettext_noop("提交申请"), "accepted": gettext_noop("受理"), "not_accepted": gettext_noop("不予受理"),
    "corrections_requested": gettext_noop("一次性告知补正"), "corrected": gettext_noop("申请人补正"),
    "decided": gettext_noop("作出决定"), "completed": gettext_noop("办结"), "withdrawn": gettext_noop("申请人撤回"),
    "suspended": gettext_noop("挂起"), "resumed": gettext_noop("恢复"), "terminated": gettext_noop("终止"),
    "revoked": gettext_noop("撤销"), "returned": gettext_noop("退回"), "escalated": gettext_noop("超期督办"),
    "transferred": gettext_noop("转办"), "delegated": gettext_noop("委派"),
    "delegation_returned": gettext_noop("交回"), "signed": gettext_noop("会签意见"),
    "sign_failed": gettext_noop("会签未通过"), "signer_added": gettext_noop("加签"),
    "signer_removed": gettext_noop("减签"), "urged": gettext_noop("催办"), "auto_approved": gettext_noop("秒批"),
}


def _ctx(request: HttpRequest) -> selectors.StaffContext:
    ctx = selectors.staff_context(request.user)
    if ctx is None:
        raise Http404
    return ctx


# --- inbox -----------------------------------------------------------------------------------------


def _inbox_context(request: HttpRequest, ctx: selectors.StaffContext, tab: str, cursor: str) -> dict[str, Any]:
    rows, nxt = selectors.inbox_page(department_code=ctx.department_code, roles=ctx.roles,
                                     user_id=ctx.user.pk, tab=tab, cursor=cursor)
    return {"ctx": ctx, "tab": tab, "tabs": [(code, _(label)) for code, label in TABS], "rows": rows, "next": nxt,
            "cursor": cursor, "batch_actions": {k: _(v) for k, v in BATCH_ACTIONS.items()}, "is_supervisor": ctx.is_supervisor}


@roles_required("staff", "admin")
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    ctx = _ctx(request)
    tab = request.GET.get("tab", "todo")
    if tab not in dict(TABS):
        tab = "todo"
    try:
        context = _inbox_context(request, ctx, tab, request.GET.get("cursor", "")[:400])
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect(f"/cases/workbench/?tab={tab}")
    return render(request, "cases/workbench/inbox.html", context)


@roles_required("staff", "admin")
@require_POST
def batch(request: HttpRequest) -> HttpResponse:
    """批量认领 / 批量受理 / 批量通过: each item in its own transaction; the page lists which succeeded
    and which failed, and why."""
    ctx = _ctx(request)
    action = request.POST.get("action", "")
    if action not in BATCH_ACTIONS:
        messages.error(request, _("请选择批量操作"))
        return redirect("/cases/workbench/")
    results: list[dict[str, Any]] = []
    for raw in request.POST.getlist("items")[:100]:
        item_id, _sep, version_raw = raw.partition(":")
        version = int(version_raw) if version_raw.isdigit() else None
        label = item_id
        try:
            item = WorkItem.objects.select_related("case").filter(pk=item_id).first()
        except Exception:  # a malformed UUID is simply not found
            item = None
        if item is not None:
            label = item.case.number or item_id
        try:
            if item is None:
                raise NotFound("case.task_unknown", "待办事项不存在", "task")
            if action == "claim":
                services.task_claim(work_item_id=item.pk, user=ctx.user, expected_version=version)
            else:
                services.task_act(work_item_id=item.pk, user=ctx.user, action=action, expected_version=version)
            results.append({"label": label, "ok": True, "message": _("成功")})
        except DomainError as exc:
            results.append({"label": label, "ok": False, "message": exc.message, "code": exc.code})
    if not results:
        messages.error(request, _("请先勾选办件"))
        return redirect("/cases/workbench/")
    context = _inbox_context(request, ctx, "todo", "")
    context.update({"batch_results": results, "batch_label": _(BATCH_ACTIONS[action]),
                    "batch_ok": sum(1 for r in results if r["ok"])})
    return render(request, "cases/workbench/inbox.html", context)


# --- one case --------------------------------------------------------------------------------------


def _visible_case(ctx: selectors.StaffContext, number: str) -> Case:
    case = selectors.case_by_number(number[:40])
    if case is None or case.status == Case.Status.DRAFT:
        raise Http404
    if not selectors.staff_can_view(case, department_code=ctx.department_code, user_id=ctx.user.pk,
                                    roles=ctx.roles):
        raise PermissionDenied("case.other_department", "该办件不属于您的部门", "number")
    return case


def _definition(case: Case) -> wf.Definition | None:
    if case.definition is None:
        return None
    try:
        return wf.Definition.from_data(case.definition.definition)
    except wf.WorkflowError:
        return None


def _panel(ctx: selectors.StaffContext, case: Case, item: WorkItem, defn: wf.Definition | None) -> dict[str, Any]:
    """What the action panel offers on one of my items: exactly the actions valid for its step kind."""
    kind = item.step_kind
    corrected = item.step_code in set((case.engine_state or {}).get("corrected_steps", []))
    mine = item.assignee_id == ctx.user.pk
    earlier = [(s.code, s.name) for s in defn.earlier(item.step_code)] if defn and item.step_code in {
        s.code for s in defn.steps} else []
    actions: list[str] = []
    if kind == "intake":
        actions = ["accept", "not_accept"]
    elif kind == "task":
        actions = ["approve"]
    elif kind == "decision":
        actions = ["decide_approve", "decide_deny"]
    elif kind in wf.MULTI_KINDS:
        actions = ["agree", "disagree"]
    if earlier:
        actions.append("return")
    if kind in ("intake", "task", "decision") and not corrected:
        actions.append("request_corrections")
    actions.append("transfer")
    if kind in wf.MULTI_KINDS:
        actions += ["add_signer", "remove_signer"]
    other_signers = [(w.department_code, w.department_name) for w in WorkItem.objects.filter(
        case=case, step_code=item.step_code, status="open").exclude(pk=item.pk)] if kind in wf.MULTI_KINDS else []
    return {"item": item, "mine": mine, "kind_label": _(KIND_LABELS.get(kind, kind)), "claimed_by_other": item.assignee_id not in (None, ctx.user.pk),
            "actions": actions if item.status == "open" and item.step_code == case.step_code
            and case.status in ("submitted", "in_progress") else [],
            "earlier": earlier, "other_signers": other_signers, "corrected": corrected,
            "delegated_to_me": item.delegated_by_id is not None and mine}


def _render_case(request: HttpRequest, ctx: selectors.StaffContext, case: Case, *, error: DomainError | None = None,
                 revealed: bool = False, status: int = 200) -> HttpResponse:
    case.refresh_from_db()
    defn = _definition(case)
    items = selectors.my_open_items(case, ctx.user.pk, ctx.department_code, ctx.roles)
    last = selectors.last_done_item(case)
    parent = selectors.case_by_id(case.parent_id) if case.parent_id else None
    history = selectors.timeline(case)
    work_items = selectors.work_items(case)
    dept_names = {w.department_code: w.department_name for w in work_items}
    step_names = {w.step_code: w.step_name for w in work_items}
    context = {
        "ctx": ctx, "case": case, "sla": selectors.sla_of(case), "error": error,
        "applicant": selectors.InboxRow(case=case, sla=selectors.sla_of(case)).applicant_masked,
        "form_rows": selectors.form_rows(case, reveal=revealed), "revealed": revealed,
        "can_reveal": ctx.sees_personal_data and not revealed,
        "materials": selectors.materials(case),
        "history": [{"e": e, "label": _(EVENT_LABELS.get(e.type, e.type))} for e in history],
        "clock": [{"c": c, "department": dept_names.get(c.department_code, c.department_code),
                   "step": step_names.get(c.step_code, c.step_code)} for c in selectors.clock(case)],
        "work_items": [{"w": w, "action": _(selectors.ACTION_LABELS.get(w.action, w.action))} for w in work_items],
        "children": selectors.children(case),
        "parent": parent, "corrections": selectors.corrections(case), "copies": selectors.copies_of(case),
        "panels": [_panel(ctx, case, w, defn) for w in items],
        "can_recall": case.status == "in_progress" and last is not None and last.done_by_id == ctx.user.pk,
        "can_supervise": "supervisor" in ctx.roles and case.is_open,
        "departments": list(identity_selectors.departments()),
        # 转办, 委派 and 抄送 take an employee number; the form offers the department's staff by name.
        "colleagues": [c for c in identity_selectors.colleagues_of(ctx.department_code) if c.user_id != ctx.user.pk],
    }
    return render(request, "cases/workbench/case.html", context, status=status)


def _refused(request: HttpRequest, ctx: selectors.StaffContext, case: Case, exc: DomainError) -> HttpResponse:
    return _render_case(request, ctx, case, error=exc, status=exc.status)


@roles_required("staff", "admin")
@require_GET
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    ctx = _ctx(request)
    try:
        case = _visible_case(ctx, number)
    except PermissionDenied as exc:
        return render(request, "cases/workbench/refused.html", {"error": exc}, status=403)
    return _render_case(request, ctx, case)


@roles_required("staff", "admin")
@require_POST
def case_reveal(request: HttpRequest, number: str) -> HttpResponse:
    """查看完整个人信息: only for roles that see personal data; audit-logged against the applicant."""
    ctx = _ctx(request)
    try:
        case = _visible_case(ctx, number)
    except PermissionDenied as exc:
        return render(request, "cases/workbench/refused.html", {"error": exc}, status=403)
    try:
        services.case_reveal(case=case, viewer=ctx.user, purpose=request.POST.get("purpose", "办件审查"))
    except DomainError as exc:
        return _refused(request, ctx, case, exc)
    return _render_case(request, ctx, case, revealed=True)


def _item_and_case(ctx: selectors.StaffContext, item_id: str) -> tuple[WorkItem, Case]:
    try:
        item = WorkItem.objects.select_related("case").filter(pk=item_id[:40]).first()
    except Exception:  # a malformed UUID
        item = None
    if item is None:
        raise Http404
    return item, _visible_case(ctx, item.case.number or "")


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _colleague(request: HttpRequest) -> Any:
    no = request.POST.get("employee_no", "").strip()[:20]
    staff = identity_selectors.staff_by_employee_no(no) if no else None
    if staff is None:
        raise ValidationFailed("case.colleague_unknown", "请填写正确的工作人员工号", "employee_no")
    return staff.user


def _item_view(request: HttpRequest, item_id: str, call: Any, done: str) -> HttpResponse:
    ctx = _ctx(request)
    try:
        item, case = _item_and_case(ctx, item_id)
    except PermissionDenied as exc:
        return render(request, "cases/workbench/refused.html", {"error": exc}, status=403)
    try:
        call(ctx, item)
    except DomainError as exc:
        return _refused(request, ctx, case, exc)
    messages.success(request, done)
    return redirect(f"/cases/workbench/case/{case.number}/")


@roles_required("staff", "admin")
@require_POST
def item_claim(request: HttpRequest, item_id: str) -> HttpResponse:
    return _item_view(request, item_id, lambda ctx, item: services.task_claim(
        work_item_id=item.pk, user=ctx.user, expected_version=_version(request)), _("已认领"))


ACTION_DONE = {
    "accept": gettext_noop("已受理"), "not_accept": gettext_noop("已作出不予受理决定"),
    "request_corrections": gettext_noop("已一次性告知补正事项"), "approve": gettext_noop("审查通过，已转下一环节"),
    "agree": gettext_noop("已签署同意意见"), "disagree": gettext_noop("已签署不同意意见"), "return": gettext_noop("已退回"),
    "decide_approve": gettext_noop("已作出准予决定"), "decide_deny": gettext_noop("已作出不予决定"),
    "transfer": gettext_noop("已转办到其他部门"), "add_signer": gettext_noop("已加签"),
    "remove_signer": gettext_noop("已减签"),
}


@roles_required("staff", "admin")
@require_POST
def item_act(request: HttpRequest, item_id: str) -> HttpResponse:
    action = request.POST.get("action", "")[:24]
    points = [p.strip() for p in request.POST.get("points", "").splitlines() if p.strip()]

    def call(ctx: selectors.StaffContext, item: WorkItem) -> None:
        if action not in wf.TASK_ACTIONS:
            raise ValidationFailed("case.action_unknown", "请选择办理操作", "action")
        services.task_act(work_item_id=item.pk, user=ctx.user, action=action,
                          comment=request.POST.get("comment", "")[:2000], target=request.POST.get("target", "")[:40],
                          points=points[:50], expected_version=_version(request))

    return _item_view(request, item_id, call, _(ACTION_DONE.get(action, "已办理")))


@roles_required("staff", "admin")
@require_POST
def item_reassign(request: HttpRequest, item_id: str) -> HttpResponse:
    """转办给本部门的同事 (to another department: the transfer action)."""
    def call(ctx: selectors.StaffContext, item: WorkItem) -> None:
        services.task_reassign(work_item_id=item.pk, user=ctx.user, to_user=_colleague(request),
                               comment=request.POST.get("comment", "")[:2000], expected_version=_version(request))

    return _item_view(request, item_id, call, _("已转办给同事"))


@roles_required("staff", "admin")
@require_POST
def item_delegate(request: HttpRequest, item_id: str) -> HttpResponse:
    def call(ctx: selectors.StaffContext, item: WorkItem) -> None:
        services.task_delegate(work_item_id=item.pk, user=ctx.user, to_user=_colleague(request),
                               comment=request.POST.get("comment", "")[:2000], expected_version=_version(request))

    return _item_view(request, item_id, call, _("已委派"))


@roles_required("staff", "admin")
@require_POST
def item_return_delegation(request: HttpRequest, item_id: str) -> HttpResponse:
    return _item_view(request, item_id, lambda ctx, item: services.task_return_delegation(
        work_item_id=item.pk, user=ctx.user, comment=request.POST.get("comment", "")[:2000]), _("已交回委派人"))


CASE_ACTION_DONE = {
    "suspend": gettext_noop("已挂起"), "resume": gettext_noop("已恢复办理"), "terminate": gettext_noop("已终止"),
    "revoke": gettext_noop("已撤销"), "recall": gettext_noop("已拿回"),
}


def _case_view(request: HttpRequest, number: str, call: Any, done: str) -> HttpResponse:
    ctx = _ctx(request)
    try:
        case = _visible_case(ctx, number)
    except PermissionDenied as exc:
        return render(request, "cases/workbench/refused.html", {"error": exc}, status=403)
    try:
        call(ctx, case)
    except DomainError as exc:
        return _refused(request, ctx, case, exc)
    messages.success(request, done)
    return redirect(f"/cases/workbench/case/{case.number}/")


@roles_required("staff", "admin")
@require_POST
def case_action(request: HttpRequest, number: str) -> HttpResponse:
    action = request.POST.get("action", "")[:12]

    def call(ctx: selectors.StaffContext, case: Case) -> None:
        if _version(request) is not None and _version(request) != case.row_version:
            raise Conflict("case.conflict", "该办件刚被其他人处理，请刷新后重试", "version")
        services.case_action(case_id=case.pk, user=ctx.user, action=action,
                             reason=request.POST.get("reason", "")[:2000])

    return _case_view(request, number, call, _(CASE_ACTION_DONE.get(action, "已办理")))


@roles_required("staff", "admin")
@require_POST
def case_urge(request: HttpRequest, number: str) -> HttpResponse:
    return _case_view(request, number, lambda ctx, case: services.case_urge(
        case_id=case.pk, user=ctx.user, note=request.POST.get("note", "")[:200]), _("已催办"))


@roles_required("staff", "admin")
@require_POST
def case_copy(request: HttpRequest, number: str) -> HttpResponse:
    def call(ctx: selectors.StaffContext, case: Case) -> None:
        dept = request.POST.get("department_code", "")[:18]
        to_user = _colleague(request) if request.POST.get("employee_no", "").strip() else None
        if dept and not identity_selectors.organisation_by_code(dept):
            raise ValidationFailed("case.cc_target", "抄送部门不存在", "department_code")
        services.case_copy_to(case_id=case.pk, user=ctx.user, department_code=dept, to_user=to_user,
                              note=request.POST.get("note", "")[:200])

    return _case_view(request, number, call, _("已抄送"))


@roles_required("staff", "admin")
@require_GET
def material(request: HttpRequest, number: str, material_id: str) -> HttpResponseBase:
    """Download an uploaded material (certificates link to the verification page instead)."""
    ctx = _ctx(request)
    try:
        case = _visible_case(ctx, number)
    except PermissionDenied as exc:
        return render(request, "cases/workbench/refused.html", {"error": exc}, status=403)
    try:
        m = services.material_for_staff(case=case, material_id=material_id[:40])
    except NotFound:
        raise Http404 from None
    return material_download(m)


# --- supervisors -----------------------------------------------------------------------------------


@roles_required(*SUPERVISOR_ROLES)
@require_GET
def department(request: HttpRequest) -> HttpResponse:
    """科室负责人: the department's load, overdue cases and the 超期督办 list; 领导 see every department."""
    ctx = _ctx(request)
    code = ctx.department_code
    overview: list[dict[str, Any]] = []
    if ctx.is_leader:
        overview = selectors.departments_overview()
        code = request.GET.get("dept", "")[:18] or code
    org = identity_selectors.organisation_by_code(code) if code else None
    load = selectors.department_load(code) if code else None
    return render(request, "cases/workbench/department.html", {
        "ctx": ctx, "org": org, "load": load, "overview": overview, "code": code})


@roles_required(*SUPERVISOR_ROLES)
@require_POST
def escalate(request: HttpRequest) -> HttpResponse:
    count = services.escalate_overdue()
    messages.success(request, _("超期督办已运行：新提交督办 %(n)s 件") % {"n": count})
    return redirect("/cases/workbench/department/")


@roles_required("staff", "admin")
@require_http_methods(["GET", "POST"])
def definitions(request: HttpRequest, item_code: str) -> HttpResponse:
    """An item's workflow versions as readable step lists and its 秒批 rule versions; a 科室负责人 or a
    catalogue manager publishes a new version as JSON (validated by services.definition_save)."""
    import json

    ctx = _ctx(request)
    item_code = item_code[:40]
    error: DomainError | None = None
    status = 200
    draft = ""
    can_edit = has_any_role(request.user, DEFINITION_EDITORS)
    if request.method == "POST":
        draft = request.POST.get("definition", "")[:20000]
        try:
            if not can_edit:
                raise PermissionDenied("case.definition_forbidden", "只有科室负责人或事项目录管理员可以发布流程", None)
            try:
                data = json.loads(draft)
            except ValueError:
                raise ValidationFailed("case.definition_json", "流程定义不是有效的 JSON", "definition") from None
            if not isinstance(data, dict):
                raise ValidationFailed("case.definition_json", "流程定义应为 JSON 对象 {\"steps\": [...]}",
                                       "definition")
            row = services.definition_save(item_code=item_code, definition=data,
                                           note=request.POST.get("note", "")[:200])
            messages.success(request, _("已发布流程第 %(v)s 版，新提交的办件按新版本办理") % {"v": row.version})
            return redirect(f"/cases/workbench/definitions/{item_code}/")
        except DomainError as exc:
            error, status = exc, exc.status
    names = {o.code: o.short_name or o.name for o in identity_selectors.departments()}
    versions = []
    for row in selectors.definitions_of(item_code):
        try:
            steps = wf.Definition.from_data(row.definition).steps
        except wf.WorkflowError:
            steps = ()
        readable = [{"step": s, "kind": _(KIND_LABELS.get(s.kind, s.kind)), "role": _(ROLE_LABELS.get(s.role, s.role)),
                     "department": names.get(s.department, s.department) if s.department else _("承办部门"),
                     "participants": "、".join(names.get(p, p) for p in s.participants)} for s in steps]
        versions.append({"row": row, "steps": readable, "json": json.dumps(row.definition, ensure_ascii=False,
                                                                            indent=2)})
    return render(request, "cases/workbench/definitions.html", {
        "ctx": ctx, "item_code": item_code, "versions": versions, "rules": selectors.rules_of(item_code),
        "can_edit": can_edit, "error": error, "draft": draft or (versions[0]["json"] if versions else ""),
        }, status=status)
