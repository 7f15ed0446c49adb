"""The SMS port. Production plugs in an operator gateway; the demo uses a local outbox."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SmsSender(Protocol):
    def send(self, *, phone: str, body: str) -> None: ...


class LocalOutboxSms:
    """Stores messages in a table shown on /dev/sms/ (demo mode only). Nothing leaves the machine."""

    def send(self, *, phone: str, body: str) -> None:
        from yiwang.identity.models import SmsMessage
        from yiwang.kernel.crypto import blind_index
        from yiwang.kernel.masking import mask_phone

        SmsMessage.objects.create(to_masked=mask_phone(phone), to_index=blind_index(phone), body=body)


@lru_cache(maxsize=1)
def sms_sender() -> SmsSender:
    return import_string(settings.YIWANG_SMS_BACKEND)()  # type: ignore[no-any-return]
