"""Demo OAuth / OpenID Connect clients of 示范市.

- a department system (市场监管局审批系统) that calls the platform API with client-credentials tokens;
- a department portal that signs staff and citizens in with yiwang (authorization code + PKCE, first
  party, so no consent screen);
- a third-party app (authorization code + PKCE, consent screen), redirecting to
  http://127.0.0.1:8765/callback.

Client ids are fixed so that docs and demos can name them; client secrets are generated at build time,
stored only hashed in the database, and written (mode 0600) to $YIWANG_HOME/oauth_clients.json for the
local demo — never printed and never in git.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.conf import settings
from oauth2_provider.models import Application

from yiwang.identity import services
from yiwang.identity.models import Organisation

DEMO_REDIRECT = "http://127.0.0.1:8765/callback"

CLIENTS: list[dict[str, Any]] = [
    {"client_id": "shifan-scjg-approval", "name": "市场监管局审批系统", "org": "市场监管局",
     "grant": Application.GRANT_CLIENT_CREDENTIALS, "scopes": ["catalog:read", "identity:read", "exchange:lookup"],
     "description": "部门业务系统，以客户端凭证调用一网接口"},
    {"client_id": "shifan-rsj-portal", "name": "人社局网上办事大厅", "org": "人社局",
     "grant": Application.GRANT_AUTHORIZATION_CODE, "scopes": ["openid", "profile", "phone", "identity:read"],
     "redirect": DEMO_REDIRECT, "skip_authorization": True,
     "description": "部门系统，使用一网统一身份认证登录（免授权确认）"},
    {"client_id": "demo-third-party-app", "name": "便民服务小程序（第三方）", "org": None,
     "grant": Application.GRANT_AUTHORIZATION_CODE, "scopes": ["openid", "profile", "phone"],
     "redirect": DEMO_REDIRECT, "skip_authorization": False,
     "description": "第三方应用，用户确认授权后登录"},
]


def build(seed: int) -> dict[str, int]:
    """Create the demo clients (idempotent on client id). `seed` is unused: ids are fixed and secrets
    must be unpredictable."""
    del seed
    secrets_out: dict[str, dict[str, str]] = {}
    made = 0
    for spec in CLIENTS:
        if Application.objects.filter(client_id=spec["client_id"]).exists():
            continue
        org = Organisation.objects.filter(short_name=spec["org"]).first() if spec["org"] else None
        app, secret = services.client_register(
            name=spec["name"], grant=spec["grant"], scopes=spec["scopes"], redirect_uris=spec.get("redirect", ""),
            client_id=spec["client_id"], skip_authorization=spec.get("skip_authorization", False),
            organisation=org, description=spec["description"],
        )
        secrets_out[app.client_id] = {"name": spec["name"], "client_secret": secret,
                                      "scopes": " ".join(spec["scopes"]), "redirect_uri": spec.get("redirect", "")}
        made += 1
    if secrets_out:
        _write_secrets(secrets_out)
    return {"接入应用": made}


def _write_secrets(new: dict[str, dict[str, str]]) -> None:
    path = settings.YIWANG_HOME / "oauth_clients.json"
    existing: dict[str, Any] = {}
    if path.exists():
        try:
            existing = json.loads(path.read_text())
        except ValueError:
            existing = {}
    existing.update(new)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(existing, fh, ensure_ascii=False, indent=2)
    path.chmod(0o600)
