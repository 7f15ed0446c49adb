"""Seed the holiday table from chinese-calendar."""

from __future__ import annotations


def build() -> dict[str, int]:
    from yiwang.kernel.calendar import seed_holidays_from_package

    return {"节假日记录": seed_holidays_from_package()}
