"""Cross-checks against an independent implementation from PyPI (tlog-scales: C2SP checkpoints,
Ed25519 and cosignature/v1 verifiers, RFC 9162 proof checkers). Skipped when it is not installed."""

from __future__ import annotations

import pytest

from yiwang.ledger import note as notes
from yiwang.ledger import selectors, services

tlog = pytest.importorskip("tlog_scales.tlog")
signing = pytest.importorskip("tlog_scales.signing")


def test_checkpoint_and_cosignatures_verify_with_tlog_scales(ledger):
    ledger.append(57)
    assert ledger.publish().published
    cp_text = selectors.latest_checkpoint(ledger.log).note
    theirs = tlog.Checkpoint.from_text(cp_text)
    assert theirs.size == 57 and theirs.origin == ledger.log.origin
    keys = [signing.Vkey.from_string(v) for v in selectors.verifier_keys(ledger.log)
            if notes.parse_vkey(v).kind in ("ed25519", "cosignature")]
    assert len(keys) == 4  # log Ed25519 + three cosignature/v1 keys (the SM2 line is ignored)
    valid = signing.VkeySet(*keys).verify(theirs.signatures, theirs)
    assert len(valid) == 4
    # and a tampered checkpoint does not verify
    forged = tlog.Checkpoint.from_text(cp_text.replace("\n57\n", "\n58\n"))
    assert signing.VkeySet(*keys).verify(forged.signatures, forged) == set()


def test_proofs_check_with_tlog_scales(ledger):
    ledger.append(100)
    tree = selectors.tree_for(ledger.log, 100)
    root = tree.root(100)
    for index in (0, 31, 64, 99):
        tlog.InclusionProof(index, 100, tree.inclusion_proof(index, 100)).check(tree.leaf_hash(index), root)
    for old in (1, 7, 64, 99):
        tlog.ConsistencyProof(old, 100, tree.consistency_proof(old, 100)).check(tree.root(old), root)
    with pytest.raises(tlog.InclusionProofInvalid):
        tlog.InclusionProof(5, 100, tree.inclusion_proof(6, 100)).check(tree.leaf_hash(5), root)
    assert services.get_log("certificates").hash == "sha256"
