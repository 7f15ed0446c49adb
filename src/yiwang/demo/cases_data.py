"""Demo cases: workflow definitions, 秒批 rules and the case history of 示范市 (filled in by the cases work)."""

from __future__ import annotations


def build(seed: int) -> dict[str, int]:
    return {}
