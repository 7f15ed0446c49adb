"""The audit log, written by services. Append-only."""

from __future__ import annotations

from typing import Any

from yiwang.kernel import context
from yiwang.kernel.models import AuditEntry


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
    return AuditEntry.objects.create(
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
