"""Every answer under /api/ is JSON with the shared error shape, also for paths and methods no
operation serves."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/cases/no/such/thing", "/api/v1/nope", "/api/v2/cases", "/api/"])
def test_unknown_api_paths_answer_a_json_404(client: Client, path: str) -> None:
    for response in (client.get(path), client.post(path, "{}", content_type="application/json")):
        assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
        assert response.json()["error"]["code"] == "api.not_found"


def test_a_method_an_operation_does_not_serve_is_a_json_405(client: Client) -> None:
    response = client.delete("/api/v1/kernel/calendar/working-days")
    assert response.status_code == 405 and response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "http.405" and "GET" in response["Allow"]


def test_pages_outside_the_api_keep_html_404(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and not response["Content-Type"].startswith("application/json")
