"""Offline proof bundles (c2sp.org/tlog-proof@v1) and trust policies. Pure Python, no Django.

A bundle is a `.tlog-proof` text whose `extra` line carries the log entry (its leaf input, which
holds only a salted digest), followed by the index, the inclusion proof and the cosigned checkpoint:

    c2sp.org/tlog-proof@v1
    extra <base64 leaf input>
    index 73894
    <base64 hash>            (inclusion proof, leaf sibling first)
    ...
    <empty line>
    <checkpoint with the log's signatures and the witnesses' cosignatures>

`verify_bundle(bundle_bytes, policy)` needs nothing but the bundle and the trusted keys.

A policy is text (one directive a line, `#` comments):

    log sf.gov.cn/ledger/certificates sha256     # origin and tree hash of a trusted log
    logkey <vkey>                                # every logkey of that origin must have signed
    witness <vkey>                               # cosignature/v1 keys of the witnesses
    quorum 2                                     # how many of the witnesses must have cosigned
"""

from __future__ import annotations

from dataclasses import dataclass, field

from yiwang.ledger import merkle
from yiwang.ledger.note import (
    CosignatureVerifier,
    NoteError,
    NoteVerifier,
    b64,
    parse_checkpoint,
    parse_note,
    parse_vkey,
    unb64,
)

HEADER = "c2sp.org/tlog-proof@v1"


@dataclass
class TrustedLog:
    origin: str
    hash_name: str
    keys: list[NoteVerifier] = field(default_factory=list)


@dataclass
class TrustPolicy:
    logs: dict[str, TrustedLog]
    witnesses: list[NoteVerifier]
    quorum: int

    def to_text(self) -> str:
        lines = ["# yiwang 可信账本信任策略 (trust policy v1)"]
        for log in self.logs.values():
            lines.append(f"log {log.origin} {log.hash_name}")
            lines.extend(f"logkey {k.vkey()}" for k in log.keys)
        lines.extend(f"witness {w.vkey()}" for w in self.witnesses)
        lines.append(f"quorum {self.quorum}")
        return "\n".join(lines) + "\n"


def parse_policy(text: str) -> TrustPolicy:
    logs: dict[str, TrustedLog] = {}
    keys: list[NoteVerifier] = []
    witnesses: list[NoteVerifier] = []
    quorum: int | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word == "log":
            parts = rest.split()
            if len(parts) != 2 or parts[1] not in merkle.HASHERS:
                raise NoteError(f"bad log line: {raw!r}")
            logs[parts[0]] = TrustedLog(parts[0], parts[1])
        elif word == "logkey":
            keys.append(parse_vkey(rest))
        elif word == "witness":
            w = parse_vkey(rest)
            if not isinstance(w, CosignatureVerifier):
                raise NoteError("a witness key is a cosignature/v1 key (type 0x04)")
            witnesses.append(w)
        elif word == "quorum":
            if not rest.isdigit():
                raise NoteError("quorum is a number")
            quorum = int(rest)
        else:
            raise NoteError(f"unknown policy directive {word!r}")
    for k in keys:
        if k.name not in logs:
            raise NoteError(f"log key {k.name} names no declared log")
        logs[k.name].keys.append(k)
    if quorum is None:
        quorum = len(witnesses)
    if quorum > len(witnesses):
        raise NoteError("quorum is larger than the number of witnesses")
    return TrustPolicy(logs, witnesses, quorum)


def build_bundle(*, leaf_input: bytes, index: int, proof: list[bytes], checkpoint_note: bytes) -> bytes:
    lines = [HEADER, f"extra {b64(leaf_input)}", f"index {index}", *(b64(p) for p in proof)]
    return ("\n".join(lines) + "\n\n").encode() + checkpoint_note


@dataclass
class Bundle:
    leaf_input: bytes | None
    index: int
    proof: list[bytes]
    note: bytes


def parse_bundle(data: bytes) -> Bundle:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("a proof is UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise NoteError("no empty line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise NoteError(f"the first line is {HEADER}")
    i = 1
    extra = None
    if i < len(lines) and lines[i].startswith("extra "):
        extra = unb64(lines[i][6:])
        i += 1
    if i >= len(lines) or not lines[i].startswith("index "):
        raise NoteError("missing index line")
    idx = lines[i][6:]
    if not idx.isdigit() or not idx.isascii() or (idx != "0" and idx.startswith("0")):
        raise NoteError("bad index")
    proof = [unb64(line) for line in lines[i + 1:]]
    if len(proof) > 64 or any(len(p) != merkle.HASH_SIZE for p in proof):
        raise NoteError("bad inclusion proof")
    return Bundle(extra, int(idx), proof, note.encode())


@dataclass
class BundleResult:
    ok: bool
    reasons: list[str]  # Chinese, for people; empty when ok
    codes: list[str]  # stable codes, e.g. "log_signature", "quorum", "inclusion"
    origin: str = ""
    size: int = 0
    index: int = -1
    leaf_input: bytes = b""
    root: bytes = b""
    log_signers: list[str] = field(default_factory=list)
    cosigners: list[str] = field(default_factory=list)
    cosigned_at: dict[str, int] = field(default_factory=dict)


def verify_bundle(bundle_bytes: bytes, trusted_keys_policy: TrustPolicy | str) -> BundleResult:
    """Check a proof bundle offline: log signatures, witness quorum, inclusion of the entry."""
    policy = parse_policy(trusted_keys_policy) if isinstance(trusted_keys_policy, str) else trusted_keys_policy
    reasons: list[str] = []
    codes: list[str] = []

    def fail(code: str, why: str) -> None:
        codes.append(code)
        reasons.append(why)

    try:
        b = parse_bundle(bundle_bytes)
        note = parse_note(b.note)
        cp = parse_checkpoint(note.text)
    except NoteError as exc:
        return BundleResult(False, [f"证明文件格式不正确：{exc}"], ["format"])
    result = BundleResult(False, reasons, codes, origin=cp.origin, size=cp.size, index=b.index, root=cp.root)
    log = policy.logs.get(cp.origin)
    if log is None:
        fail("unknown_log", f"信任策略中没有账本 {cp.origin}")
        return result
    # 1. every trusted log key signed the checkpoint
    by_key = {(s.name, s.key_id): s for s in note.signatures}
    if not log.keys:
        fail("log_signature", "信任策略没有给出该账本的公钥")
    for key in log.keys:
        s = by_key.get((key.name, key.key_id))
        if s is None:
            fail("log_signature", f"检查点缺少账本签名（{key.kind}）")
        elif not key.verify(note.text, s.sig):
            fail("log_signature", f"账本签名（{key.kind}）验证失败")
        else:
            result.log_signers.append(key.kind)
    # 2. a quorum of witnesses cosigned it
    for w in policy.witnesses:
        s = by_key.get((w.name, w.key_id))
        if s is None:
            continue
        if w.verify(note.text, s.sig):
            result.cosigners.append(w.name)
            if isinstance(w, CosignatureVerifier):
                result.cosigned_at[w.name] = w.last_timestamp
        else:
            fail("cosignature", f"见证方 {w.name} 的联署签名验证失败")
    if len(result.cosigners) < policy.quorum:
        fail("quorum", f"见证联署不足：{len(result.cosigners)} 个有效，至少需要 {policy.quorum} 个")
    # 3. the entry is in the tree
    if b.leaf_input is None:
        fail("entry", "证明文件中没有账本条目（extra 行）")
    else:
        result.leaf_input = b.leaf_input
        hasher = merkle.hasher_for(log.hash_name)
        try:
            merkle.verify_inclusion(hasher, b.index, cp.size, hasher.leaf(b.leaf_input), b.proof, cp.root)
        except merkle.ProofError as exc:
            fail("inclusion", f"包含证明验证失败：{exc}")
    result.ok = not reasons
    return result
