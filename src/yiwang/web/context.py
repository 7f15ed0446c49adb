"""Template context for the shell: navigation by role, elderly mode, demo flag."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles: set[str] = set()
    if user is not None and user.is_authenticated:
        roles = set(user.role_names())
    return {
        "elderly_mode": getattr(request, "elderly_mode", False),
        "demo_mode": settings.DEMO_MODE,
        "user_roles": roles,
        "is_staff_user": "staff" in roles,
        "is_catalog_manager": bool({"catalog_manager", "admin"} & roles),
        "acting_for": request.session.get("acting_for", "") if hasattr(request, "session") else "",
    }
