"""The c2sp.org/tlog-witness protocol: the witness side (pure Python, no Django).

`add_checkpoint` takes the raw request body, the witness's view of the logs it follows and its
latest cosigned state for the origin, and decides: 200 with cosignature lines, 400 malformed,
403 bad signature, 404 unknown origin, 409 stale size (body: the stored size, `text/x.tlog.size`) or
split view, 422 bad consistency proof. The caller persists `new_state` atomically with the check
(a row lock in the database, a mutex in `MemoryWitness`) and stores `evidence` when set: a
log-signed checkpoint that contradicts what the witness already cosigned proves misbehaviour.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from yiwang.ledger import merkle
from yiwang.ledger.note import (
    CosignatureSigner,
    NoteError,
    NoteVerifier,
    b64,
    check_note,
    parse_checkpoint,
    parse_note,
    unb64,
)

MAX_PROOF_LINES = 63
SIZE_CONTENT_TYPE = "text/x.tlog.size"


@dataclass
class WitnessedLog:
    origin: str
    verifiers: list[NoteVerifier]
    hash_name: str = "sha256"


@dataclass
class WitnessState:
    size: int
    root: bytes
    note: bytes = b""


@dataclass
class WitnessReply:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"
    new_state: WitnessState | None = None
    evidence: str = ""  # why the request is kept as evidence of log misbehaviour ("" = not kept)
    origin: str = ""


StateLookup = Callable[[str], "WitnessState | None"]


@dataclass
class AddCheckpointRequest:
    old_size: int
    proof: list[bytes]
    note: bytes


def parse_request(body: bytes) -> AddCheckpointRequest:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("the request is UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise NoteError("no empty line before the checkpoint")
    lines = head.split("\n")
    first = lines[0]
    if not first.startswith("old "):
        raise NoteError("the first line is 'old <size>'")
    size_s = first[4:]
    if not size_s.isdigit() or not size_s.isascii() or (size_s != "0" and size_s.startswith("0")):
        raise NoteError("bad old size")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise NoteError("too many proof lines")
    proof = [unb64(line) for line in proof_lines]
    if any(len(p) != merkle.HASH_SIZE for p in proof):
        raise NoteError("a proof line is one 32-byte hash")
    return AddCheckpointRequest(int(size_s), proof, note.encode())


def format_request(old_size: int, proof: list[bytes], checkpoint_note: bytes) -> bytes:
    lines = [f"old {old_size}", *(b64(p) for p in proof)]
    return ("\n".join(lines) + "\n\n").encode() + checkpoint_note


def add_checkpoint(body: bytes, *, logs: dict[str, WitnessedLog], state_for: StateLookup,
                   signer: CosignatureSigner, timestamp: int | None = None) -> WitnessReply:
    """Decide an add-checkpoint request. `state_for(origin)` returns the latest cosigned state."""
    try:
        req = parse_request(body)
        note = parse_note(req.note)
        cp = parse_checkpoint(note.text)
    except NoteError as exc:
        return WitnessReply(400, f"bad request: {exc}\n")
    log = logs.get(cp.origin)
    if log is None:
        return WitnessReply(404, "unknown log origin\n", origin=cp.origin)
    checked = check_note(note, log.verifiers)
    if checked.failed or not checked.verified:
        return WitnessReply(403, "checkpoint is not signed by a trusted log key\n", origin=cp.origin)
    if req.old_size > cp.size:
        return WitnessReply(400, "old size is larger than the checkpoint size\n", origin=cp.origin)
    state = state_for(cp.origin)
    stored_size = state.size if state else 0
    if req.old_size != stored_size:
        return WitnessReply(409, f"{stored_size}\n", SIZE_CONTENT_TYPE, origin=cp.origin)
    hasher = merkle.hasher_for(log.hash_name)
    if state is not None and cp.size == state.size:
        if cp.root != state.root:
            return WitnessReply(409, f"{stored_size}\n", SIZE_CONTENT_TYPE, origin=cp.origin,
                                evidence="split view: same size, different root")
        if req.proof:
            return WitnessReply(422, "equal sizes need an empty proof\n", origin=cp.origin)
    elif state is None or req.old_size == 0:
        if req.proof:
            return WitnessReply(422, "the proof from size 0 must be empty\n", origin=cp.origin)
    else:
        try:
            merkle.verify_consistency(hasher, state.size, cp.size, req.proof, state.root, cp.root)
        except merkle.ProofError as exc:
            return WitnessReply(422, f"consistency proof does not verify: {exc}\n", origin=cp.origin,
                                evidence=f"inconsistent checkpoint: {exc}")
    line = signer.sign_line(note.text, timestamp)
    return WitnessReply(200, line, new_state=WitnessState(cp.size, cp.root, req.note), origin=cp.origin)


@dataclass
class MemoryWitness:
    """A witness with its state in memory (tests, tools). The Django witness persists it in the DB."""

    signer: CosignatureSigner
    logs: dict[str, WitnessedLog]
    states: dict[str, WitnessState] = field(default_factory=dict)
    evidence: list[tuple[str, str, bytes]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_checkpoint(self, body: bytes, timestamp: int | None = None) -> WitnessReply:
        with self._lock:  # the check and the update are one atomic step
            reply = add_checkpoint(body, logs=self.logs, state_for=self.states.get, signer=self.signer, timestamp=timestamp)
            if reply.new_state is not None:
                self.states[reply.origin] = reply.new_state
            if reply.evidence:
                self.evidence.append((reply.origin, reply.evidence, body))
            return reply
