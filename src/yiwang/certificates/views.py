"""HTML pages for 电子证照: 我的证照 (wallet), one certificate with its QR code, seal, PDF, 授权用证 and 用证记录,
the public verification page, and the issuing department's revoke / suspend form."""

from __future__ import annotations

import base64
from datetime import date
from urllib.parse import quote

import segno
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from yiwang.certificates import pdf as pdf_render
from yiwang.certificates import seal, selectors, services
from yiwang.kernel.errors import DomainError, ValidationFailed
from yiwang.kernel.permissions import login_required, public, roles_required

STATUS_TAGS = {"valid": "ok", "revoked": "bad", "tampered": "bad", "unknown": "bad", "expired": "warn",
               "suspended": "warn"}


@require_GET
@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    refs = selectors.wallet_refs(request.user)
    certs = selectors.certificates_for_refs([r for r, _ in refs])
    counts = selectors.use_counts(certs)
    for c in certs:
        c.use_count = counts.get(c.pk, 0)  # type: ignore[attr-defined]
    sections = [{"ref": ref, "label": label, "certificates": [c for c in certs if c.subject_ref == ref]}
                for ref, label in refs]
    return render(request, "certificates/wallet.html", {"sections": sections, "is_person": bool(refs),
                                                          "today": timezone.localdate()})


@require_GET
@login_required
def detail(request: HttpRequest, identifier: str) -> HttpResponse:
    cert = selectors.certificate_by_identifier(identifier)
    if cert is None or not selectors.may_view(request.user, cert):
        raise Http404
    verify_url = request.build_absolute_uri(reverse("certificates:verify", args=[cert.identifier]))
    qr = segno.make(verify_url, error="m").svg_data_uri(scale=4, border=2)
    fields = [(f["label"], cert.content.get(f["key"], "")) for f in cert.type.fields if f["key"] in cert.content]
    is_holder = selectors.may_hold(request.user, cert)
    today = timezone.localdate()
    shares = []
    if is_holder:
        for share in selectors.shares_for_certificate(cert):
            state = selectors.share_state(share, today)
            shares.append({"share": share, "state": state,
                           "token": services.share_token(share) if state == "active" else ""})
    seal_svg = "data:image/svg+xml;base64," + base64.b64encode(
        seal.svg(cert.issuer_name, cert.issuer_code).encode()).decode()
    return render(request, "certificates/detail.html", {
        "cert": cert, "fields": fields, "qr": qr, "verify_url": verify_url, "seal": seal_svg,
        "verification": services.certificate_verify(cert.identifier),
        "may_manage": selectors.may_manage(request.user, cert), "tags": STATUS_TAGS,
        "is_holder": is_holder, "shares": shares, "uses": selectors.uses_for_certificate(cert) if is_holder else [],
        "departments": selectors.departments() if is_holder else [], "today": today,
        "max_until": services.share_max_until(cert, today)})


def pdf_response(cert: object, request: HttpRequest) -> HttpResponse:
    """The certificate as an inline PDF (shared by the page and the API)."""
    from yiwang.certificates.models import Certificate

    assert isinstance(cert, Certificate)
    verify_url = request.build_absolute_uri(reverse("certificates:verify", args=[cert.identifier]))
    v = services.certificate_verify(cert.identifier)
    body = pdf_render.render(cert, verify_url=verify_url, status=v.status, status_label=v.label,
                             status_reason=v.reasons[0] if v.reasons and v.status != "valid" else "")
    response = HttpResponse(body, content_type="application/pdf")
    filename = f"{cert.name}-{cert.number}.pdf"
    response["Content-Disposition"] = (f"inline; filename=\"certificate-{cert.number}.pdf\"; "
                                       f"filename*=UTF-8''{quote(filename)}")
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def pdf(request: HttpRequest, identifier: str) -> HttpResponse:
    cert = selectors.certificate_by_identifier(identifier)
    if cert is None or not selectors.may_view(request.user, cert):
        raise Http404
    return pdf_response(cert, request)


@require_POST
@login_required
def share_create(request: HttpRequest, identifier: str) -> HttpResponse:
    """授权用证: only the holder (the person, or who acts for the holding enterprise)."""
    cert = selectors.certificate_by_identifier(identifier)
    if cert is None or not selectors.may_hold(request.user, cert):
        raise Http404
    try:
        try:
            until = date.fromisoformat(request.POST.get("valid_until", "").strip())
        except ValueError:
            raise ValidationFailed("certificate.share_bad_until", "请填写授权截止日期", "valid_until")
        services.certificate_share_create(
            identifier=cert.identifier, grantee_kind=request.POST.get("grantee_kind", ""),
            grantee_org_code=request.POST.get("grantee_org_code", ""),
            grantee_name=request.POST.get("grantee_name", ""), purpose=request.POST.get("purpose", ""),
            valid_until=until, granted_by=str(request.user))
        messages.success(request, "已授权。请将用证令牌告知被授权方；您可以随时撤回。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("certificates:detail", args=[cert.identifier]) + "#shares")


@require_POST
@login_required
def share_revoke(request: HttpRequest, identifier: str, share_id: str) -> HttpResponse:
    cert = selectors.certificate_by_identifier(identifier)
    if cert is None or not selectors.may_hold(request.user, cert):
        raise Http404
    try:
        services.certificate_share_revoke(identifier=cert.identifier, share_id=share_id)
        messages.success(request, "授权已撤回")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("certificates:detail", args=[cert.identifier]) + "#shares")


@require_POST
@roles_required("approver", "supervisor")
def change_status(request: HttpRequest, identifier: str) -> HttpResponse:
    cert = selectors.certificate_by_identifier(identifier)
    if cert is None or not selectors.may_manage(request.user, cert):
        raise Http404
    action, reason = request.POST.get("action", ""), request.POST.get("reason", "")
    actions = {"revoke": services.certificate_revoke, "suspend": services.certificate_suspend,
               "reinstate": services.certificate_reinstate}
    try:
        if action not in actions:
            raise ValidationFailed("certificate.bad_action", "未知的操作", "action")
        actions[action](identifier=cert.identifier, reason=reason)
        messages.success(request, {"revoke": "证照已撤销", "suspend": "证照已暂停使用",
                                   "reinstate": "证照已恢复使用"}[action])
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("certificates:detail", identifier=cert.identifier)


@require_GET
@public("任何人都可以凭证照标识核验证照的真伪和状态；页面不显示持证人信息")
def verify(request: HttpRequest, identifier: str = "") -> HttpResponse:
    identifier = identifier or request.GET.get("identifier", "").strip()
    context: dict[str, object] = {"identifier": identifier, "tags": STATUS_TAGS}
    if identifier:
        try:
            context["verification"] = services.certificate_verify(identifier)
        except DomainError as exc:
            context["error"] = exc.message
    return render(request, "certificates/verify.html", context, status=422 if "error" in context else 200)
