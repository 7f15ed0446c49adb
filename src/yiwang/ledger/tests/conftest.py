from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from yiwang.ledger import selectors, services
from yiwang.ledger.models import Log


@pytest.fixture(autouse=True)
def _fresh_tree_cache() -> Iterator[None]:
    selectors.forget_trees()
    yield
    selectors.forget_trees()


@dataclass
class Ledger:
    log: Log

    def append(self, n: int, kind: str = "certificate.issue", start: int = 0) -> list[services.Appended]:
        items = [services.AppendItem(kind, hashlib.sha256(f"payload {start + i}".encode()).digest(),
                                     ref=f"ref-{start + i}") for i in range(n)]
        out = services.ledger_append_batch(self.log.name, items)
        self.log.refresh_from_db()
        return out

    def publish(self) -> services.PublishResult:
        r = services.ledger_publish(self.log.name)
        self.log.refresh_from_db()
        return r


@pytest.fixture
def ledger(db: None) -> Ledger:
    services.ensure_witnesses()
    return Ledger(services.ensure_log("certificates", title="电子证照签发与注销"))
