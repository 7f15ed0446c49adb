"""SQLite with a queue for writers (ADR 0005).

SQLite lets one writer in at a time. A second process that finds the database locked sleeps in
SQLite's busy handler, in steps of 1, 2, 5, 10 … ms, and retries: under steady load the cores sit
idle while writers nap. Here each write transaction first takes an exclusive `flock` on a file beside
the database. Waiting writers block in the kernel and are woken the moment the holder commits, and a
killed process releases its lock with its file descriptors; a writer gives up after WRITER_WAIT_S,
as SQLite's busy timeout would. Writes outside `transaction.atomic`
(autocommit statements) still rely on SQLite's own busy timeout. The write-ahead log is copied
back in the background (`checkpointer`), not by whichever commit finds it long.
"""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

from yiwang.kernel.db.sqlite3 import checkpointer

# How long a writer waits for the lock before it gives up with "database is locked", as SQLite's own
# busy timeout would (a transaction left open in a shell must not hang every request for ever).
WRITER_WAIT_S = 30.0


def _wait_for_lock(path: str, timeout: float) -> int:
    """Wait up to `timeout` for the lock and return a descriptor that holds it.

    `flock` cannot time out, so a helper thread does the blocking call on a descriptor of its own and
    the caller waits on an Event, which wakes the moment the lock is taken. If the caller gives up
    first, the helper lets go of the lock as soon as it gets it.
    """
    got = threading.Event()
    guard = threading.Lock()
    state = {"abandoned": False, "fd": -1}

    def wait() -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        with guard:
            if state["abandoned"]:
                os.close(fd)
                return
            state["fd"] = fd
        got.set()

    threading.Thread(target=wait, name="sqlite-writer-wait", daemon=True).start()
    if not got.wait(timeout):
        with guard:
            if state["fd"] < 0:
                state["abandoned"] = True
                raise OperationalError("database is locked (waited %.0f s for the writer lock)" % timeout)
    return int(state["fd"])


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_extra_fd: int | None = None
    _writer_fd: int | None = None
    _writer_held: bool = False
    _writer_close: weakref.finalize | None = None  # type: ignore[type-arg]

    def _writer_lock_path(self) -> str | None:
        if self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}.writer-lock"

    def _writer_acquire(self) -> None:
        if self._writer_held:
            return
        if self._writer_fd is None:
            path = self._writer_lock_path()
            if path is None:
                return
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            # A wrapper dropped without close() (its thread ended) must not leak the descriptor.
            self._writer_close = weakref.finalize(self, os.close, self._writer_fd)
        try:
            fcntl.flock(self._writer_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._writer_extra_fd = _wait_for_lock(self._writer_lock_path() or "", WRITER_WAIT_S)
        self._writer_held = True

    def _writer_release(self) -> None:
        if self._writer_held and self._writer_fd is not None:
            self._writer_held = False
            if self._writer_extra_fd is not None:
                fd, self._writer_extra_fd = self._writer_extra_fd, None
                os.close(fd)  # closing the descriptor that holds the lock releases it
            else:
                fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    def get_new_connection(self, conn_params: Any) -> Any:
        conn = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            checkpointer.ensure_started(str(self.settings_dict["NAME"]))
        return conn

    def _control(self, sql: str) -> bool:
        """Run a transaction-control statement straight on the driver when nothing needs to see it
        (no query logging, no execute wrappers): Django's cursor wrapper costs more than the
        statement. Returns False when the caller should take Django's path."""
        if self.connection is None or self.queries_logged or self.execute_wrappers:
            return False
        with self.wrap_database_errors:
            self.connection.execute(sql)
        return True

    def _start_transaction_under_autocommit(self) -> None:
        self._writer_acquire()
        try:
            if not self._control(f"BEGIN {getattr(self, 'transaction_mode', None) or ''}"):
                super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._writer_release()
            raise

    def _savepoint(self, sid: str) -> None:
        if not self._control(self.ops.savepoint_create_sql(sid)):
            super()._savepoint(sid)  # type: ignore[misc]

    def _savepoint_rollback(self, sid: str) -> None:
        if not self._control(self.ops.savepoint_rollback_sql(sid)):
            super()._savepoint_rollback(sid)  # type: ignore[misc]

    def _savepoint_commit(self, sid: str) -> None:
        if not self._control(self.ops.savepoint_commit_sql(sid)):
            super()._savepoint_commit(sid)  # type: ignore[misc]

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._writer_release()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._writer_release()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._writer_release()
            if self._writer_close is not None:
                self._writer_close()
                self._writer_close = None
                self._writer_fd = None
