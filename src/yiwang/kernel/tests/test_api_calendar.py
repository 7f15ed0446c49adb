"""The public calendar endpoints under /api/v1/kernel/calendar/."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from yiwang.kernel import api as kernel_api
from yiwang.kernel.permissions import PERMISSION_ATTR

ADD = "/api/v1/kernel/calendar/add-working-days"
COUNT = "/api/v1/kernel/calendar/working-days"


def _get(client: Client, url: str, **params: Any) -> tuple[int, dict[str, Any]]:
    response = client.get(url, params)
    return response.status_code, response.json()


def test_add_working_days_over_national_day(client: Client, seeded: int) -> None:
    status, body = _get(client, ADD, start="2025-09-30", days=1)
    assert status == 200
    assert body == {
        "start": "2025-09-30",
        "days": 1,
        "due": "2025-10-09",
        "provisional": False,
        "unknown_years": [],
    }


def test_deadline_into_2027_is_provisional(client: Client, seeded: int) -> None:
    status, body = _get(client, ADD, start="2026-12-15", days=20)
    assert status == 200
    assert body["due"] == "2027-01-13" and body["provisional"] is True and body["unknown_years"] == [2027]


def test_working_days(client: Client, seeded: int) -> None:
    status, body = _get(client, COUNT, start="2025-09-26", end="2025-10-12")
    assert status == 200 and body["working_days"] == 6 and body["provisional"] is False
    status, body = _get(client, COUNT, start="2025-10-12", end="2025-09-26")
    assert status == 200 and body["working_days"] == -6
    status, body = _get(client, COUNT, start="2026-12-01", end="2027-01-31")
    assert body["provisional"] is True and body["unknown_years"] == [2027]


@pytest.mark.parametrize(
    ("params", "field", "text"),
    [
        ({"start": "2025-02-30", "days": 1}, "start", "YYYY-MM-DD"),
        ({"start": "20250101", "days": 1}, "start", "YYYY-MM-DD"),
        ({"start": "2025-W01-1", "days": 1}, "start", "YYYY-MM-DD"),
        ({"start": "１２３４-01-01", "days": 1}, "start", "YYYY-MM-DD"),
        ({"start": "yesterday", "days": 1}, "start", "YYYY-MM-DD"),
        ({"start": "0001-01-01", "days": 1}, "start", "1900"),
        ({"start": "9999-12-31", "days": 5}, "start", "1900"),
        ({"start": "2025-01-01", "days": -1}, "days", "负数"),
        ({"start": "2025-01-01", "days": 10**9}, "days", "过大"),
        ({"start": "2025-01-01", "days": "ten"}, "days", "整数"),
        ({"start": "2025-01-01"}, "days", "缺失"),
        ({"days": 3}, "start", "缺失"),
    ],
)
def test_add_working_days_bad_input_is_422(
    client: Client, db: None, params: dict[str, Any], field: str, text: str
) -> None:
    status, body = _get(client, ADD, **params)
    assert status == 422, body
    assert body["error"]["field"] == field
    assert text in body["error"]["message"]
    assert body["error"]["code"]


def test_working_days_bad_input_is_422(client: Client, db: None) -> None:
    status, body = _get(client, COUNT, start="2025-01-01", end="2025-13-01")
    assert status == 422 and body["error"]["field"] == "end"
    status, body = _get(client, COUNT, start="1900-01-01", end="2199-01-01")
    assert status == 422 and "跨度" in body["error"]["message"]


def test_endpoints_are_public_and_documented(client: Client, db: None) -> None:
    for handler in (kernel_api.add_working_days, kernel_api.working_days):
        assert getattr(handler, PERMISSION_ATTR).startswith("public: ")
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/kernel/calendar/add-working-days" in schema["paths"]
    assert "/api/v1/kernel/calendar/working-days" in schema["paths"]
