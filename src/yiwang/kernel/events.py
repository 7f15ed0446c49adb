"""Domain events: written to an outbox in the caller's transaction, dispatched after commit.

In-process handlers run after commit (a handler failure never undoes the change that raised the
event, and never stops the other handlers). Webhook subscribers get CloudEvents 1.0 JSON (structured
mode), signed with HMAC-SHA256 over the exact body in `X-Yiwang-Signature: sha256=<hex>`, and are
retried with exponential backoff by `deliver_due_webhooks()` (run by `yiwang manage events --loop`).

Delivery is at least once: if a process dies after commit and before dispatch, `dispatch_pending()`
picks the event up again, so handlers and receivers should be idempotent (the CloudEvents `id` is
the outbox row's UUID and never changes between retries).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from yiwang.kernel import fastsql, planned
from yiwang.kernel.models import OutboxEvent, WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)

MAX_ATTEMPTS = 8
BASE_BACKOFF_S = 30
MAX_BACKOFF_S = 6 * 3600
# dispatch_pending() leaves younger events to the on-commit dispatch of the process that wrote them.
PENDING_GRACE_S = 30.0


_planned_handlers: set[Handler] = set()


def subscribe(event_type: str, handler: Handler, *, planned_writes: bool = False) -> None:
    """Register an in-process handler; `*` receives every event. With `planned_writes` the handler
    is called while the dispatch is planned (ADR 0006): it reads outside the write transaction and
    writes only through `fastsql`, `audit_append`, `events.publish` or `planned.later`."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)
    if planned_writes:
        _planned_handlers.add(handler)


def unsubscribe(event_type: str, handler: Handler) -> None:
    if handler in _handlers.get(event_type, []):
        _handlers[event_type].remove(handler)
    if not any(handler in hs for hs in _handlers.values()):
        _planned_handlers.discard(handler)


def publish(
    event_type: str, *, source: str, subject: str = "", data: dict[str, Any] | None = None
) -> OutboxEvent:
    """Record an event in the outbox inside the current transaction and dispatch it after commit."""
    if not event_type or not source:
        raise ValueError("事件类型和来源不能为空")
    event = OutboxEvent(type=event_type, source=source, subject=subject, data=data or {})
    if not _listeners(event_type):
        # Nobody to run or deliver to (the same view of subscriptions that dispatch would take):
        # the row is the record, written already dispatched, with no second write after commit.
        event.dispatched_at = timezone.now()
        fastsql.insert([event])
        return event
    fastsql.insert([event])
    # Joins the transaction's dispatch batch when it is written (now, or when a write plan is applied).
    planned.later(lambda: _after_commit_batch().append(event))
    return event


_BATCH_ATTR = "_yiwang_outbox_batch"


@dataclass
class _Batch:
    events: list[OutboxEvent] = field(default_factory=list)
    callback: Callable[[], None] | None = None
    dispatched: bool = False


def _after_commit_batch() -> list[OutboxEvent]:
    """The events of the current transaction that wait for dispatch: all of them are dispatched
    together after commit, in one transaction. A batch that was dispatched already, or whose
    callback is no longer queued (the savepoint that queued it rolled back), is replaced."""
    held: _Batch | None = connection.__dict__.get(_BATCH_ATTR)
    if held is not None and not held.dispatched and any(entry[1] is held.callback for entry in connection.run_on_commit):
        return held.events
    batch = _Batch()

    def dispatch_batch() -> None:
        batch.dispatched = True
        _dispatch_many(batch.events)

    batch.callback = dispatch_batch
    connection.__dict__[_BATCH_ATTR] = batch
    # robust: a failure while dispatching is logged and never reaches the code that committed;
    # the events stay undispatched and dispatch_pending() retries them.
    transaction.on_commit(dispatch_batch, robust=True)
    return batch.events


def _listeners(event_type: str) -> bool:
    return bool(_handlers.get(event_type) or _handlers.get("*")
                or any(s.wants(event_type) for s in _active_subscriptions()))


# Active subscriptions, re-read at most every few seconds (and at once in this process when one is
# saved or deleted): every dispatch needs them, and they change rarely.
SUBSCRIPTIONS_TTL_S = 5.0
_subscriptions: list[tuple[float, list[WebhookSubscription]]] = []


def _active_subscriptions() -> list[WebhookSubscription]:
    now = time.monotonic()
    if _subscriptions and now - _subscriptions[0][0] < SUBSCRIPTIONS_TTL_S:
        return _subscriptions[0][1]
    subs = list(WebhookSubscription.objects.filter(active=True))
    _subscriptions[:] = [(now, subs)]
    return subs


def forget_subscriptions(**_kwargs: Any) -> None:
    _subscriptions.clear()


post_save.connect(forget_subscriptions, sender=WebhookSubscription, dispatch_uid="kernel.events.subs.save")
post_delete.connect(forget_subscriptions, sender=WebhookSubscription, dispatch_uid="kernel.events.subs.delete")


def _dispatch(event_id: Any, event: OutboxEvent | None = None) -> None:
    """Dispatch one event (read back by id unless given); see `_dispatch_many`."""
    if event is None:
        event = OutboxEvent.objects.filter(pk=event_id, dispatched_at__isnull=True).first()
        if event is None:
            return
    _dispatch_many([event])


def _dispatch_many(batch: list[OutboxEvent]) -> None:
    """Run the handlers of the events, queue their webhook deliveries and mark them dispatched, in
    one transaction. Each mark is taken first (a conditional UPDATE), so two dispatchers never both
    run an event's handlers, and what the handlers wrote commits together with the mark. Each handler
    runs in its own savepoint: one that fails is rolled back and logged, and the others still run.
    An event whose row is gone (its savepoint rolled back) takes no mark and runs nothing.

    Handlers subscribed with `planned_writes` do their reading and computing before the transaction
    (ADR 0006); their writes run inside it, in their savepoint, only if the mark was taken."""
    if not batch:
        return
    planned.run_planned(lambda: _plan_dispatch(batch))


def _plan_dispatch(batch: list[OutboxEvent]) -> None:
    now = timezone.now()
    for event in batch:
        marked = _Mark()
        planned.later(partial(marked.take, event.pk, now))
        for handler in [*_handlers.get(event.type, []), *_handlers.get("*", [])]:
            step: Callable[[], Any] = partial(handler, event)
            if handler in _planned_handlers:
                try:
                    with planned.sub_plan() as writes:
                        handler(event)
                except Exception:  # a broken handler must not stop the others; it is logged for follow-up
                    log.exception("event handler %s failed for %s", handler, event.type)
                    continue
                step = writes.apply
            planned.later(partial(_run_handler, handler, event, step, marked))
        subs = [s for s in _active_subscriptions() if s.wants(event.type)]
        if subs:
            planned.later(partial(_queue_deliveries, event, subs, now, marked))


def _queue_deliveries(event: OutboxEvent, subs: list[WebhookSubscription], now: Any, marked: _Mark) -> None:
    if marked.taken:
        WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(subscription=s, event=event, next_attempt_at=now) for s in subs], ignore_conflicts=True)


@dataclass
class _Mark:
    taken: bool = False

    def take(self, event_id: Any, now: Any) -> None:
        self.taken = _mark_dispatched(event_id, now)


def _run_handler(handler: Handler, event: OutboxEvent, step: Callable[[], Any], marked: _Mark) -> None:
    if not marked.taken:
        return
    try:
        with transaction.atomic():
            step()
    except Exception:  # a broken handler must not stop the others; it is logged for follow-up
        log.exception("event handler %s failed for %s", handler, event.type)


def _mark_dispatched(event_id: Any, now: Any) -> bool:
    return bool(fastsql.update_where(OutboxEvent, {"dispatched_at": now}, where={"id": event_id},
                                     null=["dispatched_at"]))


def dispatch_pending(*, older_than_s: float = PENDING_GRACE_S, limit: int = 1000) -> int:
    """Dispatch events left undispatched (e.g. the process died between commit and dispatch).

    Events younger than `older_than_s` are left alone: the process that wrote them is normally
    dispatching them right now (pass 0 to take everything).
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    ids = list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, occurred_at__lte=cutoff)
        .order_by("occurred_at")
        .values_list("pk", flat=True)[:limit]
    )
    for event_id in ids:
        _dispatch(event_id)
    return len(ids)


def cloudevent(event: OutboxEvent) -> dict[str, Any]:
    """The event as a CloudEvents 1.0 JSON object (structured content mode)."""
    envelope: dict[str, Any] = {
        "specversion": "1.0",
        "id": str(event.id),
        "type": f"cn.yiwang.{event.type}",
        "source": f"/yiwang/{event.source}",
        "time": event.occurred_at.isoformat(),
        "datacontenttype": "application/json",
        "data": event.data,
    }
    if event.subject:  # CloudEvents: an optional attribute, when present, must not be empty
        envelope["subject"] = event.subject
    return envelope


def sign_body(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute the HMAC over the raw body and compare in constant time."""
    return hmac.compare_digest(sign_body(secret, body).encode(), (signature or "").encode())


def backoff_seconds(attempts: int) -> int:
    """30 s, 60 s, 2 min, 4 min … capped at 6 h."""
    return int(min(BASE_BACKOFF_S * (2 ** min(max(attempts - 1, 0), 30)), MAX_BACKOFF_S))


Poster = Callable[[str, bytes, dict[str, str]], int]


def _http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    import requests

    # No redirects: a 3xx counts as a failure (and is retried) instead of silently turning into a GET.
    response = requests.post(
        url, data=body, headers=headers, timeout=settings.YIWANG_WEBHOOK_TIMEOUT_S, allow_redirects=False
    )
    response.close()
    return response.status_code


def deliver_due_webhooks(*, post: Poster = _http_post, now: Any = None) -> dict[str, int]:
    """Try every delivery whose time has come; reschedule failures with backoff."""
    now = now or timezone.now()
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    due = (
        WebhookDelivery.objects.select_related("subscription", "event")
        .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")[:500]
    )
    for delivery in due:
        body = json.dumps(cloudevent(delivery.event), ensure_ascii=False, sort_keys=True).encode()
        headers = {
            "Content-Type": "application/cloudevents+json; charset=utf-8",
            "X-Yiwang-Signature": sign_body(delivery.subscription.secret, body),
            "X-Yiwang-Delivery": str(delivery.pk),
            "X-Yiwang-Event-Id": str(delivery.event.id),
            "User-Agent": "yiwang-webhooks/1",
        }
        if not delivery.subscription.active:  # switched off after the delivery was queued
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.last_error = "订阅已停用"
            delivery.save(update_fields=["status", "last_error"])
            counts["failed"] += 1
            continue
        delivery.attempts += 1
        delivery.last_attempt_at = now
        try:
            status = post(delivery.subscription.url, body, headers)
            error = "" if 200 <= status < 300 else f"HTTP {status}"
        except Exception as exc:  # network errors are expected; they are retried
            status, error = 0, f"{type(exc).__name__}: {exc}"[:300]
        delivery.last_status_code = status or None
        delivery.last_error = error
        if not error:
            delivery.status = WebhookDelivery.Status.DELIVERED
            counts["delivered"] += 1
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
            counts["failed"] += 1
        else:
            delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
            counts["retry"] += 1
        delivery.save(
            update_fields=[
                "attempts",
                "status",
                "next_attempt_at",
                "last_error",
                "last_status_code",
                "last_attempt_at",
            ]
        )
    return counts


def run_once() -> dict[str, int]:
    """One pass of the event worker: recover undispatched events, then deliver due webhooks."""
    dispatched = dispatch_pending()
    return {"dispatched": dispatched, **deliver_due_webhooks()}
