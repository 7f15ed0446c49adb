"""Interop endpoints (OpenAPI), the text/plain checkpoint, bundles, policy and the public page."""

from __future__ import annotations

import base64

from yiwang.ledger import bundle, merkle, selectors
from yiwang.ledger import note as notes


def _b(s: str) -> bytes:
    return base64.b64decode(s)


def test_logs_and_vkeys(client, ledger):
    r = client.get("/api/v1/ledger/logs")
    assert r.status_code == 200
    (log,) = r.json()
    assert log["name"] == "certificates" and log["hash"] == "sha256"
    assert log["origin"] == ledger.log.origin
    assert len(log["verifier_keys"]) == 5
    kinds = [notes.parse_vkey(k).kind for k in log["verifier_keys"]]
    assert kinds == ["ed25519", "sm2", "cosignature", "cosignature", "cosignature"]


def test_checkpoint_entries_and_proofs(client, ledger):
    assert client.get("/ledger/certificates/checkpoint").status_code == 404
    ledger.append(21)
    ledger.publish()
    r = client.get("/ledger/certificates/checkpoint")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/plain")
    vkeys = client.get("/api/v1/ledger/logs").json()[0]["verifier_keys"]
    text = notes.open_note(r.content, [notes.parse_vkey(vkeys[0])])
    cp = notes.parse_checkpoint(text)
    assert cp.size == 21

    cps = client.get("/api/v1/ledger/certificates/checkpoints").json()
    assert cps[0]["size"] == 21 and _b(cps[0]["root"]) == cp.root and cps[0]["note"] == r.content.decode()

    e = client.get("/api/v1/ledger/certificates/entries/9").json()
    assert e["index"] == 9
    assert _b(e["leaf_hash"]) == merkle.SHA256.leaf(_b(e["leaf_input"]))
    p = client.get("/api/v1/ledger/certificates/proof/inclusion?index=9&size=21").json()
    merkle.verify_inclusion(merkle.SHA256, 9, 21, _b(e["leaf_hash"]), [_b(h) for h in p["hashes"]], cp.root)
    c = client.get("/api/v1/ledger/certificates/proof/consistency?old=8&new=21").json()
    root8 = selectors.tree_for(ledger.log, 21).root(8)
    merkle.verify_consistency(merkle.SHA256, 8, 21, [_b(h) for h in c["hashes"]], root8, cp.root)


def test_bad_indexes_are_4xx(client, ledger):
    ledger.append(3)
    for url in ["/api/v1/ledger/certificates/entries/3", "/api/v1/ledger/certificates/entries/-1",
                "/api/v1/ledger/certificates/entries/99999999999999999999999",
                "/api/v1/ledger/nope/entries/0", "/api/v1/ledger/nope/checkpoints",
                "/api/v1/ledger/certificates/proof/inclusion?index=3&size=3",
                "/api/v1/ledger/certificates/proof/inclusion?index=0&size=4",
                "/api/v1/ledger/certificates/proof/inclusion?index=0&size=0",
                "/api/v1/ledger/certificates/proof/inclusion?index=x&size=1",
                "/api/v1/ledger/certificates/proof/inclusion",
                "/api/v1/ledger/certificates/proof/consistency?old=0&new=3",
                "/api/v1/ledger/certificates/proof/consistency?old=3&new=2",
                "/api/v1/ledger/certificates/proof/consistency?old=1&new=4",
                "/ledger/nope/checkpoint", "/ledger/certificates/bundle/0", "/ledger/certificates/bundle/7"]:
        r = client.get(url)
        assert 400 <= r.status_code < 500, (url, r.status_code)
        if url.startswith("/api/"):
            assert "error" in r.json(), url
    assert client.get("/api/v1/ledger/certificates/proof/consistency?old=3&new=3").json()["hashes"] == []


def test_bundle_and_policy_download(client, ledger):
    ledger.append(6)
    ledger.publish()
    data = client.get("/ledger/certificates/bundle/2").content
    policy = client.get("/ledger/policy").content.decode()
    assert data.startswith(b"c2sp.org/tlog-proof@v1\nextra ")
    assert bundle.verify_bundle(data, policy).ok


def test_openapi_lists_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for p in ["/api/v1/ledger/logs", "/api/v1/ledger/{name}/checkpoints", "/api/v1/ledger/{name}/entries/{index}",
              "/api/v1/ledger/{name}/proof/inclusion", "/api/v1/ledger/{name}/proof/consistency"]:
        assert p in paths, p


def test_public_page(client, ledger):
    ledger.append(3)
    ledger.publish()
    r = client.get("/ledger/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "可信账本" in html and "市公安局" in html and "市市场监管局" in html and "市数据局" in html
    assert ledger.log.origin in html


def test_management_commands(ledger, tmp_path, capsys):
    from django.core.management import call_command

    ledger.append(5)
    call_command("ledger", "publish")
    call_command("ledger", "bundle", "certificates", "3", "-o", str(tmp_path / "e.tlog-proof"))
    call_command("ledger", "policy", "-o", str(tmp_path / "policy.txt"))
    call_command("ledger", "verify", str(tmp_path / "e.tlog-proof"), "--policy", str(tmp_path / "policy.txt"))
    call_command("ledger", "status")
    call_command("ledger", "audit-digest", "--date", "2026-11-22")
    ledger.append(2, start=5)
    call_command("ledger", "publish", "--log", "certificates", "--loop", "--interval", "0.01", "--max-passes", "2")
    assert selectors.latest_checkpoint(ledger.log).size == 7
    out = capsys.readouterr().out
    assert "验证通过" in out and "已发布" in out
