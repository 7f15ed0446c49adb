"""The audit log: written by services, append-only, carrying who / for whom / request id."""

from __future__ import annotations

import pytest
from django.db import transaction

from yiwang.kernel import context
from yiwang.kernel.audit import audit_for_subject, audit_record
from yiwang.kernel.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_records_actor_on_behalf_of_and_request_id() -> None:
    actor = context.Actor(user_id=7, label="王小明（帮办）", on_behalf_of="person:wang-xiuying")
    with context.acting_as(actor, req_id="req-0001-abcdef"):
        entry = audit_record(
            action="person.read_full_id",
            object_type="person",
            object_id=42,
            subject_ref="person:wang-xiuying",
            detail={"field": "id_number"},
        )
    entry.refresh_from_db()
    assert entry.actor_id == 7
    assert entry.actor_label == "王小明（帮办）"
    assert entry.on_behalf_of == "person:wang-xiuying"
    assert entry.request_id == "req-0001-abcdef"
    assert entry.action == "person.read_full_id"
    assert entry.object_type == "person" and entry.object_id == "42"
    assert entry.detail == {"field": "id_number"}
    assert entry.at is not None
    assert audit_for_subject("person:wang-xiuying") == [entry]
    assert audit_for_subject("person:wang-xiuying", actions=["other"]) == []


def test_context_is_restored_and_defaults_to_system() -> None:
    with context.acting_as(context.Actor(user_id=1, label="陈晨")):
        inner = audit_record(action="case.accept", object_type="case", object_id="c1")
        assert len(inner.request_id) == 32  # a fresh request id when none is given
    outer = audit_record(action="demo.seed", object_type="system", object_id="-")
    assert outer.actor_label == "system" and outer.actor_id is None and outer.on_behalf_of == ""
    explicit = audit_record(action="x", object_type="y", object_id="z", actor=context.Actor(label="赵强"))
    assert explicit.actor_label == "赵强"


def test_append_only() -> None:
    entry = audit_record(action="case.accept", object_type="case", object_id="c1")
    entry.action = "case.reject"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
    with pytest.raises(RuntimeError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="case.reject")
    with pytest.raises(RuntimeError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(RuntimeError):
        AuditEntry.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():  # bulk_update breaks the enclosing atomic
        AuditEntry.objects.bulk_update([entry], ["action"])
    entry.refresh_from_db()
    assert entry.action == "case.accept"
    assert AuditEntry.objects.count() == 1


@pytest.mark.django_db
def test_audit_append_writes_the_same_record_as_audit_record():
    from yiwang.kernel.audit import audit_append, audit_for_subject
    from yiwang.kernel.context import Actor, acting_as

    with acting_as(Actor(user_id=7, label="赵强", on_behalf_of="person:abc"), req_id="req-append-1"):
        audit_append(action="exchange.lookup_read", object_type="call", object_id="c1", subject_ref="person:p1",
                     detail={"purpose": "核对户籍", "fields": ["xm"]})
    (entry,) = audit_for_subject("person:p1")
    assert (entry.actor_id, entry.actor_label, entry.on_behalf_of) == (7, "赵强", "person:abc")
    assert entry.request_id == "req-append-1"
    assert entry.detail == {"purpose": "核对户籍", "fields": ["xm"]}
    assert entry.at is not None
