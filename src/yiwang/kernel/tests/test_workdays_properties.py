"""Property tests for the pure working-day calendar, over the chinese-calendar data (2004–2026)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.kernel.workdays import MAX_WORKING_DAYS, WorkCalendar, fixed_holidays


@lru_cache(maxsize=1)
def package_calendar() -> WorkCalendar:
    """The same data seed_holidays_from_package() loads, without a database."""
    off = [d for d in chinese_calendar.holidays]
    make_up = [d for d in chinese_calendar.workdays if d.weekday() >= 5]
    return WorkCalendar.from_days(off, make_up, {d.year for d in off} | {d.year for d in make_up})


CAL = package_calendar()
KNOWN = CAL.known_years
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
recent = st.dates(min_value=date(2003, 6, 1), max_value=date(2028, 6, 30))  # around the known span
counts = st.integers(min_value=0, max_value=400)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]


def test_package_covers_2004_to_2026_only() -> None:
    assert min(KNOWN) == 2004 and max(KNOWN) == 2026
    assert 2027 not in KNOWN


@settings(max_examples=300, deadline=None)
@given(st.one_of(dates, recent), counts)
def test_add_then_count_round_trips(start: date, n: int) -> None:
    deadline = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, deadline.due) == n
    assert CAL.working_days_between(deadline.due, start) == -n
    if n > 0:
        assert CAL.is_working_day(deadline.due)
        # the due date is the first day on which n working days are reached
        assert CAL.working_days_between(start, deadline.due - timedelta(days=1)) == n - 1
    else:
        assert deadline.due == start and not deadline.provisional


@settings(max_examples=200, deadline=None)
@given(recent, st.integers(0, 399))
def test_monotonic_in_n(start: date, n: int) -> None:
    assert CAL.add_working_days(start, n).due < CAL.add_working_days(start, n + 1).due


@settings(max_examples=300, deadline=None)
@given(st.one_of(dates, recent), counts)
def test_provisional_iff_a_day_looked_at_lies_in_an_unknown_year(start: date, n: int) -> None:
    deadline = CAL.add_working_days(start, n)
    looked_at = _days(start, deadline.due)
    counted = [d for d in looked_at if CAL.is_working_day(d)]
    assert len(counted) == n
    unknown = sorted({d.year for d in looked_at if d.year not in KNOWN})
    assert deadline.provisional == bool(unknown)
    assert list(deadline.unknown_years) == unknown
    # With this data the rule is the same as "a counted day lies in an unknown year".
    assert deadline.provisional == any(d.year not in KNOWN for d in counted)


@settings(max_examples=200, deadline=None)
@given(dates, dates)
def test_count_is_antisymmetric_and_additive(a: date, b: date) -> None:
    if abs((b - a).days) > 2 * MAX_WORKING_DAYS:
        with pytest.raises(ValueError):
            CAL.working_days_between(a, b)
        return
    between = CAL.working_days_between(a, b)
    assert between == -CAL.working_days_between(b, a)
    mid = min(a, b) + (max(a, b) - min(a, b)) / 2
    lo, hi = min(a, b), max(a, b)
    assert CAL.working_days_between(lo, mid) + CAL.working_days_between(mid, hi) == abs(between)


@settings(max_examples=200, deadline=None)
@given(dates)
def test_fallback_years_are_weekends_plus_fixed_holidays(day: date) -> None:
    if day.year in KNOWN:
        assert CAL.is_working_day(day) == chinese_calendar.is_workday(day)
    else:
        fixed = (day.month, day.day) in fixed_holidays(day.year)
        assert CAL.is_working_day(day) == (day.weekday() < 5 and not fixed)


def test_known_dates() -> None:
    for d in range(1, 9):
        assert not CAL.is_working_day(date(2025, 10, d))  # 国庆+中秋 2025-10-01..08
    assert CAL.is_working_day(date(2025, 9, 28))  # Sunday, 调休上班
    assert CAL.is_working_day(date(2025, 10, 11))  # Saturday, 调休上班
    assert CAL.is_working_day(date(2025, 10, 9))


def test_fallback_fixed_holidays_follow_the_rules_in_force() -> None:
    assert (5, 2) in fixed_holidays(2027)  # 劳动节 2 days since 2025
    assert (5, 2) not in fixed_holidays(2010)
    assert (5, 3) in fixed_holidays(2005)
    assert (10, 3) not in fixed_holidays(1995)
    assert not CAL.is_working_day(date(2027, 1, 1))
    assert not CAL.is_working_day(date(2027, 10, 1))
    assert CAL.is_working_day(date(2027, 5, 3))  # a Monday; 调休 around 劳动节 is not known yet


def test_bad_input_gives_clear_errors() -> None:
    with pytest.raises(ValueError, match="负数"):
        CAL.add_working_days(date(2025, 1, 1), -1)
    with pytest.raises(ValueError, match="过大"):
        CAL.add_working_days(date(2025, 1, 1), MAX_WORKING_DAYS + 1)
    with pytest.raises(ValueError, match="整数"):
        CAL.add_working_days(date(2025, 1, 1), 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="整数"):
        CAL.add_working_days(date(2025, 1, 1), True)
    with pytest.raises(ValueError, match="日期"):
        CAL.add_working_days("2025-01-01", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="日期"):
        CAL.add_working_days(datetime(2025, 1, 1, 8), 1)
    with pytest.raises(ValueError, match="日期范围"):
        CAL.add_working_days(date(9999, 12, 1), 100)
    with pytest.raises(ValueError, match="跨度"):
        CAL.working_days_between(date(1900, 1, 1), date(2100, 1, 1))


def test_explicit_rows_win_even_in_unknown_years() -> None:
    cal = WorkCalendar.from_days([date(2027, 1, 4)], [date(2027, 1, 2)], KNOWN)
    assert not cal.is_working_day(date(2027, 1, 4))
    assert cal.is_working_day(date(2027, 1, 2))
    assert cal.add_working_days(date(2026, 12, 31), 1).due == date(2027, 1, 2)


def test_unconfirmed_years_are_used_but_provisional() -> None:
    cal = WorkCalendar.from_days([date(2027, 1, 4)], [], {2026, 2027}, provisional_years={2027})
    deadline = cal.add_working_days(date(2026, 12, 31), 1)
    assert deadline.due == date(2027, 1, 1)  # the entered rows rule: 1 Jan was not entered as off
    assert deadline.provisional and deadline.unknown_years == (2027,)
