"""Ledger writes: create logs and keys, append salted digests (batched sequencing), run the in-process
witnesses, publish cosigned checkpoints, anchor the daily digest of the audit log.

Other modules call `ledger_append(...)` (or publish the events this module subscribes to in apps.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from yiwang.kernel import planned
from yiwang.kernel.audit import audit_record
from yiwang.kernel.errors import NotFound, ValidationFailed
from yiwang.ledger import leaf as leafmod
from yiwang.ledger import merkle
from yiwang.ledger import note as notes
from yiwang.ledger import witness as wit
from yiwang.ledger.models import Checkpoint, Entry, Log, SigningKey, Witness, WitnessEvidence, WitnessState

DEFAULT_LOGS = [
    ("certificates", "电子证照签发与注销", "sha256"),
    ("decisions", "办件审批决定", "sha256"),
    ("audit", "审计日志日摘要", "sm3"),
]
DEFAULT_WITNESSES = [
    ("gaj", "市公安局"),
    ("scjgj", "市市场监管局"),
    ("sjj", "市数据局"),
]


def origin_prefix() -> str:
    return str(getattr(settings, "YIWANG_LEDGER_ORIGIN_PREFIX", "ledger.sf.gov.cn"))


def witness_domain() -> str:
    return str(getattr(settings, "YIWANG_LEDGER_WITNESS_DOMAIN", "sf.gov.cn"))


# --- keys ------------------------------------------------------------------------------------------


def _key(purpose: str, algorithm: str, name: str) -> SigningKey:
    """The key for `purpose`, generated on first use. Demo only: production keeps secrets in an HSM."""
    from yiwang.kernel.crypto import encrypt_field

    existing = SigningKey.objects.filter(purpose=purpose).first()
    if existing is not None:
        return existing
    if algorithm == "sm2":
        from yiwang.kernel.crypto.signing import Sm2Signer

        s = Sm2Signer.generate()
        secret, public = s.private_key, s.public_key
    else:
        secret = os.urandom(32)
        public = notes.Ed25519NoteSigner("k", secret).public_key
    return SigningKey.objects.create(purpose=purpose, algorithm=algorithm, name=name, public=public,
                                     secret=encrypt_field(secret.hex()))


def _secret(key: SigningKey) -> bytes:
    from yiwang.kernel.crypto import decrypt_field

    return bytes.fromhex(decrypt_field(key.secret))


_signer_cache: dict[tuple[int, str, bytes], Any] = {}


def key_signer(key: SigningKey) -> Any:
    """A note signer for a stored key (cached per process: decrypting and deriving keys is not free)."""
    cache_key = (key.pk, key.name, bytes(key.public))
    cached = _signer_cache.get(cache_key)
    if cached is not None:
        return cached
    signer: Any
    if key.algorithm == "ed25519":
        signer = notes.Ed25519NoteSigner(key.name, _secret(key))
    elif key.algorithm == "sm2":
        signer = notes.Sm2NoteSigner(key.name, _secret(key), bytes(key.public))
    elif key.algorithm == "cosignature":
        signer = notes.CosignatureSigner(key.name, _secret(key))
    else:  # pragma: no cover
        raise ValueError(key.algorithm)
    _signer_cache[cache_key] = signer
    return signer


def key_verifier(key: SigningKey) -> notes.NoteVerifier:
    public = bytes(key.public)
    if key.algorithm == "ed25519":
        return notes.Ed25519NoteVerifier(key.name, public)
    if key.algorithm == "sm2":
        return notes.Sm2NoteVerifier(key.name, public)
    return notes.CosignatureVerifier(key.name, public)


def log_keys(log: Log) -> list[SigningKey]:
    return [_key(f"log:{log.name}:ed25519", "ed25519", log.origin), _key(f"log:{log.name}:sm2", "sm2", log.origin)]


def log_verifiers(log: Log) -> list[notes.NoteVerifier]:
    return [key_verifier(k) for k in log_keys(log)]


# --- logs and witnesses ----------------------------------------------------------------------------


def ensure_log(name: str, *, title: str = "", hash: str = "sha256", quorum: int = 2) -> Log:
    """The log called `name`, created (with its Ed25519 and SM2 keys) on first use."""
    if hash not in merkle.HASHERS:
        raise ValidationFailed("ledger.bad_hash", "树哈希只能是 sha256 或 sm3", "hash")
    log = _log_named(name)
    if log is None:
        try:
            with planned.independent(), transaction.atomic():  # set-up: commits on its own, also mid-plan
                log = Log.objects.create(name=name, title=title or name, origin=f"{origin_prefix()}/{name}",
                                         hash=hash, quorum=quorum)
                log_keys(log)
                audit_record(action="ledger.log_create", object_type="ledger.log", object_id=name,
                             detail={"origin": log.origin, "hash": hash, "quorum": quorum})
        except IntegrityError:  # another process created it first (two first events at once)
            log = _log_named(name)
            if log is None:
                raise
    return log


# A log's name, origin, hash and keys never change once created: the sequencer looks the row up
# once per process (its `size` is read under the lock, never from here).
_logs: dict[str, Log] = {}


def _log_named(name: str) -> Log | None:
    log = _logs.get(name)
    if log is None:
        log = Log.objects.filter(name=name).first()
        if log is not None:
            _logs[name] = log
    return log


def forget_logs() -> None:
    """Drop the process's log lookups (tests roll back the rows they were made from)."""
    _logs.clear()


def ensure_defaults() -> list[Log]:
    ensure_witnesses()
    return [ensure_log(n, title=t, hash=h) for n, t, h in DEFAULT_LOGS]


def ensure_witnesses() -> list[Witness]:
    out = []
    for slug, department in DEFAULT_WITNESSES:
        w = Witness.objects.filter(slug=slug).first()
        if w is None:
            name = f"{slug}.{witness_domain()}/witness"
            key = _key(f"witness:{slug}", "cosignature", name)
            w = Witness.objects.create(slug=slug, name=name, department=department, key=key)
        out.append(w)
    return out


def get_log(name: str) -> Log:
    log = Log.objects.filter(name=name).first()
    if log is None:
        raise NotFound("ledger.unknown_log", f"没有名为 {name} 的账本", "name")
    return log


# --- appending (the sequencer) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Appended:
    log: str
    index: int
    leaf_input: bytes
    leaf_hash: bytes
    salt: bytes


@dataclass(frozen=True)
class AppendItem:
    kind: str
    payload_digest: bytes
    salt: bytes | None = None
    ref: str = ""
    time_ms: int | None = None


def _mark_dirty(log: Log) -> None:
    """Remember that this connection's open transaction appended to `log` (see selectors.tree_for)."""
    dirty: set[int] = connection.__dict__.setdefault("_yiwang_ledger_dirty", set())
    dirty.add(log.pk)


def _TAKE_RANGE_SQL() -> str:  # noqa: N802 - a constant built lazily (needs the connection's quoting)
    q = connection.ops.quote_name
    return f"UPDATE {q(Log._meta.db_table)} SET {q('size')} = {q('size')} + %s WHERE {q('id')} = %s RETURNING {q('size')}"


def _INSERT_SQL() -> str:  # noqa: N802 - a constant built lazily (needs the connection's quoting)
    q = connection.ops.quote_name
    cols = ["log_id", "index", "kind", "leaf_input", "leaf_hash", "salt", "ref", "created_at"]
    return (f"INSERT INTO {q(Entry._meta.db_table)} ({', '.join(q(c) for c in cols)}) "
            f"VALUES ({', '.join(['%s'] * len(cols))})")


def ledger_append_batch(log_name: str, items: Sequence[AppendItem]) -> list[Appended]:
    """Sequence many salted digests in one transaction (one commit, one index range).

    One sequencer per log: the log row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's
    IMMEDIATE transactions serialise writers), the next indexes are taken from `Log.size`.
    """
    if not items:
        return []
    log, prepared = _prepare(log_name, items)
    return _sequence(log_name, log, prepared)


def _prepare(log_name: str, items: Sequence[AppendItem]) -> tuple[Log, list[tuple[AppendItem, bytes, bytes, bytes]]]:
    """The log and, per item, (item, salt, leaf input, leaf hash): everything but the indexes."""
    log = _log_named(log_name)
    if log is None:
        raise NotFound("ledger.unknown_log", f"没有名为 {log_name} 的账本", "name")
    hasher = merkle.hasher_for(log.hash)
    now_ms = int(time.time() * 1000)
    prepared: list[tuple[AppendItem, bytes, bytes, bytes]] = []
    for item in items:
        if len(item.payload_digest) != 32:
            raise ValidationFailed("ledger.bad_digest", "摘要必须是 32 字节（SHA-256 或 SM3）", "payload_digest")
        if item.kind not in leafmod.KINDS:
            raise ValidationFailed("ledger.bad_kind", f"不支持的条目类型：{item.kind}", "kind")
        salt = item.salt if item.salt is not None else os.urandom(leafmod.SALT_BYTES)
        digest = leafmod.salted_digest(hasher, salt, item.payload_digest)
        leaf_input = leafmod.encode_leaf(item.kind, item.time_ms if item.time_ms is not None else now_ms, digest)
        prepared.append((item, salt, leaf_input, hasher.leaf(leaf_input)))
    return log, prepared


def _sequence(log_name: str, log: Log, prepared: list[tuple[AppendItem, bytes, bytes, bytes]]) -> list[Appended]:
    """Take the next index range of the log and write the entries (the sequencer's locked part)."""
    with transaction.atomic():
        # Taking the index range is the lock: the row stays locked (PostgreSQL) or the database
        # stays written (SQLite) until commit, so ranges never overlap.
        with connection.cursor() as cursor:
            cursor.execute(_TAKE_RANGE_SQL(), [len(prepared), log.pk])
            taken = cursor.fetchone()
            if taken is None:  # the remembered row was rolled back since: look again, once
                _logs.pop(log_name, None)
                fresh = _log_named(log_name)
                if fresh is None or fresh.hash != log.hash:
                    raise NotFound("ledger.unknown_log", f"没有名为 {log_name} 的账本", "name")
                log = fresh
                cursor.execute(_TAKE_RANGE_SQL(), [len(prepared), log.pk])
                taken = cursor.fetchone()
            start = taken[0] - len(prepared)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = [(log.pk, start + i, item.kind, leaf_input, lh, salt, item.ref[:120], now)
                for i, (item, salt, leaf_input, lh) in enumerate(prepared)]
        with connection.cursor() as cursor:  # the hot path: one parameterised multi-row insert
            cursor.executemany(_INSERT_SQL(), rows)
        _mark_dirty(log)
    return [Appended(log.name, start + i, leaf_input, lh, salt) for i, (_, salt, leaf_input, lh) in enumerate(prepared)]


def ledger_append(log_name: str, kind: str, payload_digest: bytes, *, salt: bytes | None = None,
                  ref: str = "") -> Appended:
    """Append one salted digest. Keep the returned `salt` with the payload: it is what lets the
    holder show later that this entry is theirs (the log itself shows only the salted digest)."""
    return ledger_append_batch(log_name, [AppendItem(kind, payload_digest, salt, ref)])[0]


# --- the in-process witnesses (c2sp.org/tlog-witness) ---------------------------------------------


def witnessed_logs() -> dict[str, wit.WitnessedLog]:
    """What every in-process witness follows: the logs of this platform with their public keys."""
    return {log.origin: wit.WitnessedLog(log.origin, log_verifiers(log), log.hash) for log in Log.objects.all()}


def witness_add_checkpoint(slug: str, body: bytes, *, timestamp: int | None = None) -> wit.WitnessReply:
    """The witness `slug` handles an add-checkpoint request (same code for HTTP and in-process)."""
    witness = Witness.objects.select_related("key").filter(slug=slug, active=True).first()
    if witness is None:
        return wit.WitnessReply(404, "unknown witness\n")
    logs = witnessed_logs()
    signer = key_signer(witness.key)
    with transaction.atomic():
        Witness.objects.select_for_update().filter(pk=witness.pk).first()  # check + update atomically
        states = {s.origin: s for s in WitnessState.objects.filter(witness=witness)}

        def state_for(origin: str) -> wit.WitnessState | None:
            s = states.get(origin)
            return wit.WitnessState(s.size, bytes(s.root), s.note.encode()) if s else None

        reply = wit.add_checkpoint(body, logs=logs, state_for=state_for, signer=signer, timestamp=timestamp)
        if reply.new_state is not None:
            WitnessState.objects.update_or_create(
                witness=witness, origin=reply.origin,
                defaults={"size": reply.new_state.size, "root": reply.new_state.root,
                          "note": reply.new_state.note.decode(), "updated_at": timezone.now()})
        if reply.evidence:
            stored = states.get(reply.origin)
            WitnessEvidence.objects.create(witness=witness, origin=reply.origin, status=reply.status,
                                           reason=reply.evidence[:300],
                                           request_body=body.decode("utf-8", "replace"),
                                           stored_note=stored.note if stored else "")
    return reply


class WitnessClient(Protocol):
    name: str

    def add_checkpoint(self, body: bytes) -> tuple[int, str]: ...


@dataclass
class LocalWitnessClient:
    """Talks to an in-process witness through the same function its HTTP endpoint runs."""

    slug: str
    name: str

    def add_checkpoint(self, body: bytes) -> tuple[int, str]:
        reply = witness_add_checkpoint(self.slug, body)
        return reply.status, reply.body


@dataclass
class HttpWitnessClient:
    """A witness run by another department: POST <prefix>/add-checkpoint."""

    url: str
    name: str
    timeout: float = 5.0

    def add_checkpoint(self, body: bytes) -> tuple[int, str]:  # pragma: no cover - needs a network
        import requests

        r = requests.post(self.url.rstrip("/") + "/add-checkpoint", data=body, timeout=self.timeout)
        return r.status_code, r.text


def witness_clients() -> list[tuple[Witness, WitnessClient]]:
    urls: dict[str, str] = getattr(settings, "YIWANG_LEDGER_WITNESS_URLS", {}) or {}
    out: list[tuple[Witness, WitnessClient]] = []
    for w in Witness.objects.select_related("key").filter(active=True):
        client: WitnessClient = HttpWitnessClient(urls[w.slug], w.name) if w.slug in urls \
            else LocalWitnessClient(w.slug, w.name)
        out.append((w, client))
    return out


# --- publishing ------------------------------------------------------------------------------------


@dataclass
class PublishResult:
    log: str
    size: int
    published: bool
    cosigners: list[str] = field(default_factory=list)
    refusals: dict[str, str] = field(default_factory=dict)
    note: str = ""


def ledger_publish(log_name: str, *, clients: list[tuple[Witness, WitnessClient]] | None = None) -> PublishResult:
    """Sign a checkpoint over every sequenced entry, collect cosignatures from the witnesses and
    publish it only if a quorum (default 2 of 3) cosigned."""
    from yiwang.ledger.selectors import latest_checkpoint, tree_for

    log = get_log(log_name)
    size = log.size
    tree = tree_for(log, size)
    root = tree.root(size)
    cp = Checkpoint.objects.filter(log=log, size=size).first()
    if cp is not None and cp.published:
        return PublishResult(log.name, size, True, list(cp.cosigners), {}, cp.note)
    if cp is not None and bytes(cp.root) != root:  # never sign two different roots for one size
        raise ValidationFailed("ledger.root_changed", "同一树大小的根哈希与已签署的不一致，请先运行 ledger audit", None)
    if cp is None:
        body_cp = notes.Checkpoint(log.origin, size, root)
        signed = notes.sign_checkpoint(body_cp, [key_signer(k) for k in log_keys(log)])
        try:
            with transaction.atomic():
                cp = Checkpoint.objects.create(log=log, size=size, root=root, note=signed.decode())
        except IntegrityError:  # another publisher signed this size a moment ago: use theirs
            cp = Checkpoint.objects.get(log=log, size=size)
            if bytes(cp.root) != root:
                raise ValidationFailed("ledger.root_changed", "同一树大小的根哈希与已签署的不一致", None) from None
    note_bytes = cp.note.encode()
    previous = latest_checkpoint(log)
    guess = previous.size if previous is not None else 0
    lines: list[str] = []
    cosigners: list[str] = []
    refusals: dict[str, str] = {}
    for w, client in clients if clients is not None else witness_clients():
        verifier = key_verifier(w.key)
        old = min(guess, size)
        status, text = 0, ""
        for _attempt in range(2):  # a 409 tells us the witness's size: retry once from there
            proof = tree.consistency_proof(old, size) if 0 < old < size else []
            status, text = client.add_checkpoint(wit.format_request(old, proof, note_bytes))
            if status == 409 and text.strip().isdigit() and int(text.strip()) != old and int(text.strip()) <= size:
                old = int(text.strip())
                continue
            break
        if status != 200:
            refusals[w.name] = f"{status} {text.strip()[:120]}"
            continue
        ok = [ln + "\n" for ln in text.splitlines() if ln.startswith(notes.EM_DASH + " ")]
        check = notes.check_note(notes.parse_note(note_bytes + "".join(ok).encode()), [verifier])
        if check.verified and not check.failed:
            lines.extend(ok)
            cosigners.append(w.name)
        else:
            refusals[w.name] = "cosignature does not verify"
    published = len(cosigners) >= log.quorum
    cp.note = notes.add_signature_lines(note_bytes, lines).decode()
    cp.cosigners = cosigners
    if published:
        cp.published = True
        cp.published_at = timezone.now()
    cp.save(update_fields=["note", "cosigners", "published", "published_at"])
    audit_record(action="ledger.publish" if published else "ledger.publish_no_quorum",
                 object_type="ledger.checkpoint", object_id=f"{log.name}:{size}",
                 detail={"size": size, "cosigners": cosigners, "refusals": refusals})
    return PublishResult(log.name, size, published, cosigners, refusals, cp.note)


def ledger_publish_all() -> list[PublishResult]:
    return [ledger_publish(log.name) for log in Log.objects.all()]


# --- what other modules anchor ---------------------------------------------------------------------


EVENT_LOGS = {
    "certificate.issued": ("certificates", "certificate.issue"),
    "certificate.revoked": ("certificates", "certificate.revoke"),
    "case.decided": ("decisions", "case.decision"),
}


def _event_digest(event: Any) -> bytes:
    data = event.data or {}
    given = str(data.get("digest", ""))
    if len(given) == 64:
        try:
            return bytes.fromhex(given)
        except ValueError:
            pass
    canonical = json.dumps({"type": event.type, "subject": event.subject, "data": data},
                           ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).digest()


def on_domain_event(event: Any) -> None:
    """Handler for certificate.issued / certificate.revoked / case.decided: append a salted digest.

    Uses `data["digest"]` (hex SHA-256/SM3 of the signed payload) when the event carries one, else the
    SHA-256 of the event's canonical JSON; `data["salt"]` (hex) when given, else a fresh random salt
    kept privately with the entry (`Entry.salt`, found by `ref` = the event subject)."""
    target = EVENT_LOGS.get(event.type)
    if target is None:
        return
    log_name, kind = target
    title = {"certificates": "电子证照签发与注销", "decisions": "办件审批决定"}[log_name]
    ensure_log(log_name, title=title)
    salt_hex = str((event.data or {}).get("salt", ""))
    try:
        salt = bytes.fromhex(salt_hex) if salt_hex else None
    except ValueError:
        salt = None
    # Subscribed with planned writes (ADR 0006): the hashing happens before the dispatch transaction,
    # only the index range and the insert inside it.
    log, prepared = _prepare(log_name, [AppendItem(kind, _event_digest(event), salt, str(event.subject)[:120])])
    planned.later(partial(_sequence, log_name, log, prepared))


def audit_day_digest(day: date) -> tuple[bytes, int]:
    """SHA-256 over the canonical lines of the day's AuditEntry rows (Asia/Shanghai day), in id order."""
    from yiwang.kernel.models import AuditEntry

    tz = timezone.get_default_timezone()
    start = timezone.make_aware(datetime(day.year, day.month, day.day), tz)
    end = start + timedelta(days=1)
    h = hashlib.sha256(b"yiwang.audit.day/v1\n" + day.isoformat().encode() + b"\n")
    count = 0
    for row in AuditEntry.objects.filter(at__gte=start, at__lt=end).order_by("id").iterator(chunk_size=2000):
        line = json.dumps([row.id, row.at.isoformat(), row.actor_id, row.actor_label, row.on_behalf_of, row.action,
                           row.object_type, row.object_id, row.subject_ref, row.request_id, row.detail],
                          ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
        h.update(line.encode() + b"\n")
        count += 1
    return h.digest(), count


def append_audit_digest(day: date) -> Appended | None:
    """Anchor the digest of one day's audit log in the `audit` log (once per day; None if done)."""
    log = ensure_log("audit", title="审计日志日摘要", hash="sm3")
    ref = f"audit:{day.isoformat()}"
    if Entry.objects.filter(log=log, ref=ref).exists():
        return None
    digest, count = audit_day_digest(day)
    appended = ledger_append(log.name, "audit.daily", digest, ref=ref)
    audit_record(action="ledger.audit_digest", object_type="ledger.entry", object_id=f"audit:{appended.index}",
                 detail={"day": day.isoformat(), "rows": count, "digest": digest.hex()})
    return appended


def witnesses_verifiers() -> list[notes.NoteVerifier]:
    return [key_verifier(w.key) for w in Witness.objects.select_related("key").filter(active=True)]
