"""Signed notes: the published Go/C2SP example, our Ed25519 and SM2 lines, cosignatures, checkpoints."""

from __future__ import annotations

import base64

import pytest

from yiwang.kernel.crypto.signing import Sm2Signer
from yiwang.ledger import note as N

# The example of golang.org/x/mod/sumdb/note (the reference implementation of c2sp.org/signed-note):
# note_test.go, BSD-3-Clause, The Go Authors.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
GO_SKEY_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]


# The worked example of c2sp.org/signed-note (C2SP/C2SP signed-note.md, "Example" section, as of commit
# d4c16da5; later revisions of the page dropped it). Its key id 530d903a is SHA-256(name||0x0A||0x01||pub)[:4].
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = ("This is an example message.\n\n— example.com/foo "
             "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")


def test_c2sp_spec_example_verifies_and_tampered_copy_does_not():
    v = N.parse_vkey(SPEC_VKEY)
    assert v.key_id.hex() == "530d903a" and v.vkey() == SPEC_VKEY
    assert N.open_note(SPEC_NOTE, [v]) == b"This is an example message.\n"
    for tampered in (SPEC_NOTE.replace("example message", "example massage"),
                     SPEC_NOTE.replace("Uw2QOkn8", "Uw2QOkn9"),
                     SPEC_NOTE.replace("— example.com/foo", "— example.com/bar")):
        with pytest.raises(N.NoteError):
            N.open_note(tampered, [v])


def test_published_example_verifies_and_tampered_copy_does_not():
    v = N.parse_vkey(GO_VKEY)
    assert v.vkey() == GO_VKEY
    assert N.open_note(GO_NOTE, [v]) == GO_TEXT.encode()
    for tampered in (GO_NOTE.replace("cryptography", "cryptographY"),
                     GO_NOTE.replace("x08go", "x08gp"),
                     GO_NOTE.replace("problem is.\n", "problem is!\n")):
        with pytest.raises(N.NoteError):
            N.open_note(tampered, [v])


def test_signing_reproduces_the_published_signature():
    signer = N.Ed25519NoteSigner("PeterNeumann", GO_SKEY_SEED)
    assert signer.verifier().vkey() == GO_VKEY
    assert GO_TEXT.encode() + b"\n" + signer.sign_line(GO_TEXT.encode()).encode() == GO_NOTE.encode()


def test_bad_vkeys_rejected():
    for bad in [GO_VKEY[:-1], GO_VKEY.replace("c74f20a3", "c74f20a4"), "Peter Neumann+c74f20a3+AR",
                "PeterNeumann+c74f20a3", GO_VKEY.replace("+ARpc", "+AXpc")]:
        with pytest.raises(N.NoteError):
            N.parse_vkey(bad)


def test_unknown_keys_ignored_known_bad_rejected():
    v = N.parse_vkey(GO_VKEY)
    other = N.Ed25519NoteSigner("other.example/log", bytes(32))
    extra = GO_NOTE + other.sign_line(b"something else\n")
    assert N.open_note(extra, [v]) == GO_TEXT.encode()
    with pytest.raises(N.NoteError):
        N.open_note(GO_NOTE, [other.verifier()])  # no known signature


@pytest.fixture(scope="module")
def keys():
    sm2 = Sm2Signer.generate()
    return {
        "ed": N.Ed25519NoteSigner("sf.gov.cn/ledger/test", bytes(range(32))),
        "sm2": N.Sm2NoteSigner("sf.gov.cn/ledger/test", sm2.private_key, sm2.public_key),
        "w": N.CosignatureSigner("gaj.sf.gov.cn/witness", bytes(range(1, 33))),
    }


def test_checkpoint_with_ed25519_sm2_and_cosignature(keys):
    cp = N.Checkpoint("sf.gov.cn/ledger/test", 5, bytes(32))
    signed = N.sign_checkpoint(cp, [keys["ed"], keys["sm2"]])
    signed = N.add_signature_lines(signed, [keys["w"].sign_line(cp.body(), 1_700_000_000)])
    note = N.parse_note(signed)
    assert N.parse_checkpoint(note.text) == cp
    assert len(note.signatures) == 3
    vs = [N.parse_vkey(k.verifier().vkey()) for k in keys.values()]
    check = N.check_note(note, vs)
    assert not check.failed and len(check.verified) == 3
    assert {v.kind for v in check.verified} == {"ed25519", "sm2", "cosignature"}
    w = [v for v in check.verified if v.kind == "cosignature"][0]
    assert w.last_timestamp == 1_700_000_000
    # a tampered checkpoint fails every signature
    bad = signed.replace(b"\n5\n", b"\n6\n")
    check = N.check_note(N.parse_note(bad), vs)
    assert len(check.failed) == 3 and not check.verified


def test_sm2_key_material_uses_ff_and_identifier(keys):
    vkey = keys["sm2"].verifier().vkey()
    material = base64.b64decode(vkey.split("+", 2)[2])
    assert material[0] == 0xFF and material[1:].startswith(N.SM2_IDENTIFIER)


@pytest.mark.parametrize("body", [b"", b"a\nb\n", b"o\n01\nAAAA\n", b"o\n1\n" + base64.b64encode(bytes(31)) + b"\n",
                                  b"\n1\n" + base64.b64encode(bytes(32)) + b"\n"])
def test_bad_checkpoints(body):
    with pytest.raises(N.NoteError):
        N.parse_checkpoint(body)
