"""`yiwang manage events`, `calendar_seed` and the holiday-table system check."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from yiwang.kernel import calendar, checks, events
from yiwang.kernel.models import CalendarYear, OutboxEvent

pytestmark = pytest.mark.django_db


def test_calendar_seed_command() -> None:
    out = StringIO()
    call_command("calendar_seed", stdout=out)
    assert "2004–2026" in out.getvalue()
    assert CalendarYear.objects.filter(year=2026).exists()
    out = StringIO()
    call_command("calendar_seed", "--replace", stdout=out)
    assert "新增或更新 0 条" in out.getvalue()


def test_events_command_once_and_loop() -> None:
    seen: list[str] = []

    def handler(event: OutboxEvent) -> None:
        seen.append(event.subject)

    event = OutboxEvent.objects.create(type="kernel.test", source="tests", subject="e1")
    OutboxEvent.objects.filter(pk=event.pk).update(occurred_at=timezone.now() - timedelta(minutes=5))
    events.subscribe("kernel.test", handler)
    try:
        out = StringIO()
        call_command("events", "--once", stdout=out)
        assert '"dispatched": 1' in out.getvalue()
        assert seen == ["e1"]
        out = StringIO()
        call_command("events", "--loop", "--interval", "0.01", "--max-passes", "3", stdout=out)
        assert seen == ["e1"]
    finally:
        events.unsubscribe("kernel.test", handler)


def test_check_warns_about_missing_years(monkeypatch: pytest.MonkeyPatch) -> None:
    messages = checks.holiday_calendar_check()
    assert len(messages) == 1
    assert messages[0].id == "kernel.W001"
    assert str(date.today().year) in messages[0].msg
    calendar.seed_holidays_from_package()
    for year in (date.today().year, date.today().year + 1):
        CalendarYear.objects.get_or_create(year=year)
    assert checks.holiday_calendar_check() == []


def test_check_is_silent_before_migrate(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_table(today: date | None = None) -> str:
        raise OperationalError("no such table: kernel_calendaryear")

    monkeypatch.setattr(calendar, "missing_years_warning", no_table)
    assert checks.holiday_calendar_check() == []


def test_check_runs_through_manage_check() -> None:
    err = StringIO()
    call_command("check", stdout=StringIO(), stderr=err)
    assert "kernel.W001" in err.getvalue()
