"""好差评 pages: the applicant rates a case; the department handles 差评 (整改 and 回访); figures."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiwang.cases import selectors as case_selectors
from yiwang.feedback import selectors, services
from yiwang.feedback.models import DIMENSIONS, SCORE_LABELS, Rectification
from yiwang.identity import selectors as identity_selectors
from yiwang.kernel.errors import DomainError
from yiwang.kernel.permissions import has_any_role, login_required, roles_required

FIGURES_ROLES = ("supervisor", "leader", "data_officer", "auditor")
CITYWIDE_ROLES = ("leader", "data_officer", "auditor", "admin")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, number: str) -> HttpResponse:
    """The applicant's 好差评 form for one ended case (once per case)."""
    case = case_selectors.case_by_number(number)
    if case is None or not services.is_applicant(case, request.user):
        raise Http404(_("办件不存在"))
    existing = selectors.rating_for_case(case)
    error: DomainError | None = None
    if request.method == "POST" and existing is None:
        dims = {k: v for k in DIMENSIONS if (v := _int(request.POST.get(f"dim_{k}"))) is not None}
        try:
            services.rating_submit(case_number=number, user=request.user, score=_int(request.POST.get("score")) or 0,
                                   dimensions=dims, comment=request.POST.get("comment", ""))
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("感谢您的评价！"))
            return redirect(f"/feedback/rate/{number}/")
    ended = case.status in case_selectors.ENDED_STATUSES
    ctx = {"case": case, "rating": existing, "ended": ended, "error": error, "post": request.POST,
           "scores": [(s, SCORE_LABELS[s]) for s in range(5, 0, -1)],
           "dimensions": [(k, v) for k, v in DIMENSIONS.items()],
           "rectification": getattr(existing, "rectification", None) if existing else None}
    return render(request, "feedback/rate.html", ctx, status=422 if error else 200)


def _staff(request: HttpRequest) -> Any:
    staff = identity_selectors.staff_for_user(request.user)  # type: ignore[arg-type]
    if staff is None:
        raise Http404
    return staff


@roles_required("supervisor", "approver")
@require_GET
def rectifications(request: HttpRequest) -> HttpResponse:
    """差评整改 of my department: open ones first, then the closed."""
    staff = _staff(request)
    tab = request.GET.get("tab", "todo")
    status = "todo" if tab == "todo" else Rectification.Status.CLOSED
    rows = [selectors.rectification_view(r) for r in selectors.rectifications(
        department_code=staff.organisation.code, status=status)[:200]]
    return render(request, "feedback/rectifications.html", {"rows": rows, "tab": tab,
                                                            "department": staff.organisation.name})


@roles_required("supervisor", "approver")
@require_POST
def rectification_record(request: HttpRequest, pk: str) -> HttpResponse:
    try:
        services.rectification_record(rectification_id=pk, user=request.user,
                                      action_taken=request.POST.get("action_taken", ""))
        messages.success(request, _("整改情况已记录，请回访申请人。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(f"/feedback/rectifications/#r-{pk}")


@roles_required("supervisor", "approver")
@require_POST
def rectification_follow_up(request: HttpRequest, pk: str) -> HttpResponse:
    contacted = request.POST.get("contacted") == "1"
    satisfied_raw = request.POST.get("satisfied", "")
    satisfied = {"1": True, "0": False}.get(satisfied_raw) if contacted else None
    try:
        services.rectification_follow_up(rectification_id=pk, user=request.user, contacted=contacted,
                                         result=request.POST.get("result", ""), satisfied=satisfied)
        messages.success(request, _("回访已记录，整改任务办结。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(f"/feedback/rectifications/?tab=todo#r-{pk}")


def figures_scope(user: Any, department: str) -> str:
    """Leaders, the data bureau and auditors see the whole city; a department's supervisor sees only
    their own department whatever they ask for."""
    if has_any_role(user, CITYWIDE_ROLES):
        return department
    staff = identity_selectors.staff_for_user(user)
    return staff.organisation.code if staff is not None else "-"


@roles_required(*FIGURES_ROLES)
@require_GET
def figures(request: HttpRequest) -> HttpResponse:
    days = _int(request.GET.get("days")) or 30
    item = request.GET.get("item", "").strip()[:40]
    department = figures_scope(request.user, request.GET.get("department", "").strip()[:18])
    f = selectors.figures(days=days, item_code=item, department_code=department)
    chart = {"per_department": [{"name": d["name"], "satisfaction": d["satisfaction"], "bad_rate": d["bad_rate"],
                                 "rating_rate": d["rating_rate"]} for d in f["per_department"]],
             "distribution": [{"name": str(SCORE_LABELS[d["score"]]), "value": d["n"]} for d in f["distribution"]]}
    return render(request, "feedback/figures.html", {"f": f, "chart": chart, "windows": selectors.WINDOWS,
                                                     "citywide": has_any_role(request.user, CITYWIDE_ROLES)})
