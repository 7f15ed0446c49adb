"""HTML pages for 数据共享交换: the public catalogue, the departments' workbench (requests, approvals,
grants, credentials), the gateway console, the data bureau's figures, and 谁用了我的数据."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiwang.exchange import selectors, services
from yiwang.exchange.models import MaskRule, ShareRequest, ShareType
from yiwang.identity import selectors as identity_selectors
from yiwang.kernel.errors import DomainError
from yiwang.kernel.permissions import has_any_role, login_required, public, roles_required

DECIDER_ROLES = ("data_officer", "approver", "supervisor")
FIGURES_ROLES = ("data_officer", "leader", "supervisor", "admin")


def _staff(request: HttpRequest) -> Any:
    staff = identity_selectors.staff_for_user(request.user)  # type: ignore[arg-type]
    if staff is None:
        raise Http404
    return staff


def _is_bureau(request: HttpRequest) -> bool:
    return has_any_role(request.user, ["data_officer"])


@public("政务信息资源目录（元数据）对外公开")
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    share_type = request.GET.get("share_type", "")
    q = request.GET.get("q", "").strip()[:50]
    page = Paginator(selectors.resources(q=q, share_type=share_type), 30).get_page(request.GET.get("page"))
    return render(request, "exchange/catalogue.html", {
        "page": page, "q": q, "share_type": share_type, "share_types": ShareType.choices,
    })


@public("政务信息资源目录（元数据）对外公开；申请表单只对工作人员显示")
@require_GET
def resource_detail(request: HttpRequest, code: str) -> HttpResponse:
    resource = selectors.resource_by_code(code[:40])
    if resource is None:
        raise Http404
    staff = identity_selectors.staff_for_user(request.user) if request.user.is_authenticated else None  # type: ignore[arg-type]
    can_request = staff is not None and staff.organisation.code != resource.provider_code
    today = timezone.localdate()
    return render(request, "exchange/resource.html", {
        "resource": resource, "items": list(resource.items.all()), "versions": list(resource.versions.all()[:10]),
        "staff": staff, "can_request": can_request, "today": today.isoformat(),
        "default_until": (today + timedelta(days=365)).isoformat(),
    })


def _parse_date(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError("exchange.invalid_date", "日期格式不正确", field) from None


@roles_required("staff")
@require_POST
def request_submit(request: HttpRequest, code: str) -> HttpResponse:
    staff = _staff(request)
    resource = selectors.resource_by_code(code[:40])
    if resource is None:
        raise Http404
    try:
        req = services.request_submit(
            resource=resource, consumer_code=staff.organisation.code, consumer_name=staff.organisation.name,
            items=request.POST.getlist("items"), purpose=request.POST.get("purpose", ""),
            legal_basis=request.POST.get("legal_basis", ""),
            valid_from=_parse_date(request.POST.get("valid_from") or timezone.localdate().isoformat(), "valid_from"),
            valid_until=_parse_date(request.POST.get("valid_until", ""), "valid_until"),
            requested_by=str(staff.user))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("exchange:resource", code=resource.code)
    if req.status == ShareRequest.Status.APPROVED:
        messages.success(request, f"申请 {req.number} 已自动批准（无条件共享），可在网关控制台调用。")
    elif req.status == ShareRequest.Status.REFUSED:
        messages.error(request, f"申请 {req.number} 不予共享：{req.reason}")
    else:
        messages.success(request, f"申请 {req.number} 已提交，提供部门应于 {req.due_on:%Y-%m-%d} 前答复。")
    return redirect(f"/exchange/workbench/?tab=mine#req-{req.number}")


@roles_required("staff")
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    org = staff.organisation.code
    tab = request.GET.get("tab", "todo")
    decider = has_any_role(request.user, DECIDER_ROLES)
    todo = selectors.requests_to_answer(org_code=org, is_bureau=_is_bureau(request)) if decider else []
    return render(request, "exchange/workbench.html", {
        "staff": staff, "tab": tab, "decider": decider, "is_bureau": _is_bureau(request), "todo": todo,
        "mine": list(selectors.requests_made(org)[:100]), "held": selectors.grants_held(org),
        "given": list(selectors.grants_given(org)[:100]),
        "objections": _objections_for(request, staff, decider),
        "mask_rules": MaskRule.choices, "today": timezone.localdate(),
    })


def _objections_for(request: HttpRequest, staff: Any, decider: bool) -> list[Any]:
    """数据局 sees every pending objection (escalated first); another department's deciders, the ones
    about their own department's calls, which they answer first."""
    if _is_bureau(request):
        return list(selectors.objections_open()[:100])
    if decider:
        return list(selectors.objections_open(consumer_code=staff.organisation.code)[:100])
    return []


@roles_required(*DECIDER_ROLES)
@require_POST
def request_decide(request: HttpRequest, number: str) -> HttpResponse:
    staff = _staff(request)
    req = selectors.request_by_number(number[:24])
    if req is None:
        raise Http404
    masking = {k.removeprefix("mask_"): str(v) for k, v in request.POST.items() if k.startswith("mask_") and v}
    try:
        req = services.request_decide(
            request=req, approve=request.POST.get("decision") == "approve", comment=request.POST.get("comment", ""),
            masking=masking or None, org_code=staff.organisation.code, is_bureau=_is_bureau(request),
            by_label=str(staff.user))
        messages.success(request, f"申请 {req.number}：{req.get_status_display()}")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("/exchange/workbench/?tab=todo")


@roles_required("staff")
@require_POST
def grant_credentials(request: HttpRequest, grant_id: str) -> HttpResponse:
    staff = _staff(request)
    grant = selectors.grant_by_id(grant_id)
    if grant is None or grant.consumer_code != staff.organisation.code:
        raise Http404
    client_id, secret = services.grant_issue_credentials(grant=grant)
    return render(request, "exchange/credentials.html", {"grant": grant, "client_id": client_id, "secret": secret})


@roles_required(*DECIDER_ROLES)
@require_POST
def grant_revoke(request: HttpRequest, grant_id: str) -> HttpResponse:
    staff = _staff(request)
    grant = selectors.grant_by_id(grant_id)
    if grant is None or not (grant.resource.provider_code == staff.organisation.code or _is_bureau(request)):
        raise Http404
    try:
        services.grant_revoke(grant=grant, reason=request.POST.get("reason", ""))
        messages.success(request, "授权已撤销，调用方将立即无法访问。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("/exchange/workbench/?tab=given")


@roles_required("staff")
@require_http_methods(["GET", "POST"])
def console(request: HttpRequest) -> HttpResponse:
    """The gateway console: a consumer's staff member looks someone up under a grant, with a purpose."""
    staff = _staff(request)
    grants = selectors.grants_held(staff.organisation.code)
    result, error, form = None, None, {"resource": request.GET.get("resource", ""), "key": "", "purpose": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in ("resource", "key", "purpose")}
        try:
            result = services.gateway_call(
                resource_code=form["resource"], key=form["key"], purpose=form["purpose"],
                consumer_code=staff.organisation.code, consumer_name=staff.organisation.name)
        except DomainError as exc:
            error = exc
    names: dict[str, str] = {}
    for g in grants:
        names.update({i.code: i.name for i in g.resource.items.all()})
    return render(request, "exchange/console.html", {
        "staff": staff, "grants": grants, "result": result, "error": error, "form": form, "item_names": names,
        "result_rows": [(k, names.get(k, k), v) for k, v in (result.data.items() if result else [])],
        "recent": selectors.recent_calls(staff.organisation.code),
    })


@roles_required(*FIGURES_ROLES)
@require_GET
def figures(request: HttpRequest) -> HttpResponse:
    return render(request, "exchange/figures.html", {"f": selectors.figures()})


def _my_subjects(request: HttpRequest) -> list[tuple[str, str]]:
    person = identity_selectors.person_for_user(request.user)  # type: ignore[arg-type]
    if person is None:
        return []
    return [(person.subject_ref, "本人")] + [
        (e.subject_ref, e.name) for e in identity_selectors.enterprises_for_person(person)]


@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """谁用了我的数据."""
    sections = [{"ref": ref, "label": label, "accesses": selectors.accesses_for_subject(ref)}
                for ref, label in _my_subjects(request)]
    return render(request, "exchange/my_data.html", {"sections": sections})


@login_required
@require_POST
def objection(request: HttpRequest, access_id: int) -> HttpResponse:
    access = selectors.access_by_id(access_id)
    refs = {ref for ref, _ in _my_subjects(request)}
    if access is None or access.subject_ref not in refs:
        raise Http404
    try:
        obj = services.objection_raise(subject_ref=access.subject_ref, access=access,
                                       reason=request.POST.get("reason", ""))
        messages.success(request, _("异议已提交。%(consumer)s应于 %(due)s 前答复；逾期未答复的，自动提交数据局督办。")
                         % {"consumer": access.consumer_name, "due": f"{obj.due_on:%Y-%m-%d}" if obj.due_on else ""})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(f"/exchange/my-data/#access-{access.pk}")


@roles_required(*DECIDER_ROLES)
@require_POST
def objection_answer(request: HttpRequest, objection_id: str) -> HttpResponse:
    staff = _staff(request)
    obj = selectors.objection_by_id(objection_id[:40])
    if obj is None or not services.objection_may_answer(obj, org_code=staff.organisation.code,
                                                        is_bureau=_is_bureau(request)):
        raise Http404
    try:
        services.objection_answer(objection=obj, response=request.POST.get("response", ""),
                                  answered_by=services.BUREAU_SHORT_NAME if _is_bureau(request)
                                  else staff.organisation.name)
        messages.success(request, "已答复。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("/exchange/workbench/?tab=objections")
