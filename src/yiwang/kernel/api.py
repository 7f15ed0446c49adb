"""Kernel API: the public working-day calendar (法定节假日与调休), read only."""

from __future__ import annotations

import re
from datetime import date

from django.http import HttpRequest
from ninja import Query, Router

from yiwang.kernel import calendar
from yiwang.kernel.errors import ValidationFailed
from yiwang.kernel.permissions import public
from yiwang.kernel.schemas import DeadlineOut, WorkingDaysOut
from yiwang.kernel.workdays import MAX_WORKING_DAYS

router = Router(tags=["kernel"])

MIN_YEAR, MAX_YEAR = 1900, 2199
_DATE_SCHEMA: dict[str, str] = {"format": "date", "example": "2026-12-15"}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_date(value: str, field: str) -> date:
    text = value.strip()
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            "calendar.bad_date", "日期格式应为 YYYY-MM-DD，且必须是存在的日期", field
        ) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValidationFailed(
            "calendar.date_out_of_range", f"日期应在 {MIN_YEAR} 至 {MAX_YEAR} 年之间", field
        )
    return day


@router.get("/calendar/add-working-days", response=DeadlineOut, auth=None)
@public("按法定节假日和调休推算期限，日历是公开信息")
def add_working_days(
    request: HttpRequest,
    start: str = Query(..., description="起始日期 YYYY-MM-DD（不计入）", **_DATE_SCHEMA),
    days: int = Query(..., description=f"工作日数，0 至 {MAX_WORKING_DAYS}"),
) -> DeadlineOut:
    """The date `days` working days after `start`; `provisional` when a year's arrangement is not yet known."""
    day = _parse_date(start, "start")
    if days < 0:
        raise ValidationFailed("calendar.bad_days", "工作日数不能为负数", "days")
    if days > MAX_WORKING_DAYS:
        raise ValidationFailed("calendar.bad_days", f"工作日数过大（最多 {MAX_WORKING_DAYS} 个）", "days")
    try:
        deadline = calendar.add_working_days(day, days)
    except ValueError as exc:
        raise ValidationFailed("calendar.bad_days", str(exc), "days") from None
    return DeadlineOut(
        start=day,
        days=days,
        due=deadline.due,
        provisional=deadline.provisional,
        unknown_years=list(deadline.unknown_years),
    )


@router.get("/calendar/working-days", response=WorkingDaysOut, auth=None)
@public("统计两个日期之间的工作日数，日历是公开信息")
def working_days(
    request: HttpRequest,
    start: str = Query(..., description="起始日期 YYYY-MM-DD（不计入）", **_DATE_SCHEMA),
    end: str = Query(..., description="截止日期 YYYY-MM-DD（计入）", **_DATE_SCHEMA),
) -> WorkingDaysOut:
    """Working days in (start, end]; negative when end is before start."""
    first, last = _parse_date(start, "start"), _parse_date(end, "end")
    try:
        count = calendar.count_working_days(first, last)
    except ValueError as exc:
        raise ValidationFailed("calendar.span_too_long", str(exc), "end") from None
    return WorkingDaysOut(
        start=first,
        end=last,
        working_days=count.working_days,
        provisional=count.provisional,
        unknown_years=list(count.unknown_years),
    )
