"""System checks shown by `yiwang manage check` (and before migrate, runserver, …)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError


@register("yiwang")
def holiday_calendar_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when this or next year's holiday arrangement is missing from the Holiday table."""
    from yiwang.kernel.calendar import missing_years_warning

    try:
        warning = missing_years_warning()
    except DatabaseError:  # tables not migrated yet (or no database): nothing to say
        return []
    if not warning:
        return []
    return [
        CheckWarning(
            warning,
            hint="运行 `yiwang manage calendar_seed` 从 chinese-calendar 导入已发布的年份；"
            "尚未收录的年份请在后台“节假日与调休”和“日历年份”中手工录入。",
            id="kernel.W001",
        )
    ]
