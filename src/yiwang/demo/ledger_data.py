"""Demo data for the trust ledger: the three logs (certificates, decisions, audit), the witnesses of
市公安局, 市市场监管局 and 市数据局, a few hundred salted-digest entries and cosigned checkpoints.
Everything goes through the ledger's services; digests and salts are deterministic from the seed."""

from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta

from yiwang.ledger import services as ledger

BASE_TIME_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def _items(rnd: random.Random, kind: str, prefix: str, n: int, start: int) -> list[ledger.AppendItem]:
    out = []
    for i in range(start, start + n):
        payload = hashlib.sha256(f"{prefix}-{i}-{rnd.random()}".encode()).digest()
        salt = rnd.randbytes(16)
        out.append(ledger.AppendItem(kind, payload, salt=salt, ref=f"{prefix}-{i:05d}",
                                     time_ms=BASE_TIME_MS + i * 3_600_000))
    return out


def build(seed: int) -> dict[str, int]:
    rnd = random.Random(seed ^ 0x1ED6E5)
    ledger.ensure_defaults()
    # two rounds each, so that the second checkpoint is witnessed with a consistency proof
    ledger.ledger_append_batch("certificates", _items(rnd, "certificate.issue", "DZZZ-DEMO", 160, 0))
    ledger.ledger_append_batch("decisions", _items(rnd, "case.decision", "BJ-DEMO", 120, 0))
    for day in range(8, 4, -1):
        ledger.append_audit_digest(date(2026, 11, 23) - timedelta(days=day))
    published = sum(r.published for r in ledger.ledger_publish_all())
    ledger.ledger_append_batch("certificates", _items(rnd, "certificate.issue", "DZZZ-DEMO", 80, 160))
    ledger.ledger_append_batch("certificates", _items(rnd, "certificate.revoke", "DZZZ-DEMO", 12, 0))
    ledger.ledger_append_batch("decisions", _items(rnd, "case.decision", "BJ-DEMO", 60, 120))
    for day in range(4, 0, -1):
        ledger.append_audit_digest(date(2026, 11, 23) - timedelta(days=day))
    published += sum(r.published for r in ledger.ledger_publish_all())
    from yiwang.ledger.models import Entry

    return {"账本条目": Entry.objects.count(), "已发布检查点": published}
