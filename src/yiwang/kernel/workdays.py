"""Pure working-day arithmetic (no Django): given the set of days off and the set of 调休 working
weekend days for the years it knows, add N working days and count working days between dates.

For a year it does not know, it falls back to weekends plus the fixed-date statutory holidays of
《全国年节及纪念日放假办法》 in force that year (since 2025: 元旦 1 Jan, 劳动节 1–2 May, 国庆 1–3 Oct)
and reports the result as provisional: the lunar holidays (春节, 清明, 端午, 中秋) and the 调休 swaps
are only known once the State Council publishes the next year's arrangement (usually in autumn).
Explicit rows (a day off or a 调休 working day) are honoured in every year, known or not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# The fixed-date statutory holidays of the current rules (国务院令第798号, in force 2025-01-01).
FIXED_HOLIDAYS = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))
# Earlier versions of the rules, for the fallback in years before the table starts.
_FIXED_1949 = frozenset({(1, 1), (5, 1), (10, 1), (10, 2)})
_FIXED_1999 = frozenset({(1, 1), (5, 1), (5, 2), (5, 3), (10, 1), (10, 2), (10, 3)})  # 1999-09-18
_FIXED_2008 = frozenset({(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)})  # 2008-01-01: 五一 shortened
_FIXED_2025 = frozenset(FIXED_HOLIDAYS)

# Largest n for add_working_days (about 14 calendar years); spans are capped at twice that.
MAX_WORKING_DAYS = 366 * 10
MAX_SPAN_DAYS = MAX_WORKING_DAYS  # kept for callers of the earlier name


def fixed_holidays(year: int) -> frozenset[tuple[int, int]]:
    """(month, day) pairs that are statutory days off every year under the rules in force in `year`."""
    if year >= 2025:
        return _FIXED_2025
    if year >= 2008:
        return _FIXED_2008
    if year >= 2000:
        return _FIXED_1999
    return _FIXED_1949


@dataclass(frozen=True)
class Deadline:
    """A due date; provisional when any day counted lies in a year the calendar does not know
    (or knows only provisionally); `unknown_years` names those years."""

    due: date
    provisional: bool
    unknown_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class WorkingDayCount:
    """The number of working days in (start, end], with the same provisional rule as Deadline."""

    working_days: int
    provisional: bool
    unknown_years: tuple[int, ...] = ()


def _check_date(value: object, name: str) -> date:
    # datetime is a subclass of date; a datetime here is almost always a time-zone bug upstream.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(f"{name}应为日期（YYYY-MM-DD）")
    return value


def _check_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}应为整数")
    return value


@dataclass(frozen=True)
class WorkCalendar:
    days_off: frozenset[date] = frozenset()
    make_up_days: frozenset[date] = frozenset()
    known_years: frozenset[int] = frozenset()
    # Years entered but not yet confirmed against the State Council notice: used, but provisional.
    provisional_years: frozenset[int] = frozenset()

    @classmethod
    def from_days(
        cls,
        days_off: Iterable[date],
        make_up_days: Iterable[date],
        known_years: Iterable[int],
        provisional_years: Iterable[int] = (),
    ) -> WorkCalendar:
        return cls(
            frozenset(days_off), frozenset(make_up_days), frozenset(known_years), frozenset(provisional_years)
        )

    def is_known(self, day: date) -> bool:
        """True when `day`'s year has a confirmed arrangement (no fallback, nothing provisional)."""
        return day.year in self.known_years and day.year not in self.provisional_years

    def is_working_day(self, day: date) -> bool:
        return self._works(_check_date(day, "日期"))

    def _works(self, day: date) -> bool:
        if day in self.make_up_days:
            return True
        if day in self.days_off:
            return False
        if day.weekday() >= 5:
            return False
        if day.year in self.known_years:
            return True
        return (day.month, day.day) not in fixed_holidays(day.year)

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The date n working days after `start` (start itself not counted); n=0 gives start.

        Provisional when a day looked at lies in a year without a confirmed arrangement.
        """
        _check_date(start, "起始日期")
        _check_int(n, "工作日数")
        if n < 0:
            raise ValueError("工作日数不能为负数")
        if n > MAX_WORKING_DAYS:
            raise ValueError(f"工作日数过大（最多 {MAX_WORKING_DAYS} 个）")
        day, left, unknown = start, n, set()
        try:
            while left > 0:
                day += timedelta(days=1)
                if not self.is_known(day):
                    unknown.add(day.year)
                if self._works(day):
                    left -= 1
        except OverflowError:
            raise ValueError("期限超出可计算的日期范围") from None
        return Deadline(due=day, provisional=bool(unknown), unknown_years=tuple(sorted(unknown)))

    def count_working_days(self, start: date, end: date) -> WorkingDayCount:
        """Working days in (start, end] (negative when end is before start), with provisional flag."""
        _check_date(start, "起始日期")
        _check_date(end, "截止日期")
        sign = 1
        if end < start:
            start, end, sign = end, start, -1
        if (end - start).days > MAX_WORKING_DAYS * 2:
            raise ValueError("日期跨度过大")
        count, day, unknown = 0, start, set()
        while day < end:
            day += timedelta(days=1)
            if not self.is_known(day):
                unknown.add(day.year)
            if self._works(day):
                count += 1
        return WorkingDayCount(sign * count, bool(unknown), tuple(sorted(unknown)))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start.

        add_working_days(d, n).due == e  implies  working_days_between(d, e) == n.
        """
        return self.count_working_days(start, end).working_days
