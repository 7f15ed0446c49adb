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

Options (key=value): duration=5 (seconds of HTTP load), clients=2 (client processes), workers=2
(gunicorn worker processes), threads=1 (per worker), worker_class=gthread (keep-alive; `sync` closes
every connection), warmup=1 (seconds).
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

PATH = "/api/v1/identity/me"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


class _LeanConnection:
    """A minimal HTTP/1.1 keep-alive client (like wrk's): one pre-built GET, responses parsed just
    enough to find the status and Content-Length. It keeps the load generator's own CPU use small,
    since it shares the machine with the server."""

    def __init__(self, port: int, request: bytes):
        self.port, self.request = port, request
        self.sock: socket.socket | None = None
        self.buf = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.buf = sock, b""
        return sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def get(self) -> int:
        sock = self.sock or self._connect()
        sock.sendall(self.request)
        buf = self.buf
        while (head_end := buf.find(b"\r\n\r\n")) < 0:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        head = buf[:head_end].lower()
        status = int(head[9:12])
        pos = head.find(b"content-length:")
        if pos < 0:
            raise ConnectionError("no content-length")
        length = int(head[pos + 15:head.find(b"\r\n", pos) if head.find(b"\r\n", pos) > 0 else None])
        total = head_end + 4 + length
        while len(buf) < total:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        self.buf = buf[total:]
        if b"connection: close" in head:
            self.close()
        return status


def _client(port: int, token: str, start_at: float, stop_at: float, out: Any) -> None:
    request = (f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
               "Connection: keep-alive\r\n\r\n").encode()
    conn = _LeanConnection(port, request)
    ok = errors = 0
    latencies: list[float] = []
    while True:
        t0 = time.perf_counter()
        if t0 >= stop_at:
            break
        try:
            status = conn.get()
        except (OSError, ValueError):
            conn.close()
            status = 0
        t1 = time.perf_counter()
        if t0 >= start_at:
            if status == 200:
                ok += 1
                if len(latencies) < 200_000:
                    latencies.append(t1 - t0)
            else:
                errors += 1
    conn.close()
    out.put((ok, errors, latencies))


def _wait_ready(port: int, token: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited early")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", PATH, headers={"Authorization": f"Bearer {token}"})
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            if resp.status == 200:
                return
            raise RuntimeError(f"unexpected {resp.status}: {body[:200]!r}")
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _http_load(env: dict[str, str], token: str, *, workers: int, threads: int, clients: int, duration: float,
               warmup: float, worker_class: str = "gthread") -> dict[str, Any]:
    port = _free_port()
    cmd = [sys.executable, "-m", "gunicorn", "yiwang.wsgi:application", "--workers", str(workers),
           "--threads", str(threads), "--worker-class", worker_class, "--keep-alive", "30",
           "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--worker-connections", "1000"]
    log_path = os.path.join(env["YIWANG_HOME"], "gunicorn.log")
    log = open(log_path, "wb")  # noqa: SIM115 - closed in the finally below
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        try:
            _wait_ready(port, token, server)
        except RuntimeError as exc:
            with open(log_path, "rb") as fh:
                raise RuntimeError(f"{exc}: {fh.read()[-2000:].decode(errors='replace')}") from None
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        start_at = time.perf_counter() + 0.5 + warmup  # perf_counter is system-wide (CLOCK_MONOTONIC)
        stop_at = start_at + duration
        procs = [ctx.Process(target=_client, args=(port, token, start_at, stop_at, out)) for _ in range(clients)]
        for p in procs:
            p.start()
        results = [out.get(timeout=duration + warmup + 60) for _ in procs]
        for p in procs:
            p.join(timeout=10)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    ok = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    latencies = sorted(x for r in results for x in r[2])

    def pct(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 2) if latencies else 0.0

    return {
        "authenticated_requests_per_s": round(ok / duration),
        "http_errors": errors,
        "latency_ms_p50": pct(0.50),
        "latency_ms_p99": pct(0.99),
        "latency_ms_mean": round(statistics.fmean(latencies) * 1000, 2) if latencies else 0.0,
    }


def run(options: dict[str, str]) -> dict[str, Any]:
    duration = float(options.get("duration", "5"))
    clients = int(options.get("clients", "2"))
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
        figures.update(_http_load(env, token, workers=workers, threads=threads, clients=clients,
                                  duration=duration, warmup=warmup, worker_class=worker_class))
        figures.update({"goal_authenticated_requests_per_s": 1000, "goal_token_validations_per_s": 5000,
                        "workers": workers, "threads": threads, "worker_class": worker_class, "clients": clients, "duration_s": duration,
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
