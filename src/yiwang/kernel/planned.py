"""Plan outside the write transaction, write in a short one (ADR 0006).

On SQLite one writer holds the database at a time, so everything a transaction does between BEGIN
and COMMIT is serialised across processes. A workflow transition spent three quarters of its time
there reading rows, running the rules and building objects. `run_planned(fn)` instead calls `fn`
with no transaction open: it reads committed rows and computes, and every write it asks for through
`fastsql` (or `later`) is recorded, not executed. Then one short transaction replays the recorded
writes in order. A guarded write (optimistic lock, e.g. the case's `row_version`) that finds its row
changed since it was read raises `Stale`; the transaction rolls back and `fn` plans again from fresh
reads, up to `attempts` times.

While planning, the default connection refuses any statement that is not a read, so a write that
bypasses the plan fails loudly instead of committing on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction

T = TypeVar("T")
logger = logging.getLogger(__name__)

_READ_PREFIXES = ("SELECT", "WITH", "SAVEPOINT", "RELEASE", "ROLLBACK TO", "PRAGMA")


class Stale(Exception):
    """A guarded write found its row changed since the plan read it: plan again."""


class WriteWhilePlanning(RuntimeError):
    """A statement that writes ran while planning, bypassing the plan (a programming error)."""


class Plan:
    """The writes of one unit of work, in the order they were asked for."""

    def __init__(self, discards: list[Callable[[], Any]] | None = None) -> None:
        self.steps: list[Callable[[], Any]] = []
        # Undo for side effects outside the database (files) made while planning; shared with sub-plans.
        self.discards: list[Callable[[], Any]] = [] if discards is None else discards

    def add(self, step: Callable[[], Any]) -> None:
        self.steps.append(step)

    def apply(self) -> None:
        """Run the recorded writes (inside the caller's transaction)."""
        for step in self.steps:
            step()

    def discard(self) -> None:
        """The plan will not be applied: undo what planning left outside the database."""
        for undo in self.discards:
            try:
                undo()
            except Exception:  # an undo that fails leaves an orphan, never hides the real outcome
                logger.warning("planned: discarding a side effect failed", exc_info=True)
        self.discards.clear()


_current: ContextVar[Plan | None] = ContextVar("yiwang_write_plan", default=None)


def current() -> Plan | None:
    """The plan being recorded in this context, if any."""
    return _current.get()


def later(step: Callable[[], Any]) -> None:
    """Run `step` with the plan's writes (in order), or now when nothing is being planned. For writes
    that need what the database returns, or that read what earlier steps wrote (rare paths)."""
    plan = _current.get()
    if plan is None:
        step()
    else:
        plan.add(step)


def on_discard(undo: Callable[[], Any]) -> None:
    """Call `undo` if the plan being recorded is not applied (planned again, refused, or its
    transaction failed): for side effects that cannot wait for the transaction, like storing an
    uploaded file. Nothing is registered when no plan is being recorded."""
    plan = _current.get()
    if plan is not None:
        plan.discards.append(undo)


def reads_only(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    """The connection's execute wrapper while planning: reads pass, writes raise."""
    if _current.get() is not None and not sql.lstrip()[:11].upper().startswith(_READ_PREFIXES):
        raise WriteWhilePlanning(f"写操作绕过了写入计划：{sql[:80]}")
    return execute(sql, params, many, context)


@contextmanager
def planning() -> Iterator[Plan]:
    """Record writes instead of running them; the connection accepts reads only meanwhile."""
    if _current.get() is not None:
        raise RuntimeError("planning() does not nest")
    plan = Plan()
    token = _current.set(plan)
    try:
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(reads_only):
            yield plan
    finally:
        _current.reset(token)


@contextmanager
def sub_plan() -> Iterator[Plan]:
    """Record into a plan of its own while a plan is recorded (e.g. one event handler's writes, to be
    applied in a savepoint of their own)."""
    outer = _current.get()
    if outer is None:
        raise RuntimeError("sub_plan() needs a plan being recorded")
    plan = Plan(discards=outer.discards)
    token = _current.set(plan)
    try:
        yield plan
    finally:
        _current.reset(token)


@contextmanager
def independent() -> Iterator[None]:
    """Write now, on its own, while a plan is recorded: for idempotent set-up rows that do not depend
    on the plan (e.g. a default workflow created on first use) and commit whatever the plan becomes."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


def run_planned(fn: Callable[[], T], *, attempts: int = 5) -> T:
    """Plan `fn` with no transaction of its own, then apply its writes in one transaction; plan again
    when a guarded write finds its row changed. Raises `Stale` after `attempts` tries. A DomainError
    (or any other exception) from `fn` leaves nothing written."""
    for _ in range(attempts):
        with planning() as plan:
            try:
                result = fn()
            except BaseException:
                plan.discard()
                raise
        try:
            with transaction.atomic():
                plan.apply()
        except Stale:
            plan.discard()
            continue
        except BaseException:
            plan.discard()
            raise
        return result
    raise Stale("the rows kept changing while the plan was made")
