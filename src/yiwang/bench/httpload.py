"""HTTP load for the benchmarks: a gunicorn server in a child process and lean keep-alive clients.

The clients are separate processes sending one pre-built request over and over (like wrk); they
share the machine with the server, so they do as little as possible per request.
"""

from __future__ import annotations

import contextlib
import http.client
import multiprocessing
import os
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

MAX_LATENCIES = 200_000  # per client; enough for percentiles, bounded memory


def percentile_ms(seconds: list[float], p: float) -> float:
    """The p-th percentile of durations in seconds, in milliseconds (0 when there are none)."""
    if not seconds:
        return 0.0
    ordered = sorted(seconds)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_request(port: int, method: str, path: str, headers: dict[str, str] | None = None,
                  body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class LeanConnection:
    """A minimal HTTP/1.1 keep-alive client: one pre-built request, responses parsed just enough to
    find the status and Content-Length."""

    def __init__(self, port: int, request: bytes):
        self.port, self.request = port, request
        self.sock: socket.socket | None = None
        self.buf = b""
        self.sent_at = 0.0
        self.must_close = False

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.buf = sock, b""
        return sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def send(self) -> None:
        sock = self.sock or self.connect()
        self.sent_at = time.perf_counter()  # system-wide (CLOCK_MONOTONIC), comparable across processes
        sock.sendall(self.request)

    def take_response(self) -> int | None:
        """The status of the response complete in the buffer (removing it), or None while incomplete."""
        buf = self.buf
        head_end = buf.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        head = buf[:head_end].lower()
        pos = head.find(b"content-length:")
        if pos < 0:
            raise ConnectionError("no content-length")
        line_end = head.find(b"\r\n", pos)
        total = head_end + 4 + int(head[pos + 15:line_end if line_end > 0 else None])
        if len(buf) < total:
            return None
        self.buf = buf[total:]
        self.must_close = b"connection: close" in head
        return int(head[9:12])

    def receive(self) -> None:
        """Read what the socket has (blocking for at least one byte)."""
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        self.buf += chunk

    def get(self) -> int:
        """Send the request, read the whole response, return its status."""
        self.send()
        while (status := self.take_response()) is None:
            self.receive()
        if self.must_close:
            self.close()
        return status


def _client(port: int, requests: list[bytes], expect: int, start_at: float, stop_at: float, out: Any) -> None:
    """Keeps one request in flight on each of its connections (like wrk): as soon as a response is
    complete the connection sends its next request, until `stop_at`."""
    ok = errors = 0
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    selector = selectors.DefaultSelector()

    def start(conn: LeanConnection) -> None:
        conn.send()
        assert conn.sock is not None
        selector.register(conn.sock, selectors.EVENT_READ, conn)

    def count(status: int, latency: float, sent_at: float) -> None:
        nonlocal ok, errors
        if sent_at < start_at:
            return
        if status == expect:
            ok += 1
            if len(latencies) < MAX_LATENCIES:
                latencies.append(latency)
        else:
            errors += 1
            statuses[status] = statuses.get(status, 0) + 1

    for request in requests:
        start(LeanConnection(port, request))
    while selector.get_map():
        for key, _ in selector.select(timeout=5):
            conn: LeanConnection = key.data
            try:
                conn.receive()
                status = conn.take_response()
            except (OSError, ValueError):
                selector.unregister(key.fileobj)
                conn.close()
                count(0, 0.0, conn.sent_at)
                if time.perf_counter() < stop_at:
                    start(conn)
                continue
            if status is None:
                continue
            now = time.perf_counter()
            count(status, now - conn.sent_at, conn.sent_at)
            if conn.must_close or now >= stop_at:  # the server closes it, or time is up
                selector.unregister(key.fileobj)
                conn.close()
                if now < stop_at:
                    start(conn)
                continue
            conn.send()
    out.put((ok, errors, latencies, statuses))


@dataclass
class LoadResult:
    duration: float
    ok: int = 0
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        return round(self.ok / self.duration, 1) if self.duration else 0.0

    def add(self, other: LoadResult) -> None:
        self.duration += other.duration
        self.ok += other.ok
        self.errors += other.errors
        self.latencies += other.latencies
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n

    def pct_ms(self, p: float) -> float:
        return percentile_ms(self.latencies, p)


def load(port: int, requests: list[bytes], *, expect: int, duration: float, warmup: float,
         connections: int = 1) -> LoadResult:
    """One client process per request in `requests`, each keeping `connections` of it in flight,
    for `duration` seconds after `warmup` seconds; counts responses with status `expect`.

    Several connections per client keep every server worker busy: gunicorn pins a keep-alive
    connection to the worker that accepted it, and with one connection per worker two of them
    often land on the same worker, halving the throughput measured."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start_at = time.perf_counter() + 0.5 + warmup
    stop_at = start_at + duration
    procs = [ctx.Process(target=_client, args=(port, [request] * connections, expect, start_at, stop_at, out))
             for request in requests]
    for p in procs:
        p.start()
    results = [out.get(timeout=duration + warmup + 120) for _ in procs]
    for p in procs:
        p.join(timeout=10)
    result = LoadResult(duration=duration)
    for ok, errors, latencies, statuses in results:
        result.add(LoadResult(duration=0.0, ok=ok, errors=errors, latencies=latencies,
                              statuses={str(k): v for k, v in statuses.items()}))
    return result


def _wait_ready(port: int, proc: subprocess.Popen[bytes], ready: tuple[str, str, dict[str, str]],
                timeout: float = 60) -> None:
    method, path, headers = ready
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited early")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request(method, path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            if resp.status == 200:
                return
            raise RuntimeError(f"unexpected {resp.status}: {body[:200]!r}")
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


@contextlib.contextmanager
def gunicorn(app: str, env: dict[str, str], *, ready: tuple[str, str, dict[str, str]], workers: int = 2,
             threads: int = 1, worker_class: str = "gthread", log_dir: str) -> Iterator[int]:
    """Serve the WSGI `app` ("module:name") with gunicorn; yields the port once `ready` (method,
    path, headers) answers 200. Stops the server on exit."""
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", app, "--workers", str(workers), "--threads", str(threads),
           "--worker-class", worker_class, "--keep-alive", "30", "--worker-connections", "1000",
           "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    log_path = os.path.join(log_dir, "gunicorn.log")
    with open(log_path, "wb") as log:
        server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            try:
                _wait_ready(port, server, ready)
            except RuntimeError as exc:
                with open(log_path, "rb") as fh:
                    raise RuntimeError(f"{exc}: {fh.read()[-2000:].decode(errors='replace')}") from None
            yield port
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
