"""Prefill an application form from what the platform already knows (少填): the applicant's verified
identity and, through the data-sharing gateway (exchange.services.prefill_for), the registries.

The catalogue's field names (child_name, father_id_number, …) are not the gateway's (name,
household_address, spouse_name, …): the mapping lives here. Every value says where it came from, so the
page can show 来源：人口基本信息 · 示范市公安局 next to it and the case keeps it in `prefill_sources`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yiwang.kernel.errors import DomainError

log = logging.getLogger(__name__)

IDENTITY_SOURCE = "实名身份信息"
IDENTITY_DEPARTMENT = "统一身份认证平台"

# catalogue field -> the exchange's prefill field, per applicant kind.
PERSON_SHARED: dict[str, str] = {
    "address": "household_address",
    "residence_address": "household_address",
    "household_number": "household_number",
    "employer": "employer",
}
ENTERPRISE_SHARED: dict[str, str] = {
    "enterprise_name": "enterprise_name",
    "legal_rep_name": "legal_rep",
    "business_address": "registered_address",
    "business_scope": "business_scope",
}


@dataclass(frozen=True)
class Subject:
    """Who the application is for: a person or an enterprise (with its legal representative)."""

    ref: str
    kind: str  # person | enterprise
    name: str
    person: Any = None  # identity.Person (the applicant, or the enterprise's legal representative)
    enterprise: Any = None
    viewer: Any = None  # the logged-in user (for the audit of full personal data)

    @property
    def subject_ref(self) -> str:  # what exchange.prefill_for reads
        return self.ref


@dataclass(frozen=True)
class Prefilled:
    value: Any
    source: str
    department: str

    @property
    def label(self) -> str:
        return f"{self.source} · {self.department}" if self.department else self.source

    def as_record(self) -> dict[str, str]:
        return {"source": self.source, "department": self.department}


def _identity_values(subject: Subject, names: set[str]) -> dict[str, Any]:
    """Values from the verified identity. Full 身份证号 and phone are revealed only for the person
    themself (identity.services.person_reveal audits any other viewer)."""
    from yiwang.identity import selectors as identity_selectors
    from yiwang.identity import services as identity_services

    out: dict[str, Any] = {}
    if subject.kind == "enterprise" and subject.enterprise is not None:
        ent = subject.enterprise
        out.update({"enterprise_name": ent.name, "credit_code": ent.credit_code})
        if ent.legal_rep_id:
            out["legal_rep_name"] = ent.legal_rep.real_name
        if ent.address:
            out["business_address"] = ent.address
        if ent.business_scope:
            out["business_scope"] = ent.business_scope
        if "phone" in names and subject.viewer is not None:
            # The contact phone is the applying person's own (the legal representative or the
            # employee with a mandate): revealing one's own number is not a third-party read.
            contact = identity_selectors.person_for_user(subject.viewer)
            if contact is not None:
                try:
                    own = identity_services.person_reveal(viewer=subject.viewer, person=contact, fields=("phone",),
                                                          purpose="办件表单预填")
                except DomainError:
                    own = {}
                if own.get("phone"):
                    out["phone"] = own["phone"]
        return {k: v for k, v in out.items() if k in names}
    person = subject.person
    if person is None:
        return {}
    wanted_secret = names & {"applicant_id_number", "phone", "father_id_number", "mother_id_number"}
    secret: dict[str, str] = {}
    if wanted_secret and subject.viewer is not None:
        try:
            secret = identity_services.person_reveal(viewer=subject.viewer, person=person,
                                                     purpose="办件表单预填")
        except DomainError:
            secret = {}
    out["applicant_name"] = person.real_name
    if secret.get("id_number"):
        out["applicant_id_number"] = secret["id_number"]
    if secret.get("phone"):
        out["phone"] = secret["phone"]
    # 出生一件事 and the like: the applicant is one of the parents.
    parent = "father" if person.gender == "M" else "mother"
    out[f"{parent}_name"] = person.real_name
    if secret.get("id_number"):
        out[f"{parent}_id_number"] = secret["id_number"]
    return {k: v for k, v in out.items() if k in names}


def _legal_basis(legal_basis: Sequence[str] | str, title: str) -> str:
    if isinstance(legal_basis, str):
        text = legal_basis
    else:
        text = "；".join(str(x) for x in legal_basis if x)
    return (text or f"{title}（依申请办理）")[:500]


def prefill(subject: Subject, fields: Sequence[Mapping[str, Any]], *, title: str,
            legal_basis: Sequence[str] | str = ()) -> dict[str, Prefilled]:
    """{field name: Prefilled} for the form's fields that the platform can fill. Shared data is read
    through the gateway under the item's legal basis (one access-log row per resource, visible to the
    applicant in 谁用了我的数据); a registry that refuses or has no record is simply skipped."""
    names = {str(f["name"]) for f in fields}
    out: dict[str, Prefilled] = {}
    for name, value in _identity_values(subject, names).items():
        if value not in (None, ""):
            out[name] = Prefilled(value, IDENTITY_SOURCE, IDENTITY_DEPARTMENT)
    mapping = dict(ENTERPRISE_SHARED if subject.kind == "enterprise" else PERSON_SHARED)
    if subject.kind == "person" and subject.person is not None:
        spouse = "mother_name" if subject.person.gender == "M" else "father_name"
        mapping[spouse] = "spouse_name"
    wanted = {field: source for field, source in mapping.items() if field in names}
    if not wanted:
        return out
    from yiwang.exchange import services as exchange_services

    try:
        shared = exchange_services.prefill_for(subject, sorted(set(wanted.values())),
                                               _legal_basis(legal_basis, title), f"{title}：申请表预填")
    except DomainError as exc:  # the gateway refused as a whole: the applicant types everything
        log.info("prefill skipped for %s: %s", subject.ref, exc.code)
        return out
    except Exception:  # noqa: BLE001 - a broken registry must never stop an application
        log.exception("prefill failed for %s", subject.ref)
        return out
    for field, source in wanted.items():
        hit = shared.get(source)
        if not hit or hit.get("value") in (None, ""):
            continue
        out[field] = Prefilled(hit["value"], str(hit.get("source_resource") or ""),
                               str(hit.get("source_department") or ""))
    return out


def sources_kept(prefilled: Mapping[str, Mapping[str, Any]], form: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The prefill sources of the fields the applicant left as prefilled (an edited value is theirs)."""
    out: dict[str, dict[str, str]] = {}
    for name, rec in prefilled.items():
        if str(form.get(name, "")).strip() == str(rec.get("value", "")).strip() and str(rec.get("value", "")):
            out[name] = {"source": str(rec.get("source", "")), "department": str(rec.get("department", ""))}
    return out


# --- who applies -----------------------------------------------------------------------------------


def subject_for(user: Any, acting_for: str = "", *, scope: str = "cases:apply") -> Subject:
    """The subject the logged-in user applies (or looks) as: themself, the enterprise they act for
    (legal representative or mandate), or the person who authorised them (帮办代办, with `scope`)."""
    from yiwang.identity import selectors as identity_selectors
    from yiwang.kernel.errors import PermissionDenied

    person = identity_selectors.person_for_user(user)
    kind, _, pk = (acting_for or "").partition(":")
    if kind == "enterprise" and person is not None:
        ent = identity_selectors.enterprise_by_id(pk)
        if ent is not None and ent in identity_selectors.enterprises_for_person(person):
            return Subject(ref=ent.subject_ref, kind="enterprise", name=ent.name, person=ent.legal_rep,
                           enterprise=ent, viewer=user)
    if kind == "person":
        for principal in identity_selectors.principals_for_agent(user):
            if str(principal.pk) == pk and (
                    identity_selectors.active_delegation(agent=user, principal=principal, scope=scope)
                    or (scope == "cases:view"
                        and identity_selectors.active_delegation(agent=user, principal=principal,
                                                                 scope="cases:apply"))):
                return Subject(ref=principal.subject_ref, kind="person", name=principal.real_name,
                               person=principal, viewer=user)
    if person is None:
        raise PermissionDenied("case.no_person", "请使用实名认证的个人或企业账号办理", None)
    return Subject(ref=person.subject_ref, kind="person", name=person.real_name, person=person, viewer=user)


def applicant_user(subject: Subject, user: Any) -> Any:
    """The account a case belongs to for notifications: the person's own login when an agent applies
    for them (帮办), otherwise the logged-in user."""
    if subject.kind == "person" and subject.person is not None and subject.person.user_id \
            and subject.person.user_id != getattr(user, "pk", None):
        return subject.person.user
    return user


def visible_refs(user: Any, acting_for: str = "") -> list[str]:
    """Whose cases the user may see: their own, their enterprises', and the person they act for now."""
    from yiwang.identity import selectors as identity_selectors

    refs: list[str] = []
    person = identity_selectors.person_for_user(user)
    if person is not None:
        refs.append(person.subject_ref)
        refs += [e.subject_ref for e in identity_selectors.enterprises_for_person(person)]
    if acting_for.startswith("person:"):
        try:
            refs.append(subject_for(user, acting_for, scope="cases:view").ref)
        except DomainError:
            pass
    return list(dict.fromkeys(refs))
