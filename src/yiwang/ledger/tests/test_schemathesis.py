"""API fuzzing of the ledger endpoints (schemathesis over /api/v1/openapi.json, in process through
WSGI): whatever the input, no 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application()).include(
    path_regex="^/api/v1/ledger"
)


@pytest.fixture
def grown(ledger):
    ledger.append(12)
    ledger.publish()
    return ledger


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_ledger_api_never_answers_5xx(case: schemathesis.Case, grown) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:500])
