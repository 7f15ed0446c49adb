"""Demo catalogue: service items and 一件事 bundles (filled in by the catalogue module)."""

from __future__ import annotations


def build(seed: int) -> dict[str, int]:
    return {}
