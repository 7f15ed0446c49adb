"""The demo OAuth clients: fixed ids, per-client scopes, secrets only in a 0600 file."""

from __future__ import annotations

import base64
import json
import stat

import pytest
from django.conf import settings
from django.test import Client
from oauth2_provider.models import Application

from yiwang.demo import oauth_clients
from yiwang.identity.models import ClientPolicy

from .conftest import City

pytestmark = pytest.mark.django_db


def test_demo_clients_build_and_work(city: City, capsys: pytest.CaptureFixture[str]) -> None:
    path = settings.YIWANG_HOME / "oauth_clients.json"
    path.unlink(missing_ok=True)
    assert oauth_clients.build(1) == {"接入应用": 3}
    assert oauth_clients.build(1) == {"接入应用": 0}  # idempotent
    ids = set(Application.objects.values_list("client_id", flat=True))
    assert {"shifan-scjg-approval", "shifan-rsj-portal", "demo-third-party-app"} <= ids
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secrets = json.loads(path.read_text())
    secret = secrets["shifan-scjg-approval"]["client_secret"]
    assert secret not in capsys.readouterr().out
    assert not Application.objects.filter(client_secret=secret).exists()
    assert ClientPolicy.objects.get(application__client_id="shifan-scjg-approval").allowed_scopes == [
        "catalog:read", "exchange:lookup", "identity:read"]
    basic = base64.b64encode(f"shifan-scjg-approval:{secret}".encode()).decode()
    r = Client().post("/o/token/", {"grant_type": "client_credentials", "scope": "catalog:read"},
                      HTTP_AUTHORIZATION=f"Basic {basic}")
    assert r.status_code == 200 and r.json()["scope"] == "catalog:read"
