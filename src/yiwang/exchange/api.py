"""数据共享交换 API: the public catalogue, sharing requests and decisions, the gateway (lookup and
核验) for department systems holding scoped credentials or for staff sessions, and 谁用了我的数据."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from yiwang.exchange import selectors, services
from yiwang.exchange.models import AccessLog, Resource, ShareRequest
from yiwang.exchange.schemas import (
    AccessOut,
    DataItemOut,
    DecisionIn,
    LookupIn,
    LookupOut,
    ObjectionIn,
    ObjectionOut,
    RequestIn,
    RequestOut,
    ResourceOut,
    VerifyIn,
    VerifyOut,
)
from yiwang.identity import selectors as identity_selectors
from yiwang.identity.auth import SessionAuth, session_or_bearer
from yiwang.kernel.errors import NotFound, PermissionDenied, Unauthenticated
from yiwang.kernel.permissions import public

router = Router(tags=["数据共享交换"])

BUREAU_ROLES = frozenset({"data_officer"})
DECIDER_ROLES = frozenset({"data_officer", "approver", "supervisor"})


def _resource_out(r: Resource) -> ResourceOut:
    return ResourceOut(
        code=r.code, name=r.name, category=r.category, classification=r.classification,
        provider_code=r.provider_code, provider_name=r.provider_name, summary=r.summary, format=r.format,
        key_type=r.key_type, share_type=r.share_type, share_condition=r.share_condition, share_method=r.share_method,
        open_type=r.open_type, update_cycle=r.update_cycle, published_on=r.published_on, version=r.version,
        items=[DataItemOut(code=i.code, name=i.name, data_type=i.data_type, grade=i.grade, personal=i.personal)
               for i in r.items.all()])


def _request_out(r: ShareRequest) -> RequestOut:
    return RequestOut(number=r.number, resource=r.resource.code, consumer=r.consumer_name, items=list(r.items),
                      status=r.status, reason=r.reason, due_on=r.due_on, created_at=r.created_at,
                      decided_at=r.decided_at)


def _user(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    info = getattr(request, "token_info", None)
    if info is not None and info.user_id:
        from django.contrib.auth import get_user_model

        found = get_user_model().objects.filter(pk=info.user_id, is_active=True).first()
        if found is not None:
            return found
    raise Unauthenticated("auth.no_user", "需要登录", None)


def _staff(request: HttpRequest) -> Any:
    staff = identity_selectors.staff_for_user(_user(request))
    if staff is None or not staff.active:
        raise PermissionDenied("exchange.staff_only", "只有部门工作人员可以办理数据共享", None)
    return staff


def _consumer(request: HttpRequest) -> dict[str, Any]:
    """Who calls the gateway: a system with credentials bound to a grant, or a staff member's body."""
    info = getattr(request, "token_info", None)
    if info is not None and info.is_machine:
        return {"client_id": info.client_id, "consumer_code": None, "consumer_name": info.client_id}
    staff = _staff(request)
    return {"client_id": None, "consumer_code": staff.organisation.code, "consumer_name": staff.organisation.name}


@router.get("/resources", response=list[ResourceOut], auth=None)
@public("政务信息资源目录（元数据）对外公开，不含任何资源数据")
def resource_list(request: HttpRequest, q: str = "", share_type: str = "") -> list[ResourceOut]:
    """The catalogue: resources with their metadata and data items, optionally filtered."""
    return [_resource_out(r) for r in selectors.resources(q=q[:50], share_type=share_type)[:500]]


@router.get("/resources/{code}", response=ResourceOut, auth=None)
@public("政务信息资源目录（元数据）对外公开，不含任何资源数据")
def resource_detail(request: HttpRequest, code: str) -> ResourceOut:
    r = selectors.resource_by_code(code[:40])
    if r is None:
        raise NotFound("exchange.resource_not_found", "资源目录中没有该资源", "code")
    return _resource_out(r)


@router.post("/requests", response={201: RequestOut}, auth=SessionAuth())
def request_submit(request: HttpRequest, payload: RequestIn) -> tuple[int, RequestOut]:
    """A consuming department asks for a resource (无条件: granted at once; 有条件: provider then the
    data bureau, answer due within 10 working days; 不予共享: refused with the basis)."""
    staff = _staff(request)
    resource = selectors.resource_by_code(payload.resource)
    if resource is None:
        raise NotFound("exchange.resource_not_found", "资源目录中没有该资源", "resource")
    req = services.request_submit(
        resource=resource, consumer_code=staff.organisation.code, consumer_name=staff.organisation.name,
        items=payload.items, purpose=payload.purpose, legal_basis=payload.legal_basis,
        valid_from=payload.valid_from or timezone.localdate(), valid_until=payload.valid_until,
        requested_by=str(staff.user))
    return 201, _request_out(req)


@router.get("/requests", response=list[RequestOut], auth=SessionAuth())
def request_list(request: HttpRequest) -> list[RequestOut]:
    """The caller's department's requests."""
    staff = _staff(request)
    return [_request_out(r) for r in selectors.requests_made(staff.organisation.code)[:200]]


@router.post("/requests/{number}/decision", response=RequestOut, auth=SessionAuth())
def request_decide(request: HttpRequest, number: str, payload: DecisionIn) -> RequestOut:
    """The provider's, then the data bureau's answer to a 有条件 request."""
    staff = _staff(request)
    roles = _user(request).role_names()
    if not DECIDER_ROLES & roles:
        raise PermissionDenied("exchange.not_decider", "只有审批人员、科室负责人或数据专员可以审核", None)
    req = selectors.request_by_number(number[:24])
    if req is None:
        raise NotFound("exchange.request_not_found", "没有该共享申请", "number")
    req = services.request_decide(request=req, approve=payload.approve, comment=payload.comment,
                                  masking=payload.masking, org_code=staff.organisation.code,
                                  is_bureau=bool(BUREAU_ROLES & roles), by_label=str(staff.user))
    return _request_out(req)


@router.post("/lookup", response=LookupOut, auth=session_or_bearer("exchange:lookup"))
def lookup(request: HttpRequest, payload: LookupIn) -> LookupOut:
    """Look a person (身份证号) or an enterprise (统一社会信用代码) up in a granted resource: only the
    granted items, masked per the grant. Every call is logged and shown to the person concerned."""
    res = services.gateway_call(resource_code=payload.resource, key=payload.key, purpose=payload.purpose,
                                items=payload.items, legal_basis=payload.legal_basis, **_consumer(request))
    return LookupOut(call_id=res.call_id, found=res.found, resource=res.resource, provider=res.provider,
                     data=res.data, masked_items=res.masked_items)


@router.post("/verify", response=VerifyOut, auth=session_or_bearer("exchange:lookup"))
def verify(request: HttpRequest, payload: VerifyIn) -> VerifyOut:
    """核验: answer yes/no to `questions` (item → expected value) without disclosing the values."""
    res = services.gateway_call(resource_code=payload.resource, key=payload.key, purpose=payload.purpose,
                                questions=payload.questions, **_consumer(request))
    return VerifyOut(call_id=res.call_id, found=res.found, resource=res.resource, answers=res.answers)


def _subjects(request: HttpRequest) -> list[str]:
    user = _user(request)
    person = identity_selectors.person_for_user(user)
    if person is None:
        return []
    return [person.subject_ref] + [e.subject_ref for e in identity_selectors.enterprises_for_person(person)]


def _access_out(a: AccessLog) -> AccessOut:
    objs = list(a.objections.all())
    return AccessOut(id=a.pk, at=a.at, consumer=a.consumer_name, resource=a.resource_name or a.resource_code,
                     provider=a.provider_name, purpose=a.purpose, legal_basis=a.legal_basis, items=list(a.items),
                     mode=a.mode, result=a.result, objections=len(objs),
                     objection_status=max(objs, key=lambda o: o.created_at).status if objs else "")


@router.get("/my-data", response=list[AccessOut], auth=SessionAuth())
def my_data(request: HttpRequest) -> list[AccessOut]:
    """谁用了我的数据: every access to my data (and my enterprises' data) — who, when, why."""
    out: list[AccessOut] = []
    for ref in _subjects(request):
        out += [_access_out(a) for a in selectors.accesses_for_subject(ref)]
    return sorted(out, key=lambda a: a.at, reverse=True)


@router.post("/my-data/{access_id}/objection", response={201: ObjectionOut}, auth=SessionAuth())
def objection(request: HttpRequest, access_id: int, payload: ObjectionIn) -> tuple[int, ObjectionOut]:
    """Dispute an access to my data; the data bureau follows it up."""
    access = selectors.access_by_id(access_id)
    subjects = _subjects(request)
    if access is None or access.subject_ref not in subjects:
        raise NotFound("exchange.access_not_found", "没有这条调用记录", "access_id")
    obj = services.objection_raise(subject_ref=access.subject_ref, access=access, reason=payload.reason)
    return 201, ObjectionOut(id=str(obj.pk), access=access.pk, status=obj.status, created_at=obj.created_at,
                             due_on=obj.due_on, escalated_at=obj.escalated_at)


@router.get("/figures", response=dict, auth=SessionAuth())
def figures(request: HttpRequest) -> dict[str, Any]:
    """The data bureau's figures (data officers, leaders, supervisors)."""
    if not {"data_officer", "leader", "supervisor", "admin"} & _user(request).role_names():
        raise PermissionDenied("exchange.figures_forbidden", "只有数据局、领导或科室负责人可以查看统计", None)
    return selectors.figures()
