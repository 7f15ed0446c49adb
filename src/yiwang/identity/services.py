"""Writes for identity: people, enterprises, staff, one-time codes, login throttling, delegation,
and audited reads of full personal data."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from yiwang.identity.models import (
    Delegation,
    Enterprise,
    EnterpriseMandate,
    LoginAttempt,
    OneTimeCode,
    Organisation,
    Person,
    Region,
    Role,
    Staff,
    User,
)
from yiwang.identity.sms import sms_sender
from yiwang.kernel import context, events
from yiwang.kernel.audit import audit_record
from yiwang.kernel.crypto import blind_index, decrypt_field, encrypt_field
from yiwang.kernel.errors import Conflict, DomainError, PermissionDenied, RateLimited, ValidationFailed
from yiwang.kernel.masking import mask_id_number, mask_phone
from yiwang.kernel.validators import (
    id_number_birth_date,
    id_number_gender,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)

OTP_TTL = timedelta(minutes=5)
OTP_MAX_ATTEMPTS = 5


def _validated(func: Any, value: str, field: str) -> str:
    try:
        return func(value)  # type: ignore[no-any-return]
    except ValueError as exc:
        raise ValidationFailed(f"identity.invalid_{field}", str(exc), field) from None


# --- people, enterprises, staff --------------------------------------------------------------


@transaction.atomic
def person_register(
    *,
    real_name: str,
    id_number: str,
    phone: str = "",
    region: Region | None = None,
    password: str | None = None,
    assurance_level: int = Person.Assurance.L1,
    username: str | None = None,
    password_hash: str | None = None,
) -> Person:
    """Create a person (and a citizen login when a password is given)."""
    real_name = (real_name or "").strip()
    if not real_name or len(real_name) > 60:
        raise ValidationFailed("identity.invalid_real_name", "姓名不能为空且不超过60字", "real_name")
    id_number = _validated(validate_id_number, id_number, "id_number")
    phone = _validated(validate_mobile, phone, "phone") if phone else ""
    index = blind_index(id_number)
    if Person.objects.filter(id_number_index=index).exists():
        raise Conflict("identity.person_exists", "该身份证号已注册", "id_number")
    user = None
    if password is not None or password_hash is not None:
        login = username or phone or id_number
        if User.objects.filter(username=login).exists():
            raise Conflict("identity.username_taken", "该登录名已被使用", "phone")
        user = User(username=login, display_name=real_name)
        if password_hash is not None:
            user.password = password_hash  # a precomputed hash (bulk demo data)
        else:
            user.set_password(password)
        user.save()
    person = Person.objects.create(
        user=user,
        real_name=real_name,
        id_number_enc=encrypt_field(id_number),
        id_number_index=index,
        id_number_masked=mask_id_number(id_number),
        phone_enc=encrypt_field(phone),
        phone_index=blind_index(phone),
        phone_masked=mask_phone(phone),
        gender=id_number_gender(id_number),
        birth_date=id_number_birth_date(id_number),
        region=region,
        assurance_level=assurance_level,
    )
    audit_record(action="person.registered", object_type="person", object_id=str(person.pk),
                 subject_ref=person.subject_ref)
    events.publish("person.registered", source="identity", subject=str(person.pk), data={"person": str(person.pk)})
    return person


@transaction.atomic
def enterprise_register(
    *,
    credit_code: str,
    name: str,
    legal_rep: Person,
    region: Region | None = None,
    address: str = "",
    kind: str = "有限责任公司",
    registered_capital: Any = 0,
    established_on: date | None = None,
    business_scope: str = "",
) -> Enterprise:
    credit_code = _validated(validate_credit_code, credit_code, "credit_code")
    if not (name or "").strip():
        raise ValidationFailed("identity.invalid_name", "企业名称不能为空", "name")
    if Enterprise.objects.filter(credit_code=credit_code).exists():
        raise Conflict("identity.enterprise_exists", "该统一社会信用代码已登记", "credit_code")
    ent = Enterprise.objects.create(
        credit_code=credit_code, name=name.strip(), legal_rep=legal_rep, region=region, address=address,
        kind=kind, registered_capital=registered_capital, established_on=established_on,
        business_scope=business_scope,
    )
    audit_record(action="enterprise.registered", object_type="enterprise", object_id=str(ent.pk))
    events.publish("enterprise.registered", source="identity", subject=str(ent.pk), data={"credit_code": credit_code})
    return ent


@transaction.atomic
def staff_create(
    *,
    username: str,
    display_name: str,
    organisation: Organisation,
    employee_no: str,
    roles: list[str],
    password: str | None = None,
    password_hash: str | None = None,
    title: str = "",
    supervisor: Staff | None = None,
) -> Staff:
    if User.objects.filter(username=username).exists():
        raise Conflict("identity.username_taken", "该登录名已被使用", "username")
    user = User(username=username, display_name=display_name, kind=User.Kind.STAFF)
    if password_hash is not None:
        user.password = password_hash
    else:
        user.set_password(password)
    user.save()
    staff = Staff.objects.create(
        user=user, organisation=organisation, employee_no=employee_no, title=title, supervisor=supervisor
    )
    role_objs = list(Role.objects.filter(code__in=roles))
    missing = set(roles) - {r.code for r in role_objs}
    if missing:
        raise ValidationFailed("identity.unknown_role", f"未知角色：{'、'.join(sorted(missing))}", "roles")
    staff.roles.set(role_objs)
    audit_record(action="staff.created", object_type="staff", object_id=str(staff.pk),
                 detail={"organisation": organisation.name, "roles": roles})
    return staff


def set_elderly_mode(*, user: User, enabled: bool) -> None:
    User.objects.filter(pk=user.pk).update(elderly_mode=enabled)
    user.elderly_mode = enabled


# --- personal data: full values only for roles that need them, every read audited -------------


def person_reveal(*, viewer: User, person: Person, fields: tuple[str, ...] = ("id_number", "phone"),
                  purpose: str = "") -> dict[str, str]:
    """Full 身份证号/phone for a viewer whose role needs it (or the person themself). Audit-logged."""
    is_self = person.user_id is not None and person.user_id == viewer.pk
    allowed_roles = set(Role.objects.filter(sees_personal_data=True).values_list("code", flat=True))
    if not is_self and not (allowed_roles & viewer.role_names()):
        raise PermissionDenied("identity.reveal_forbidden", "您的角色无权查看完整个人信息", None)
    out: dict[str, str] = {}
    if "id_number" in fields:
        out["id_number"] = decrypt_field(person.id_number_enc)
    if "phone" in fields:
        out["phone"] = decrypt_field(person.phone_enc)
    if not is_self:
        audit_record(
            action="person.personal_data_read", object_type="person", object_id=str(person.pk),
            subject_ref=person.subject_ref, detail={"fields": list(fields), "purpose": purpose},
        )
    return out


# --- one-time codes and throttling ------------------------------------------------------------


def _hash_code(phone_index: str, code: str) -> str:
    return hashlib.sha256(f"{phone_index}:{code}:{settings.SECRET_KEY}".encode()).hexdigest()


def otp_send(*, phone: str, purpose: str = "login") -> None:
    """Send a 6-digit code. At most one per minute per number."""
    phone = _validated(validate_mobile, phone, "phone")
    index = blind_index(phone)
    now = timezone.now()
    if OneTimeCode.objects.filter(phone_index=index, created_at__gt=now - timedelta(seconds=60)).exists():
        raise RateLimited("identity.otp_too_soon", "验证码发送过于频繁，请一分钟后再试", "phone")
    code = f"{secrets.randbelow(1_000_000):06d}"
    OneTimeCode.objects.create(phone_index=index, purpose=purpose, code_hash=_hash_code(index, code),
                               expires_at=now + OTP_TTL)
    sms_sender().send(phone=phone, body=f"【一网】您的验证码为 {code}，5分钟内有效。请勿告诉他人。")


def otp_verify(*, phone: str, code: str, purpose: str = "login") -> bool:
    index = blind_index(phone)
    now = timezone.now()
    otp = (OneTimeCode.objects.filter(phone_index=index, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
           .order_by("-created_at").first())
    if otp is None or otp.attempts >= OTP_MAX_ATTEMPTS:
        return False
    if secrets.compare_digest(otp.code_hash, _hash_code(index, (code or "").strip()[:12])):
        # Conditional update: of two concurrent submissions of the same code only one wins.
        return OneTimeCode.objects.filter(pk=otp.pk, used_at__isnull=True).update(used_at=now) == 1
    OneTimeCode.objects.filter(pk=otp.pk).update(attempts=F("attempts") + 1)
    return False


def login_throttle_key(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()


def login_check_allowed(*, username: str, address: str) -> None:
    """Refuse when the account or the address has too many recent failures."""
    window = timezone.now() - timedelta(seconds=settings.YIWANG_LOGIN_LOCK_SECONDS)
    limit = settings.YIWANG_LOGIN_MAX_FAILURES
    key = login_throttle_key(username)
    fails = LoginAttempt.objects.filter(key=key, success=False, at__gt=window).count()
    addr_fails = LoginAttempt.objects.filter(address=address, success=False, at__gt=window).count() if address else 0
    if fails >= limit or addr_fails >= limit * 4:
        raise RateLimited("identity.login_locked", "登录失败次数过多，请15分钟后再试", "username")


def login_record(*, username: str, address: str, success: bool) -> None:
    LoginAttempt.objects.create(key=login_throttle_key(username), address=address, success=success)
    if success:
        # A success clears the account's failure streak.
        LoginAttempt.objects.filter(key=login_throttle_key(username), success=False).delete()


# --- delegation (帮办代办) and enterprise mandates --------------------------------------------


@transaction.atomic
def delegation_grant(*, principal: Person, agent: User, scopes: list[str], valid_from: datetime,
                     valid_until: datetime, reason: str = "") -> Delegation:
    if valid_until <= valid_from:
        raise ValidationFailed("identity.invalid_period", "授权结束时间必须晚于开始时间", "valid_until")
    if not scopes:
        raise ValidationFailed("identity.invalid_scopes", "请至少选择一项授权范围", "scopes")
    if principal.user_id == agent.pk:
        raise ValidationFailed("identity.self_delegation", "不能授权给自己", "agent")
    d = Delegation.objects.create(principal=principal, agent=agent, scopes=scopes, valid_from=valid_from,
                                  valid_until=valid_until, reason=reason)
    audit_record(action="delegation.granted", object_type="delegation", object_id=str(d.pk),
                 subject_ref=principal.subject_ref, detail={"agent": agent.username, "scopes": scopes})
    return d


def delegation_revoke(*, delegation: Delegation, by: User) -> None:
    if delegation.principal.user_id != by.pk:
        raise PermissionDenied("identity.not_principal", "只有授权人本人可以撤销授权", None)
    Delegation.objects.filter(pk=delegation.pk).update(revoked_at=timezone.now())
    audit_record(action="delegation.revoked", object_type="delegation", object_id=str(delegation.pk),
                 subject_ref=delegation.principal.subject_ref)


@transaction.atomic
def mandate_grant(*, enterprise: Enterprise, granted_by: Person, person: Person, scopes: list[str],
                  valid_from: datetime, valid_until: datetime) -> EnterpriseMandate:
    if enterprise.legal_rep_id != granted_by.pk:
        raise PermissionDenied("identity.not_legal_rep", "只有法定代表人可以授权经办人", None)
    if valid_until <= valid_from:
        raise ValidationFailed("identity.invalid_period", "授权结束时间必须晚于开始时间", "valid_until")
    m = EnterpriseMandate.objects.create(enterprise=enterprise, person=person, scopes=scopes,
                                         valid_from=valid_from, valid_until=valid_until, granted_by=granted_by)
    audit_record(action="mandate.granted", object_type="enterprise", object_id=str(enterprise.pk),
                 subject_ref=person.subject_ref, detail={"scopes": scopes})
    return m


def mandate_revoke(*, mandate: EnterpriseMandate, by: Person) -> None:
    if mandate.enterprise.legal_rep_id != by.pk:
        raise PermissionDenied("identity.not_legal_rep", "只有法定代表人可以撤销经办人授权", None)
    EnterpriseMandate.objects.filter(pk=mandate.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(action="mandate.revoked", object_type="enterprise", object_id=str(mandate.enterprise_id),
                 subject_ref=mandate.person.subject_ref, detail={"mandate": mandate.pk})


# Scopes a citizen can delegate (帮办代办) or a legal representative can mandate.
DELEGATION_SCOPES: dict[str, str] = {
    "cases:apply": "代为申请办件",
    "cases:view": "查看办件进度",
    "certificates:view": "查看电子证照",
    "policies:apply": "申报惠企政策",
    "*": "全部事项",
}


def validate_scopes(scopes: list[str], field: str = "scopes") -> list[str]:
    clean = sorted({s.strip() for s in scopes if s and s.strip()})
    if not clean:
        raise ValidationFailed("identity.invalid_scopes", "请至少选择一项授权范围", field)
    unknown = [s for s in clean if s not in DELEGATION_SCOPES]
    if unknown:
        raise ValidationFailed("identity.invalid_scopes", f"未知的授权范围：{'、'.join(unknown)}", field)
    return clean


def acting_for_resolve(*, user: User, ref: str) -> str:
    """Check that `user` may act for `ref` ("person:<uuid>" by a live delegation, "enterprise:<uuid>" as
    legal representative or by a live mandate) and return the normalised ref, or raise."""
    from yiwang.identity import selectors

    kind, _, raw_id = (ref or "").partition(":")
    try:
        pk = uuid.UUID(raw_id)
    except ValueError:
        raise ValidationFailed("identity.invalid_acting_for", "代办对象不正确", "acting_for") from None
    if kind == "person":
        principal = Person.objects.filter(pk=pk).first()
        if principal is None or not selectors.delegations_active(agent=user, principal=principal):
            raise PermissionDenied("identity.no_delegation", "您没有获得该居民的有效授权", "acting_for")
        return principal.subject_ref
    if kind == "enterprise":
        person = selectors.person_for_user(user)
        ent = Enterprise.objects.filter(pk=pk).first()
        if person is None or ent is None or ent not in selectors.enterprises_for_person(person):
            raise PermissionDenied("identity.not_enterprise_operator", "您不是该企业的法定代表人或授权经办人",
                                   "acting_for")
        return ent.subject_ref
    raise ValidationFailed("identity.invalid_acting_for", "代办对象不正确", "acting_for")


def acting_for_start(*, user: User, ref: str) -> str:
    """Begin acting for someone; the caller stores the result in the session."""
    resolved = acting_for_resolve(user=user, ref=ref)
    kind, _, pk = resolved.partition(":")
    audit_record(action="delegation.acting_started", object_type=kind, object_id=pk,
                 subject_ref=resolved if kind == "person" else "", detail={"agent": user.username},
                 actor=context.Actor(user_id=user.pk, label=str(user), on_behalf_of=resolved,
                                     roles=frozenset(user.role_names())))
    return resolved


# --- staff look-up of a person by 身份证号 -------------------------------------------------


LOOKUP_ROLES = frozenset({"window_clerk", "approver", "supervisor"})


def person_lookup(*, viewer: User, id_number: str, purpose: str) -> dict[str, Any] | None:
    """A staff member finds a person by 身份证号 for a stated purpose. Masked unless the viewer's role
    sees personal data; every look-up is audited (and listed on the person's 谁查看了我的信息 page)."""
    id_number = _validated(validate_id_number, id_number, "id_number")
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > 200:
        raise ValidationFailed("identity.invalid_purpose", "请填写查询事由（不超过200字）", "purpose")
    roles = viewer.role_names()
    if not (LOOKUP_ROLES & roles):
        audit_record(action="person.lookup_denied", object_type="person", object_id="",
                     detail={"purpose": purpose, "viewer": viewer.username})
        raise PermissionDenied("identity.lookup_forbidden", "只有窗口受理或审批人员可以查询自然人信息", None)
    person = Person.objects.filter(id_number_index=blind_index(id_number)).select_related("region").first()
    if person is None:
        audit_record(action="person.lookup_miss", object_type="person", object_id="",
                     detail={"purpose": purpose})
        return None
    full = bool(set(Role.objects.filter(sees_personal_data=True).values_list("code", flat=True)) & roles)
    fields = ["real_name", "id_number", "phone"] if full else ["real_name", "id_number_masked", "phone_masked"]
    audit_record(
        action="person.personal_data_read" if full else "person.lookup",
        object_type="person", object_id=str(person.pk), subject_ref=person.subject_ref,
        detail={"fields": fields, "purpose": purpose, "via": "lookup", "full": full},
    )
    return {
        "id": str(person.pk),
        "real_name": person.real_name,
        "id_number": decrypt_field(person.id_number_enc) if full else person.id_number_masked,
        "phone": decrypt_field(person.phone_enc) if full else person.phone_masked,
        "gender": person.gender,
        "birth_date": person.birth_date,
        "assurance_level": person.assurance_level,
        "region": person.region.name if person.region else None,
        "masked": not full,
    }


def ensure_roles(definitions: list[tuple[str, str, bool]]) -> None:
    for code, name, sees in definitions:
        Role.objects.update_or_create(code=code, defaults={"name": name, "sees_personal_data": sees})


def require(condition: bool, code: str, message: str, field: str | None = None) -> None:
    if not condition:
        raise DomainError(code, message, field)


# --- OAuth clients (department systems, third-party apps, machine clients) ----------------------


@transaction.atomic
def client_register(*, name: str, grant: str, scopes: list[str], redirect_uris: str = "",
                    client_id: str | None = None, confidential: bool = True, skip_authorization: bool = False,
                    organisation: Organisation | None = None, description: str = "") -> tuple[Any, str]:
    """Register an OAuth client with the scopes it may be granted. Returns the Application and its
    client secret in plain text — shown once, stored only hashed."""
    from oauth2_provider.models import get_application_model

    from yiwang.identity.models import ClientPolicy

    application_model = get_application_model()
    known: set[str] = set(settings.OAUTH2_PROVIDER["SCOPES"])  # type: ignore[call-overload]
    unknown = sorted(set(scopes) - known)
    if unknown:
        raise ValidationFailed("identity.unknown_scope", f"未知的权限范围：{'、'.join(unknown)}", "scopes")
    if client_id and application_model.objects.filter(client_id=client_id).exists():
        raise Conflict("identity.client_exists", "该客户端标识已存在", "client_id")
    secret = secrets.token_urlsafe(40)
    app = application_model(
        name=name, authorization_grant_type=grant, redirect_uris=redirect_uris,
        client_type=application_model.CLIENT_CONFIDENTIAL if confidential else application_model.CLIENT_PUBLIC,
        client_secret=secret, skip_authorization=skip_authorization, algorithm=application_model.RS256_ALGORITHM,
    )
    if client_id:
        app.client_id = client_id
    app.full_clean(exclude=["client_secret", "user"])
    app.save()
    ClientPolicy.objects.create(application=app, allowed_scopes=sorted(set(scopes)), organisation=organisation,
                                description=description)
    audit_record(action="oauth_client.registered", object_type="oauth_client", object_id=app.client_id,
                 detail={"name": name, "grant": grant, "scopes": sorted(set(scopes))})
    return app, secret
