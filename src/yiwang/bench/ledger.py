"""`yiwang bench ledger [leaves=1048576] [appends=20000] [batch=256] [seconds=2]`

Figures (goals for a 2-core machine in brackets):
- appends_per_s: durable batched appends through `ledger_append_batch` (SQLite WAL, synchronous=FULL,
  one commit per batch of `batch`) [≥ 5,000]
  (appends_batch16_per_s: the same with batches of 16)
- inclusion_proofs_per_s / consistency_proofs_per_s: proofs from the selectors at `leaves` leaves
  (2^20 by default), random indexes, after the tree cache is loaded from the database [≥ 20,000]
- bundle_checks_per_s: full offline check of a `.tlog-proof` (Ed25519 log signature, all three
  cosignatures, inclusion path) [≥ 2,000]; bundle_checks_sm2_per_s with the SM2 line checked as well
- bundle_bytes: size of the largest of a few proof bundles at `leaves` (+1) leaves [≤ 2,048]
- publish_s, witness_round_trip_ms: sign a checkpoint and collect 3 in-process cosignatures
"""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
import time
from typing import Any


def _fresh_database() -> str:
    from django.core.management import call_command
    from django.db import connections

    conn = connections["default"]
    vendor = conn.vendor
    if vendor == "sqlite":
        folder = tempfile.mkdtemp(prefix="yiwang-bench-ledger-")
        conn.close()
        conn.settings_dict["NAME"] = os.path.join(folder, "bench.sqlite3")
    call_command("migrate", interactive=False, verbosity=0)
    if vendor == "sqlite":
        with conn.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=FULL")  # durable: every commit is fsynced
    return vendor


def _items(n: int, start: int) -> list[Any]:
    from yiwang.ledger.services import AppendItem

    return [AppendItem("record", hashlib.sha256((start + i).to_bytes(8, "big")).digest(), salt=b"\0" * 16)
            for i in range(n)]


def _rate(fn: Any, seconds: float) -> float:
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(200):
            fn()
        count += 200
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def run(options: dict[str, str]) -> dict[str, Any]:
    from django.db import connection

    from yiwang.ledger import bundle, selectors, services
    from yiwang.ledger.models import Log

    leaves = int(options.get("leaves", 2**20))
    appends = int(options.get("appends", 20_000))
    batch = int(options.get("batch", 256))
    seconds = float(options.get("seconds", 2))
    figures: dict[str, Any] = {"leaves": leaves, "batch": batch}
    figures["database"] = _fresh_database()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous")
            sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(cursor.fetchone()[0], "?")
        figures["sqlite"] = f"journal_mode={journal} synchronous={sync}"
    services.ensure_witnesses()

    # 1. durable batched appends
    services.ensure_log("bench-append", title="bench")
    t0 = time.perf_counter()
    done = 0
    while done < appends:
        n = min(batch, appends - done)
        services.ledger_append_batch("bench-append", _items(n, done))
        done += n
    figures["appends_per_s"] = round(appends / (time.perf_counter() - t0))
    small = max(appends // 4, 16)
    t0 = time.perf_counter()
    for start in range(0, small, 16):
        services.ledger_append_batch("bench-append", _items(16, appends + start))
    figures["appends_batch16_per_s"] = round(small // 16 * 16 / (time.perf_counter() - t0))

    # 2. a log of `leaves` entries (big batches), then proofs from the cache
    services.ensure_log("bench-proofs", title="bench")
    t0 = time.perf_counter()
    done = 0
    while done < leaves:
        n = min(8192, leaves - done)
        services.ledger_append_batch("bench-proofs", _items(n, done))
        done += n
    figures["fill_s"] = round(time.perf_counter() - t0, 1)
    log = Log.objects.get(name="bench-proofs")
    selectors.forget_trees()
    t0 = time.perf_counter()
    selectors.tree_for(log, log.size)
    figures["tree_load_s"] = round(time.perf_counter() - t0, 2)
    rnd = random.Random(7)
    size = log.size
    figures["inclusion_proofs_per_s"] = round(_rate(
        lambda: selectors.inclusion_proof(log, rnd.randrange(size), size), seconds))
    figures["consistency_proofs_per_s"] = round(_rate(
        lambda: selectors.consistency_proof(log, rnd.randrange(1, size), size), seconds))

    # 3. publish (checkpoint + 3 witnesses), bundle size, offline checks
    t0 = time.perf_counter()
    services.ledger_publish("bench-proofs")
    figures["publish_s"] = round(time.perf_counter() - t0, 3)
    services.ledger_append_batch("bench-proofs", _items(1, leaves))
    t0 = time.perf_counter()
    result = services.ledger_publish("bench-proofs")  # witnesses now check a consistency proof
    figures["witness_round_trip_ms"] = round((time.perf_counter() - t0) * 1000 / 3, 1)
    figures["published"] = result.published
    log.refresh_from_db()
    # the longest proofs are those of the entries left of the last power of two (20-21 hashes)
    candidates = [selectors.proof_bundle("bench-proofs", i) for i in (0, min(12_345, leaves - 1), leaves // 2 + 1, leaves - 1)]
    b = max(candidates, key=lambda x: len(x.data))
    figures["bundle_bytes"] = len(b.data)
    figures["bundle_proof_hashes"] = len(b.data.decode().split("\n\n")[0].split("\n")) - 3
    full = selectors.trust_policy([log])
    ed_only = bundle.TrustPolicy(
        {o: bundle.TrustedLog(t.origin, t.hash_name, [k for k in t.keys if k.kind == "ed25519"])
         for o, t in full.logs.items()}, full.witnesses, full.quorum)
    check = bundle.verify_bundle(b.data, ed_only)
    assert check.ok and len(check.cosigners) == 3, check.reasons
    figures["bundle_checks_per_s"] = round(_rate(lambda: bundle.verify_bundle(b.data, ed_only), seconds))
    assert bundle.verify_bundle(b.data, full).ok
    figures["bundle_checks_sm2_per_s"] = round(_rate(lambda: bundle.verify_bundle(b.data, full), seconds / 2))
    return figures
