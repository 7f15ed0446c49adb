"""Reads for identity."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from yiwang.identity.models import (
    ClientPolicy,
    Delegation,
    Enterprise,
    EnterpriseMandate,
    Organisation,
    Person,
    Staff,
    User,
)
from yiwang.kernel.audit import audit_for_subject
from yiwang.kernel.crypto import blind_index
from yiwang.kernel.fastsql import Select
from yiwang.kernel.models import AuditEntry

_person_of_user = Select(Person, where='"user_id" = %s', params=["user"], limit=1)


def person_for_user(user: User) -> Person | None:
    if not user.is_authenticated:
        return None
    return _person_of_user.first(user.pk)  # every citizen request asks: compiled once


def staff_for_user(user: User) -> Staff | None:
    if not user.is_authenticated:
        return None
    return Staff.objects.select_related("organisation").filter(user_id=user.pk).first()


def person_by_id_number(id_number: str) -> Person | None:
    return Person.objects.filter(id_number_index=blind_index(id_number)).first()


def person_by_phone(phone: str) -> Person | None:
    return Person.objects.filter(phone_index=blind_index(phone)).first()


def enterprise_by_credit_code(code: str) -> Enterprise | None:
    return Enterprise.objects.filter(credit_code=code.strip().upper()).first()


def enterprises_for_person(person: Person) -> list[Enterprise]:
    """Enterprises the person may act for: as legal representative or by a live mandate."""
    now = timezone.now()
    own = list(Enterprise.objects.filter(legal_rep=person))
    mandated = Enterprise.objects.filter(
        mandates__person=person, mandates__revoked_at__isnull=True,
        mandates__valid_from__lte=now, mandates__valid_until__gt=now,
    )
    seen = {e.pk for e in own}
    return own + [e for e in mandated if e.pk not in seen]


def mandates_for_enterprise(enterprise: Enterprise) -> QuerySet[EnterpriseMandate]:
    return EnterpriseMandate.objects.filter(enterprise=enterprise).select_related("person")


def active_delegation(*, agent: User, principal: Person, scope: str) -> Delegation | None:
    now = timezone.now()
    for d in Delegation.objects.filter(agent=agent, principal=principal, revoked_at__isnull=True,
                                       valid_from__lte=now, valid_until__gt=now):
        if scope in d.scopes or "*" in d.scopes:
            return d
    return None


def delegations_active(*, agent: User, principal: Person) -> list[Delegation]:
    """The live delegations from `principal` to `agent` (any scope)."""
    now = timezone.now()
    return list(Delegation.objects.filter(agent=agent, principal=principal, revoked_at__isnull=True,
                                          valid_from__lte=now, valid_until__gt=now))


def principals_for_agent(user: User) -> list[Person]:
    """People who have authorised `user` to act for them, now."""
    now = timezone.now()
    seen: dict[str, Person] = {}
    for d in (Delegation.objects.filter(agent=user, revoked_at__isnull=True, valid_from__lte=now, valid_until__gt=now)
              .select_related("principal")):
        seen.setdefault(str(d.principal_id), d.principal)
    return list(seen.values())


def user_for_phone(phone: str) -> User | None:
    """The login of the person registered with this phone number (looked up by blind index)."""
    person = Person.objects.filter(phone_index=blind_index(phone), user__isnull=False).select_related("user").first()
    return person.user if person is not None else None


def delegation_by_id(pk: str) -> Delegation | None:
    try:
        return Delegation.objects.select_related("principal", "agent").filter(pk=pk).first()
    except (ValueError, ValidationError):
        return None


def delegations_given(person: Person) -> QuerySet[Delegation]:
    return Delegation.objects.filter(principal=person).select_related("agent").order_by("-created_at")


def delegations_received(user: User) -> QuerySet[Delegation]:
    return Delegation.objects.filter(agent=user, revoked_at__isnull=True).select_related("principal")


def personal_data_reads(person: Person) -> list[AuditEntry]:
    """谁查看了我的信息: every audited read of this person's data."""
    return [e for e in audit_for_subject(person.subject_ref)
            if e.action in PERSONAL_DATA_READ_ACTIONS or e.action.endswith("_read") or e.action.endswith(".read")]


PERSONAL_DATA_READ_ACTIONS = frozenset({"person.personal_data_read", "person.lookup"})


def departments() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=Organisation.Kind.DEPARTMENT).order_by("code")


def enterprise_by_id(pk: str) -> Enterprise | None:
    try:
        return Enterprise.objects.select_related("legal_rep").filter(pk=pk).first()
    except (ValueError, ValidationError):
        return None


def mandate_by_id(enterprise: Enterprise, pk: str) -> EnterpriseMandate | None:
    try:
        return EnterpriseMandate.objects.select_related("enterprise", "person").filter(
            enterprise=enterprise, pk=int(pk)).first()
    except (ValueError, TypeError):
        return None


def staff_by_employee_no(employee_no: str) -> Staff | None:
    return Staff.objects.select_related("user").filter(employee_no=employee_no, active=True).first()


def organisation_for_client(client_id: str) -> Organisation | None:
    """The body that runs an OAuth client (a department system), from its ClientPolicy; None for a client
    without a policy or without an organisation (a third-party app)."""
    if not client_id:
        return None
    policy = (ClientPolicy.objects.select_related("organisation")
              .filter(application__client_id=client_id).first())
    return policy.organisation if policy is not None else None


def colleagues_of(org_code: str) -> list[Staff]:
    """The active staff of a department, by employee number: whom a case can be passed or copied to."""
    return list(Staff.objects.select_related("user").filter(organisation__code=org_code, active=True)
                .order_by("employee_no"))


def supervisors_of(org_code: str) -> list[User]:
    """Users who head a department (role supervisor): they receive 超期督办 notices."""
    return [s.user for s in Staff.objects.select_related("user").filter(
        organisation__code=org_code, active=True, roles__code="supervisor")]


def organisation_by_code(code: str) -> Organisation | None:
    return Organisation.objects.filter(code=code).first()


def organisation_by_short_name(short_name: str) -> Organisation | None:
    return Organisation.objects.filter(short_name=short_name).first()
