"""`yiwang bench auth`: authentication throughput.

Figures:
- `authenticated_requests_per_s`: small authenticated API GETs (`GET /api/v1/identity/me` with a
  bearer token) over HTTP against gunicorn, from several keep-alive client processes. Goal ≥ 1,000.
- `token_validations_per_s`: `identity.auth.validate_token` in process (the cached path every request
  takes). Goal ≥ 5,000. `token_validations_uncached_per_s`: the same with a database look-up each time.
- latency percentiles of the HTTP requests and the settings used.

Everything runs on a throw-away SQLite database in a temporary folder (never the caller's data):
the database set-up and the in-process measurements run in a child process whose YIWANG_HOME points
there, and gunicorn is started with the same environment.

Options (key=value): duration=5 (seconds of HTTP load), clients=2 (client processes), connections=2
(requests each client keeps in flight, on keep-alive connections), workers=2
(gunicorn worker processes), threads=1 (per worker), worker_class=gthread (keep-alive; `sync` closes
every connection), warmup=1 (seconds).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from yiwang.bench import httpload

PATH = "/api/v1/identity/me"


def _child_env(home: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update({"YIWANG_HOME": home, "YIWANG_FAST_HASHER": "1", "DJANGO_SETTINGS_MODULE": "yiwang.settings",
                "YIWANG_DEBUG": "0", "YIWANG_LOG_LEVEL": "ERROR", "PYTHONUNBUFFERED": "1"})
    return env


# --- child process: database, token, in-process validation figures ----------------------------


def _child_setup_and_measure(validate_seconds: float) -> dict[str, Any]:
    import secrets
    from datetime import date, timedelta

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application, set_token_value

    from yiwang.identity import auth, services
    from yiwang.kernel.context import Actor, acting_as
    from yiwang.kernel.validators import make_id_number

    call_command("migrate", interactive=False, verbosity=0, skip_checks=True)
    with acting_as(Actor(label="bench")):
        person = services.person_register(real_name="基准测试", id_number=make_id_number("330106", date(1990, 1, 1), 11),
                                          phone="13800009999", password=secrets.token_urlsafe(16))
        app, _secret = services.client_register(name="bench", grant=Application.GRANT_AUTHORIZATION_CODE,
                                                scopes=["openid", "profile"],
                                                redirect_uris="http://127.0.0.1:8765/callback")
    raw = secrets.token_urlsafe(32)
    token = AccessToken(user=person.user, application=app, scope="openid profile",
                        expires=timezone.now() + timedelta(hours=2))
    set_token_value(token, raw)
    token.save()

    def rate(fn: Any) -> float:
        n, start = 0, time.perf_counter()
        deadline = start + validate_seconds
        while True:
            for _ in range(200):
                fn()
            n += 200
            now = time.perf_counter()
            if now >= deadline:
                return n / (now - start)

    assert auth.validate_token(raw) is not None
    cached = rate(lambda: auth.validate_token(raw))
    uncached = rate(lambda: auth.validate_token(raw, use_cache=False))
    return {"token": raw, "token_validations_per_s": round(cached), "token_validations_uncached_per_s": round(uncached)}


# --- HTTP load -----------------------------------------------------------------------------------


def _http_load(env: dict[str, str], token: str, *, workers: int, threads: int, clients: int, duration: float,
               warmup: float, worker_class: str = "gthread", connections: int = 2) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpload.gunicorn("yiwang.wsgi:application", env, ready=("GET", PATH, headers), workers=workers,
                           threads=threads, worker_class=worker_class, log_dir=env["YIWANG_HOME"]) as port:
        request = httpload.build_request(port, "GET", PATH, headers)
        result = httpload.load(port, [request] * clients, expect=200, duration=duration, warmup=warmup,
                               connections=connections)
    return {
        "authenticated_requests_per_s": round(result.per_s),
        "http_errors": result.errors,
        "latency_ms_p50": result.pct_ms(50),
        "latency_ms_p99": result.pct_ms(99),
        "latency_ms_mean": round(statistics.fmean(result.latencies) * 1000, 2) if result.latencies else 0.0,
    }


def run(options: dict[str, str]) -> dict[str, Any]:
    duration = float(options.get("duration", "5"))
    clients = int(options.get("clients", "2"))
    connections = int(options.get("connections", "2"))
    workers = int(options.get("workers", "2"))
    threads = int(options.get("threads", "1"))
    warmup = float(options.get("warmup", "1"))
    worker_class = options.get("worker_class", "gthread")
    home = tempfile.mkdtemp(prefix="yiwang-bench-auth-")
    env = _child_env(home)
    try:
        child = subprocess.run([sys.executable, "-m", "yiwang.bench.auth", "--child", "2"], env=env,
                               capture_output=True, text=True, timeout=600)
        if child.returncode != 0:
            raise RuntimeError(f"bench set-up failed: {child.stderr[-2000:]}")
        prepared = json.loads(child.stdout.strip().splitlines()[-1])
        token = prepared.pop("token")
        figures: dict[str, Any] = dict(prepared)
        figures.update(_http_load(env, token, workers=workers, threads=threads, clients=clients, connections=connections,
                                  duration=duration, warmup=warmup, worker_class=worker_class))
        figures.update({"goal_authenticated_requests_per_s": 1000, "goal_token_validations_per_s": 5000,
                        "workers": workers, "threads": threads, "worker_class": worker_class, "clients": clients,
                        "connections_per_client": connections, "duration_s": duration,
                        "cpus": os.cpu_count() or 0, "endpoint": f"GET {PATH}"})
        return figures
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--child":
        seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
        print(json.dumps(_child_setup_and_measure(seconds)))
    else:
        from yiwang.bench import run_bench

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
        raise SystemExit(run_bench("auth", options=sys.argv[1:]))
