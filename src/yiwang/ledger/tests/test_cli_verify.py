"""`yiwang verify FILE --policy POLICY`: an offline check with nothing but the two files."""

from __future__ import annotations

from yiwang.cli import main
from yiwang.ledger import selectors


def test_verify_command_accepts_a_good_bundle_and_rejects_a_tampered_one(ledger, tmp_path, capsys):  # type: ignore[no-untyped-def]
    ledger.append(12)
    assert ledger.publish().published
    policy = tmp_path / "policy.txt"
    policy.write_text(selectors.trust_policy().to_text(), encoding="utf-8")
    good = tmp_path / "entry.tlog-proof"
    good.write_bytes(selectors.proof_bundle("certificates", 5).data)
    assert main(["verify", str(good), "--policy", str(policy)]) == 0
    assert "验证通过" in capsys.readouterr().out

    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0x01  # flip one bit anywhere in the bundle
    bad = tmp_path / "tampered.tlog-proof"
    bad.write_bytes(bytes(data))
    assert main(["verify", str(bad), "--policy", str(policy)]) == 1
    assert "验证未通过" in capsys.readouterr().out

    assert main(["verify", str(tmp_path / "missing"), "--policy", str(policy)]) == 2
