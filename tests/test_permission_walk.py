"""Every URL the platform serves has an explicit permission.

Walks the whole URL configuration: each Django view must carry the mark left by one of the
kernel.permissions decorators (public / login_required / roles_required), and each Ninja API
operation must either require authentication or be marked public with a reason. Third-party views
are allowed only from the modules listed below, each with the rule that protects it.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from yiwang.api import api
from yiwang.kernel.permissions import PERMISSION_ATTR

# Third-party modules whose views carry their own protection.
TRUSTED_MODULES = {
    "django.contrib.admin": "admin_view: staff login and model permissions",
    "django.contrib.auth": "admin password change views, behind admin_view",
    "oauth2_provider": "OAuth2/OIDC protocol endpoints: client authentication, login or token per RFC 6749/OIDC",
    "django.views.i18n": "set_language only changes the caller's own language cookie",
    "django.views.static": "static files",
    "django.contrib.staticfiles": "static files",
    "ninja.openapi.views": "the OpenAPI document and its viewer describe the API; they hold no data",
}
# Whole URL prefixes whose resolver enforces its own rule.
TRUSTED_PREFIXES = {
    "admin/": "AdminSite wraps its views in admin_view (staff only); its RedirectViews only redirect into it",
}


def _walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            out += _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            out.append((prefix + str(p.pattern), p.callback))
    return out


def _is_ninja(callback: Any) -> bool:
    owner = getattr(callback, "__self__", None)
    return type(owner).__module__.startswith("ninja") or getattr(callback, "__module__", "").startswith("ninja")


def test_every_django_view_has_an_explicit_permission():
    missing = []
    for route, callback in _walk(get_resolver().url_patterns):
        if _is_ninja(callback):
            continue  # checked operation by operation below
        if any(route.startswith(p) for p in TRUSTED_PREFIXES):
            continue
        func = getattr(callback, "view_class", None) or getattr(callback, "func", None) or callback
        module = getattr(func, "__module__", "") or ""
        if getattr(callback, PERMISSION_ATTR, None) or getattr(func, PERMISSION_ATTR, None):
            continue
        if any(module == m or module.startswith(m + ".") for m in TRUSTED_MODULES):
            continue
        missing.append(f"{route} -> {module}.{getattr(func, '__name__', func)}")
    assert not missing, "views without an explicit permission:\n" + "\n".join(missing)


def test_every_api_operation_requires_auth_or_is_marked_public():
    missing = []
    count = 0
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                count += 1
                rule = getattr(op.view_func, PERMISSION_ATTR, "")
                if op.auth_callbacks:
                    continue
                if rule.startswith("public: ") and len(rule) > len("public: ") + 3:
                    continue
                missing.append(f"{','.join(op.methods)} /api/v1{prefix}{path} ({op.view_func.__name__})")
    assert count > 0
    assert not missing, "API operations without auth or a public reason:\n" + "\n".join(missing)


def test_the_walk_catches_an_unmarked_view(settings):
    """The walk itself must be able to fail: an unmarked view is reported."""
    from django.http import HttpResponse
    from django.urls import path

    def naked(request):  # pragma: no cover - never called
        return HttpResponse("x")

    routes = _walk([path("naked/", naked)])
    assert routes and not getattr(routes[0][1], PERMISSION_ATTR, None)
