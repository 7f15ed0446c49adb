"""SQLite with a queue for writers (ADR 0005).

SQLite lets one writer in at a time. A second process that finds the database locked sleeps in
SQLite's busy handler, in steps of 1, 2, 5, 10 … ms, and retries: under steady load the cores sit
idle while writers nap. Here each write transaction first takes an exclusive `flock` on a file beside
the database. Waiting writers block in the kernel and are woken the moment the holder commits, and a
killed process releases its lock with its file descriptors. Writes outside `transaction.atomic`
(autocommit statements) still rely on SQLite's own busy timeout. The write-ahead log is copied
back in the background (`checkpointer`), not by whichever commit finds it long.
"""

from __future__ import annotations

import fcntl
import os
import weakref
from typing import Any

from django.db.backends.sqlite3 import base

from yiwang.kernel.db.sqlite3 import checkpointer


class DatabaseWrapper(base.DatabaseWrapper):
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
        fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
        self._writer_held = True

    def _writer_release(self) -> None:
        if self._writer_held and self._writer_fd is not None:
            self._writer_held = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    def get_new_connection(self, conn_params: Any) -> Any:
        conn = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            checkpointer.ensure_started(str(self.settings_dict["NAME"]))
        return conn

    def _start_transaction_under_autocommit(self) -> None:
        self._writer_acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._writer_release()
            raise

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
