"""Elderly mode (适老化): remembered per user (User.elderly_mode) and, before login, in a cookie."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

COOKIE = "yiwang_elderly"


class ElderlyModeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.elderly_mode = bool(getattr(user, "elderly_mode", False))  # type: ignore[attr-defined]
        else:
            request.elderly_mode = request.COOKIES.get(COOKIE) == "1"  # type: ignore[attr-defined]
        return self.get_response(request)
