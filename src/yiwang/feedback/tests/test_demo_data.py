"""The demo's ratings builder on the constructed history: ratings go through the services, only on
ended cases, and 差评 open rectifications."""

from __future__ import annotations

from yiwang.cases.tests.conftest import World
from yiwang.cases.tests.figures_history import build_history, t
from yiwang.demo import feedback_data
from yiwang.feedback.models import Rating, Rectification


def test_demo_ratings_on_ended_cases(world: World) -> None:
    history = build_history(world)
    summary = feedback_data.build(7, end=t(30, 12))
    ratings = list(Rating.objects.select_related("case"))
    assert len(ratings) == summary["好差评"] >= 1
    assert all(r.case.status in ("completed", "not_accepted") and r.at > r.case_ended_at for r in ratings)
    assert Rectification.objects.count() == summary["差评"] == sum(r.score <= 2 for r in ratings)
    assert {r.case_id for r in ratings} <= {history.a.pk, history.b.pk, history.c.pk, history.d.pk}
    again = feedback_data.build(7, end=t(30, 12))  # a second run never rates a case twice
    assert Rating.objects.count() == len(ratings) + again["好差评"] <= 4
