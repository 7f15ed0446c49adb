"""Reads for 电子证照: the wallet, one certificate, who may manage it."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from yiwang.certificates.models import Certificate, CertificateShare, CertificateType, CertificateUse
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


# The catalogue of certificate types, by name, re-read at most every few seconds (and at once in this
# process when a type is saved or deleted): every approved decision looks its result type up.
TYPES_TTL_S = 5.0
_types_by_name: list[tuple[float, dict[str, CertificateType]]] = []


def certificate_type_named(name: str) -> CertificateType | None:
    now = time.monotonic()
    if not (_types_by_name and now - _types_by_name[0][0] < TYPES_TTL_S):
        _types_by_name[:] = [(now, {t.name: t for t in CertificateType.objects.all()})]
    return _types_by_name[0][1].get(name)


def forget_certificate_types(**_kwargs: Any) -> None:
    _types_by_name.clear()


post_save.connect(forget_certificate_types, sender=CertificateType, dispatch_uid="certificates.types.save")
post_delete.connect(forget_certificate_types, sender=CertificateType, dispatch_uid="certificates.types.delete")


def may_view(user: Any, cert: Certificate) -> bool:
    return may_hold(user, cert) or may_manage(user, cert)


def may_hold(user: Any, cert: Certificate) -> bool:
    """The holder: the person, or someone who may act for the holding enterprise. Only the holder grants
    and withdraws 授权用证."""
    return cert.subject_ref in {r for r, _ in wallet_refs(user)}


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


def valid_certificates() -> Any:
    """Issued (not revoked or suspended) and within 有效期 today."""
    today = timezone.localdate()
    return (Certificate.objects.select_related("type")
            .filter(status=Certificate.Status.ISSUED, valid_from__lte=today)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today)))


def wallet_certificates_by_type(subject_refs: list[str], type_names: list[str]) -> dict[str, list[Certificate]]:
    """For 材料免提交: the holders' usable certificates of the named types (证照类型名称 as in a catalog
    material's `certificate_type`, e.g. "出生医学证明", "营业执照"), newest first. Only types with at least one
    usable certificate appear as keys."""
    if not subject_refs or not type_names:
        return {}
    out: dict[str, list[Certificate]] = {}
    for cert in valid_certificates().filter(subject_ref__in=subject_refs, type__name__in=type_names):
        out.setdefault(cert.type.name, []).append(cert)
    return out


def shares_for_certificate(cert: Certificate) -> list[CertificateShare]:
    return list(CertificateShare.objects.filter(certificate=cert).annotate(use_count=Count("uses")))


def share_state(share: CertificateShare, today: date | None = None) -> str:
    """active | expired | revoked"""
    if share.revoked_at is not None:
        return "revoked"
    return "expired" if share.valid_until < (today or timezone.localdate()) else "active"


def uses_for_certificate(cert: Certificate, limit: int = 200) -> list[CertificateUse]:
    """用证记录, newest first."""
    return list(CertificateUse.objects.filter(certificate=cert).select_related("share")[:limit])


def use_counts(certs: list[Certificate]) -> dict[Any, int]:
    rows = (CertificateUse.objects.filter(certificate__in=certs).values("certificate")
            .annotate(n=Count("id")).values_list("certificate", "n"))
    return dict(rows)


def staff_organisation(user: Any) -> Any:
    """The active staff member's organisation, or None."""
    staff = identity_selectors.staff_for_user(user)
    return staff.organisation if staff is not None and staff.active else None


def organisation_for_client(client_id: str) -> Any:
    return identity_selectors.organisation_for_client(client_id)


def departments() -> list[Any]:
    """Departments a holder may grant a certificate's use to."""
    return list(identity_selectors.departments())
