"""好差评 API."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["好差评"])
