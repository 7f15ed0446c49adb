from __future__ import annotations

import pytest

from yiwang.demo import ledger_data
from yiwang.ledger import bundle, selectors
from yiwang.ledger.audit import audit_all


@pytest.mark.django_db
def test_demo_ledger_builds_publishes_and_audits():
    summary = ledger_data.build(20261123)
    assert summary["账本条目"] >= 400 and summary["已发布检查点"] == 6
    assert all(r.ok for r in audit_all()), [r.problems for r in audit_all()]
    policy = selectors.trust_policy()
    for name in ("certificates", "decisions", "audit"):
        b = selectors.proof_bundle(name, 0)
        assert bundle.verify_bundle(b.data, policy).ok
