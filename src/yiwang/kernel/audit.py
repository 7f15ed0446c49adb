"""The audit log, written by services. Append-only."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from yiwang.kernel import context, planned
from yiwang.kernel.models import AuditEntry

_COLUMNS = ("at", "actor_id", "actor_label", "on_behalf_of", "action", "object_type", "object_id",
            "subject_ref", "request_id", "detail")


@lru_cache(maxsize=4)
def _insert_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    cols = ", ".join(quote(c) for c in _COLUMNS)
    marks = ", ".join(["%s"] * len(_COLUMNS))
    return f"INSERT INTO {quote(AuditEntry._meta.db_table)} ({cols}) VALUES ({marks})"


def audit_record(
    *,
    action: str,
    object_type: str,
    object_id: str,
    subject_ref: str = "",
    detail: dict[str, Any] | None = None,
    actor: context.Actor | None = None,
) -> AuditEntry:
    """Write one audit record for the current actor and request."""
    who = actor or context.current_actor()
    return AuditEntry.objects.create(**_fields(who, action, object_type, object_id, subject_ref, detail))


def audit_append(
    *,
    action: str,
    object_type: str,
    object_id: str,
    subject_ref: str = "",
    detail: dict[str, Any] | None = None,
    actor: context.Actor | None = None,
) -> None:
    """The same record as `audit_record`, written with one parameterised INSERT and no model
    instance: for hot paths (gateway calls) that do not need the row back."""
    who = actor or context.current_actor()
    fields = _fields(who, action, object_type, object_id, subject_ref, detail)
    fields["at"] = connection.ops.adapt_datetimefield_value(timezone.now())
    fields["detail"] = json.dumps(fields["detail"], cls=DjangoJSONEncoder, ensure_ascii=False)
    params = [fields.get(c) for c in _COLUMNS]

    def write() -> None:
        with connection.cursor() as cursor:
            cursor.execute(_insert_sql(connection.vendor), params)

    planned.later(write)  # with the write plan's other writes, when one is being recorded


def _fields(who: context.Actor, action: str, object_type: str, object_id: str, subject_ref: str,
            detail: dict[str, Any] | None) -> dict[str, Any]:
    return dict(
        actor_id=who.user_id,
        actor_label=who.label[:120],
        on_behalf_of=who.on_behalf_of,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        subject_ref=subject_ref,
        request_id=context.request_id(),
        detail=detail or {},
    )


def audit_for_subject(
    subject_ref: str, *, actions: list[str] | None = None, limit: int = 200
) -> list[AuditEntry]:
    qs = AuditEntry.objects.filter(subject_ref=subject_ref)
    if actions:
        qs = qs.filter(action__in=actions)
    return list(qs.order_by("-at", "-id")[:limit])
