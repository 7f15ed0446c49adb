"""Helpers for page tests in either language: a client with the language cookie, a page that must
answer 200, and a check of the texts a page must and must not show."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

ZH, EN = settings.LANGUAGE_CODE, "en"


def client_in(language: str, user: Any = None) -> Client:
    """A client that chose `language` (no cookie for the default), logged in as `user` if given."""
    c = Client()
    if user is not None:
        c.force_login(user)
    if language != ZH:
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return c


def page(c: Client, url: str, **headers: str) -> str:
    response = c.get(url, **headers)
    assert response.status_code == 200, url
    return response.content.decode()


def check(html: str, *, present: list[str], absent: list[str], where: str) -> None:
    for text in present:
        assert text in html, f"{where}: missing {text!r}"
    for text in absent:
        assert text not in html, f"{where}: unexpected {text!r}"
