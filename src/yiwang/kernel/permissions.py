"""Explicit permissions on every view and API operation.

Each view is wrapped by exactly one of `public`, `login_required`, `roles_required` or
`staff_required`; the wrapper records the rule on the function (`yiwang_permission`) so that a test
can walk every URL and fail on any view without one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect

F = TypeVar("F", bound=Callable[..., Any])

PERMISSION_ATTR = "yiwang_permission"


def _mark(func: F, rule: str) -> F:
    setattr(func, PERMISSION_ATTR, rule)
    return func


def public(reason: str) -> Callable[[F], F]:
    """Anyone may call this; `reason` says why (documented in the permission walk)."""

    def decorate(func: F) -> F:
        return _mark(func, f"public: {reason}")

    return decorate


def user_roles(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    roles = getattr(user, "role_names", None)
    return set(roles() if callable(roles) else roles or [])


def login_required(func: F) -> F:
    @wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{settings.LOGIN_URL}?next={request.get_full_path()}")
        return func(request, *args, **kwargs)

    return _mark(wrapper, "authenticated")  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Only users holding one of `roles` (e.g. "staff", "catalog_manager")."""
    wanted = set(roles)

    def decorate(func: F) -> F:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect(f"{settings.LOGIN_URL}?next={request.get_full_path()}")
            if not wanted & user_roles(request.user):
                return HttpResponseForbidden("您没有访问此页面的权限。")
            return func(request, *args, **kwargs)

        return _mark(wrapper, "roles: " + ",".join(sorted(wanted)))  # type: ignore[return-value]

    return decorate


def has_any_role(user: Any, roles: Iterable[str]) -> bool:
    return bool(set(roles) & user_roles(user))
