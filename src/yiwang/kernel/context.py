"""Per-request context (request id, actor, acting-for) carried in contextvars.

Services read it to fill audit records without every call passing the request around.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """Who acts: a user id and label, optionally on behalf of someone else (帮办代办)."""

    user_id: int | None = None
    label: str = "system"
    on_behalf_of: str = ""  # e.g. "person:<uuid>" or "enterprise:<uuid>"
    roles: frozenset[str] = field(default_factory=frozenset)


_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("actor", default=Actor())


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id() -> str:
    return _request_id.get()


def current_actor() -> Actor:
    return _actor.get()


def set_request_id(value: str) -> contextvars.Token[str]:
    return _request_id.set(value)


def set_actor(actor: Actor) -> contextvars.Token[Actor]:
    return _actor.set(actor)


def reset_actor(token: contextvars.Token[Actor]) -> None:
    _actor.reset(token)


@contextmanager
def acting_as(actor: Actor, *, req_id: str | None = None) -> Iterator[Actor]:
    """Run a block as `actor` (commands, the demo seed, background tasks)."""
    token = _actor.set(actor)
    rid_token = _request_id.set(req_id or new_request_id())
    try:
        yield actor
    finally:
        _actor.reset(token)
        _request_id.reset(rid_token)
