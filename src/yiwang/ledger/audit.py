"""`ledger audit`: recompute every tree from storage and check every stored checkpoint against it and
against the next one. Any modified, deleted, inserted or reordered entry is reported.

What is checked, per log:
1. indexes are 0, 1, 2 … with no gap (deleted row) and match `Log.size` (rows inserted beyond it);
2. each row's stored leaf hash equals H(0x00 || leaf input) (a row edited without its hash);
3. the tree is recomputed from the leaf inputs (never from stored hashes);
4. every checkpoint: its note parses, its body matches the stored size/root, the log's Ed25519 and
   SM2 signatures verify, a published one carries a quorum of valid cosignatures, its root equals
   the recomputed root at its size (else the entries in the range since the last good checkpoint were
   modified, reordered, inserted or deleted), and the consistency proof (recomputed) from each
   checkpoint to the next verifies against the two signed roots.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from yiwang.ledger import merkle
from yiwang.ledger import note as notes
from yiwang.ledger.models import Checkpoint, Entry, Log
from yiwang.ledger.services import key_verifier, log_keys, witnesses_verifiers


@dataclass
class LogAudit:
    log: str
    size: int = 0
    rows: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_log(log: Log) -> LogAudit:
    report = LogAudit(log.name, size=log.size)
    hasher = merkle.hasher_for(log.hash)
    tree = merkle.TreeCache(hasher)
    expected = 0
    bad_hash: list[int] = []
    gaps: list[tuple[int, int]] = []
    rows = Entry.objects.filter(log=log).order_by("index").values_list("index", "leaf_input", "leaf_hash")
    batch: list[bytes] = []
    for index, leaf_input, leaf_hash in rows.iterator(chunk_size=5000):
        report.rows += 1
        if index != expected:
            if index > expected:
                gaps.append((expected, index - 1))
                # keep positions: a missing row is a hole that no recomputed root can match
                batch.extend([hasher.leaf(b"\xff missing")] * (index - expected))
            expected = index
        computed = hasher.leaf(bytes(leaf_input))
        if computed != bytes(leaf_hash):
            bad_hash.append(index)
        batch.append(computed)
        expected += 1
        if len(batch) >= 50_000:
            tree.append_leaf_hashes(batch)
            batch = []
    tree.append_leaf_hashes(batch)
    for lo, hi in gaps:
        report.problems.append(f"条目缺失（被删除）：第 {lo}–{hi} 条" if hi > lo else f"条目缺失（被删除）：第 {lo} 条")
    if bad_hash:
        shown = ", ".join(str(i) for i in bad_hash[:20])
        report.problems.append(f"条目内容与叶子哈希不符（被修改）：第 {shown} 条" + ("……" if len(bad_hash) > 20 else ""))
    if expected > log.size:
        report.problems.append(f"存储中有 {expected - log.size} 条超出已排序大小 {log.size} 的条目（被插入）")
    elif expected < log.size:
        report.problems.append(f"已排序 {log.size} 条，但存储只到第 {expected} 条（末尾条目被删除）")

    log_vs = [key_verifier(k) for k in log_keys(log)]
    witness_vs = witnesses_verifiers()
    previous: tuple[int, bytes] | None = None
    good_size = 0
    for cp in Checkpoint.objects.filter(log=log).order_by("size"):
        report.checkpoints += 1
        label = f"检查点 {cp.size}"
        try:
            note = notes.parse_note(cp.note.encode())
            body = notes.parse_checkpoint(note.text)
        except notes.NoteError as exc:
            report.problems.append(f"{label}：签名检查点格式错误（{exc}）")
            continue
        if body.origin != log.origin or body.size != cp.size or body.root != bytes(cp.root):
            report.problems.append(f"{label}：签名内容与存储的大小或根哈希不一致")
        check = notes.check_note(note, log_vs)
        if check.failed or len(check.verified) != len(log_vs):
            report.problems.append(f"{label}：账本签名（Ed25519/SM2）缺失或无效")
        if cp.published:
            cos = notes.check_note(note, witness_vs)
            if cos.failed:
                report.problems.append(f"{label}：见证联署签名无效：{', '.join(cos.failed)}")
            if len(cos.verified) < log.quorum:
                report.problems.append(f"{label}：已发布但见证联署不足 {log.quorum} 个")
        if body.size > tree.size:
            report.problems.append(f"{label}：超出存储中的条目数 {tree.size}（条目被删除）")
            continue
        if tree.root(body.size) != body.root:
            report.problems.append(
                f"{label}：由存储重新计算的根哈希与签名根哈希不符——第 {good_size} 至 {body.size - 1} 条之间"
                f"的条目被修改、删除、插入或调换了顺序")
        else:
            good_size = body.size
        if previous is not None and 0 < previous[0] < body.size:
            try:
                proof = tree.consistency_proof(previous[0], body.size)
                merkle.verify_consistency(hasher, previous[0], body.size, proof, previous[1], body.root)
            except merkle.ProofError:
                report.problems.append(f"无法由存储中的条目证明检查点 {previous[0]} 到 {body.size} 只追加")
        previous = (body.size, body.root)
    return report


def audit_all() -> list[LogAudit]:
    return [audit_log(log) for log in Log.objects.all().order_by("name")]
