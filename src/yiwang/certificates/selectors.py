"""Reads for 电子证照: the wallet, one certificate, who may manage it."""

from __future__ import annotations

from typing import Any

from yiwang.certificates.models import Certificate, CertificateType
from yiwang.identity import selectors as identity_selectors

MANAGER_ROLES = frozenset({"approver", "supervisor"})


def wallet_refs(user: Any) -> list[tuple[str, str]]:
    """(subject_ref, label) for the logged-in person and every enterprise they may act for."""
    person = identity_selectors.person_for_user(user)
    if person is None:
        return []
    refs = [(person.subject_ref, person.real_name)]
    refs += [(e.subject_ref, e.name) for e in identity_selectors.enterprises_for_person(person)]
    return refs


def certificates_for_refs(refs: list[str]) -> list[Certificate]:
    return list(Certificate.objects.select_related("type").filter(subject_ref__in=refs))


def certificates_for_subject(subject_ref: str) -> list[Certificate]:
    return certificates_for_refs([subject_ref])


def certificate_by_identifier(identifier: str) -> Certificate | None:
    return Certificate.objects.select_related("type").filter(identifier=identifier.strip().upper()).first()


def certificate_types() -> list[CertificateType]:
    return list(CertificateType.objects.all())


def may_view(user: Any, cert: Certificate) -> bool:
    return cert.subject_ref in {r for r, _ in wallet_refs(user)} or may_manage(user, cert)


def may_manage(user: Any, cert: Certificate) -> bool:
    """Approvers and supervisors of the issuing department."""
    staff = identity_selectors.staff_for_user(user)
    if staff is None or not staff.active or staff.organisation.code != cert.issuer_code:
        return False
    return bool(MANAGER_ROLES & set(user.role_names()))


def may_issue_for(user: Any, issuer_code: str) -> bool:
    staff = identity_selectors.staff_for_user(user)
    return (staff is not None and staff.active and staff.organisation.code == issuer_code.strip().upper()
            and bool(MANAGER_ROLES & set(user.role_names())))
