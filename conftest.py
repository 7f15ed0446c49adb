"""Test-wide settings: each run gets its own data folder and a fast password hasher."""

import os
import tempfile

os.environ.setdefault("YIWANG_HOME", tempfile.mkdtemp(prefix="yiwang-test-"))
os.environ.setdefault("YIWANG_FAST_HASHER", "1")


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _keep_test_connection_open(monkeypatch):  # type: ignore[no-untyped-def]
    """Tests that call the WSGI app directly (schemathesis) run inside the test's transaction; Django
    closes "old" connections at the end of every request, which on PostgreSQL would drop that
    transaction (the test client avoids it only for its own requests)."""
    from django.db import connections

    for conn in connections.all(initialized_only=False):
        monkeypatch.setattr(conn, "close_if_unusable_or_obsolete", lambda: None)
    yield


@pytest.fixture(autouse=True)
def _forget_process_caches():  # type: ignore[no-untyped-def]
    """Short-lived in-process caches (webhook subscriptions, case definitions and item versions)
    must not carry rows from one test's rolled-back transaction into the next."""
    from yiwang.cases import rules as case_rules
    from yiwang.cases import services as case_services
    from yiwang.certificates import selectors as certificate_selectors
    from yiwang.kernel import events
    from yiwang.ledger import services as ledger_services

    events.forget_subscriptions()
    ledger_services.forget_logs()
    case_services.forget_definitions()
    case_rules.forget()
    certificate_selectors.forget_certificate_types()
    yield
    events.forget_subscriptions()
