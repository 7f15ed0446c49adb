"""The working-day calendar over the admin-editable Holiday table (seeded from chinese-calendar).

Deadline code never crashes on a missing year: it falls back (see workdays.py), marks the deadline
provisional, and `missing_years_warning()` tells administrators which year needs its arrangement.
"""

from __future__ import annotations

from datetime import date

from django.core.cache import cache
from django.db import transaction

from yiwang.kernel.models import CalendarYear, Holiday
from yiwang.kernel.workdays import Deadline, WorkCalendar

_CACHE_KEY = "kernel.workcalendar.v1"


def current_calendar() -> WorkCalendar:
    cal = cache.get(_CACHE_KEY)
    if cal is None:
        rows = list(Holiday.objects.values_list("date", "kind"))
        cal = WorkCalendar.from_days(
            [d for d, k in rows if k == Holiday.Kind.OFF],
            [d for d, k in rows if k == Holiday.Kind.WORKDAY],
            CalendarYear.objects.values_list("year", flat=True),
        )
        cache.set(_CACHE_KEY, cal, 300)
    return cal


def invalidate() -> None:
    cache.delete(_CACHE_KEY)


def add_working_days(start: date, n: int) -> Deadline:
    return current_calendar().add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    return current_calendar().working_days_between(start, end)


def is_working_day(day: date) -> bool:
    return current_calendar().is_working_day(day)


def missing_years_warning(today: date | None = None) -> str:
    """A warning for administrators when next year's arrangement is not yet in the table."""
    today = today or date.today()
    known = set(CalendarYear.objects.values_list("year", flat=True))
    missing = [y for y in (today.year, today.year + 1) if y not in known]
    if not missing:
        return ""
    years = "、".join(str(y) for y in missing)
    return (f"节假日表缺少 {years} 年的安排：相关期限暂按周末和固定节日推算并标为“暂定”。"
            "请在国务院办公厅发布放假安排后于后台“节假日与调休”中录入。")


@transaction.atomic
def seed_holidays_from_package() -> int:
    """Load statutory days off and 调休 working days from chinese-calendar for the years it covers."""
    import chinese_calendar

    created = 0
    years: set[int] = set()
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() >= 5 and name is None:
            continue
        years.add(day.year)
        _, made = Holiday.objects.get_or_create(date=day, defaults={"kind": Holiday.Kind.OFF, "name": str(name or "")})
        created += made
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            years.add(day.year)
            _, made = Holiday.objects.get_or_create(date=day, defaults={"kind": Holiday.Kind.WORKDAY,
                                                                        "name": f"{name}调休"})
            created += made
    # Only years with at least one named holiday are complete arrangements.
    for year in sorted(years):
        CalendarYear.objects.get_or_create(year=year, defaults={"note": "由 chinese-calendar 导入"})
    invalidate()
    return created
