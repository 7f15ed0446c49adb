"""The c2sp.org/tlog-witness protocol: every refusal code over HTTP (Django test client) and through
the pure function, split views rejected and kept as evidence, and the atomic state update."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.ledger import merkle, selectors, services
from yiwang.ledger import note as notes
from yiwang.ledger import witness as wit
from yiwang.ledger.models import WitnessEvidence, WitnessState

URL = "/ledger/witness/gaj/add-checkpoint"


def _signed(ledger, size: int, root: bytes | None = None) -> bytes:
    log = ledger.log
    tree = selectors.tree_for(log, log.size)
    cp = notes.Checkpoint(log.origin, size, root if root is not None else tree.root(size))
    return notes.sign_checkpoint(cp, [services.key_signer(k) for k in services.log_keys(log)])


def _post(client, body: bytes, slug: str = "gaj"):
    return client.post(f"/ledger/witness/{slug}/add-checkpoint", data=body, content_type="text/plain")


@pytest.fixture
def grown(ledger):
    ledger.append(10)
    return ledger


def test_first_checkpoint_is_cosigned_then_consistency_required(client, grown):
    r = _post(client, wit.format_request(0, [], _signed(grown, 6)))
    assert r.status_code == 200, r.content
    line = r.content.decode()
    assert line.startswith("— gaj.sf.gov.cn/witness ")
    v = services.key_verifier(services.ensure_witnesses()[0].key)
    note = notes.parse_note(_signed(grown, 6) + line.encode())
    assert notes.check_note(note, [v]).verified
    state = WitnessState.objects.get(witness__slug="gaj")
    assert state.size == 6
    tree = selectors.tree_for(grown.log, 10)
    r = _post(client, wit.format_request(6, tree.consistency_proof(6, 10), _signed(grown, 10)))
    assert r.status_code == 200
    assert WitnessState.objects.get(witness__slug="gaj").size == 10


def test_403_bad_signature(client, grown):
    signed = _signed(grown, 6)
    forged = signed.replace(b"\n6\n", b"\n7\n")
    r = _post(client, wit.format_request(0, [], forged))
    assert r.status_code == 403
    stranger = notes.Ed25519NoteSigner(grown.log.origin, bytes(32))
    cp = notes.Checkpoint(grown.log.origin, 6, bytes(32))
    r = _post(client, wit.format_request(0, [], notes.sign_checkpoint(cp, [stranger])))
    assert r.status_code == 403
    assert not WitnessState.objects.exists()


def test_404_unknown_origin_and_unknown_witness(client, grown):
    stranger = notes.Ed25519NoteSigner("other.example/log", bytes(32))
    body = wit.format_request(0, [], notes.sign_checkpoint(notes.Checkpoint("other.example/log", 1, bytes(32)), [stranger]))
    assert _post(client, body).status_code == 404
    assert _post(client, wit.format_request(0, [], _signed(grown, 3)), slug="nobody").status_code == 404


def test_409_stale_size_returns_the_size(client, grown):
    assert _post(client, wit.format_request(0, [], _signed(grown, 6))).status_code == 200
    tree = selectors.tree_for(grown.log, 10)
    r = _post(client, wit.format_request(4, tree.consistency_proof(4, 10), _signed(grown, 10)))
    assert r.status_code == 409
    assert r["Content-Type"] == "text/x.tlog.size" and r.content == b"6\n"
    r = _post(client, wit.format_request(0, [], _signed(grown, 10)))
    assert r.status_code == 409 and r.content == b"6\n"


def test_422_bad_proof_kept_as_evidence(client, grown):
    assert _post(client, wit.format_request(0, [], _signed(grown, 6))).status_code == 200
    tree = selectors.tree_for(grown.log, 10)
    bad = list(tree.consistency_proof(6, 10))
    bad[0] = bytes(32)
    r = _post(client, wit.format_request(6, bad, _signed(grown, 10)))
    assert r.status_code == 422
    assert WitnessState.objects.get(witness__slug="gaj").size == 6
    # a log-signed checkpoint that contradicts the cosigned one: a different root for size 10
    r = _post(client, wit.format_request(6, tree.consistency_proof(6, 10), _signed(grown, 10, root=bytes(32))))
    assert r.status_code == 422
    assert WitnessEvidence.objects.filter(witness__slug="gaj", status=422).count() == 2


def test_split_view_rejected_and_kept_as_evidence(client, grown):
    assert _post(client, wit.format_request(0, [], _signed(grown, 10))).status_code == 200
    other_root = merkle.SHA256.digest(b"another history")
    forked = _signed(grown, 10, root=other_root)
    r = _post(client, wit.format_request(10, [], forked))
    assert r.status_code == 409
    ev = WitnessEvidence.objects.get(witness__slug="gaj")
    assert "split view" in ev.reason and notes.b64(other_root) in ev.request_body
    assert notes.b64(selectors.tree_for(grown.log, 10).root(10)) in ev.stored_note
    state = WitnessState.objects.get(witness__slug="gaj")
    assert bytes(state.root) == selectors.tree_for(grown.log, 10).root(10)  # unchanged
    # the same checkpoint again is fine (idempotent)
    assert _post(client, wit.format_request(10, [], _signed(grown, 10))).status_code == 200


def test_400_malformed(client, grown):
    for body in [b"", b"old x\n\n", b"old 01\n\n" + _signed(grown, 3), b"old 5\n\n" + _signed(grown, 3),
                 b"old 0\nnot-base64!\n\n" + _signed(grown, 3), b"old 0\n" + b"AAAA\n" + b"\n" + _signed(grown, 3)]:
        assert _post(client, body).status_code == 400, body
    assert client.get(URL).status_code == 405


def test_pure_witness_all_codes():
    log_signer = notes.Ed25519NoteSigner("example.org/log", bytes(range(32)))
    tree = merkle.TreeCache(merkle.SHA256)
    tree.append_leaves([bytes([i]) for i in range(20)])
    w = wit.MemoryWitness(notes.CosignatureSigner("w.example/w", bytes(32)),
                          {"example.org/log": wit.WitnessedLog("example.org/log", [log_signer.verifier()])})

    def signed(size, root=None):
        return notes.sign_checkpoint(notes.Checkpoint("example.org/log", size, root or tree.root(size)), [log_signer])

    assert w.add_checkpoint(wit.format_request(0, [], signed(5)), timestamp=100).status == 200
    assert w.add_checkpoint(wit.format_request(0, [], signed(8))).status == 409
    assert w.add_checkpoint(wit.format_request(5, [bytes(32)], signed(8))).status == 422
    assert w.add_checkpoint(wit.format_request(5, tree.consistency_proof(5, 8), signed(8))).status == 200
    assert w.add_checkpoint(wit.format_request(8, [], signed(8, bytes(32)))).status == 409
    assert len(w.evidence) == 2 and w.states["example.org/log"].size == 8
    forged = signed(9).replace(b"\n9\n", b"\n10\n")
    assert w.add_checkpoint(wit.format_request(8, tree.consistency_proof(8, 10), forged)).status == 403
    assert w.add_checkpoint(wit.format_request(12, [], signed(10))).status == 400


def test_endpoint_is_csrf_exempt(grown):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    r = strict.post(URL, data=wit.format_request(0, [], _signed(grown, 4)), content_type="text/plain")
    assert r.status_code == 200


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=8), st.integers(1, 200))
def test_property_witness_follows_growth_and_refuses_forks(steps, fork_at):
    log_signer = notes.Ed25519NoteSigner("example.org/log", bytes(range(32)))
    tree = merkle.TreeCache(merkle.SHA256)
    w = wit.MemoryWitness(notes.CosignatureSigner("w.example/w", bytes(32)),
                          {"example.org/log": wit.WitnessedLog("example.org/log", [log_signer.verifier()])})

    def signed(size, root=None):
        r = root if root is not None else tree.root(size)
        return notes.sign_checkpoint(notes.Checkpoint("example.org/log", size, r), [log_signer])

    old = 0
    for step in steps:
        tree.append_leaves([tree.size.to_bytes(4, "big") + bytes([k]) for k in range(step)])
        size = tree.size
        proof = tree.consistency_proof(old, size) if 0 < old < size else []
        assert w.add_checkpoint(wit.format_request(old, proof, signed(size))).status == 200
        old = size
    if old == 0:
        return
    # a fork: the same leaves except one, at a larger size
    forked = merkle.TreeCache(merkle.SHA256)
    leaves = [tree.leaf_hash(i) for i in range(old)]
    leaves[fork_at % old] = bytes(32)
    forked.append_leaf_hashes(leaves + [bytes([1]) * 32])
    proof = forked.consistency_proof(old, old + 1)
    reply = w.add_checkpoint(wit.format_request(old, proof, signed(old + 1, forked.root(old + 1))))
    assert reply.status == 422 and w.states["example.org/log"].size == old
    reply = w.add_checkpoint(wit.format_request(old, [], signed(old, forked.root(old))))
    assert reply.status == 409 and len(w.evidence) == 2
