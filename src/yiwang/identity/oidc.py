"""OIDC claims for django-oauth-toolkit: the subject is a stable pseudonymous id; personal data in
claims is masked unless the client was granted a scope for it."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


class YiwangOIDCValidator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "name": "profile", "phone_number": "phone",
                        "yiwang_kind": "profile", "assurance_level": "profile"}

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        from yiwang.identity.selectors import person_for_user

        user = request.user
        person = person_for_user(user)
        claims: dict[str, Any] = {"name": str(user), "yiwang_kind": user.kind}
        if person is not None:
            claims["assurance_level"] = person.assurance_level
            claims["phone_number"] = person.phone_masked
        return claims
