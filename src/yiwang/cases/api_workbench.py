"""办件 API (workbench part)."""

from __future__ import annotations

from ninja import Router

router = Router()
