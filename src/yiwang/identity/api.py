"""Identity API: who am I, identifier checks, the region and organisation tree, staff look-up of a
person (audited), delegation (帮办代办) and enterprise mandates."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from yiwang.identity import selectors, services
from yiwang.identity.auth import SessionAuth, bearer_only, session_or_bearer, user_snapshot
from yiwang.identity.middleware import ACTING_FOR_KEY
from yiwang.identity.models import Delegation, EnterpriseMandate, Organisation, Region, User
from yiwang.identity.schemas import (
    ActingForIn,
    ActingForOut,
    DelegationIn,
    DelegationOut,
    DelegationsOut,
    EnterpriseOut,
    IdentifierCheckIn,
    IdentifierCheckOut,
    MandateIn,
    MandateOut,
    MeOut,
    OrganisationOut,
    PersonLookupIn,
    PersonLookupOut,
    RegionOut,
    TokenOut,
)
from yiwang.kernel.errors import NotFound, PermissionDenied, Unauthenticated, ValidationFailed
from yiwang.kernel.masking import mask_name
from yiwang.kernel.permissions import public
from yiwang.kernel.validators import validate_credit_code

router = Router(tags=["统一身份认证"])


def _caller(request: HttpRequest) -> User:
    """The user behind the session or the bearer token; machine (client-credentials) tokens have none."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user  # type: ignore[return-value]
    cached = getattr(request, "_yiwang_token_user", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    info = getattr(request, "token_info", None)
    found = User.objects.filter(pk=info.user_id, is_active=True).first() if info is not None and info.user_id else None
    if found is None:
        raise Unauthenticated("auth.no_user", "该令牌不代表任何用户（客户端凭证令牌）", None)
    request._yiwang_token_user = found  # type: ignore[attr-defined]
    return found


def _credit_code(value: str) -> str:
    try:
        return validate_credit_code(value)
    except ValueError as exc:
        raise ValidationFailed("identity.invalid_credit_code", str(exc), "credit_code") from None


@router.get("/me", response=MeOut, auth=session_or_bearer("openid"))
def me(request: HttpRequest) -> MeOut:
    """The caller's own account, personal data masked. (Bearer calls are answered from a snapshot
    cached for a few seconds, so that they need no database round trip.)"""
    user = getattr(request, "user", None)
    info = getattr(request, "token_info", None)
    if user is not None and user.is_authenticated:
        snap = user_snapshot(user.pk, use_cache=False)
        if snap is not None:
            return MeOut(**snap.me())
    elif info is not None and info.user_id:
        snap = user_snapshot(info.user_id)
        if snap is not None:
            return MeOut(**snap.me())
    raise Unauthenticated("auth.no_user", "该令牌不代表任何用户（客户端凭证令牌）", None)


@router.get("/token", response=TokenOut, auth=bearer_only())
def token(request: HttpRequest) -> TokenOut:
    """What the presented access token allows: its client, scopes and expiry (for machine clients)."""
    info = request.token_info  # type: ignore[attr-defined]
    return TokenOut(client_id=info.client_id, scopes=sorted(info.scopes), machine=info.is_machine,
                    expires_at=info.expires_at)


@router.post("/check-identifiers", response=IdentifierCheckOut, auth=None)
@public("校验身份证号、统一社会信用代码、手机号的格式，不查询任何数据")
def check_identifiers(request: HttpRequest, payload: IdentifierCheckIn) -> IdentifierCheckOut:
    """Validate identifiers (GB 11643, GB 32100, mobile); 422 with the field and a Chinese message if bad."""
    return IdentifierCheckOut(valid=True, normalised={k: v for k, v in payload.dict().items() if v})


@router.get("/regions", response=list[RegionOut], auth=None)
@public("行政区划是公开信息")
def regions(request: HttpRequest, level: int | None = None, parent: str | None = None) -> list[RegionOut]:
    """The six-level region tree (1 省 … 6 网格), optionally one level or the children of one region."""
    if level is not None and not 1 <= level <= 6:
        raise ValidationFailed("identity.invalid_level", "层级应为1（省）到6（网格）", "level")
    qs = Region.objects.select_related("parent").order_by("code")
    if level is not None:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent__code=parent[:16])
    return [RegionOut(code=r.code, name=r.name, level=r.level, parent=r.parent.code if r.parent else None)
            for r in qs[:2000]]


@router.get("/organisations", response=list[OrganisationOut], auth=session_or_bearer("identity:read"))
def organisations(request: HttpRequest, kind: str | None = None) -> list[OrganisationOut]:
    """Government bodies: departments, service centres, district governments."""
    qs = Organisation.objects.select_related("region", "parent").order_by("code")
    if kind:
        if kind not in Organisation.Kind.values:
            raise ValidationFailed("identity.invalid_kind", "机构类型不正确", "kind")
        qs = qs.filter(kind=kind)
    return [OrganisationOut(id=str(o.pk), code=o.code, name=o.name, short_name=o.short_name, kind=o.kind,
                            region=o.region.code, parent=o.parent.code if o.parent else None) for o in qs[:2000]]


@router.get("/enterprises/{credit_code}", response=EnterpriseOut, auth=session_or_bearer("identity:read"))
def enterprise(request: HttpRequest, credit_code: str) -> EnterpriseOut:
    """An enterprise's registration (public registration data; the legal representative's name masked)."""
    ent = selectors.enterprise_by_credit_code(_credit_code(credit_code))
    if ent is None:
        raise NotFound("identity.enterprise_not_found", "没有该统一社会信用代码的企业", "credit_code")
    return EnterpriseOut(credit_code=ent.credit_code, name=ent.name, kind=ent.kind,
                         legal_rep=mask_name(ent.legal_rep.real_name),
                         region=ent.region.name if ent.region else None, established_on=ent.established_on)


@router.post("/persons/lookup", response=PersonLookupOut, auth=session_or_bearer("identity:lookup"))
def person_lookup(request: HttpRequest, payload: PersonLookupIn) -> PersonLookupOut:
    """Staff (窗口受理/审批) find a person by 身份证号 for a stated purpose. Masked unless the role needs
    the full values; every look-up is audited and shown on the person's 谁查看了我的信息 page."""
    found = services.person_lookup(viewer=_caller(request), id_number=payload.id_number, purpose=payload.purpose)
    if found is None:
        return PersonLookupOut(found=False)
    return PersonLookupOut(found=True, **found)


def _delegation_out(d: Delegation) -> DelegationOut:
    now = timezone.now()
    return DelegationOut(id=str(d.pk), principal=d.principal.real_name, agent=str(d.agent), scopes=list(d.scopes),
                         valid_from=d.valid_from, valid_until=d.valid_until, reason=d.reason,
                         active=d.revoked_at is None and d.valid_from <= now < d.valid_until)


@router.get("/delegations", response=DelegationsOut, auth=session_or_bearer("identity:read"))
def delegations(request: HttpRequest) -> DelegationsOut:
    """帮办代办: the delegations I gave and those I received."""
    user = _caller(request)
    person = selectors.person_for_user(user)
    given = [_delegation_out(d) for d in selectors.delegations_given(person)[:100]] if person else []
    received = [_delegation_out(d) for d in selectors.delegations_received(user)[:100]]
    return DelegationsOut(given=given, received=received)


@router.post("/delegations", response={201: DelegationOut}, auth=SessionAuth())
def delegation_grant(request: HttpRequest, payload: DelegationIn) -> Status[DelegationOut]:
    """Authorise another registered person (by phone number) or a staff member (by 工号) to act for me."""
    user = _caller(request)
    person = selectors.person_for_user(user)
    if person is None:
        raise PermissionDenied("identity.not_a_person", "只有实名登记的居民可以授权他人代办", None)
    if payload.agent_employee_no:
        staff = selectors.staff_by_employee_no(payload.agent_employee_no.strip())
        if staff is None:
            raise ValidationFailed("identity.agent_not_found", "没有该工号的在岗工作人员", "agent_employee_no")
        agent = staff.user
    elif payload.agent_phone:
        found = selectors.user_for_phone(payload.agent_phone)
        if found is None:
            raise ValidationFailed("identity.agent_not_found", "该手机号没有注册账号", "agent_phone")
        agent = found
    else:
        raise ValidationFailed("identity.agent_required", "请填写被授权人手机号或工作人员工号", "agent_phone")
    d = services.delegation_grant(principal=person, agent=agent, scopes=services.validate_scopes(payload.scopes),
                                  valid_from=payload.valid_from or timezone.now(), valid_until=payload.valid_until,
                                  reason=payload.reason)
    return Status(201, _delegation_out(d))


@router.post("/delegations/{delegation_id}/revoke", response=DelegationOut, auth=SessionAuth())
def delegation_revoke(request: HttpRequest, delegation_id: str) -> DelegationOut:
    d = selectors.delegation_by_id(delegation_id)
    if d is None:
        raise NotFound("identity.delegation_not_found", "授权不存在", "delegation_id")
    services.delegation_revoke(delegation=d, by=_caller(request))
    d.refresh_from_db()
    return _delegation_out(d)


@router.post("/acting-for", response=ActingForOut, auth=SessionAuth())
def acting_for(request: HttpRequest, payload: ActingForIn) -> ActingForOut:
    """Switch whom this session acts for; every audited action afterwards records both."""
    ref = services.acting_for_start(user=_caller(request), ref=payload.acting_for) if payload.acting_for else ""
    request.session[ACTING_FOR_KEY] = ref
    return ActingForOut(acting_for=ref)


def _mandate_out(m: EnterpriseMandate) -> MandateOut:
    now = timezone.now()
    return MandateOut(id=m.pk, person=m.person.real_name, scopes=list(m.scopes), valid_from=m.valid_from,
                      valid_until=m.valid_until, active=m.revoked_at is None and m.valid_from <= now < m.valid_until)


@router.post("/enterprises/{credit_code}/mandates", response={201: MandateOut}, auth=SessionAuth())
def mandate_grant(request: HttpRequest, credit_code: str, payload: MandateIn) -> Status[MandateOut]:
    """The legal representative authorises an employee (by phone number) to act for the enterprise."""
    ent = selectors.enterprise_by_credit_code(_credit_code(credit_code))
    if ent is None:
        raise NotFound("identity.enterprise_not_found", "没有该统一社会信用代码的企业", "credit_code")
    me_person = selectors.person_for_user(_caller(request))
    if me_person is None or ent.legal_rep_id != me_person.pk:
        raise PermissionDenied("identity.not_legal_rep", "只有法定代表人可以授权经办人", None)
    employee = selectors.person_by_phone(payload.person_phone)
    if employee is None:
        raise ValidationFailed("identity.person_not_found", "该手机号没有实名登记", "person_phone")
    m = services.mandate_grant(enterprise=ent, granted_by=me_person, person=employee,
                               scopes=services.validate_scopes(payload.scopes), valid_from=timezone.now(),
                               valid_until=payload.valid_until)
    return Status(201, _mandate_out(m))
