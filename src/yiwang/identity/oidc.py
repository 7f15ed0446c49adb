"""OpenID Connect on django-oauth-toolkit.

- `sub` is a stable pseudonymous id: a keyed digest (HMAC-SM3 with the blind-index key) of the user's
  internal id, so relying parties never learn database ids and cannot guess other users' subjects.
- Personal data in claims is masked (the phone number as 138****0001); the full 身份证号 is never
  released through OIDC.
- `acr` carries the person's assurance level (实名等级) as `yiwang:loa:<1-4>`.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

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
