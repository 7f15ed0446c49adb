"""The c2sp.org/tlog-tiles read path, read back by an independent client (tlog-scales' TilesReader)."""

from __future__ import annotations

import pytest

from yiwang.ledger import selectors
from yiwang.ledger.models import Entry


@pytest.mark.parametrize(("path", "want"), [
    ("0/000", (0, 0, 256)), ("0/x001/234", (0, 1234, 256)), ("1/x001/x234/067.p/8", (1, 1234067, 8)),
    ("entries/005.p/255", (-1, 5, 255)), ("entries/x000/005", None), ("0/5", None), ("0/005.p/0", None),
    ("0/005.p/256", None), ("10/000", None), ("0/x1/234", None), ("0/1234", None), ("0/005.p", None),
])
def test_tile_paths(path, want):
    assert selectors.parse_tile_path(path) == want


def test_tiles_serve_hashes_and_entries(client, ledger):
    ledger.append(600)
    ledger.publish()
    tree = selectors.tree_for(ledger.log, 600)
    r = client.get("/ledger/certificates/tile/0/001")
    assert r.status_code == 200 and len(r.content) == 256 * 32 and "immutable" in r["Cache-Control"]
    assert r.content[:32] == tree.leaf_hash(256)
    r = client.get("/ledger/certificates/tile/0/002.p/88")
    assert r.status_code == 200 and len(r.content) == 88 * 32
    assert client.get("/ledger/certificates/tile/0/002").status_code == 404
    assert client.get("/ledger/certificates/tile/0/002.p/89").status_code == 404
    r = client.get("/ledger/certificates/tile/1/000.p/2")
    assert r.content == tree.range_hash(0, 256) + tree.range_hash(256, 512)
    r = client.get("/ledger/certificates/tile/entries/000.p/3")
    first = bytes(Entry.objects.get(log=ledger.log, index=0).leaf_input)
    assert r.content[:2] == len(first).to_bytes(2, "big") and r.content[2:2 + len(first)] == first
    assert client.get("/ledger/nope/tile/0/000").status_code == 404
    assert client.get("/ledger/certificates/tile/zz/000").status_code == 404


def test_independent_tiles_client_reads_the_log(client, ledger):
    reader_mod = pytest.importorskip("tlog_scales.reader")
    ledger.append(700)
    ledger.publish()

    class DjangoBackend:
        def get(self, *path: str) -> bytes | None:
            r = client.get("/ledger/certificates/" + "/".join(path))
            return r.content if r.status_code == 200 else None

    reader = reader_mod.TilesReader(DjangoBackend())
    cp = reader.get_checkpoint()
    assert cp.size == 700
    assert reader.calculate_root_hash() == cp.root_hash
    for index in (0, 255, 256, 699):
        assert reader.get_entry(index) == bytes(Entry.objects.get(log=ledger.log, index=index).leaf_input)
        proof = reader.get_inclusion_proof(index, 700)
        proof.check(selectors.tree_for(ledger.log, 700).leaf_hash(index), cp.root_hash)
        assert proof.node_hashes == selectors.inclusion_proof(ledger.log, index, 700)
