"""办件 figures pages: the figures dashboard, the 材料免提交 fragment (also shown on the catalogue's
figures page) and the XES download."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from yiwang.cases import figures as case_figures
from yiwang.cases import xes
from yiwang.identity import selectors as identity_selectors
from yiwang.kernel.audit import audit_append
from yiwang.kernel.errors import ValidationFailed
from yiwang.kernel.permissions import has_any_role, public, roles_required

FIGURES_ROLES = ("supervisor", "leader", "auditor", "data_officer")
XES_ROLES = ("supervisor", "leader", "auditor")
CITYWIDE_ROLES = ("leader", "auditor", "data_officer", "admin")


def scope_department(user: Any, department: str) -> str:
    """Leaders, auditors and the data bureau see the whole city; a supervisor only their department."""
    if has_any_role(user, CITYWIDE_ROLES):
        return department[:18]
    staff = identity_selectors.staff_for_user(user)
    return staff.organisation.code if staff is not None else "-"


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def parse_date(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed("cases.date_invalid", "日期格式应为 YYYY-MM-DD", field) from exc


def chart_data(f: dict[str, Any]) -> dict[str, Any]:
    steps = f["steps"][:15]
    return {
        "departments": [{"name": d["name"], "used": d["avg_days_used"], "promised": d["avg_days_promised"]}
                        for d in f["per_department"] if d["timed"]],
        "steps": [{"name": f"{s['item_title']}·{s['step_name']}", "wait": s["wait_hours"], "work": s["work_hours"]}
                  for s in steps],
        "materials": f["materials"]["by_source"],
    }


@roles_required(*FIGURES_ROLES)
@require_GET
def figures_page(request: HttpRequest) -> HttpResponse:
    days = _int(request.GET.get("days"), 30)
    item = request.GET.get("item", "").strip()[:40]
    department = scope_department(request.user, request.GET.get("department", "").strip())
    f = case_figures.case_figures(days=days, item_code=item, department_code=department)
    return render(request, "cases/figures.html", {
        "f": f, "chart": chart_data(f), "windows": case_figures.WINDOWS,
        "citywide": has_any_role(request.user, CITYWIDE_ROLES),
        "may_export": has_any_role(request.user, XES_ROLES),
        "candidates": [s for s in f["steps"] if s["always_unchanged"]]})


@public("材料免提交比例是不含个人信息的汇总统计，随事项目录统计公开展示")
@require_GET
def materials_fragment(request: HttpRequest) -> HttpResponse:
    """An htmx fragment: share of case materials satisfied without an upload (all time)."""
    m = case_figures.materials_figures()
    return render(request, "cases/figures_materials.html", {"m": m})


@roles_required(*XES_ROLES)
@require_GET
def xes_download(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The case history as an IEEE 1849-2016 XES log (streamed)."""
    try:
        f = xes.XesFilter(item_code=request.GET.get("item", "").strip()[:40],
                          department_code=scope_department(request.user, request.GET.get("department", "").strip()),
                          since=parse_date(request.GET.get("from", ""), "from"),
                          until=parse_date(request.GET.get("to", ""), "to"))
    except ValidationFailed as exc:
        return HttpResponse(exc.message, status=422, content_type="text/plain; charset=utf-8")
    return xes_response(f)


def xes_response(f: xes.XesFilter) -> StreamingHttpResponse:
    audit_append(action="cases.xes_exported", object_type="xes", object_id=f.item_code or "all",
                 detail={"department": f.department_code, "from": str(f.since or ""), "to": str(f.until or "")})
    response = StreamingHttpResponse(xes.stream(f), content_type="application/xml; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="yiwang-cases-{stamp}.xes"'
    return response
