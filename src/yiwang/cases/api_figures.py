"""办件 API (figures part)."""

from __future__ import annotations

from ninja import Router

router = Router()
