"""`ledger audit` finds a row changed, deleted, inserted or reordered behind the application's back."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from yiwang.ledger import leaf, merkle, selectors
from yiwang.ledger.audit import audit_all


@pytest.fixture
def published(ledger):
    ledger.append(30)
    assert ledger.publish().published
    ledger.append(10, start=30)
    assert ledger.publish().published
    return ledger


def _sql(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    selectors.forget_trees()


def _problems() -> list[str]:
    return [p for r in audit_all() for p in r.problems]


def _command_fails() -> str:
    with pytest.raises(CommandError):
        call_command("ledger", "audit")
    return ""


def test_clean_ledger_passes(published, capsys):
    assert _problems() == []
    call_command("ledger", "audit")
    assert "通过" in capsys.readouterr().out


def test_modified_entry_with_recomputed_hash(published):
    forged = leaf.encode_leaf("certificate.issue", 1, bytes(32))
    _sql("UPDATE ledger_entry SET leaf_input=%s, leaf_hash=%s WHERE log_id=%s AND \"index\"=%s",
         [forged, merkle.SHA256.leaf(forged), published.log.pk, 7])
    problems = _problems()
    assert any("检查点 30" in p and "根哈希" in p for p in problems), problems
    _command_fails()


def test_modified_entry_without_hash(published):
    _sql("UPDATE ledger_entry SET leaf_input=%s WHERE log_id=%s AND \"index\"=%s",
         [b"yiwang.ledger/v1 certificate.issue 1 AAAA\n", published.log.pk, 3])
    assert any("第 3 条" in p and "被修改" in p for p in _problems())
    _command_fails()


def test_deleted_entry(published):
    _sql("DELETE FROM ledger_entry WHERE log_id=%s AND \"index\"=%s", [published.log.pk, 12])
    problems = _problems()
    assert any("第 12 条" in p and "删除" in p for p in problems), problems
    _command_fails()


def test_deleted_tail(published):
    _sql("DELETE FROM ledger_entry WHERE log_id=%s AND \"index\">=%s", [published.log.pk, 35])
    problems = _problems()
    assert any("检查点 40" in p for p in problems), problems


def test_inserted_entry(published):
    forged = leaf.encode_leaf("certificate.issue", 1, bytes(32))
    _sql("INSERT INTO ledger_entry (log_id, \"index\", kind, leaf_input, leaf_hash, salt, ref, created_at) "
         "VALUES (%s, %s, %s, %s, %s, %s, %s, CURRENT_TIMESTAMP)",
         [published.log.pk, 40, "certificate.issue", forged, merkle.SHA256.leaf(forged), b"", ""])
    assert any("被插入" in p for p in _problems())
    _command_fails()


def test_inserted_in_the_middle(published):
    # shift entries 20.. up by one and slip a forged row in at 20
    pk = published.log.pk
    _sql("UPDATE ledger_entry SET \"index\" = -(\"index\" + 1) WHERE log_id=%s AND \"index\">=20", [pk])
    _sql("UPDATE ledger_entry SET \"index\" = -\"index\" WHERE log_id=%s AND \"index\"<0", [pk])
    forged = leaf.encode_leaf("certificate.issue", 1, bytes(32))
    _sql("INSERT INTO ledger_entry (log_id, \"index\", kind, leaf_input, leaf_hash, salt, ref, created_at) "
         "VALUES (%s, %s, %s, %s, %s, %s, %s, CURRENT_TIMESTAMP)",
         [pk, 20, "certificate.issue", forged, merkle.SHA256.leaf(forged), b"", ""])
    problems = _problems()
    assert any("检查点 30" in p for p in problems) and any("被插入" in p for p in problems), problems


def test_reordered_entries(published):
    pk = published.log.pk
    _sql("UPDATE ledger_entry SET \"index\"=-1 WHERE log_id=%s AND \"index\"=33", [pk])
    _sql("UPDATE ledger_entry SET \"index\"=33 WHERE log_id=%s AND \"index\"=34", [pk])
    _sql("UPDATE ledger_entry SET \"index\"=34 WHERE log_id=%s AND \"index\"=-1", [pk])
    problems = _problems()
    assert any("检查点 40" in p and "第 30 至 39 条" in p for p in problems), problems
    assert not any("检查点 30：" in p for p in problems)
    _command_fails()


def test_tampered_checkpoint(published):
    _sql("UPDATE ledger_checkpoint SET note=REPLACE(note, %s, %s) WHERE log_id=%s AND size=30",
         ["\n30\n", "\n31\n", published.log.pk])
    assert any("检查点 30" in p for p in _problems())


def test_storage_gap_is_not_a_500(published, client):
    _sql("DELETE FROM ledger_entry WHERE log_id=%s AND \"index\"=5", [published.log.pk])
    r = client.get("/api/v1/ledger/certificates/proof/inclusion?index=1&size=40")
    assert 400 <= r.status_code < 600 and r.status_code != 500
