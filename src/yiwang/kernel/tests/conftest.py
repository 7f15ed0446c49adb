from __future__ import annotations

from collections.abc import Iterator

import pytest

from yiwang.kernel import calendar


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    """A test's rolled-back holiday rows must not leak into the next test through the cache."""
    calendar.invalidate()
    yield
    calendar.invalidate()


@pytest.fixture
def seeded(db: None) -> int:
    return calendar.seed_holidays_from_package()
