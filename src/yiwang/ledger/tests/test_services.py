"""Appending, publishing with witness quorum, proofs, bundles, events and the daily audit digest."""

from __future__ import annotations

import base64
import hashlib
from datetime import date

import pytest

from yiwang.kernel.errors import NotFound, ValidationFailed
from yiwang.ledger import bundle, leaf, merkle, selectors, services
from yiwang.ledger import note as notes
from yiwang.ledger.models import Checkpoint, Entry, Witness


def test_append_sequences_and_hides_payload(ledger):
    out = ledger.append(5)
    assert [a.index for a in out] == [0, 1, 2, 3, 4]
    assert ledger.log.size == 5
    e = Entry.objects.get(log=ledger.log, index=3)
    assert bytes(e.leaf_hash) == merkle.SHA256.leaf(bytes(e.leaf_input))
    decoded = leaf.decode_leaf(bytes(e.leaf_input))
    payload = hashlib.sha256(b"payload 3").digest()
    assert decoded.kind == "certificate.issue" and payload not in bytes(e.leaf_input)
    assert leaf.matches(merkle.SHA256, bytes(e.leaf_input), salt=out[3].salt, payload_digest=payload)
    assert not leaf.matches(merkle.SHA256, bytes(e.leaf_input), salt=bytes(16), payload_digest=payload)
    again = services.ledger_append("certificates", "certificate.revoke", payload)
    assert again.index == 5


def test_append_refuses_bad_input(ledger):
    with pytest.raises(ValidationFailed):
        services.ledger_append("certificates", "certificate.issue", b"short")
    with pytest.raises(ValidationFailed):
        services.ledger_append("certificates", "no such kind!", bytes(32))
    with pytest.raises(NotFound):
        services.ledger_append("nope", "certificate.issue", bytes(32))


def test_publish_needs_quorum_and_is_cosigned(ledger):
    ledger.append(20)
    r = ledger.publish()
    assert r.published and len(r.cosigners) == 3 and r.size == 20
    cp = selectors.latest_checkpoint(ledger.log)
    note = notes.parse_note(cp.note.encode())
    assert len(note.signatures) == 5  # Ed25519 + SM2 + 3 cosignatures
    body = notes.parse_checkpoint(note.text)
    assert body.origin == ledger.log.origin and body.size == 20
    assert body.root == merkle.mth(merkle.SHA256, [bytes(e.leaf_input) for e in
                                                  Entry.objects.filter(log=ledger.log).order_by("index")])
    # grow: witnesses get a consistency proof from their last size
    ledger.append(13, start=20)
    r2 = ledger.publish()
    assert r2.published and r2.size == 33
    # one witness left: no quorum, nothing published
    Witness.objects.exclude(slug="gaj").update(active=False)
    ledger.append(1, start=40)
    r3 = ledger.publish()
    assert not r3.published and r3.cosigners == ["gaj.sf.gov.cn/witness"]
    assert selectors.latest_checkpoint(ledger.log).size == 33
    assert Checkpoint.objects.get(log=ledger.log, size=34).published is False


def test_publish_recovers_when_witness_is_behind(ledger):
    ledger.append(4)
    assert ledger.publish().published
    Witness.objects.filter(slug="sjj").update(active=False)
    ledger.append(4, start=4)
    assert ledger.publish().cosigners == ["gaj.sf.gov.cn/witness", "scjgj.sf.gov.cn/witness"]
    Witness.objects.filter(slug="sjj").update(active=True)
    ledger.append(4, start=8)
    # the log's guess is 8; 市数据局's witness is still at 4, answers 409 "4", and the log retries from 4
    r = ledger.publish()
    assert r.published and len(r.cosigners) == 3 and not r.refusals


def test_proofs_and_bundle_verify_offline(ledger):
    ledger.append(37)
    assert ledger.publish().published
    policy_text = selectors.trust_policy().to_text()
    for index in (0, 17, 36):
        b = selectors.proof_bundle("certificates", index)
        result = bundle.verify_bundle(b.data, policy_text)
        assert result.ok, result.reasons
        assert result.index == index and result.size == 37 and len(result.cosigners) == 3
        assert set(result.log_signers) == {"ed25519", "sm2"}
        e = Entry.objects.get(log=ledger.log, index=index)
        assert result.leaf_input == bytes(e.leaf_input)
    tree = selectors.tree_for(ledger.log, 37)
    proof = selectors.consistency_proof(ledger.log, 5, 37)
    merkle.verify_consistency(merkle.SHA256, 5, 37, proof, tree.root(5), tree.root(37))


def test_bundle_rejections_say_why(ledger):
    ledger.append(9)
    ledger.publish()
    data = selectors.proof_bundle("certificates", 4).data
    policy = bundle.parse_policy(selectors.trust_policy().to_text())
    assert bundle.verify_bundle(data, policy).ok
    # tampered entry
    text = data.decode()
    extra_line = text.split("\n")[1]
    other = base64.b64encode(leaf.encode_leaf("certificate.issue", 1, bytes(32))).decode()
    r = bundle.verify_bundle(text.replace(extra_line, "extra " + other).encode(), policy)
    assert not r.ok and "inclusion" in r.codes
    # tampered checkpoint size
    r = bundle.verify_bundle(text.replace("\n9\n", "\n10\n").encode(), policy)
    assert not r.ok and "log_signature" in r.codes
    # cosignatures stripped
    lines = [ln for ln in text.split("\n") if "witness" not in ln]
    r = bundle.verify_bundle("\n".join(lines).encode(), policy)
    assert not r.ok and "quorum" in r.codes and any("见证联署不足" in x for x in r.reasons)
    # a policy that requires 3 of 3 still passes, an unknown log does not
    policy.quorum = 3
    assert bundle.verify_bundle(data, policy).ok
    r = bundle.verify_bundle(data, "log other.example/log sha256\nquorum 0\n")
    assert not r.ok and r.codes == ["unknown_log"]
    assert not bundle.verify_bundle(b"garbage", policy).ok


def test_bundle_size_at_scale_is_under_2k():
    # the largest part is the proof: 20 hashes at 2^20 leaves; measured in the bench as well
    proof = [bytes(32)] * 20
    cp = notes.Checkpoint("ledger.sf.gov.cn/certificates", 2**20, bytes(32))
    from yiwang.kernel.crypto.signing import Sm2Signer

    sm2 = Sm2Signer.generate()
    signers = [notes.Ed25519NoteSigner(cp.origin, bytes(32)), notes.Sm2NoteSigner(cp.origin, sm2.private_key, sm2.public_key)]
    signed = notes.sign_checkpoint(cp, signers)
    signed = notes.add_signature_lines(signed, [notes.CosignatureSigner(f"w{i}.sf.gov.cn/witness", bytes([i]) * 32)
                                                .sign_line(cp.body()) for i in range(3)])
    data = bundle.build_bundle(leaf_input=leaf.encode_leaf("certificate.issue", 1_763_900_000_000, bytes(32)),
                               index=2**20 - 1, proof=proof, checkpoint_note=signed)
    assert len(data) <= 2048


def test_events_append_salted_digests(ledger):
    from yiwang.ledger.services import on_domain_event

    class Ev:
        def __init__(self, type_, subject, data):
            self.type, self.subject, self.data = type_, subject, data

    digest = hashlib.sha256(b"certificate body").hexdigest()
    on_domain_event(Ev("certificate.issued", "DZZZ-2026-0001", {"digest": digest, "salt": "00" * 16}))
    on_domain_event(Ev("case.decided", "BJ-2026-42", {"decision": "approve", "id_number": "110105194912310021"}))
    on_domain_event(Ev("certificate.revoked", "DZZZ-2026-0001", {}))
    e = selectors.entry_for_ref("certificates", "DZZZ-2026-0001")
    assert e is not None and e.kind == "certificate.revoke"
    first = Entry.objects.get(log__name="certificates", ref="DZZZ-2026-0001", kind="certificate.issue")
    assert leaf.matches(merkle.SHA256, bytes(first.leaf_input), salt=bytes(16), payload_digest=bytes.fromhex(digest))
    dec = selectors.entry_for_ref("decisions", "BJ-2026-42")
    assert dec is not None and b"110105" not in bytes(dec.leaf_input)


def test_events_dispatch_through_kernel(ledger, django_capture_on_commit_callbacks):
    from yiwang.kernel.events import publish

    with django_capture_on_commit_callbacks(execute=True):
        publish("certificate.issued", source="certificates", subject="DZZZ-X", data={})
    assert selectors.entry_for_ref("certificates", "DZZZ-X") is not None


def test_daily_audit_digest(ledger):
    from django.utils import timezone

    from yiwang.kernel.audit import audit_record

    audit_record(action="test.something", object_type="t", object_id="1")
    today = timezone.localdate()
    d1, n1 = services.audit_day_digest(today)
    assert n1 >= 1
    a = services.append_audit_digest(today)
    assert a is not None and a.log == "audit"
    assert services.append_audit_digest(today) is None  # once per day
    d2, n2 = services.audit_day_digest(date(2001, 1, 1))
    assert n2 == 0 and d2 != d1
    assert selectors.trust_policy().logs[services.get_log("audit").origin].hash_name == "sm3"


@pytest.mark.django_db
def test_a_log_created_by_another_process_first_is_found_not_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two first events at once: both see no log, one creates it, the other's insert conflicts and
    it then uses the row the first one made."""
    from yiwang.ledger.models import Log

    first = services.ensure_log("decisions", title="办件审批决定")
    services.forget_logs()
    real = services._log_named
    calls: list[str] = []

    def not_yet_the_first_time(name: str) -> Log | None:
        calls.append(name)
        return None if len(calls) == 1 else real(name)

    monkeypatch.setattr(services, "_log_named", not_yet_the_first_time)
    again = services.ensure_log("decisions", title="办件审批决定")
    assert again.pk == first.pk and Log.objects.filter(name="decisions").count() == 1
