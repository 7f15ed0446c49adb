"""Demo data for the certificates module (filled in by the module's owner)."""

from __future__ import annotations


def build(seed: int) -> dict[str, int]:
    return {}
