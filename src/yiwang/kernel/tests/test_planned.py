"""Write plans: recorded while planning, written in one transaction, planned again when stale."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from yiwang.kernel import events, fastsql, planned
from yiwang.kernel.audit import audit_append
from yiwang.kernel.context import Actor, acting_as
from yiwang.kernel.errors import Conflict
from yiwang.kernel.models import AuditEntry, OutboxEvent

pytestmark = pytest.mark.django_db


def _event(subject: str) -> OutboxEvent:
    return OutboxEvent(type="test.planned", source="tests", subject=subject, data={"n": 1})


def test_recorded_writes_run_only_when_the_plan_is_applied() -> None:
    with planned.planning() as plan:
        fastsql.insert([_event("a")])
        assert not OutboxEvent.objects.filter(subject="a").exists()  # reads still work while planning
    assert len(plan.steps) == 1 and not OutboxEvent.objects.filter(subject="a").exists()
    plan.apply()
    assert OutboxEvent.objects.filter(subject="a").count() == 1


def test_a_write_that_bypasses_the_plan_is_refused() -> None:
    with pytest.raises(planned.WriteWhilePlanning), planned.planning(), transaction.atomic():
        OutboxEvent.objects.create(type="test.planned", source="tests", subject="orm")
    assert not OutboxEvent.objects.filter(subject="orm").exists()
    OutboxEvent.objects.create(type="test.planned", source="tests", subject="after")  # the guard is gone again


def test_independent_writes_commit_while_planning() -> None:
    with planned.planning() as plan, planned.independent():
        OutboxEvent.objects.create(type="test.planned", source="tests", subject="setup")
    assert OutboxEvent.objects.filter(subject="setup").exists() and plan.steps == []


def test_run_planned_writes_everything_and_returns_the_result() -> None:
    def work() -> str:
        fastsql.insert([_event("b1"), _event("b2")])
        audit_append(action="test.planned", object_type="t", object_id="b")
        return "done"

    with acting_as(Actor(label="测试")):
        assert planned.run_planned(work) == "done"
    assert OutboxEvent.objects.filter(subject__in=["b1", "b2"]).count() == 2
    entry = AuditEntry.objects.get(action="test.planned")
    assert entry.actor_label == "测试" and entry.object_id == "b"


def test_an_error_while_planning_writes_nothing() -> None:
    def work() -> None:
        fastsql.insert([_event("c")])
        raise Conflict("test.conflict", "冲突")

    with pytest.raises(Conflict):
        planned.run_planned(work)
    assert not OutboxEvent.objects.filter(subject="c").exists()


def test_a_stale_guard_rolls_back_and_plans_again_from_fresh_reads() -> None:
    row = OutboxEvent.objects.create(type="test.planned", source="tests", subject="v1")
    calls: list[str] = []

    def work() -> None:
        seen = OutboxEvent.objects.get(pk=row.pk).subject
        calls.append(seen)
        fastsql.insert([_event(f"side-{len(calls)}")])  # written only with the plan that succeeds
        assert fastsql.update(OutboxEvent, row.pk, {"subject": seen + "+"}, guard={"subject": seen}) == 1
        if len(calls) == 1:  # someone else changes the row between this read and the write
            with planned.independent():
                OutboxEvent.objects.filter(pk=row.pk).update(subject="v2")

    planned.run_planned(work)
    assert calls == ["v1", "v2"]
    assert OutboxEvent.objects.get(pk=row.pk).subject == "v2+"
    assert list(OutboxEvent.objects.filter(subject__startswith="side-").values_list("subject", flat=True)) == ["side-2"]


def test_a_row_that_keeps_changing_gives_up_with_stale() -> None:
    row = OutboxEvent.objects.create(type="test.planned", source="tests", subject="0")
    tries: list[int] = []

    def work() -> None:
        tries.append(1)
        seen = OutboxEvent.objects.get(pk=row.pk).subject
        fastsql.update(OutboxEvent, row.pk, {"data": {"seen": seen}}, guard={"subject": seen})
        with planned.independent():
            OutboxEvent.objects.filter(pk=row.pk).update(subject=str(len(tries)))

    with pytest.raises(planned.Stale):
        planned.run_planned(work, attempts=3)
    assert len(tries) == 3 and OutboxEvent.objects.get(pk=row.pk).data == {}


def test_later_runs_in_order_with_the_writes_and_at_once_outside_a_plan() -> None:
    order: list[str] = []
    planned.later(lambda: order.append("now"))
    assert order == ["now"]
    with planned.planning() as plan:
        fastsql.insert([_event("d")])
        planned.later(lambda: order.append(str(OutboxEvent.objects.filter(subject="d").count())))
    assert order == ["now"]
    plan.apply()
    assert order == ["now", "1"]  # the step saw the insert recorded before it


def test_update_where_matches_equalities_and_nulls() -> None:
    now = timezone.now()
    a = OutboxEvent.objects.create(type="test.w", source="tests", subject="x")
    b = OutboxEvent.objects.create(type="test.w", source="tests", subject="x", dispatched_at=now)
    OutboxEvent.objects.create(type="test.w", source="tests", subject="y")
    changed = fastsql.update_where(OutboxEvent, {"dispatched_at": now}, where={"subject": "x"}, null=["dispatched_at"])
    assert changed == 1
    assert OutboxEvent.objects.get(pk=a.pk).dispatched_at == now and OutboxEvent.objects.get(pk=b.pk).dispatched_at == now
    assert OutboxEvent.objects.get(subject="y").dispatched_at is None


def test_a_planned_event_is_dispatched_after_the_commit(django_capture_on_commit_callbacks: Any) -> None:
    seen: list[str] = []

    def handler(event: OutboxEvent) -> None:
        seen.append(event.subject)

    events.subscribe("test.planned_event", handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            planned.run_planned(lambda: events.publish("test.planned_event", source="tests", subject="e1"))
    finally:
        events.unsubscribe("test.planned_event", handler)
    assert seen == ["e1"]
    assert OutboxEvent.objects.get(subject="e1").dispatched_at is not None


def test_side_effects_of_plans_not_applied_are_undone() -> None:
    """on_discard: undone when the plan is planned again, refused while planning, or fails to apply;
    kept when it is applied; a handler's sub-plan shares its plan's undo list."""
    row = OutboxEvent.objects.create(type="test.planned", source="tests", subject="w1")
    kept: set[str] = set()

    def work() -> None:
        seen = OutboxEvent.objects.get(pk=row.pk).subject
        name = f"file-{seen}"
        kept.add(name)
        planned.on_discard(lambda: kept.discard(name))
        fastsql.update(OutboxEvent, row.pk, {"subject": seen + "+"}, guard={"subject": seen})
        if seen == "w1":
            with planned.independent():
                OutboxEvent.objects.filter(pk=row.pk).update(subject="w2")

    planned.run_planned(work)
    assert kept == {"file-w2"}  # the stale first plan's file is gone, the applied one's stays

    def refused() -> None:
        kept.add("refused")
        with planned.sub_plan():
            planned.on_discard(lambda: kept.discard("refused"))
        raise Conflict("test.refused", "拒绝", None)

    with pytest.raises(Conflict):
        planned.run_planned(refused)

    def failing_apply() -> None:
        kept.add("failing")
        planned.on_discard(lambda: kept.discard("failing"))
        planned.later(lambda: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        planned.run_planned(failing_apply)
    assert kept == {"file-w2"}
    planned.on_discard(lambda: kept.clear())  # no plan being recorded: nothing to undo later
    assert kept == {"file-w2"}
