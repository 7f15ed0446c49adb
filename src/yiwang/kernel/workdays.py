"""Pure working-day arithmetic (no Django): given the set of days off and the set of 调休 working
weekend days for the years it knows, add N working days and count working days between dates.

For a year it does not know, it falls back to weekends plus the fixed-date statutory holidays
(元旦 1 Jan, 劳动节 1 May, 国庆 1–3 Oct) and reports the result as provisional: the lunar holidays and
the 调休 swaps are only known once the State Council publishes the next year's arrangement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

FIXED_HOLIDAYS = ((1, 1), (5, 1), (10, 1), (10, 2), (10, 3))
MAX_SPAN_DAYS = 366 * 10


@dataclass(frozen=True)
class Deadline:
    """A due date; provisional when any day counted lies in a year the calendar does not know."""

    due: date
    provisional: bool
    unknown_years: tuple[int, ...] = ()


@dataclass
class WorkCalendar:
    days_off: frozenset[date] = frozenset()
    make_up_days: frozenset[date] = frozenset()
    known_years: frozenset[int] = frozenset()
    _cache: dict[date, bool] = field(default_factory=dict, repr=False)

    @classmethod
    def from_days(cls, days_off: Iterable[date], make_up_days: Iterable[date], known_years: Iterable[int]) -> WorkCalendar:
        return cls(frozenset(days_off), frozenset(make_up_days), frozenset(known_years))

    def is_known(self, day: date) -> bool:
        return day.year in self.known_years

    def is_working_day(self, day: date) -> bool:
        if day.year in self.known_years:
            if day in self.make_up_days:
                return True
            if day in self.days_off:
                return False
            return day.weekday() < 5
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The date n working days after `start` (start itself not counted); n=0 gives start."""
        if n < 0:
            raise ValueError("工作日数不能为负数")
        if n > MAX_SPAN_DAYS:
            raise ValueError("工作日数过大")
        day, left, unknown = start, n, set()
        while left > 0:
            day += timedelta(days=1)
            if not self.is_known(day):
                unknown.add(day.year)
            if self.is_working_day(day):
                left -= 1
        return Deadline(due=day, provisional=bool(unknown), unknown_years=tuple(sorted(unknown)))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        if (end - start).days > MAX_SPAN_DAYS * 2:
            raise ValueError("日期跨度过大")
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count
