"""办件 API (figures part): the case figures, the 材料免提交 share and the XES export."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router

from yiwang.cases import figures as case_figures
from yiwang.cases import xes
from yiwang.cases.views_figures import (
    CITYWIDE_ROLES,
    FIGURES_ROLES,
    XES_ROLES,
    parse_date,
    scope_department,
    xes_response,
)
from yiwang.identity.auth import session_or_bearer
from yiwang.kernel.errors import PermissionDenied, Unauthenticated
from yiwang.kernel.permissions import has_any_role

router = Router()


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


def _require(request: HttpRequest, roles: tuple[str, ...]) -> Any:
    user = _user(request)
    if not has_any_role(user, roles):
        raise PermissionDenied("cases.figures_forbidden", "您没有查看办件统计的权限", None)
    return user


@router.get("", response=dict, auth=session_or_bearer())
def figures(request: HttpRequest, days: int = 30, item: str = "", department: str = "") -> dict[str, Any]:
    """Case figures over the last 7/30/90 days (supervisors: their own department only)."""
    user = _require(request, FIGURES_ROLES)
    return case_figures.case_figures(days=days, item_code=item[:40], department_code=scope_department(user, department))


@router.get("/materials", response=dict, auth=session_or_bearer())
def materials(request: HttpRequest, days: int | None = None) -> dict[str, Any]:
    """材料免提交: share of case materials satisfied by an e-certificate or shared data."""
    _require(request, (*FIGURES_ROLES, *CITYWIDE_ROLES))
    return case_figures.materials_figures(days=days)


@router.get("/xes", auth=session_or_bearer())
def xes_export(request: HttpRequest, item: str = "", department: str = "", from_: str = Query("", alias="from"),
               to: str = "") -> StreamingHttpResponse:
    """The case history as an IEEE 1849-2016 XES event log (streamed XML download). Query: item,
    department, from, to (YYYY-MM-DD, by submission date)."""
    user = _require(request, XES_ROLES)
    since = parse_date(from_, "from")
    f = xes.XesFilter(item_code=item[:40], department_code=scope_department(user, department), since=since,
                      until=parse_date(to, "to"))
    return xes_response(f)
