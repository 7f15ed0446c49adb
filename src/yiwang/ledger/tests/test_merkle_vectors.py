"""Every transparency-dev/merkle probe (Apache-2.0, see data/rfc6962-merkle/README.md): valid ones
accepted, all others rejected; roots cross-checked against pymerkle; proofs we build verify."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.ledger import merkle
from yiwang.ledger.merkle import SHA256, SM3, ProofError, TreeCache

DATA = Path(__file__).parent / "data" / "rfc6962-merkle"


def _probes(kind: str) -> list[Path]:
    return sorted((DATA / kind).rglob("*.json"))


def _b(v: str | None) -> bytes:
    return base64.b64decode(v) if v else b""


def _accepts(fn) -> bool:  # type: ignore[no-untyped-def]
    try:
        fn()
        return True
    except ProofError:
        return False


def _proof(p: dict) -> list[bytes]:
    return [_b(h) for h in (p.get("proof") or [])]


@pytest.mark.parametrize("kind", ["inclusion", "consistency", "subtreeinclusion", "subtreeconsistency"])
def test_every_probe(kind):
    files = _probes(kind)
    assert len(files) >= 98
    wrong = []
    valid = 0
    for f in files:
        p = json.loads(f.read_text())
        if kind == "inclusion":
            ok = _accepts(lambda p=p: merkle.verify_inclusion(
                SHA256, p["leafIdx"], p["treeSize"], _b(p["leafHash"]), _proof(p), _b(p["root"])))
        elif kind == "consistency":
            ok = _accepts(lambda p=p: merkle.verify_consistency(
                SHA256, p["size1"], p["size2"], _proof(p), _b(p["root1"]), _b(p["root2"])))
        elif kind == "subtreeinclusion":
            ok = _accepts(lambda p=p: merkle.verify_subtree_inclusion(
                SHA256, p["leafIdx"], p["start"], p["end"], _b(p["leafHash"]), _proof(p), _b(p["root"])))
        else:
            ok = _accepts(lambda p=p: merkle.verify_subtree_consistency(
                SHA256, p["start"], p["end"], p["size"], _proof(p), _b(p["root1"]), _b(p["root2"])))
        valid += ok
        if ok == p["wantErr"]:
            wrong.append(f.relative_to(DATA).as_posix())
    assert not wrong, wrong
    assert valid >= 6


# RFC 6962 test data (transparency-dev/merkle testonly/constants.go, rfc6962_test.go)
LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_rfc6962_roots_and_hashes():
    leaves = [bytes.fromhex(x) for x in LEAVES]
    for n in range(9):
        assert merkle.mth(SHA256, leaves[:n]).hex() == ROOTS[n]
    assert SHA256.leaf(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert SHA256.node(b"N123", b"N456").hex() == \
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    tree = TreeCache(SHA256)
    tree.append_leaves(leaves)
    for n in range(9):
        assert tree.root(n).hex() == ROOTS[n]


def test_roots_equal_pymerkle_for_1_to_300():
    pymerkle = pytest.importorskip("pymerkle")
    ours = TreeCache(SHA256)
    theirs = pymerkle.InmemoryTree(algorithm="sha256")
    for n in range(1, 301):
        data = f"entry {n}".encode()
        ours.append_leaves([data])
        theirs.append_entry(data)
        assert ours.root() == theirs.get_root(), n
        assert merkle.mth(SHA256, [f"entry {i}".encode() for i in range(1, n + 1)]) == ours.root()
    # pymerkle's inclusion path is 1-based: path[0] is the leaf hash, path[1:] the RFC 6962 path
    for index in (0, 1, 77, 255, 299):
        path = [bytes.fromhex(h) for h in theirs.prove_inclusion(index + 1).serialize()["path"]]
        assert path[0] == ours.leaf_hash(index)
        assert path[1:] == ours.inclusion_proof(index, 300)


def test_sm3_tree_differs_and_verifies():
    tree = TreeCache(SM3)
    tree.append_leaves([b"a", b"b", b"c"])
    assert SM3.digest(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert tree.root() != merkle.mth(SHA256, [b"a", b"b", b"c"])
    merkle.verify_inclusion(SM3, 2, 3, SM3.leaf(b"c"), tree.inclusion_proof(2, 3), tree.root())


def test_all_proofs_up_to_64_leaves():
    tree = TreeCache(SHA256)
    tree.append_leaves([bytes([i]) for i in range(64)])
    roots = [tree.root(n) for n in range(65)]
    for n in range(1, 65):
        assert roots[n] == merkle.mth(SHA256, [bytes([i]) for i in range(n)])
        for i in range(n):
            merkle.verify_inclusion(SHA256, i, n, tree.leaf_hash(i), tree.inclusion_proof(i, n), roots[n])
        for m in range(1, n + 1):
            proof = tree.consistency_proof(m, n)
            merkle.verify_consistency(SHA256, m, n, proof, roots[m], roots[n])
            if m < n:
                with pytest.raises(ProofError):
                    merkle.verify_consistency(SHA256, m, n, proof, roots[m], roots[n - 1] if n > 1 else roots[0])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3000), st.data())
def test_property_proofs(size, data):
    tree = TreeCache(SHA256)
    tree.append_leaf_hashes(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size))
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(1, size))
    root = tree.root()
    proof = tree.inclusion_proof(index, size)
    assert len(proof) <= (size - 1).bit_length()
    merkle.verify_inclusion(SHA256, index, size, tree.leaf_hash(index), proof, root)
    merkle.verify_consistency(SHA256, old, size, tree.consistency_proof(old, size), tree.root(old), root)
    if proof:
        bad = list(proof)
        bad[0] = bytes(32)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(SHA256, index, size, tree.leaf_hash(index), bad, root)


def test_bad_requests_are_proof_errors():
    tree = TreeCache(SHA256)
    tree.append_leaves([b"x"] * 5)
    for args in [(5, 5), (0, 6), (-1, 3)]:
        with pytest.raises(ProofError):
            tree.inclusion_proof(*args)
    for args in [(0, 3), (4, 3), (2, 9)]:
        with pytest.raises(ProofError):
            tree.consistency_proof(*args)
