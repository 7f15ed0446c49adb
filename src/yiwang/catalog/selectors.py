"""Reads for the catalogue."""

from __future__ import annotations

from typing import Any


def portal_home_context() -> dict[str, Any]:
    return {}
