"""Leaf inputs: what one ledger entry says. Pure Python, no Django.

A leaf never holds personal data, only a salted digest of what is being anchored:

    yiwang.ledger/v1 <kind> <unix time ms> <base64 salted digest>\\n

salted digest = H("yiwang.ledger/salted\\0" || salt || payload digest), H being the log's tree hash.
Whoever holds the payload and the salt (the certificate holder, the case file) can show that the
entry is theirs; nobody else can learn anything from the log, nor confirm a guessed payload.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from yiwang.ledger.merkle import Hasher

LEAF_PREFIX = "yiwang.ledger/v1"
SALT_BYTES = 16
KINDS = {
    "certificate.issue": "证照签发",
    "certificate.revoke": "证照注销",
    "case.decision": "办件决定",
    "audit.daily": "审计日志日摘要",
    "record": "其他记录",
}
_KIND_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")


def salted_digest(hasher: Hasher, salt: bytes, payload_digest: bytes) -> bytes:
    return hasher.digest(b"yiwang.ledger/salted\x00" + salt + payload_digest)


def encode_leaf(kind: str, time_ms: int, digest: bytes) -> bytes:
    if not _KIND_RE.match(kind):
        raise ValueError(f"bad entry kind {kind!r}")
    if time_ms < 0 or len(digest) != 32:
        raise ValueError("bad leaf time or digest")
    return f"{LEAF_PREFIX} {kind} {time_ms} {base64.b64encode(digest).decode()}\n".encode()


@dataclass(frozen=True)
class Leaf:
    kind: str
    time_ms: int
    digest: bytes


def decode_leaf(data: bytes) -> Leaf:
    try:
        text = data.decode("ascii")
        prefix, kind, time_s, digest_b64 = text.rstrip("\n").split(" ")
        digest = base64.b64decode(digest_b64, validate=True)
    except (UnicodeDecodeError, ValueError, binascii.Error):
        raise ValueError("not a yiwang ledger leaf") from None
    if prefix != LEAF_PREFIX or not text.endswith("\n") or not time_s.isdigit() or len(digest) != 32:
        raise ValueError("not a yiwang ledger leaf")
    return Leaf(kind, int(time_s), digest)


def matches(hasher: Hasher, leaf_input: bytes, *, salt: bytes, payload_digest: bytes) -> bool:
    """Does this entry anchor `payload_digest` (with the holder's `salt`)?"""
    try:
        return decode_leaf(leaf_input).digest == salted_digest(hasher, salt, payload_digest)
    except ValueError:
        return False
