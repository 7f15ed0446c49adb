"""电子证照 API: department systems issue (staff session or the department's client-credentials token);
anyone verifies by 证照标识; the holder and the issuer get the PDF; a grantee uses a shared certificate."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.security import APIKeyHeader

from yiwang.certificates import selectors, services
from yiwang.certificates.schemas import IssuedOut, IssueIn, LedgerOut, SharedOut, UseIn, VerifyOut
from yiwang.identity.auth import SessionAuth, session_or_bearer
from yiwang.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from yiwang.kernel.permissions import public

router = Router(tags=["电子证照"])


def verification_out(v: services.Verification) -> dict[str, Any]:
    cert = v.certificate
    ledger = None
    if v.ledger is not None:
        ledger = LedgerOut(log=v.ledger.log, origin=v.ledger.origin, index=v.ledger.index, size=v.ledger.size,
                           checkpoint_size=v.ledger.checkpoint_size, in_checkpoint=v.ledger.in_checkpoint,
                           matches=v.ledger.matches, revoke_index=v.ledger.revoke_index)
    return {"identifier": v.identifier, "status": v.status, "label": v.label, "reasons": v.reasons,
            "name": cert.name if cert else None, "issuer_name": cert.issuer_name if cert else None,
            "issuer_code": cert.issuer_code if cert else None, "valid_from": cert.valid_from if cert else None,
            "valid_until": cert.valid_until if cert else None, "signatures": v.signatures, "ledger": ledger}


def _caller(request: HttpRequest) -> Any:
    """The person behind the call: the session user or the token's user; None for a client-credentials token."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    info = getattr(request, "token_info", None)
    if info is None or info.user_id is None:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=info.user_id, is_active=True).first()


@router.post("/issue", response={201: IssuedOut}, auth=session_or_bearer("certificates:issue"))
def issue(request: HttpRequest, body: IssueIn) -> Status:
    """签发电子证照（部门业务系统调用）。会话用户须为颁发机构的审批人员或科室负责人。"""
    user = _caller(request)
    if user is None:  # a client-credentials token: the client must be run by the issuing department
        info = request.token_info  # type: ignore[attr-defined]
        org = selectors.organisation_for_client(info.client_id)
        if org is None:
            raise PermissionDenied("certificate.client_unbound", "该应用未登记所属部门，不能签发证照", "issuer_code")
        if org.code != body.issuer_code.strip().upper():
            raise PermissionDenied("certificate.not_issuer", f"该应用属于{org.name}，不能以其他机构名义签发",
                                   "issuer_code")
    elif not selectors.may_issue_for(user, body.issuer_code):
        raise PermissionDenied("certificate.not_issuer", "只有颁发机构的审批人员或科室负责人可以签发", "issuer_code")
    cert = services.certificate_issue(
        type_code=body.type_code, issuer_code=body.issuer_code, holder_name=body.holder_name,
        holder_code=body.holder_code, holder_code_type=body.holder_code_type, subject_ref=body.subject_ref,
        content=body.content, number=body.number, valid_from=body.valid_from, valid_until=body.valid_until)
    return Status(201, {"identifier": cert.identifier, "name": cert.name, "number": cert.number,
                 "issuer_name": cert.issuer_name, "issuer_code": cert.issuer_code, "issued_on": cert.issued_on,
                 "valid_from": cert.valid_from, "valid_until": cert.valid_until,
                 "payload_digest": cert.payload_digest, "signature_ed25519": cert.signature_ed25519,
                 "signature_sm2": cert.signature_sm2, "verify_url": f"/certificates/verify/{cert.identifier}/"})


@router.get("/verify/{identifier}", response=VerifyOut, auth=None)
@public("核验证照真伪和状态：只返回证照名称、颁发机构、有效期和状态，不返回持证人信息")
def verify(request: HttpRequest, identifier: str) -> dict[str, Any]:
    return verification_out(services.certificate_verify(identifier))


@router.get("/{identifier}/pdf", auth=session_or_bearer("certificates:issue"))
def certificate_pdf(request: HttpRequest, identifier: str) -> HttpResponse:
    """证照 PDF 版式文件（内嵌中文字体、颁发机构印章和核验二维码）。持证人、颁发机构的审批人员，或颁发机构的
    业务系统（客户端凭证，`certificates:issue`）可以下载。"""
    from yiwang.certificates.views import pdf_response

    cert = selectors.certificate_by_identifier(identifier)
    user = _caller(request)
    if cert is not None and user is None:
        org = selectors.organisation_for_client(request.token_info.client_id)  # type: ignore[attr-defined]
        allowed = org is not None and org.code == cert.issuer_code
    else:
        allowed = cert is not None and user is not None and selectors.may_view(user, cert)
    if cert is None or not allowed:
        raise NotFound("certificate.not_found", "没有该证照，或您无权查看", "identifier")
    return pdf_response(cert, request)


class ShareToken(APIKeyHeader):
    """The holder's share token in `X-Share-Token` (checked by the service, which answers structured errors
    for unknown, revoked and expired shares)."""

    param_name = "X-Share-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return ("share", key.strip()) if key and key.strip() else None


@router.post("/shared/use", response=SharedOut, auth=[ShareToken(), SessionAuth()])
def shared_use(request: HttpRequest, body: UseIn) -> dict[str, Any]:
    """授权用证：被授权方凭持证人给出的用证令牌（请求头 `X-Share-Token`），或以被授权部门工作人员的身份（会话登录，
    须给出 identifier）读取证照。每次使用都记入持证人可见的用证记录并留痕。"""
    auth = request.auth  # type: ignore[attr-defined]
    if isinstance(auth, tuple) and auth[0] == "share":
        read = services.certificate_use_by_token(token=auth[1], identifier=body.identifier, purpose=body.purpose,
                                                 reference=body.reference, operator=body.operator)
    else:
        org = selectors.staff_organisation(auth)
        if org is None:
            raise PermissionDenied("certificate.not_grantee", "只有被授权部门的工作人员或持用证令牌的一方可以用证")
        if not body.identifier.strip():
            raise ValidationFailed("certificate.identifier_required", "请给出证照标识", "identifier")
        read = services.certificate_use_by_department(
            identifier=body.identifier, org_code=org.code, org_name=org.name,
            user_label=f"{auth}（{org.short_name or org.name}）", purpose=body.purpose, reference=body.reference)
    return shared_out(read)


def shared_out(read: services.SharedRead) -> dict[str, Any]:
    cert, v = read.certificate, read.verification
    return {
        "identifier": cert.identifier, "name": cert.name, "number": cert.number, "status": v.status,
        "label": v.label, "reasons": v.reasons, "holder_name": cert.holder_name,
        "holder_code": read.payload["holder_code"], "holder_code_type": cert.holder_code_type,
        "fields": [{"key": f["key"], "label": f["label"], "value": cert.content.get(f["key"], "")}
                   for f in cert.type.fields if f["key"] in cert.content],
        "issuer_name": cert.issuer_name, "issuer_code": cert.issuer_code, "issued_on": cert.issued_on,
        "valid_from": cert.valid_from, "valid_until": cert.valid_until, "payload": read.payload,
        "payload_digest": cert.payload_digest, "signature_sm2": cert.signature_sm2,
        "signature_ed25519": cert.signature_ed25519, "public_key_sm2": cert.key_sm2.public_key,
        "public_key_ed25519": cert.key_ed25519.public_key,
        "share": {"grantee_name": read.share.grantee_name, "purpose": read.share.purpose,
                  "valid_until": read.share.valid_until},
        "use": {"at": read.use.at, "purpose": read.use.purpose, "user_label": read.use.user_label}}
