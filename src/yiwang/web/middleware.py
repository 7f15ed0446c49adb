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


class ChineseFirstLocaleMiddleware:
    """Simplified Chinese unless the visitor chose another language (the set_language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, which makes a government
    portal switch to English on any English-configured browser; here the choice is explicit.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
