"""Notifications to applicants and staff through a port; the local adapter keeps a row that the
dev outbox page (/cases/notifications/) and 我的消息 show. A real adapter (SMS gateway, 政务微信)
implements `Notifier` and is named in settings.YIWANG_NOTIFIER."""

from __future__ import annotations

from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class Notifier(Protocol):
    def send(self, *, user: Any, case: Any, title: str, body: str) -> None: ...


class LocalNotifier:
    def send(self, *, user: Any, case: Any, title: str, body: str) -> None:
        from yiwang.cases.models import Notification

        Notification.objects.create(user=user, case=case, title=title[:120], body=body)


_notifier: Notifier | None = None


def notifier() -> Notifier:
    global _notifier
    if _notifier is None:
        path = getattr(settings, "YIWANG_NOTIFIER", "")
        _notifier = import_string(path)() if path else LocalNotifier()
    return _notifier


def send(*, user: Any, case: Any, title: str, body: str) -> None:
    """Send inside the caller's transaction (the local adapter's row commits with the case)."""
    if user is None:
        return
    notifier().send(user=user, case=case, title=title, body=body)
