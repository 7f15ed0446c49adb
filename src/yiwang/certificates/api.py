"""电子证照 API: department systems issue; anyone verifies by 证照标识."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from yiwang.certificates import selectors, services
from yiwang.certificates.schemas import IssuedOut, IssueIn, LedgerOut, VerifyOut
from yiwang.identity.auth import session_or_bearer
from yiwang.kernel.errors import PermissionDenied
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


@router.post("/issue", response={201: IssuedOut}, auth=session_or_bearer("certificates:issue"))
def issue(request: HttpRequest, body: IssueIn) -> Status:
    """签发电子证照（部门业务系统调用）。会话用户须为颁发机构的审批人员或科室负责人。"""
    user = getattr(request, "user", None)
    info = getattr(request, "token_info", None)
    if user is None or not user.is_authenticated:
        if info is None or info.user_id is None:
            # A client-credentials token is not yet bound to a department that we can check.
            raise PermissionDenied("certificate.client_unbound", "机器令牌尚未绑定颁发机构，请以工作人员身份签发",
                                   "issuer_code")
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=info.user_id, is_active=True).first()
    if user is None or not selectors.may_issue_for(user, body.issuer_code):
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
