"""The SQLite backend queues write transactions on a file lock (ADR 0005)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from yiwang.kernel.db.sqlite3.base import DatabaseWrapper

# The tests open their own databases in files; the mark only lifts pytest-django's block on connecting.
pytestmark = pytest.mark.django_db


def _wrapper(path: Path) -> DatabaseWrapper:
    settings = {**connections.settings["default"], "NAME": str(path), "ENGINE": "yiwang.kernel.db.sqlite3",
                "OPTIONS": {"transaction_mode": "IMMEDIATE"}, "TEST": {}}
    return DatabaseWrapper(settings, alias="writer-lock-test")


def _lock_is_free(path: Path) -> bool:
    fd = os.open(f"{path}.writer-lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _begin(db: Any) -> None:
    db.ensure_connection()
    db._start_transaction_under_autocommit()


def test_a_write_transaction_holds_the_lock_until_commit_or_rollback(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = _wrapper(path)
    try:
        _begin(db)
        db.cursor().execute("CREATE TABLE t (n integer)")
        assert not _lock_is_free(path)
        db._commit()
        assert _lock_is_free(path)
        _begin(db)
        db.cursor().execute("INSERT INTO t VALUES (1)")
        db._rollback()
        assert _lock_is_free(path)
        assert db.cursor().execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
        _begin(db)
    finally:
        db.close()  # closing mid-transaction lets go too
    assert _lock_is_free(path)


def test_an_in_memory_database_takes_no_lock(tmp_path: Path) -> None:
    db = DatabaseWrapper({**connections.settings["default"], "NAME": ":memory:", "OPTIONS": {}, "TEST": {}},
                         alias="memory-test")
    try:
        _begin(db)
        assert db._writer_fd is None
        db._commit()
    finally:
        db.close()


@pytest.mark.parametrize("writers", [2])
def test_concurrent_writer_processes_all_commit(tmp_path: Path, writers: int) -> None:
    """Several processes appending in transactions: none fails with "database is locked" and no
    increment is lost."""
    path = tmp_path / "db.sqlite3"
    db = _wrapper(path)
    db.ensure_connection()
    db.cursor().execute("PRAGMA journal_mode=WAL")
    db.cursor().execute("CREATE TABLE counter (n integer)")
    db.cursor().execute("INSERT INTO counter VALUES (0)")
    db.close()
    script = textwrap.dedent(f"""
        import django, os
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
        django.setup()
        from django.db import connections
        from yiwang.kernel.db.sqlite3.base import DatabaseWrapper
        db = DatabaseWrapper({{**connections.settings["default"], "NAME": {str(path)!r},
                              "OPTIONS": {{"transaction_mode": "IMMEDIATE", "timeout": 0.05}}, "TEST": {{}}}}, alias="w")
        db.ensure_connection()
        for _ in range(200):
            db._start_transaction_under_autocommit()
            n = db.cursor().execute("SELECT n FROM counter").fetchone()[0]
            db.cursor().execute("UPDATE counter SET n = %s", [n + 1])
            db._commit()
        db.close()
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE) for _ in range(writers)]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    db = _wrapper(path)
    try:
        db.ensure_connection()
        assert db.cursor().execute("SELECT n FROM counter").fetchone()[0] == 200 * writers
    finally:
        db.close()


def test_the_write_ahead_log_is_copied_back_in_the_background(tmp_path: Path) -> None:
    import threading
    import time

    path = tmp_path / "db.sqlite3"
    db = _wrapper(path)
    try:
        db.ensure_connection()
        db.cursor().execute("PRAGMA journal_mode=WAL")
        db.cursor().execute("PRAGMA wal_autocheckpoint=100000")  # far away: only the thread copies
        assert any(t.name == "sqlite-wal-checkpoint" for t in threading.enumerate())
        _begin(db)
        db.cursor().execute("CREATE TABLE t (n integer, s text)")
        for n in range(2000):
            db.cursor().execute("INSERT INTO t VALUES (%s, %s)", [n, "政务服务" * 10])
        db._commit()
        before = path.stat().st_size
        deadline = time.monotonic() + 10
        while path.stat().st_size <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > before  # the pages reached the database file
    finally:
        db.close()


def _hold_lock_in_another_process(path: Path, seconds: float) -> subprocess.Popen[bytes]:
    script = textwrap.dedent(f"""
        import fcntl, os, sys, time
        fd = os.open({f"{path}.writer-lock"!r}, os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        print("held", flush=True)
        time.sleep({seconds})
    """)
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
    return holder


def test_a_writer_waits_for_the_holder_and_goes_in_the_moment_it_lets_go(tmp_path: Path) -> None:
    import time

    path = tmp_path / "db.sqlite3"
    holder = _hold_lock_in_another_process(path, 0.6)
    db = _wrapper(path)
    try:
        start = time.monotonic()
        _begin(db)
        waited = time.monotonic() - start
        assert 0.3 < waited < 5
        assert not _lock_is_free(path)
        db._commit()
        assert _lock_is_free(path)
    finally:
        db.close()
        holder.wait(timeout=10)


def test_a_writer_gives_up_with_database_is_locked_after_the_wait(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from django.db import OperationalError

    from yiwang.kernel.db.sqlite3 import base as backend

    monkeypatch.setattr(backend, "WRITER_WAIT_S", 0.3)
    path = tmp_path / "db.sqlite3"
    holder = _hold_lock_in_another_process(path, 1.5)
    db = _wrapper(path)
    try:
        db.ensure_connection()
        with pytest.raises(OperationalError, match="database is locked"):
            db._start_transaction_under_autocommit()
        holder.wait(timeout=10)
        deadline = time.monotonic() + 5
        while not _lock_is_free(path) and time.monotonic() < deadline:  # the helper let go of it
            time.sleep(0.05)
        assert _lock_is_free(path)
        _begin(db)  # and the next try gets in
        db._commit()
    finally:
        db.close()
