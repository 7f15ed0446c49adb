"""HTML pages for 电子证照: 我的证照 (wallet), one certificate with its QR code, the public verification
page, and the issuing department's revoke / suspend form."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from yiwang.certificates import selectors, services
from yiwang.kernel.errors import DomainError, ValidationFailed
from yiwang.kernel.permissions import login_required, public, roles_required

STATUS_TAGS = {"valid": "ok", "revoked": "bad", "tampered": "bad", "unknown": "bad", "expired": "warn",
               "suspended": "warn"}


@require_GET
@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    refs = selectors.wallet_refs(request.user)
    certs = selectors.certificates_for_refs([r for r, _ in refs])
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
    return render(request, "certificates/detail.html", {
        "cert": cert, "fields": fields, "qr": qr, "verify_url": verify_url,
        "verification": services.certificate_verify(cert.identifier),
        "may_manage": selectors.may_manage(request.user, cert), "tags": STATUS_TAGS})


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
