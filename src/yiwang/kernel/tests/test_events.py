"""Domain events: outbox, after-commit handlers, webhooks to a real local HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from yiwang.kernel import events
from yiwang.kernel.models import OutboxEvent, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests"


class Receiver:
    """A real HTTP endpoint on 127.0.0.1 (ephemeral port) that records what it receives."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def handler_calls() -> Iterator[list[tuple[str, str]]]:
    calls: list[tuple[str, str]] = []

    def handler(event: OutboxEvent) -> None:
        calls.append((event.type, event.subject))

    events.subscribe("case.submitted", handler)
    yield calls
    events.unsubscribe("case.submitted", handler)


def test_handler_runs_only_after_commit(
    handler_calls: list[tuple[str, str]], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            event = events.publish("case.submitted", source="cases", subject="case:1", data={"n": 1})
            assert handler_calls == []  # not before commit
            assert OutboxEvent.objects.filter(pk=event.pk, dispatched_at__isnull=True).exists()
        assert handler_calls == []
    assert len(callbacks) == 1
    assert handler_calls == [("case.submitted", "case:1")]
    event.refresh_from_db()
    assert event.dispatched_at is not None
    # Dispatching again (e.g. the recovery loop) does not call the handler twice.
    assert events.dispatch_pending(older_than_s=0) == 0
    assert handler_calls == [("case.submitted", "case:1")]


def test_rollback_means_no_event_and_no_handler(
    handler_calls: list[tuple[str, str]], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            events.publish("case.submitted", source="cases", subject="case:2")
            1 / 0  # noqa: B018
    assert callbacks == []
    assert handler_calls == []
    assert not OutboxEvent.objects.exists()


def test_failing_handler_does_not_stop_others(
    django_capture_on_commit_callbacks: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def broken(event: OutboxEvent) -> None:
        raise RuntimeError("boom")

    def fine(event: OutboxEvent) -> None:
        seen.append(event.type)

    events.subscribe("hotline.*", broken)  # not a wildcard for handlers: never called
    events.subscribe("hotline.order_created", broken)
    events.subscribe("hotline.order_created", fine)
    events.subscribe("*", fine)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.publish("hotline.order_created", source="hotline", subject="order:1")
    finally:
        events.unsubscribe("hotline.*", broken)
        events.unsubscribe("hotline.order_created", broken)
        events.unsubscribe("hotline.order_created", fine)
        events.unsubscribe("*", fine)
    assert seen == ["hotline.order_created", "hotline.order_created"]
    assert "failed" in caplog.text
    assert OutboxEvent.objects.get().dispatched_at is not None


def test_publish_rejects_empty_type() -> None:
    with pytest.raises(ValueError):
        events.publish("", source="cases")


def test_webhook_delivered_as_signed_cloudevent(
    receiver: Receiver, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    sub = WebhookSubscription.objects.create(
        name="市医保局", url=receiver.url, secret=SECRET, event_types=["case.*"]
    )
    WebhookSubscription.objects.create(
        name="不感兴趣", url=receiver.url, secret="x", event_types=["hotline.*"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        event = events.publish("case.submitted", source="cases", subject="case:9", data={"申请人": "张伟"})
    delivery = WebhookDelivery.objects.get()
    assert delivery.subscription == sub and delivery.status == WebhookDelivery.Status.PENDING

    assert events.deliver_due_webhooks() == {"delivered": 1, "retry": 0, "failed": 0}
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    headers = {k.lower(): v for k, v in got["headers"].items()}
    assert headers["content-type"].startswith("application/cloudevents+json")
    assert headers["x-yiwang-signature"] == events.sign_body(SECRET, got["body"])
    assert events.verify_signature(SECRET, got["body"], headers["x-yiwang-signature"])
    assert not events.verify_signature("wrong", got["body"], headers["x-yiwang-signature"])
    assert not events.verify_signature(SECRET, got["body"] + b" ", headers["x-yiwang-signature"])
    body = json.loads(got["body"])
    assert body["specversion"] == "1.0"
    assert body["id"] == str(event.id) == headers["x-yiwang-event-id"]
    assert body["type"] == "cn.yiwang.case.submitted"
    assert body["source"] == "/yiwang/cases"
    assert body["subject"] == "case:9"
    assert body["datacontenttype"] == "application/json"
    assert body["data"] == {"申请人": "张伟"}
    assert body["time"]
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1 and delivery.last_status_code == 204 and delivery.last_attempt_at
    # Delivered once: a second pass sends nothing.
    assert events.deliver_due_webhooks() == {"delivered": 0, "retry": 0, "failed": 0}
    assert len(receiver.requests) == 1


def test_failing_endpoint_is_retried_with_backoff_then_given_up(
    receiver: Receiver, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    receiver.status = 500
    WebhookSubscription.objects.create(name="市公安局", url=receiver.url, secret=SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("case.decided", source="cases", subject="case:3")
    now = timezone.now()
    gaps: list[float] = []
    for attempt in range(1, events.MAX_ATTEMPTS + 1):
        # Not due yet a moment before its time.
        counts = events.deliver_due_webhooks(now=now)
        delivery = WebhookDelivery.objects.get()
        assert delivery.attempts == attempt
        assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
        if attempt < events.MAX_ATTEMPTS:
            assert counts == {"delivered": 0, "retry": 1, "failed": 0}
            gaps.append((delivery.next_attempt_at - now).total_seconds())
            assert (
                events.deliver_due_webhooks(now=delivery.next_attempt_at - timedelta(seconds=1))["retry"] == 0
            )
            now = delivery.next_attempt_at
        else:
            assert counts == {"delivered": 0, "retry": 0, "failed": 1}
            assert delivery.status == WebhookDelivery.Status.FAILED
    assert len(receiver.requests) == events.MAX_ATTEMPTS
    assert gaps == sorted(gaps) and gaps[0] == events.BASE_BACKOFF_S and gaps[-1] > gaps[0]
    assert all(b == 2 * a for a, b in zip(gaps, gaps[1:], strict=False))
    # Given up: nothing more is sent, however late it is.
    assert events.deliver_due_webhooks(now=now + timedelta(days=30))["failed"] == 0
    assert len(receiver.requests) == events.MAX_ATTEMPTS


def test_recovers_after_endpoint_comes_back(
    receiver: Receiver, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    receiver.status = 503
    WebhookSubscription.objects.create(name="市人社局", url=receiver.url, secret=SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("case.closed", source="cases")
    assert events.deliver_due_webhooks()["retry"] == 1
    receiver.status = 200
    later = WebhookDelivery.objects.get().next_attempt_at
    assert events.deliver_due_webhooks(now=later) == {"delivered": 1, "retry": 0, "failed": 0}
    body = json.loads(receiver.requests[-1]["body"])
    assert "subject" not in body  # empty optional attribute left out (CloudEvents)


def test_unreachable_endpoint_is_retried(django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    closed = Receiver()
    url = closed.url
    closed.close()  # nothing listens there any more
    WebhookSubscription.objects.create(name="离线系统", url=url, secret=SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("case.closed", source="cases")
    assert events.deliver_due_webhooks()["retry"] == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status_code is None and "Connection" in delivery.last_error


def test_inactive_subscription_gets_nothing(
    receiver: Receiver, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    sub = WebhookSubscription.objects.create(name="停用", url=receiver.url, secret=SECRET, active=False)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("case.closed", source="cases")
    assert not WebhookDelivery.objects.exists()
    sub.active = True
    sub.save()
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("case.closed", source="cases")
    assert WebhookDelivery.objects.count() == 1
    sub.active = False  # switched off before the worker came round
    sub.save()
    assert events.deliver_due_webhooks()["failed"] == 1
    assert receiver.requests == []


def test_dispatch_pending_recovers_undispatched_events(
    handler_calls: list[tuple[str, str]], receiver: Receiver
) -> None:
    WebhookSubscription.objects.create(name="市卫健委", url=receiver.url, secret=SECRET)
    # As if the process died between commit and dispatch: the row exists, nothing was dispatched.
    event = OutboxEvent.objects.create(type="case.submitted", source="cases", subject="case:7")
    assert events.dispatch_pending() == 0  # too young: its own process is normally on it
    OutboxEvent.objects.filter(pk=event.pk).update(occurred_at=timezone.now() - timedelta(minutes=5))
    assert events.dispatch_pending() == 1
    assert handler_calls == [("case.submitted", "case:7")]
    assert events.dispatch_pending(older_than_s=0) == 0
    assert events.run_once() == {"dispatched": 0, "delivered": 1, "retry": 0, "failed": 0}
    assert len(receiver.requests) == 1


def test_backoff_schedule() -> None:
    assert [events.backoff_seconds(a) for a in range(1, 6)] == [30, 60, 120, 240, 480]
    assert events.backoff_seconds(100) == events.MAX_BACKOFF_S
    assert events.backoff_seconds(0) == 30


def test_subscription_patterns() -> None:
    sub = WebhookSubscription(event_types=["case.*", "hotline.order_closed"])
    assert sub.wants("case.submitted") and sub.wants("hotline.order_closed")
    assert not sub.wants("hotline.order_created") and not sub.wants("casex.submitted")
    assert WebhookSubscription(event_types=[]).wants("anything")


def test_admin_retry_action_requeues_failed_delivery(admin_client: Any) -> None:
    sub = WebhookSubscription.objects.create(name="x", url="http://127.0.0.1:9/", secret=SECRET)
    event = OutboxEvent.objects.create(type="case.closed", source="cases")
    delivery = WebhookDelivery.objects.create(
        subscription=sub,
        event=event,
        status=WebhookDelivery.Status.FAILED,
        attempts=8,
        next_attempt_at=timezone.now(),
    )
    response = admin_client.post(
        "/admin/kernel/webhookdelivery/", {"action": "retry_now", "_selected_action": [delivery.pk]}
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.attempts == 0


def test_event_data_may_hold_dates_and_uuids(django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    import uuid
    from datetime import date
    from decimal import Decimal

    ref = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        event = events.publish(
            "case.fee_paid",
            source="cases",
            data={"due": date(2027, 1, 13), "case": ref, "fee": Decimal("12.50")},
        )
    event.refresh_from_db()
    assert event.data == {"due": "2027-01-13", "case": str(ref), "fee": "12.50"}
    assert json.loads(json.dumps(events.cloudevent(event)))["data"]["due"] == "2027-01-13"


def test_an_event_nobody_listens_to_is_stored_dispatched_without_an_after_commit_step(
    django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = events.publish("opendata.viewed", source="opendata", subject="dataset:1", data={"n": 1})
    assert callbacks == []
    row = OutboxEvent.objects.get(pk=event.pk)
    assert row.dispatched_at is not None and row.data == {"n": 1}
    assert events.dispatch_pending(older_than_s=0) == 0


def test_a_webhook_subscription_makes_an_event_wait_for_dispatch(
    receiver: Receiver, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    WebhookSubscription.objects.create(name="市数据局", url=receiver.url, secret=SECRET, event_types=["opendata.*"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = events.publish("opendata.viewed", source="opendata", subject="dataset:2")
    assert len(callbacks) == 1
    assert OutboxEvent.objects.get(pk=event.pk).dispatched_at is None
    callbacks[0]()
    assert WebhookDelivery.objects.filter(event_id=event.pk).count() == 1


def test_what_a_failing_handler_wrote_is_rolled_back_and_the_rest_commits_with_the_mark(
    django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    from yiwang.kernel.audit import audit_record
    from yiwang.kernel.models import AuditEntry

    def writes_then_fails(event: OutboxEvent) -> None:
        audit_record(action="test.half_done", object_type="event", object_id=str(event.pk))
        raise RuntimeError("boom")

    def writes(event: OutboxEvent) -> None:
        audit_record(action="test.done", object_type="event", object_id=str(event.pk))

    events.subscribe("hotline.order_closed", writes_then_fails)
    events.subscribe("hotline.order_closed", writes)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event = events.publish("hotline.order_closed", source="hotline", subject="order:9")
        events._dispatch(event.pk)  # a second dispatcher finds it taken and runs nothing
    finally:
        events.unsubscribe("hotline.order_closed", writes_then_fails)
        events.unsubscribe("hotline.order_closed", writes)
    assert not AuditEntry.objects.filter(action="test.half_done").exists()
    assert AuditEntry.objects.filter(action="test.done").count() == 1
    assert OutboxEvent.objects.get(pk=event.pk).dispatched_at is not None


def test_events_of_one_transaction_are_dispatched_together_and_a_rolled_back_one_never(
    handler_calls: list[tuple[str, str]], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            events.publish("case.submitted", source="cases", subject="case:a")
            with pytest.raises(ZeroDivisionError), transaction.atomic():
                events.publish("case.submitted", source="cases", subject="case:gone")
                1 / 0  # noqa: B018
            events.publish("case.submitted", source="cases", subject="case:b")
    assert len(callbacks) == 1
    assert handler_calls == [("case.submitted", "case:a"), ("case.submitted", "case:b")]
    assert set(OutboxEvent.objects.values_list("subject", flat=True)) == {"case:a", "case:b"}
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()


def test_a_planned_handler_reads_before_the_transaction_and_its_writes_commit_with_the_mark(
    django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    from yiwang.kernel import planned
    from yiwang.kernel.audit import audit_append
    from yiwang.kernel.models import AuditEntry

    seen: list[bool] = []

    def planned_handler(event: OutboxEvent) -> None:
        seen.append(planned.current() is not None)  # called while the dispatch is planned
        audit_append(action="test.planned_handler", object_type="event", object_id=str(event.pk))

    def broken_while_planning(event: OutboxEvent) -> None:
        audit_append(action="test.never", object_type="event", object_id=str(event.pk))
        raise RuntimeError("boom")

    events.subscribe("hotline.order_rated", broken_while_planning, planned_writes=True)
    events.subscribe("hotline.order_rated", planned_handler, planned_writes=True)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event = events.publish("hotline.order_rated", source="hotline", subject="order:10")
        events._dispatch_many([event])  # a second dispatcher plans again but finds the mark taken
    finally:
        events.unsubscribe("hotline.order_rated", broken_while_planning)
        events.unsubscribe("hotline.order_rated", planned_handler)
    assert planned_handler not in events._planned_handlers
    assert seen == [True, True]
    assert AuditEntry.objects.filter(action="test.planned_handler").count() == 1  # not twice
    assert not AuditEntry.objects.filter(action="test.never").exists()
    assert OutboxEvent.objects.get(pk=event.pk).dispatched_at is not None


def test_a_plain_handler_that_writes_through_the_orm_still_runs_inside_the_dispatch_transaction(
    django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    from yiwang.kernel import planned
    from yiwang.kernel.audit import audit_record
    from yiwang.kernel.models import AuditEntry

    seen: list[bool] = []

    def plain(event: OutboxEvent) -> None:
        seen.append(planned.current() is None)
        audit_record(action="test.plain_handler", object_type="event", object_id=str(event.pk))

    events.subscribe("hotline.order_reopened", plain)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.publish("hotline.order_reopened", source="hotline", subject="order:11")
    finally:
        events.unsubscribe("hotline.order_reopened", plain)
    assert seen == [True] and AuditEntry.objects.filter(action="test.plain_handler").count() == 1
