"""The benchmarks' yardstick: the bare reference view served by gunicorn and loaded by the lean clients."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from yiwang.bench import httpload, reference


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "YIWANG_HOME": str(home), "DJANGO_SETTINGS_MODULE": "yiwang.bench.reference.settings"}
    env.pop("DATABASE_URL", None)  # always its own SQLite file, never the suite's database
    return env


def test_measure_counts_rows_really_inserted(tmp_path: Path) -> None:
    figures = reference.measure(_env(tmp_path), workers=1, threads=1, clients=1, duration=0.5, warmup=0.2)
    assert figures["reference_errors"] == 0
    with sqlite3.connect(tmp_path / "reference.sqlite3") as db:
        rows = db.execute("SELECT count(*) FROM bench_reference_note").fetchone()[0]
    # Rows inserted during warm-up are not counted, so the table holds at least the counted ones.
    assert rows >= figures["reference_inserts_per_s"] * 0.5 > 0
    assert figures["reference_insert_p95_ms"] > 0


def test_bad_body_is_refused_and_counted_as_error(tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run([sys.executable, "-m", "yiwang.bench.reference"], env=env, check=True, timeout=120)
    with httpload.gunicorn("yiwang.bench.reference.wsgi:application", env, ready=("GET", reference.PATH, {}),
                           workers=1, log_dir=str(tmp_path)) as port:
        bad = httpload.build_request(port, "POST", reference.PATH, {"Content-Type": "application/json"}, b"{}")
        conn = httpload.LeanConnection(port, bad)
        assert conn.get() == 400
        assert conn.get() == 400  # the keep-alive connection survives an error answer
        conn.close()
        result = httpload.load(port, [bad], expect=201, duration=0.3, warmup=0.1)
    assert result.ok == 0 and result.errors > 0 and set(result.statuses) == {"400"}
