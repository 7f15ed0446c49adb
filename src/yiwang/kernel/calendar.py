"""The working-day calendar over the admin-editable Holiday table (seeded from chinese-calendar).

Deadline code never crashes on a missing year: it falls back (see workdays.py), marks the deadline
provisional, and `missing_years_warning()` tells administrators which year needs its arrangement
(shown by `yiwang manage check` and on the admin's 日历年份 page).

Caching: the built calendar is kept in the process and checked against a version token in Django's
cache. Any save or delete of a Holiday or CalendarYear row (admin, shell, seed) bumps the token, so
with a shared cache every process sees the change at once; with the per-process local-memory cache
other processes see it within LOCAL_TTL_S seconds. Inside a transaction (services, tests) a cheap
fingerprint of the two tables is compared as well, so that a rolled-back change (which sends no
signal) never leaves a stale calendar behind.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from yiwang.kernel.models import CalendarYear, Holiday
from yiwang.kernel.workdays import Deadline, WorkCalendar, WorkingDayCount

_VERSION_KEY = "kernel.workcalendar.version"
LOCAL_TTL_S = 60.0

_lock = threading.Lock()
_local: dict[str, tuple[float, WorkCalendar]] = {}


def _version() -> str:
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(_VERSION_KEY) or ""
    return str(version)


def _build() -> WorkCalendar:
    rows = list(Holiday.objects.values_list("date", "kind"))
    years = list(CalendarYear.objects.values_list("year", "confirmed"))
    return WorkCalendar.from_days(
        [d for d, k in rows if k == Holiday.Kind.OFF],
        [d for d, k in rows if k == Holiday.Kind.WORKDAY],
        [y for y, _ in years],
        [y for y, confirmed in years if not confirmed],
    )


def _fingerprint() -> str:
    """Row counts and maxima of both tables in one cheap query."""
    q = connection.ops.quote_name
    h, y = q(Holiday._meta.db_table), q(CalendarYear._meta.db_table)
    sql = (
        f"SELECT COUNT(*), MAX({q('id')}), SUM(CASE WHEN {q('kind')} = %s THEN 1 ELSE 0 END), "
        f"(SELECT COUNT(*) FROM {y}), (SELECT MAX({q('year')}) FROM {y}), "
        f"(SELECT SUM(CASE WHEN {q('confirmed')} THEN 1 ELSE 0 END) FROM {y}) FROM {h}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Holiday.Kind.WORKDAY.value])
        row = cursor.fetchone()
    return ":".join(str(v) for v in row or ())


def current_calendar() -> WorkCalendar:
    """The calendar as the Holiday and CalendarYear tables say now (cached, see module doc)."""
    version = _version()
    if connection.in_atomic_block:
        version += "|" + _fingerprint()
    held = _local.get(version)
    if held is not None and time.monotonic() - held[0] < LOCAL_TTL_S:
        return held[1]
    cal = _build()
    with _lock:
        if len(_local) > 8:
            _local.clear()
        _local[version] = (time.monotonic(), cal)
    return cal


def invalidate() -> None:
    """Forget the cached calendar here and (through the shared token) in every process."""
    with _lock:
        _local.clear()
    cache.set(_VERSION_KEY, uuid.uuid4().hex, None)


def _invalidate_on_change(sender: Any, **kwargs: Any) -> None:
    invalidate()
    # A change inside a transaction that later rolls back must not leave a stale calendar either.
    transaction.on_commit(invalidate)


for _model in (Holiday, CalendarYear):
    post_save.connect(
        _invalidate_on_change, sender=_model, dispatch_uid=f"kernel.calendar.save.{_model.__name__}"
    )
    post_delete.connect(
        _invalidate_on_change, sender=_model, dispatch_uid=f"kernel.calendar.del.{_model.__name__}"
    )


def add_working_days(start: date, n: int) -> Deadline:
    """The date n working days after `start`; provisional (never an error) for unknown years.

    Raises ValueError (Chinese message) only for bad input: negative or huge n, not a date.
    """
    return current_calendar().add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    return current_calendar().working_days_between(start, end)


def count_working_days(start: date, end: date) -> WorkingDayCount:
    """Like working_days_between, with the provisional flag and the unknown years."""
    return current_calendar().count_working_days(start, end)


def is_working_day(day: date) -> bool:
    return current_calendar().is_working_day(day)


def missing_years(today: date | None = None) -> tuple[list[int], list[int]]:
    """(years missing from the table, years entered but not confirmed) among this year and next."""
    today = today or date.today()
    rows = dict(
        CalendarYear.objects.filter(year__in=[today.year, today.year + 1]).values_list("year", "confirmed")
    )
    wanted = (today.year, today.year + 1)
    return [y for y in wanted if y not in rows], [y for y in wanted if rows.get(y) is False]


def missing_years_warning(today: date | None = None) -> str:
    """A warning for administrators when this or next year's arrangement is not (yet) in the table."""
    missing, unconfirmed = missing_years(today)
    parts = []
    if missing:
        years = "、".join(str(y) for y in missing)
        parts.append(
            f"节假日表缺少 {years} 年的安排：相关期限暂按周末和固定日期的法定节假日推算并标为“暂定”。"
            "请在国务院办公厅发布放假安排后于后台“节假日与调休”中录入，并在“日历年份”中登记该年。"
        )
    if unconfirmed:
        years = "、".join(str(y) for y in unconfirmed)
        parts.append(f"{years} 年的节假日安排尚未按国务院通知确认，相关期限标为“暂定”。")
    return "".join(parts)


def _holiday_names() -> dict[str, str]:
    import chinese_calendar

    return {h.value: getattr(h, "chinese", "") or h.value for h in chinese_calendar.Holiday}


@transaction.atomic
def seed_holidays_from_package(*, replace: bool = False) -> int:
    """Load statutory days off and 调休 working days from chinese-calendar for the years it covers.

    Rows already in the table are kept (an administrator's correction wins) unless `replace` is true,
    in which case rows whose source is chinese-calendar are brought in line with the package.
    Returns the number of rows created (plus, with `replace`, updated).
    """
    import chinese_calendar

    names = _holiday_names()
    wanted: dict[date, tuple[str, str]] = {}
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() >= 5 and name is None:
            continue
        wanted[day] = (Holiday.Kind.OFF, names.get(str(name), str(name or ""))[:40])
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:  # only weekend days that are worked (调休) differ from the default
            label = names.get(str(name), str(name or ""))
            wanted[day] = (Holiday.Kind.WORKDAY, f"{label}调休"[:40])
    years = sorted({d.year for d in wanted})

    existing = {h.date: h for h in Holiday.objects.filter(date__in=list(wanted))}
    new = [
        Holiday(date=d, kind=k, name=n, source="chinese-calendar")
        for d, (k, n) in wanted.items()
        if d not in existing
    ]
    Holiday.objects.bulk_create(new, batch_size=500)
    changed = len(new)
    if replace:
        for day, row in existing.items():
            kind, name = wanted[day]
            if row.source == "chinese-calendar" and (row.kind, row.name) != (kind, name):
                row.kind, row.name = kind, name
                row.save(update_fields=["kind", "name"])
                changed += 1
    known = set(CalendarYear.objects.filter(year__in=years).values_list("year", flat=True))
    CalendarYear.objects.bulk_create(
        [
            CalendarYear(year=y, confirmed=True, note="由 chinese-calendar 导入")
            for y in years
            if y not in known
        ]
    )
    invalidate()
    transaction.on_commit(invalidate)
    return changed
