"""A bare Django project, the yardstick of the HTTP benchmarks: one view that inserts one row.

The issue goals for submissions were set against "a bare Django insert view" on the reference
machine; measuring that view here, served and loaded exactly like the platform, says how fast this
machine is, so that figures from different machines can be compared (`yiwang bench cases` reports
`reference_inserts_per_s` and the ratio of the two).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from typing import Any

from yiwang.bench import httpload

PATH = "/notes"


def prepare(env: dict[str, str]) -> dict[str, str]:
    """Create the reference table; returns the environment the reference server runs with."""
    env = {**env, "DJANGO_SETTINGS_MODULE": "yiwang.bench.reference.settings"}
    subprocess.run([sys.executable, "-m", "yiwang.bench.reference"], env=env, check=True, capture_output=True,
                   timeout=300)
    return env


def server(env: dict[str, str], *, workers: int, threads: int) -> contextlib.AbstractContextManager[int]:
    """The reference view under gunicorn, configured like the platform's server; yields the port."""
    return httpload.gunicorn("yiwang.bench.reference.wsgi:application", env, ready=("GET", PATH, {}),
                             workers=workers, threads=threads, log_dir=env["YIWANG_HOME"])


def request(port: int) -> bytes:
    body = json.dumps({"title": "基准参照"}, ensure_ascii=False).encode()
    return httpload.build_request(port, "POST", PATH, {"Content-Type": "application/json"}, body)


def measure(env: dict[str, str], *, workers: int, threads: int, clients: int, duration: float,
            warmup: float) -> dict[str, Any]:
    """`reference_inserts_per_s` (and p95): the bare insert view under the same server and clients."""
    env = prepare(env)
    with server(env, workers=workers, threads=threads) as port:
        result = httpload.load(port, [request(port)] * clients, expect=201, duration=duration, warmup=warmup)
    return {"reference_inserts_per_s": result.per_s, "reference_insert_p95_ms": result.pct_ms(95),
            "reference_errors": result.errors}
