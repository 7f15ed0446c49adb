"""Compiled statements: the rows they write and read are the rows the ORM writes and reads."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from yiwang.kernel import fastsql
from yiwang.kernel.models import AuditEntry, OutboxEvent, WebhookSubscription

pytestmark = pytest.mark.django_db

_by_type = fastsql.Select(OutboxEvent, where='"type" = %s', params=["type"], order_by='"subject"')
_by_id = fastsql.Select(OutboxEvent, where='"id" = %s', params=["id"], limit=1)


def test_insert_writes_what_the_orm_reads_back() -> None:
    data = {"编号": "99010020261123000001", "items": [1, 2], "nested": {"ok": True}}
    events = [OutboxEvent(type="case.submitted", source="cases", subject=f"s{i}", data=data) for i in range(3)]
    fastsql.insert(events)
    rows = list(OutboxEvent.objects.filter(type="case.submitted").order_by("subject"))
    assert [r.pk for r in rows] == [e.pk for e in events]
    assert all(r.data == data for r in rows)
    assert all(r.occurred_at is not None and timezone.is_aware(r.occurred_at) for r in rows)  # auto_now_add
    assert all(r.dispatched_at is None for r in rows)
    assert not events[0]._state.adding


def test_insert_of_a_model_with_an_auto_key_and_nothing_is_a_no_op() -> None:
    fastsql.insert([])
    fastsql.insert([AuditEntry(actor_label="测试", action="t.one", object_type="t", object_id="1",
                               detail={"n": 1})])
    assert AuditEntry.objects.get(action="t.one").detail == {"n": 1}


def test_select_converts_types_orders_and_limits() -> None:
    first = OutboxEvent.objects.create(type="case.accepted", source="cases", subject="b", data={"k": "值"})
    OutboxEvent.objects.create(type="case.accepted", source="cases", subject="a", data={})
    OutboxEvent.objects.create(type="case.decided", source="cases", subject="c", data={})
    rows = _by_type.all("case.accepted")
    assert [r.subject for r in rows] == ["a", "b"]
    got = _by_id.first(first.pk)
    assert got is not None and got.pk == first.pk and isinstance(got.pk, uuid.UUID)
    assert got.data == {"k": "值"} and got.occurred_at == first.occurred_at
    assert _by_id.first(str(first.pk).replace("-", "").upper()) is not None  # any UUID spelling
    assert _by_id.first(uuid.uuid4()) is None
    with pytest.raises(ValidationError):
        _by_id.first("not-a-uuid")


def test_update_with_a_guard_changes_the_row_once() -> None:
    event = OutboxEvent.objects.create(type="case.accepted", source="cases", subject="x")
    now = timezone.now()
    assert fastsql.update(OutboxEvent, event.pk, {"subject": "y"}, guard={"subject": "x"}) == 1
    assert fastsql.update(OutboxEvent, event.pk, {"subject": "z"}, guard={"subject": "x"}) == 0  # stale guard
    assert fastsql.update(OutboxEvent, event.pk, {"dispatched_at": now, "data": {"a": [1]}}) == 1
    event.refresh_from_db()
    assert (event.subject, event.dispatched_at, event.data) == ("y", now, {"a": [1]})
    assert fastsql.update(OutboxEvent, uuid.uuid4(), {"subject": "q"}) == 0


def test_changed_sees_assignments_and_in_place_edits_of_json() -> None:
    sub = WebhookSubscription.objects.create(name="市卫健委", url="http://127.0.0.1:9/hook", secret="s",
                                             event_types=["case.*"])
    loaded = fastsql.Select(WebhookSubscription, where='"id" = %s', params=["id"]).first(sub.pk)
    assert loaded is not None and fastsql.changed(loaded) == {}
    loaded.event_types.append("certificate.*")  # edited in place
    loaded.active = False
    assert fastsql.changed(loaded) == {"event_types": ["case.*", "certificate.*"], "active": False}
    values = fastsql.changed(loaded)
    assert fastsql.update(WebhookSubscription, loaded.pk, values) == 1
    fastsql.saved(loaded, values)
    assert fastsql.changed(loaded) == {}
    sub.refresh_from_db()
    assert sub.event_types == ["case.*", "certificate.*"] and not sub.active
    # An instance the helper did not load reports every field but its creation stamp.
    assert set(fastsql.changed(sub)) >= {"name", "url", "secret", "event_types", "active"}
    assert "created_at" not in fastsql.changed(sub)


def test_a_failed_statement_inside_a_transaction_leaves_nothing() -> None:
    from django.db import IntegrityError, transaction

    event = OutboxEvent(type="case.accepted", source="cases", subject="dup")
    with pytest.raises(IntegrityError), transaction.atomic():
        fastsql.insert([OutboxEvent(type="case.accepted", source="cases", subject="first")])
        fastsql.insert([event, OutboxEvent(id=event.id, type="case.accepted", source="cases")])
    assert not OutboxEvent.objects.exists()
    assert OutboxEvent.objects.filter(occurred_at__gte=timezone.now() - timedelta(days=1)).count() == 0
