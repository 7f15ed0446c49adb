"""办件 API (applicant part)."""

from __future__ import annotations

from ninja import Router

router = Router()
