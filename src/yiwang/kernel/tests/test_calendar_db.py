"""The DB-backed calendar: seeded from chinese-calendar, edited like the admin does, cached."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.admin.sites import AdminSite
from django.test import RequestFactory

from yiwang.kernel import calendar
from yiwang.kernel.admin import HolidayAdmin
from yiwang.kernel.models import CalendarYear, Holiday


def test_seed_loads_2004_to_2026_and_is_idempotent(seeded: int) -> None:
    assert seeded > 700
    assert set(CalendarYear.objects.values_list("year", flat=True)) == set(range(2004, 2027))
    assert calendar.seed_holidays_from_package() == 0
    national_day = Holiday.objects.get(date=date(2025, 10, 1))
    assert national_day.kind == Holiday.Kind.OFF and national_day.name == "国庆节"
    assert Holiday.objects.get(date=date(2025, 9, 28)).name == "国庆节调休"


def test_known_2025_dates(seeded: int) -> None:
    for d in range(1, 9):
        assert not calendar.is_working_day(date(2025, 10, d)), d
    assert calendar.is_working_day(date(2025, 9, 28))  # Sunday, 调休上班
    assert calendar.is_working_day(date(2025, 10, 11))  # Saturday, 调休上班
    assert calendar.is_working_day(date(2025, 10, 9))
    # 9-30 (Tue) → 10-09 (Thu) is one working day: 10-01..08 are all off.
    assert calendar.add_working_days(date(2025, 9, 30), 1).due == date(2025, 10, 9)
    # (09-26, 10-12]: 09-28 (调休), 09-29, 09-30, 10-09, 10-10, 10-11 (调休)
    assert calendar.working_days_between(date(2025, 9, 26), date(2025, 10, 12)) == 6


def test_spring_festival_2026(seeded: int) -> None:
    for offset in range(9):  # 2026-02-15 .. 02-23 off
        assert not calendar.is_working_day(date(2026, 2, 15) + timedelta(days=offset))
    assert calendar.is_working_day(date(2026, 2, 14))  # Saturday, 调休上班
    assert calendar.is_working_day(date(2026, 2, 28))  # Saturday, 调休上班
    assert calendar.is_working_day(date(2026, 2, 24))
    deadline = calendar.add_working_days(date(2026, 2, 13), 2)
    assert deadline.due == date(2026, 2, 24) and not deadline.provisional


def test_deadline_into_2027_is_provisional_and_falls_back(seeded: int) -> None:
    deadline = calendar.add_working_days(date(2026, 12, 15), 20)
    # 12 working days left in 2026 (16–18, 21–25, 28–31); 2027-01-01 (Fri) off by the fixed rule;
    # 4–8 and 11–13 January make the other 8.
    assert deadline.due == date(2027, 1, 13)
    assert deadline.provisional
    assert deadline.unknown_years == (2027,)
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.add_working_days(date(2026, 11, 2), 20).provisional is False
    assert "2027" in calendar.missing_years_warning(today=date(2026, 12, 15))
    assert "2026" not in calendar.missing_years_warning(today=date(2026, 12, 15))
    assert calendar.missing_years_warning(today=date(2025, 6, 1)) == ""


def test_missing_year_never_crashes(db: None) -> None:
    # Nothing seeded at all: everything falls back, nothing raises.
    deadline = calendar.add_working_days(date(2026, 12, 15), 20)
    assert deadline.provisional and deadline.unknown_years == (2026, 2027)
    assert calendar.count_working_days(date(2030, 1, 1), date(2030, 12, 31)).provisional
    warning = calendar.missing_years_warning(today=date(2026, 12, 15))
    assert "2026" in warning and "2027" in warning


def test_admin_edit_changes_result(seeded: int) -> None:
    start = date(2026, 12, 15)
    assert calendar.add_working_days(start, 20).due == date(2027, 1, 13)
    # The State Council publishes 2027: an administrator enters a day off and registers the year.
    Holiday.objects.create(date=date(2027, 1, 4), kind=Holiday.Kind.OFF, name="元旦", source="国办发明电")
    Holiday.objects.create(date=date(2027, 1, 1), kind=Holiday.Kind.OFF, name="元旦", source="国办发明电")
    CalendarYear.objects.create(year=2027, note="国务院办公厅通知")
    deadline = calendar.add_working_days(start, 20)
    assert deadline.due == date(2027, 1, 14)
    assert not deadline.provisional and deadline.unknown_years == ()
    assert calendar.missing_years_warning(today=date(2026, 12, 15)) == ""
    # A 调休 working Saturday moves it back; deleting the row undoes that.
    saturday = Holiday.objects.create(date=date(2027, 1, 9), kind=Holiday.Kind.WORKDAY, name="元旦调休")
    assert calendar.add_working_days(start, 20).due == date(2027, 1, 13)
    saturday.delete()
    assert calendar.add_working_days(start, 20).due == date(2027, 1, 14)
    # Marking the year unconfirmed keeps its rows but makes deadlines provisional again.
    CalendarYear.objects.filter(year=2027).update(confirmed=False)  # bulk update: no signal …
    deadline = calendar.add_working_days(start, 20)  # … the in-transaction fingerprint still sees it
    assert deadline.due == date(2027, 1, 14) and deadline.provisional
    assert "尚未按国务院通知确认" in calendar.missing_years_warning(today=date(2026, 12, 15))


def test_admin_save_and_delete_invalidate(seeded: int, admin_user: object) -> None:
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    model_admin = HolidayAdmin(Holiday, AdminSite())
    assert calendar.is_working_day(date(2026, 12, 16))
    row = Holiday(date=date(2026, 12, 16), kind=Holiday.Kind.OFF, name="临时调整", source="admin")
    model_admin.save_model(request, row, form=None, change=False)
    assert not calendar.is_working_day(date(2026, 12, 16))
    model_admin.delete_queryset(request, Holiday.objects.filter(pk=row.pk))
    assert calendar.is_working_day(date(2026, 12, 16))


def test_cache_is_reused_between_calls(seeded: int, django_assert_max_num_queries: Any) -> None:
    calendar.add_working_days(date(2025, 1, 2), 5)
    # Inside a transaction each call costs one small fingerprint query and no rebuild.
    with django_assert_max_num_queries(20) as captured:
        for n in range(20):
            calendar.add_working_days(date(2025, 1, 2), n)
    assert not any('"date"' in q["sql"] for q in captured.captured_queries)


def test_replace_reseed_restores_package_rows_but_keeps_manual_ones(seeded: int) -> None:
    Holiday.objects.filter(date=date(2025, 10, 8)).update(kind=Holiday.Kind.WORKDAY)
    Holiday.objects.create(date=date(2025, 12, 31), kind=Holiday.Kind.OFF, name="本地调整", source="admin")
    assert calendar.seed_holidays_from_package() == 0
    assert Holiday.objects.get(date=date(2025, 10, 8)).kind == Holiday.Kind.WORKDAY
    assert calendar.seed_holidays_from_package(replace=True) == 1
    assert Holiday.objects.get(date=date(2025, 10, 8)).kind == Holiday.Kind.OFF
    assert Holiday.objects.filter(date=date(2025, 12, 31), source="admin").exists()


def test_bad_input_raises_value_error(seeded: int) -> None:
    with pytest.raises(ValueError, match="负数"):
        calendar.add_working_days(date(2025, 1, 1), -3)
    with pytest.raises(ValueError, match="跨度"):
        calendar.working_days_between(date(1990, 1, 1), date(2099, 1, 1))


def test_admin_pages_show_the_missing_year_warning(admin_client: Any, db: None) -> None:
    for url in ("/admin/kernel/holiday/", "/admin/kernel/calendaryear/"):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "节假日表缺少" in response.content.decode()
    response = admin_client.post(
        "/admin/kernel/holiday/add/", {"date": "2027-02-05", "kind": "off", "name": "春节", "source": "admin"}
    )
    assert response.status_code == 302
    assert not calendar.is_working_day(date(2027, 2, 5))  # a Friday, now entered as off
