"""Notifications to applicants and staff through a port; the local adapter keeps a row that the
dev outbox page (/cases/notifications/) and 我的消息 show. A real adapter (SMS gateway, 政务微信)
implements `Notifier` and is named in settings.YIWANG_NOTIFIER."""

from __future__ import annotations

from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class Notifier(Protocol):
    def send(self, *, user_id: int, case: Any, title: str, body: str) -> None: ...


class LocalNotifier:
    def send(self, *, user_id: int, case: Any, title: str, body: str) -> None:
        from yiwang.cases.models import Notification
        from yiwang.kernel import fastsql

        fastsql.insert([Notification(user_id=user_id, case=case, title=title[:120], body=body)])


_notifier: Notifier | None = None


def notifier() -> Notifier:
    global _notifier
    if _notifier is None:
        path = getattr(settings, "YIWANG_NOTIFIER", "")
        _notifier = import_string(path)() if path else LocalNotifier()
    return _notifier


def send(*, case: Any, title: str, body: str, user: Any = None, user_id: int | None = None) -> None:
    """Send inside the caller's transaction (the local adapter's row commits with the case).
    Pass the recipient as `user` or, to save loading it, as `user_id`."""
    uid = user_id if user_id is not None else getattr(user, "pk", None)
    if uid is None:
        return
    notifier().send(user_id=uid, case=case, title=title, body=body)
