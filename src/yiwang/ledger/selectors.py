"""Ledger reads: logs, entries, checkpoints, proofs, proof bundles and the trust policy.

Proofs come from an in-process `TreeCache` per log (every perfect-subtree hash in flat byte arrays),
loaded from the entries table on first use and topped up with new rows as the log grows; so a proof at
2^20 leaves is a few dozen slices, not a database walk. The cache is never filled from a transaction
that appended to the log and is still open (it might roll back): such reads build a private tree.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db import connection

from yiwang.kernel.errors import Conflict, DomainError, NotFound, ValidationFailed
from yiwang.ledger import bundle as bundles
from yiwang.ledger import merkle
from yiwang.ledger.models import Checkpoint, Entry, Log, Witness
from yiwang.ledger.services import get_log, key_verifier, log_keys

_trees: dict[tuple[int, str], merkle.TreeCache] = {}
_lock = threading.Lock()
LOAD_CHUNK = 50_000


class StorageInconsistent(DomainError):
    status = 503


def _load(tree: merkle.TreeCache, log: Log, size: int) -> None:
    """Top up `tree` with the stored leaf hashes of indexes [tree.size, size)."""
    while tree.size < size:
        lo = tree.size
        hi = min(size, lo + LOAD_CHUNK)
        rows = Entry.objects.filter(log_id=log.pk, index__gte=lo, index__lt=hi).order_by("index") \
            .values_list("index", "leaf_hash")
        expected = lo
        hashes = []
        for index, leaf_hash in rows.iterator(chunk_size=5000):
            if index != expected:
                raise StorageInconsistent("ledger.storage", f"账本 {log.name} 的存储缺少第 {expected} 条，请运行 ledger audit")
            hashes.append(bytes(leaf_hash))
            expected += 1
        if expected != hi:
            raise StorageInconsistent("ledger.storage", f"账本 {log.name} 的存储缺少第 {expected} 条，请运行 ledger audit")
        tree.append_leaf_hashes(hashes)


def tree_for(log: Log, size: int) -> merkle.TreeCache:
    """A tree holding at least the first `size` leaves of `log`."""
    dirty: set[int] = connection.__dict__.setdefault("_yiwang_ledger_dirty", set())
    if not connection.in_atomic_block:
        dirty.clear()
    if log.pk in dirty:  # our own uncommitted appends: do not let them into the shared cache
        private = merkle.TreeCache(merkle.hasher_for(log.hash))
        _load(private, log, size)
        return private
    key = (log.pk, str(log.epoch))
    tree = _trees.get(key)
    if tree is not None and tree.size >= size:
        return tree
    with _lock:
        tree = _trees.setdefault(key, merkle.TreeCache(merkle.hasher_for(log.hash)))
        _load(tree, log, size)
        return tree


def forget_trees() -> None:
    """Drop the in-process caches (tests that tamper with storage, `ledger audit`)."""
    with _lock:
        _trees.clear()


def logs() -> list[Log]:
    return list(Log.objects.all())


def witnesses() -> list[Witness]:
    return list(Witness.objects.select_related("key").filter(active=True))


def verifier_keys(log: Log) -> list[str]:
    """C2SP vkeys: the log's Ed25519 and SM2 keys, then every witness's cosignature key."""
    return [key_verifier(k).vkey() for k in log_keys(log)] + [key_verifier(w.key).vkey() for w in witnesses()]


def latest_checkpoint(log: Log) -> Checkpoint | None:
    return Checkpoint.objects.filter(log=log, published=True).order_by("-size").first()


def published_checkpoints(log: Log, *, limit: int = 100, before: int | None = None) -> list[Checkpoint]:
    qs = Checkpoint.objects.filter(log=log, published=True)
    if before is not None:
        qs = qs.filter(size__lt=before)
    return list(qs.order_by("-size")[:limit])


def entry(log: Log, index: int) -> Entry:
    if index < 0 or index >= log.size:
        raise NotFound("ledger.no_entry", f"账本 {log.name} 没有第 {index} 条（共 {log.size} 条）", "index")
    e = Entry.objects.filter(log=log, index=index).first()
    if e is None:
        raise StorageInconsistent("ledger.storage", f"账本 {log.name} 的存储缺少第 {index} 条，请运行 ledger audit")
    return e


def inclusion_proof(log: Log, index: int, size: int) -> list[bytes]:
    if size <= 0 or size > log.size:
        raise ValidationFailed("ledger.bad_size", f"树大小必须在 1 到 {log.size} 之间", "size")
    if index < 0 or index >= size:
        raise ValidationFailed("ledger.bad_index", f"序号必须在 0 到 {size - 1} 之间", "index")
    return tree_for(log, size).inclusion_proof(index, size)


def consistency_proof(log: Log, old: int, new: int) -> list[bytes]:
    if new <= 0 or new > log.size:
        raise ValidationFailed("ledger.bad_size", f"新树大小必须在 1 到 {log.size} 之间", "new")
    if old <= 0 or old > new:
        raise ValidationFailed("ledger.bad_size", f"旧树大小必须在 1 到 {new} 之间", "old")
    return tree_for(log, new).consistency_proof(old, new)


def trust_policy(logs_: list[Log] | None = None) -> bundles.TrustPolicy:
    """The policy an offline verifier needs: trusted logs, their keys, the witnesses, the quorum."""
    chosen = logs_ if logs_ is not None else logs()
    trusted = {}
    for log in chosen:
        trusted[log.origin] = bundles.TrustedLog(log.origin, log.hash, [key_verifier(k) for k in log_keys(log)])
    ws = [key_verifier(w.key) for w in witnesses()]
    quorum = min([log.quorum for log in chosen] or [2])
    return bundles.TrustPolicy(trusted, ws, min(quorum, len(ws)))


@dataclass
class ProofBundle:
    log: str
    index: int
    size: int
    data: bytes


def proof_bundle(log_name: str, index: int) -> ProofBundle:
    """The `.tlog-proof` for entry `index`: entry, inclusion proof, published cosigned checkpoint."""
    log = get_log(log_name)
    e = entry(log, index)
    cp = latest_checkpoint(log)
    if cp is None or cp.size <= index:
        raise Conflict("ledger.not_published", "该条目尚未进入已发布的检查点，请稍后再试", "index")
    proof = tree_for(log, cp.size).inclusion_proof(index, cp.size)
    data = bundles.build_bundle(leaf_input=bytes(e.leaf_input), index=index, proof=proof,
                                checkpoint_note=cp.note.encode())
    return ProofBundle(log.name, index, cp.size, data)


def entry_for_ref(log_name: str, ref: str) -> Entry | None:
    """The latest entry anchoring `ref` (e.g. a certificate number) — for the owning module."""
    return Entry.objects.filter(log__name=log_name, ref=ref).order_by("-index").first()


# --- c2sp.org/tlog-tiles read path (for mirrors and tile-based clients) ----------------------------

TILE_WIDTH = 256
TILE_HEIGHT = 8


def hash_tile(log: Log, level: int, n: int, width: int = TILE_WIDTH) -> bytes | None:
    """The hashes of tile `level`/`n` (width `width`), or None when the log is not that large yet."""
    if level < 0 or n < 0 or not 1 <= width <= TILE_WIDTH or level > 7:
        return None
    height = level * TILE_HEIGHT
    available = log.size >> height
    if n * TILE_WIDTH + width > available:
        return None
    tree = tree_for(log, log.size)
    row = tree.levels[height] if height < len(tree.levels) else bytearray()
    lo = n * TILE_WIDTH * merkle.HASH_SIZE
    data = bytes(row[lo:lo + width * merkle.HASH_SIZE])
    return data if len(data) == width * merkle.HASH_SIZE else None


def entry_tile(log: Log, n: int, width: int = TILE_WIDTH) -> bytes | None:
    """An entry bundle: each leaf input as a big-endian uint16 length and the bytes, in index order."""
    if n < 0 or not 1 <= width <= TILE_WIDTH or n * TILE_WIDTH + width > log.size:
        return None
    lo = n * TILE_WIDTH
    rows = list(Entry.objects.filter(log=log, index__gte=lo, index__lt=lo + width).order_by("index")
                .values_list("index", "leaf_input"))
    if [i for i, _ in rows] != list(range(lo, lo + width)):
        raise StorageInconsistent("ledger.storage", f"账本 {log.name} 的存储不完整，请运行 ledger audit")
    out = bytearray()
    for _, leaf_input in rows:
        data = bytes(leaf_input)
        out += len(data).to_bytes(2, "big") + data
    return bytes(out)


def parse_tile_path(path: str) -> tuple[int, int, int] | None:
    """`<L>/<N…>[.p/<W>]` or `entries/<N…>[.p/<W>]` → (level, n, width); level -1 for entries."""
    parts = path.split("/")
    if len(parts) < 2:
        return None
    level_s, rest = parts[0], parts[1:]
    if level_s == "entries":
        level = -1
    elif level_s.isdigit() and len(level_s) == 1:
        level = int(level_s)
    else:
        return None
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        w = rest[-1]
        if not w.isdigit() or w.startswith("0") or not 1 <= int(w) < TILE_WIDTH:
            return None
        width = int(w)
        rest = [*rest[:-2], rest[-2][:-2]]
    if not all(len(seg) == 4 and seg[0] == "x" for seg in rest[:-1]) or len(rest[-1]) != 3:
        return None
    digits = "".join(seg[-3:] for seg in rest)
    if not digits.isdigit() or not digits.isascii():
        return None
    n = int(digits)
    canonical = [f"{n % 1000:03d}"]  # the only spelling: groups of three digits, x-prefixed but the last
    m = n
    while m >= 1000:
        m //= 1000
        canonical.insert(0, f"x{m % 1000:03d}")
    if canonical != rest:
        return None
    return level, n, width
