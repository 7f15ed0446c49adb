"""API authentication: the browser session or an OAuth2 bearer token (from the OIDC provider or a
client-credentials grant).

Token look-ups are cached in process for a short time (`YIWANG_TOKEN_CACHE_SECONDS`, default 5 s),
keyed by the token's SHA-256 checksum — the same value django-oauth-toolkit stores, since tokens are
hashed at rest (RFC 9700). A token revoked or deleted in this process is forgotten at once (a
`post_delete` hook on DOT's AccessToken calls `forget_checksum`); other worker processes see the
revocation within the cache lifetime.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from yiwang.kernel import context
from yiwang.kernel.errors import PermissionDenied

_CACHE_MAX = 10_000
_NEGATIVE_TTL_S = 1.0
_lock = threading.Lock()


@dataclass(frozen=True)
class TokenInfo:
    """What a valid access token stands for."""

    user_id: int | None
    client_id: str
    scopes: frozenset[str]
    expires_at: float

    @property
    def is_machine(self) -> bool:
        """A client-credentials token acts for the client itself, not for a person."""
        return self.user_id is None


_TOKEN_CACHE: dict[str, tuple[float, TokenInfo | None]] = {}


def _cache_ttl() -> float:
    return float(getattr(settings, "YIWANG_TOKEN_CACHE_SECONDS", 5.0))


def token_checksum(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lookup(checksum: str) -> TokenInfo | None:
    from oauth2_provider.models import AccessToken

    row = (
        AccessToken.objects.filter(Q(user__isnull=True) | Q(user__is_active=True), token_checksum=checksum)
        .values_list("user_id", "scope", "expires", "application__client_id")
        .first()
    )
    if row is None:
        return None
    user_id, scope, expires, client_id = row
    if expires <= timezone.now():
        return None
    return TokenInfo(user_id=user_id, client_id=client_id or "", scopes=frozenset(scope.split()),
                     expires_at=expires.timestamp())


def validate_token(token: str, *, use_cache: bool = True) -> TokenInfo | None:
    """The token's holder and scopes, or None when unknown, revoked or expired."""
    if not token or len(token) > 512:
        return None
    checksum = token_checksum(token)
    now = time.time()
    if use_cache:
        hit = _TOKEN_CACHE.get(checksum)
        if hit is not None and hit[0] > now:
            info = hit[1]
            return info if info is None or info.expires_at > now else None
    info = _lookup(checksum)
    with _lock:
        if len(_TOKEN_CACHE) >= _CACHE_MAX:
            _TOKEN_CACHE.clear()
        _TOKEN_CACHE[checksum] = (now + (_cache_ttl() if info is not None else _NEGATIVE_TTL_S), info)
    return info


@dataclass(frozen=True)
class UserSnapshot:
    """What API calls need to know about a token's user, cached like tokens so that a bearer request
    needs no database round trip: the account, its roles and the masked personal data."""

    user_id: int
    username: str
    display_name: str
    kind: str
    roles: frozenset[str]
    elderly_mode: bool
    id_number_masked: str | None
    phone_masked: str | None
    assurance_level: int | None
    organisation: str | None

    def me(self) -> dict[str, Any]:
        """The `GET /identity/me` document (schemas.MeOut)."""
        return {"username": self.username, "display_name": self.display_name, "kind": self.kind,
                "roles": sorted(self.roles), "elderly_mode": self.elderly_mode, "id_number": self.id_number_masked,
                "phone": self.phone_masked, "assurance_level": self.assurance_level,
                "organisation": self.organisation}


_USER_CACHE: dict[int, tuple[float, UserSnapshot | None]] = {}


def _load_user(user_id: int) -> UserSnapshot | None:
    from yiwang.identity.models import Person, Staff, User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    person = Person.objects.filter(user_id=user_id).only("id_number_masked", "phone_masked", "assurance_level").first()
    staff = Staff.objects.select_related("organisation").filter(user_id=user_id).first()
    return UserSnapshot(
        user_id=user.pk, username=user.username, display_name=str(user), kind=user.kind,
        roles=frozenset(user.role_names()), elderly_mode=user.elderly_mode,
        id_number_masked=person.id_number_masked if person else None,
        phone_masked=person.phone_masked if person else None,
        assurance_level=person.assurance_level if person else None,
        organisation=staff.organisation.name if staff else None,
    )


def user_snapshot(user_id: int, *, use_cache: bool = True) -> UserSnapshot | None:
    """The account behind a token (None when deleted or deactivated), cached for a few seconds."""
    now = time.time()
    if use_cache:
        hit = _USER_CACHE.get(user_id)
        if hit is not None and hit[0] > now:
            return hit[1]
    snap = _load_user(user_id)
    with _lock:
        if len(_USER_CACHE) >= _CACHE_MAX:
            _USER_CACHE.clear()
        _USER_CACHE[user_id] = (now + _cache_ttl(), snap)
    return snap


def forget_user(user_id: int | None) -> None:
    if user_id is not None:
        with _lock:
            _USER_CACHE.pop(user_id, None)


def forget_token(token: str) -> None:
    """Drop a token from this process's cache (after revoking it)."""
    forget_checksum(token_checksum(token))


def forget_checksum(checksum: str) -> None:
    with _lock:
        _TOKEN_CACHE.pop(checksum, None)


def forget_all_tokens() -> None:
    with _lock:
        _TOKEN_CACHE.clear()
        _USER_CACHE.clear()


class InsufficientScope(PermissionDenied):
    """403 for a valid token that lacks the scope the operation needs (RFC 6750 §3.1)."""

    def __init__(self, scope: str):
        super().__init__("auth.insufficient_scope", f"访问令牌缺少所需的授权范围：{scope}", None)
        self.scope = scope


class BearerAuth(HttpBearer):
    """An OAuth2 access token in `Authorization: Bearer ...`, optionally requiring a scope."""

    def __init__(self, scope: str | None = None):
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        info = validate_token(token.strip())
        if info is None:
            return None  # unknown, revoked or expired: 401 auth.required
        if self.scope and self.scope not in info.scopes:
            raise InsufficientScope(self.scope)
        request.token_info = info  # type: ignore[attr-defined]
        if info.user_id is None:
            actor = context.Actor(user_id=None, label=f"client:{info.client_id}", roles=frozenset({"api_client"}))
        else:
            actor = context.Actor(user_id=info.user_id, label=f"user:{info.user_id} via client:{info.client_id}",
                                  roles=frozenset({"api_client"}))
        context.set_actor(actor)  # reset by RequestIdMiddleware at the end of the request
        return info


class SessionAuth(APIKeyCookie):
    """The logged-in browser session. CSRF is checked on unsafe methods, but only when a session
    user is present: a bearer-token call without cookies must fall through to BearerAuth."""

    param_name = "sessionid"

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF 校验失败，请刷新页面后重试")
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover - see __call__
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


def session_or_bearer(scope: str | None = None) -> list[Any]:
    """Either a logged-in session or a bearer token carrying `scope`."""
    return [SessionAuth(), BearerAuth(scope)]


def bearer_only(scope: str | None = None) -> list[Any]:
    return [BearerAuth(scope)]
