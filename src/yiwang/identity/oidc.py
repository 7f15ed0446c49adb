"""OpenID Connect on django-oauth-toolkit.

- `sub` is a stable pseudonymous id: a keyed digest (HMAC-SM3 with the blind-index key) of the user's
  internal id, so relying parties never learn database ids and cannot guess other users' subjects.
- Personal data in claims is masked (the phone number as 138****0001); the full 身份证号 is never
  released through OIDC.
- Each client may be granted only the scopes its `ClientPolicy` allows (`ClientScopes`).
- `acr` carries the person's assurance level (实名等级) as `yiwang:loa:<1-4>`.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import SettingsScopes

from yiwang.kernel.crypto import blind_index

_CLAIMS = ["sub", "name", "phone_number", "yiwang_kind", "assurance_level", "acr"]


def subject_for(user_pk: int | str) -> str:
    """The OIDC subject of a user: stable, opaque, and not the database id."""
    return blind_index(f"oidc-sub:{user_pk}")[:40]


class YiwangOIDCValidator(OAuth2Validator):
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "sub": "openid",
        "acr": "openid",
        "name": "profile",
        "yiwang_kind": "profile",
        "assurance_level": "profile",
        "phone_number": "phone",
    }

    def get_claim_dict(self, request: Any) -> dict[str, Any]:
        claims = super().get_claim_dict(request)
        claims["sub"] = subject_for(request.user.pk)
        return claims

    def get_discovery_claims(self, request: Any) -> list[str]:
        return list(_CLAIMS)

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        from yiwang.identity.selectors import person_for_user

        user = request.user
        person = person_for_user(user)
        # No preferred_username: a citizen's login name is their phone number.
        claims: dict[str, Any] = {"name": str(user), "yiwang_kind": user.kind}
        if person is not None:
            claims["assurance_level"] = person.assurance_level
            claims["acr"] = f"yiwang:loa:{person.assurance_level}"
            if person.phone_masked:
                claims["phone_number"] = person.phone_masked
        return claims


OIDC_SCOPES = frozenset({"openid", "profile", "phone"})


class ClientScopes(SettingsScopes):
    """Scopes come from settings, and each client may be granted only those its ClientPolicy allows
    (the OpenID Connect scopes for a client without a policy). Discovery (no client) lists them all."""

    def get_available_scopes(self, application: Any = None, request: Any = None, *args: Any,
                             **kwargs: Any) -> list[str]:
        everything = list(super().get_available_scopes(application, request, *args, **kwargs))
        if application is None:
            return everything
        return [s for s in everything if s in allowed_scopes_for(application)]

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any,
                           **kwargs: Any) -> list[str]:
        defaults = list(super().get_default_scopes(application, request, *args, **kwargs))
        if application is None:
            return defaults
        allowed = self.get_available_scopes(application, request)
        return [s for s in defaults if s in allowed] or allowed


def allowed_scopes_for(application: Any) -> frozenset[str]:
    from yiwang.identity.models import ClientPolicy

    policy = ClientPolicy.objects.filter(application_id=application.pk).only("allowed_scopes").first()
    if policy is None:
        return OIDC_SCOPES
    return frozenset(policy.allowed_scopes)
