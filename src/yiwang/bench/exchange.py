"""`yiwang bench exchange`: gateway look-ups per second and latency, in process, with masking, the
grant check, the daily quota and per-minute rate count (in the database, shared by all processes),
the access log row and the audit record that every call writes.

Options (key=value): people (2000), lookups (3000), seed (20261123), verify_share (0.2).
`yiwang bench` has already set Django up on the user's data folder, so the run re-executes itself in a
subprocess with YIWANG_HOME=<a temporary folder> (a throw-away SQLite database; with
`--database postgres` DATABASE_URL is passed through unchanged and that database is migrated and used),
migrates, builds a minimal registry and a grant, and times the calls.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

CHILD_FLAG = "YIWANG_BENCH_EXCHANGE_CHILD"


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def run(options: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-exchange-") as home:
        env = {**os.environ, "YIWANG_HOME": home, CHILD_FLAG: "1", "YIWANG_FAST_HASHER": "1"}
        proc = subprocess.run([sys.executable, "-m", "yiwang.bench.exchange", json.dumps(options)], env=env,
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            return {"error": (proc.stderr or proc.stdout)[-2000:]}
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _child(options: dict[str, str]) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    django.setup()
    from datetime import date, timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from yiwang.exchange import services
    from yiwang.exchange.providers import registry_put
    from yiwang.exchange.standard import install
    from yiwang.kernel.context import Actor, acting_as
    from yiwang.kernel.masking import mask_id_number
    from yiwang.kernel.validators import make_credit_code, make_id_number

    n_people = int(options.get("people", "2000"))
    n_lookups = int(options.get("lookups", "3000"))
    verify_share = float(options.get("verify_share", "0.2"))
    rng = random.Random(int(options.get("seed", "20261123")))
    call_command("migrate", verbosity=0, interactive=False)
    t0 = time.perf_counter()
    police = (make_credit_code("1", "1", "990100", "MB0000001"), "示范市公安局")
    health = (make_credit_code("1", "1", "990100", "MB0000002"), "示范市医疗保障局")
    resources = install({"公安局": police, "医保局": health})
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < n_people:
        born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 70 * 365))
        idn = make_id_number("330106", born, rng.randrange(0, 999))
        if idn in seen:
            continue
        seen.add(idn)
        ids.append(idn)
    for n, idn in enumerate(ids):
        registry_put(registry="population", key=idn, key_masked=mask_id_number(idn),
                     subject_ref=f"person:00000000-0000-4000-8000-{n:012d}",
                     data={"xm": f"测试{n}", "xb": "男", "csrq": "1990-01-01", "mz": "汉族", "sfzh": idn,
                           "hjdz": "示范市中心区人民路1号", "hh": f"{n:08d}", "yhzgx": "户主", "hzxm": f"测试{n}"})
    grant = services.grant_create(resource=resources["A0101001"], consumer_code=health[0], consumer_name=health[1],
                                  items=["xm", "xb", "csrq", "sfzh"], purpose="参保核验", legal_basis="《社会保险法》",
                                  valid_until=timezone.now() + timedelta(days=1), masking={"xm": "name"},
                                  rate_per_minute=10_000_000, daily_quota=10_000_000)
    setup_s = time.perf_counter() - t0
    # 5% of the keys are unknown people (not found, still logged).
    keys = [rng.choice(ids) if rng.random() > 0.05 else make_id_number("110105", date(1980, 1, 2), rng.randrange(999))
            for _ in range(n_lookups)]
    times: list[float] = []
    found = masked = 0
    with acting_as(Actor(label="bench: 医保局参保系统")):
        for key in keys[:50]:
            services.gateway_call(resource_code="A0101001", key=key, purpose="参保核验", consumer_code=health[0])
        start = time.perf_counter()
        for key in keys:
            t = time.perf_counter()
            if rng.random() < verify_share:
                res = services.gateway_call(resource_code="A0101001", key=key, purpose="参保核验",
                                            consumer_code=health[0], questions={"xb": "男"})
            else:
                res = services.gateway_call(resource_code="A0101001", key=key, purpose="参保核验",
                                            consumer_code=health[0])
                masked += bool(res.masked_items)
            times.append((time.perf_counter() - t) * 1000)
            found += res.found
        total = time.perf_counter() - start
    from django.db.models import Sum

    from yiwang.exchange.models import AccessLog, GrantUsage
    from yiwang.kernel.models import AuditEntry

    logged = AccessLog.objects.filter(grant=grant).count()
    served = AccessLog.objects.filter(grant=grant, result__in=["ok", "not_found"]).count()
    counted = GrantUsage.objects.filter(grant_id=grant.pk).aggregate(n=Sum("calls"))["n"] or 0
    return {
        "database": connection.vendor,
        "people": n_people,
        "lookups": n_lookups,
        "verify_share": verify_share,
        "setup_s": round(setup_s, 2),
        "lookups_per_s": round(n_lookups / total, 1),
        "lookup_p50_ms": round(_pct(times, 50), 3),
        "lookup_p95_ms": round(_pct(times, 95), 3),
        "lookup_p99_ms": round(_pct(times, 99), 3),
        "lookup_max_ms": round(max(times), 3),
        "lookup_mean_ms": round(statistics.fmean(times), 3),
        "found": found,
        "masked_answers": masked,
        "access_log_rows": logged,
        "log_rows_match_calls": logged == n_lookups + 50,
        "usage_count_matches_served": counted == served,
        "audit_rows": AuditEntry.objects.filter(action__startswith="exchange.").count(),
    }


if __name__ == "__main__":
    if os.environ.get(CHILD_FLAG) != "1":
        raise SystemExit("run through `yiwang bench exchange`")
    print(json.dumps(_child(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}), ensure_ascii=False))
