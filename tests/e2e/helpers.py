from __future__ import annotations


def login_as(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    """One-click persona login (demo mode), after logging out whoever is in."""
    page.context.clear_cookies()
    page.goto(base + "/login/")
    page.click(f"button[data-persona='{username}']")
    page.wait_for_load_state()
