"""Pages load without browser errors: no resource answers 4xx/5xx, no console error (a Content
Security Policy violation shows up as one), no uncaught script error."""

from __future__ import annotations

import pytest

from .helpers import login_as

pytestmark = pytest.mark.e2e

PAGES = {
    "": ["/", "/login/", "/catalog/"],
    "13800000001": ["/cases/mine/", "/certificates/wallet/"],
    "liuyang": ["/cases/workbench/", "/cases/workbench/?tab=overdue", "/feedback/rectifications/"],
    "zhengjuzhang": ["/cases/figures/", "/feedback/figures/"],
}


def test_pages_load_without_console_errors(demo_server, page):  # type: ignore[no-untyped-def]
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text[:160]}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    for persona, paths in PAGES.items():
        if persona:
            login_as(page, demo_server, persona)
        for path in paths:
            problems.clear()
            page.goto(demo_server + path)
            page.wait_for_load_state("networkidle")
            assert problems == [], f"{persona or 'anonymous'} {path}: {problems}"
