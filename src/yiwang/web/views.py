"""Shell pages: home, workbench entry, elderly-mode switch, health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

import yiwang
from yiwang.identity import selectors as identity_selectors
from yiwang.identity import services as identity_services
from yiwang.kernel.permissions import public, roles_required
from yiwang.web.middleware import COOKIE


@public("首页对所有人开放")
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    from yiwang.catalog import selectors as catalog_selectors

    return render(request, "web/home.html", catalog_selectors.portal_home_context())


@roles_required("staff")
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    staff = identity_selectors.staff_for_user(request.user)  # type: ignore[arg-type]
    return render(request, "web/workbench.html", {"staff": staff})


@public("切换长者模式只影响本人的显示偏好")
@require_POST
def toggle_elderly(request: HttpRequest) -> HttpResponse:
    enabled = request.POST.get("enabled", "1") == "1"
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = redirect(target)
    if request.user.is_authenticated:
        identity_services.set_elderly_mode(user=request.user, enabled=enabled)  # type: ignore[arg-type]
    response.set_cookie(COOKIE, "1" if enabled else "0", max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


@public("健康检查供运维探测，不含任何业务数据")
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        db = "ok"
    except Exception:
        db = "error"
    return JsonResponse({"status": "ok" if db == "ok" else "degraded", "database": db,
                         "version": yiwang.__version__, "vendor": connection.vendor},
                        status=200 if db == "ok" else 503)
