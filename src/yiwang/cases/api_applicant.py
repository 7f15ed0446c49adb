"""办件 API (applicant part): submit (Idempotency-Key), 我的办件 (keyset pages), one case, 撤回, 补正, drafts.

Handlers parse, authorise, call a service and render — nothing else, so that a submission costs what
case_submit costs. Someone else's case answers 404, not 403 (its existence is not disclosed).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.http import HttpRequest
from django.urls import register_converter
from django.utils import timezone
from ninja import Header, Router, Status

from yiwang.cases import prefill, selectors, services
from yiwang.cases.schemas_applicant import (
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CasePage,
    CorrectionsIn,
    DraftIn,
    MaterialIn,
    WithdrawIn,
    case_out,
)
from yiwang.identity.auth import session_or_bearer, user_snapshot
from yiwang.kernel.errors import NotFound, PermissionDenied, ValidationFailed


class CaseNumberConverter:
    """办件编号: 20 digits, a sub-case adds -NN."""

    regex = r"[0-9]{20}(?:-[0-9]{2})?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CaseNumberConverter, "caseno")

router = Router()
READ = session_or_bearer()
WRITE = session_or_bearer("cases:write")


def _caller(request: HttpRequest) -> Any:
    """The session user, or for a bearer token its user — from identity's cached snapshot, as an unsaved
    User carrying the id (all the services need for foreign keys), so a token call costs no user query."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    info = getattr(request, "token_info", None)
    snap = user_snapshot(info.user_id) if info is not None and info.user_id is not None else None
    if snap is None:
        raise PermissionDenied("case.user_token_required", "办件接口须使用用户身份的访问令牌", None)
    from django.contrib.auth import get_user_model

    return get_user_model()(pk=snap.user_id, username=snap.username, is_active=True)


def _acting_for(request: HttpRequest) -> str:
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if session is None or user is None or not user.is_authenticated:
        return ""  # a bearer call acts as the token's own person
    from yiwang.kernel.context import current_actor

    return current_actor().on_behalf_of  # checked by identity's ActorMiddleware


def applicant_for(request: HttpRequest) -> services.Applicant:
    user = _caller(request)
    acting_for = _acting_for(request)
    subject = prefill.subject_for(user, acting_for)
    return services.Applicant(ref=subject.ref, name=subject.name, user=prefill.applicant_user(subject, user))


def uploads_of(materials: list[MaterialIn]) -> list[services.Upload]:
    out: list[services.Upload] = []
    for m in materials:
        if len(m.content_base64) > (services.MAX_UPLOAD_BYTES * 4) // 3 + 8:  # before decoding it
            raise ValidationFailed("case.material_too_large", f"材料“{m.material}”超过 10MB", "materials")
        try:
            content = base64.b64decode(m.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("case.material_invalid", f"材料“{m.material}”的内容不是合法的 base64",
                                   "materials") from None
        out.append(services.Upload(material=m.material, filename=m.filename, content_type=m.content_type,
                                   content=content))
    return out


def own_case(request: HttpRequest, number: str, *, write: bool = False) -> tuple[Any, services.Applicant]:
    """The case if the caller may see it (and, for `write`, act on it as applicant); else 404."""
    user = _caller(request)
    acting_for = _acting_for(request)
    case = selectors.case_by_number(number)
    refs = prefill.visible_refs(user, acting_for)
    if write and acting_for.startswith("person:"):  # 帮办: acting needs the cases:apply scope, not only view
        try:
            applying = prefill.subject_for(user, acting_for).ref
        except PermissionDenied:
            applying = ""
        if applying != acting_for:
            refs = [r for r in refs if r != acting_for]
    if case is None or case.applicant_ref not in refs:
        raise NotFound("case.not_found", "办件不存在", "case")
    return case, services.Applicant(ref=case.applicant_ref, name=case.applicant_name, user=user)


@router.post("", response={200: CaseOut, 201: CaseOut}, auth=WRITE)
def submit(request: HttpRequest, body: CaseIn, idempotency_key: str = Header("", alias="Idempotency-Key")) -> Status:
    """提交办件（单事项或一件事）。同一 Idempotency-Key 的重试返回同一办件（200）。"""
    applicant = applicant_for(request)
    now = timezone.now()
    case = services.case_submit(
        applicant=applicant, item_code=body.item or "", version_id=body.version, bundle_code=body.bundle or "",
        answers=body.answers, form=body.form, uploads=uploads_of(body.materials), certificates=body.certificates,
        idempotency_key=idempotency_key, draft_id=body.draft, now=now)
    return Status(201 if case.submitted_at == now else 200, case_out(case))


@router.get("", response=CasePage, auth=READ)
def my_cases(request: HttpRequest, status: str = "", cursor: str = "") -> dict[str, Any]:
    """我的办件：status=open（办理中）|done（已办结）|draft（草稿），按提交时间倒序，游标分页（每页20条）。"""
    if status not in ("", "open", "done", "draft"):
        raise ValidationFailed("case.bad_status", "status 只能是 open、done 或 draft", "status")
    refs = prefill.visible_refs(_caller(request), _acting_for(request))
    rows, next_cursor = selectors.applicant_page(refs, status=status, cursor=cursor[:200])
    kids = selectors.children_of(rows)
    return {"items": [case_out(c, kids.get(c.pk, [])) for c in rows], "next": next_cursor}


@router.post("/drafts", response={201: CaseOut}, auth=WRITE)
def save_draft(request: HttpRequest, body: DraftIn) -> Status:
    """保存草稿（不校验表单；带 draft 时更新该草稿）。"""
    case = services.case_save_draft(applicant=applicant_for(request), item_code=body.item or "",
                                    version_id=body.version, bundle_code=body.bundle or "", answers=body.answers,
                                    form=body.form, draft_id=body.draft)
    return Status(201, case_out(case, []))


@router.get("/{caseno:number}", response=CaseDetailOut, auth=READ)
def case_detail(request: HttpRequest, number: str) -> dict[str, Any]:
    """办件详情：状态、时限、进度、材料、补正和预填来源。只有申请人（或其授权代办人）可以查看。"""
    case, _ = own_case(request, number)
    return {**case_out(case), "form": case.form, "answers": case.answers, "prefill_sources": case.prefill_sources,
            "timeline": [{"at": e.at, "type": e.type, "step_name": e.step_name, "department_name": e.department_name,
                          "comment": e.comment} for e in selectors.timeline(case)],
            "materials": [{"name": m.name, "source": m.source, "filename": m.filename,
                           "certificate_identifier": m.certificate_identifier, "resource_code": m.resource_code}
                          for m in selectors.materials(case)],
            "corrections": [{"requested_at": c.requested_at, "answered_at": c.answered_at,
                             "points": [str(p.get("point") or p.get("reason") or "") for p in c.points]}
                            for c in selectors.corrections(case)]}


@router.post("/{caseno:number}/withdraw", response=CaseOut, auth=WRITE)
def withdraw(request: HttpRequest, number: str, body: WithdrawIn) -> dict[str, Any]:
    """撤回申请（受理前）。"""
    case, applicant = own_case(request, number, write=True)
    return case_out(services.case_withdraw(case_id=case.pk, applicant=applicant, reason=body.reason))


@router.post("/{caseno:number}/corrections", response=CaseOut, auth=WRITE)
def answer_corrections(request: HttpRequest, number: str, body: CorrectionsIn) -> dict[str, Any]:
    """答复补正：修改表单字段、补交材料、填写说明；办件恢复计时。"""
    case, applicant = own_case(request, number, write=True)
    return case_out(services.corrections_answer(case_id=case.pk, applicant=applicant, form=body.form,
                                                uploads=uploads_of(body.materials), note=body.note))
