"""API authentication: the browser session or an OAuth2 bearer token (from the OIDC provider or a
client-credentials grant). Token look-ups are cached in process for a short time."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from yiwang.kernel import context

_TOKEN_CACHE: dict[str, tuple[float, TokenInfo | None]] = {}
_CACHE_TTL_S = 30.0
_CACHE_MAX = 10_000


@dataclass(frozen=True)
class TokenInfo:
    user_id: int | None
    client_id: str
    scopes: frozenset[str]
    expires_at: float


def _lookup(token: str) -> TokenInfo | None:
    from oauth2_provider.models import AccessToken

    row = (AccessToken.objects.select_related("application").filter(token_checksum=hashlib.sha256(token.encode()).hexdigest())
           .only("user_id", "scope", "expires", "application__client_id").first())
    if row is None or row.expires <= timezone.now():
        return None
    return TokenInfo(user_id=row.user_id, client_id=row.application.client_id if row.application else "",
                     scopes=frozenset(row.scope.split()), expires_at=row.expires.timestamp())


def validate_token(token: str) -> TokenInfo | None:
    """The token's holder and scopes, or None when unknown or expired."""
    now = time.time()
    hit = _TOKEN_CACHE.get(token)
    if hit is not None and hit[0] > now:
        info = hit[1]
        return info if info is None or info.expires_at > now else None
    info = _lookup(token)
    if len(_TOKEN_CACHE) >= _CACHE_MAX:
        _TOKEN_CACHE.clear()
    _TOKEN_CACHE[token] = (now + _CACHE_TTL_S, info)
    return info


def forget_token(token: str) -> None:
    _TOKEN_CACHE.pop(token, None)


class BearerAuth(HttpBearer):
    def __init__(self, scope: str | None = None):
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        info = validate_token(token)
        if info is None or (self.scope and self.scope not in info.scopes):
            return None
        request.token_info = info  # type: ignore[attr-defined]
        context.set_actor(context.Actor(user_id=info.user_id, label=f"client:{info.client_id}"
                                        if info.user_id is None else f"user:{info.user_id}",
                                        roles=frozenset({"api_client"})))
        return info


class SessionAuth(APIKeyCookie):
    """The logged-in browser session (CSRF checked on unsafe methods by ninja)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


def session_or_bearer(scope: str | None = None) -> list[Any]:
    return [SessionAuth(), BearerAuth(scope)]
