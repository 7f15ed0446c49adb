"""办件 pages (applicant part): 在线申请 (form from the catalogue, prefilled, materials by upload, e-certificate
or data sharing; drafts), the receipt, 我的办件 and one case (timeline, time limits, sub-cases, 撤回, 补正),
and 我的消息 (with the demo's notification outbox).

Views parse, authorise, call selectors/services and render. Someone else's case is a 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiwang.cases import formcheck, prefill, selectors, services
from yiwang.cases.downloads import material_download
from yiwang.cases.models import Case, Material
from yiwang.catalog import selectors as catalog_selectors
from yiwang.kernel.calendar import working_days_between
from yiwang.kernel.errors import DomainError, ValidationFailed
from yiwang.kernel.permissions import login_required, public

PREFILL_SESSION_KEY = "cases_prefill"
EXTENSION_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
                   ".ofd": "application/ofd"}
INPUT_TYPES = {"date": "date", "phone": "tel", "email": "email", "number": "text", "money": "text"}
EVENT_LABELS = {  # history event → what the applicant reads
    "submitted": gettext_lazy("提交申请"), "accepted": gettext_lazy("受理"), "not_accepted": gettext_lazy("不予受理"),
    "corrections_requested": gettext_lazy("要求补正"), "corrected": gettext_lazy("申请人补正"),
    "decided": gettext_lazy("作出决定"), "completed": gettext_lazy("办结"), "withdrawn": gettext_lazy("申请人撤回"),
    "suspended": gettext_lazy("挂起"), "resumed": gettext_lazy("恢复办理"), "terminated": gettext_lazy("终止"),
    "revoked": gettext_lazy("撤销"), "returned": gettext_lazy("退回"), "escalated": gettext_lazy("超期督办"),
    "approved": gettext_lazy("审查通过"), "agreed": gettext_lazy("同意"), "disagreed": gettext_lazy("不同意"),
    "transferred": gettext_lazy("转办"), "delegated": gettext_lazy("委派"),
    "delegation_returned": gettext_lazy("委派退回"), "urged": gettext_lazy("催办"),
    "auto_approved": gettext_lazy("秒批"), "certificate_issued": gettext_lazy("签发电子证照"),
    "step_entered": gettext_lazy("进入环节"), "signer_added": gettext_lazy("加签"),
    "signer_removed": gettext_lazy("减签"), "recalled": gettext_lazy("拿回"),
}
STATUS_TONES = {"completed": "ok", "corrections": "warn", "suspended": "warn", "not_accepted": "bad",
                "withdrawn": "muted", "revoked": "bad", "terminated": "bad", "draft": "muted"}


# --- who is asking -----------------------------------------------------------------------------------


def _acting_for(request: HttpRequest) -> str:
    from yiwang.kernel.context import current_actor

    return current_actor().on_behalf_of or ""


def _own_case(request: HttpRequest, number: str, *, write: bool = False) -> Case:
    """The case if the logged-in user may see it (the applicant, their enterprise's operator, or the agent
    acting for them); otherwise 404 — whether it exists is nobody else's business."""
    acting_for = _acting_for(request)
    refs = prefill.visible_refs(request.user, acting_for)
    if write and acting_for.startswith("person:"):
        if prefill.subject_for(request.user, acting_for).ref != acting_for:
            refs = [r for r in refs if r != acting_for]
    case = selectors.case_by_number(number[:32])
    if case is None or case.applicant_ref not in refs:
        raise Http404
    return case


def _applicant_of(case: Case, request: HttpRequest) -> services.Applicant:
    return services.Applicant(ref=case.applicant_ref, name=case.applicant_name, user=request.user)


# --- what is applied for ------------------------------------------------------------------------------


class Target:
    """An item version or a bundle (with the applicant's 情形 answers), and what its form needs."""

    def __init__(self, *, version: Any = None, bundle: Any = None, answers: Mapping[str, str] | None = None):
        self.version, self.bundle = version, bundle
        self.answers = dict(answers or {})
        self.questions: list[dict[str, Any]] = []
        self.answered = True
        self.guide: dict[str, Any] = {}
        if bundle is not None:
            self.questions = list(bundle.questions or [])
            codes = {q["code"] for q in self.questions}
            self.answers = {k: v for k, v in self.answers.items() if k in codes and v}
            self.answered = all(q["code"] in self.answers for q in self.questions)
            self.guide = catalog_selectors.bundle_guide(bundle, self.answers)
            self.fields = list(self.guide["fields"])
            self.materials = list(self.guide["materials"])
            self.title = bundle.name
            self.legal_basis: Sequence[str] = [f"{v.name}：{'；'.join(v.legal_basis or [])}"
                                               for v in self.guide["applicable"] if v.legal_basis]
        else:
            self.fields = list(version.form_fields or [])
            self.materials = list(version.materials or [])
            self.title = version.name
            self.legal_basis = list(version.legal_basis or [])

    @property
    def key(self) -> str:
        return f"bundle:{self.bundle.code}" if self.bundle is not None else f"version:{self.version.pk}"

    def query(self) -> str:
        if self.bundle is not None:
            return urlencode({"bundle": self.bundle.code, **self.answers})
        return urlencode({"item": self.version.item.code, "version": str(self.version.pk)})

    def service_args(self) -> dict[str, Any]:
        if self.bundle is not None:
            return {"bundle_code": self.bundle.code, "answers": self.answers}
        return {"item_code": self.version.item.code, "version_id": self.version.pk}


def _target_from(params: Mapping[str, Any], draft: Case | None = None) -> Target:
    if draft is not None:
        if draft.bundle_code:
            bundle = catalog_selectors.bundle_by_code(draft.bundle_code)
            if bundle is None:
                raise Http404
            return Target(bundle=bundle, answers={**(draft.answers or {}), **_answers_in(params, bundle)})
        version = catalog_selectors.version_by_id(draft.item_version_id) if draft.item_version_id else None
        if version is None:
            raise Http404
        return Target(version=version)
    bundle_code = str(params.get("bundle", ""))[:40]
    if bundle_code:
        bundle = catalog_selectors.bundle_by_code(bundle_code)
        if bundle is None:
            raise Http404
        return Target(bundle=bundle, answers=_answers_in(params, bundle))
    item, version_id = str(params.get("item", ""))[:40], str(params.get("version", ""))[:40]
    version = catalog_selectors.version_by_id(version_id) if version_id else None
    if version is None and item:
        version = catalog_selectors.current_version(item)
    if version is None or (item and version.item.code != item):
        raise Http404
    return Target(version=version)


def _answers_in(params: Mapping[str, Any], bundle: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for q in bundle.questions or []:
        value = str(params.get(q["code"], "") or params.get(f"answer:{q['code']}", ""))[:40]
        if value in {str(o["value"]) for o in q.get("options", [])}:
            out[q["code"]] = value
    return out


# --- the form --------------------------------------------------------------------------------------


def _field_rows(target: Target, values: Mapping[str, Any], sources: Mapping[str, Mapping[str, Any]],
                error: DomainError | None) -> list[dict[str, Any]]:
    rows = []
    for f in target.fields:
        name = str(f["name"])
        src = sources.get(name)
        rows.append({
            "name": name, "label": f.get("label") or name, "type": f.get("type") or "text",
            "input_type": INPUT_TYPES.get(str(f.get("type")), "text"), "required": bool(f.get("required")),
            "options": [str(o) for o in f.get("options") or []], "value": values.get(name, ""),
            "hint": f.get("hint") or f.get("help") or "", "needed_by": f.get("needed_by_names") or [],
            "source": (f"{src.get('source')} · {src.get('department')}" if src and src.get("department")
                       else (src or {}).get("source", "")),
            "error": error.message if error is not None and error.field == name else "",
        })
    return rows


def _material_rows(target: Target, wallet: Mapping[str, list[Any]], chosen: Mapping[str, str]) -> list[dict[str, Any]]:
    rows = []
    for i, m in enumerate(target.materials):
        note = str(m.get("note") or "")
        necessity = str(m.get("necessity") or "必要")
        online = "在线填写" in note or "无需提交" in note
        certs = wallet.get(str(m.get("certificate_type") or ""), [])
        rows.append({
            "index": i, "name": m["name"], "necessity": necessity, "note": note, "online": online,
            "required": formcheck.material_required(m), "shared_resource": m.get("shared_resource") or "",
            "certificate_type": m.get("certificate_type") or "", "certificates": certs,
            "chosen": chosen.get(m["name"], certs[0].identifier if certs else ""),
            "needed_by": m.get("needed_by_names") or [],
        })
    return rows


def _uploads_from(request: HttpRequest, target: Target) -> tuple[list[services.Upload], dict[str, str]]:
    """Files and chosen certificates per material (inputs named by the material's position)."""
    uploads: list[services.Upload] = []
    certs: dict[str, str] = {}
    for i, m in enumerate(target.materials):
        choice = request.POST.get(f"source_{i}", "")
        identifier = request.POST.get(f"cert_{i}", "").strip()
        f = request.FILES.get(f"file_{i}")
        if choice == "certificate" and identifier:
            certs[m["name"]] = identifier[:120]
            continue
        if f is not None:
            uploads.append(_upload(m["name"], f))
    return uploads, certs


def _upload(material: str, f: Any) -> services.Upload:
    if f.size > services.MAX_UPLOAD_BYTES:
        raise ValidationFailed("case.material_too_large", f"材料“{material}”超过 10MB", "materials")
    content_type = (f.content_type or "").split(";")[0].strip().lower()
    if content_type not in services.ALLOWED_UPLOAD_TYPES:  # browsers often send OFD as octet-stream
        ext = "." + f.name.rsplit(".", 1)[-1].lower() if "." in f.name else ""
        content_type = EXTENSION_TYPES.get(ext, content_type)
    return services.Upload(material=material, filename=f.name[:200], content_type=content_type, content=f.read())


def _session_prefill(request: HttpRequest, key: str) -> dict[str, dict[str, Any]]:
    return dict((request.session.get(PREFILL_SESSION_KEY) or {}).get(key) or {})


def _remember_prefill(request: HttpRequest, key: str, values: Mapping[str, prefill.Prefilled]) -> None:
    store = dict(request.session.get(PREFILL_SESSION_KEY) or {})
    store = {k: v for k, v in list(store.items())[-4:]}  # the last few forms only
    store[key] = {name: {"value": str(p.value), "source": p.source, "department": p.department}
                  for name, p in values.items()}
    request.session[PREFILL_SESSION_KEY] = store


PERSON_AUDIENCE = "自然人"


def _audience_mismatch(target: Target, subject: prefill.Subject) -> str:
    """A gentle notice when the item serves the other kind of applicant (the service does not refuse it:
    a founder applies for 设立登记 as a person)."""
    owner = target.version if target.version is not None else target.bundle
    audience = list(owner.audience or [])
    if not audience:
        return ""
    if subject.kind == "person" and PERSON_AUDIENCE not in audience:
        return _("本事项面向法人和其他组织办理。如您代表企业申请，请先在“我的账号”中切换为企业身份。")
    if subject.kind == "enterprise" and audience == [PERSON_AUDIENCE]:
        return _("本事项面向个人办理。如为本人申请，请先在“我的账号”中切换回个人身份。")
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """在线申请: GET shows the form, prefilled; POST saves a draft (action=draft) or submits."""
    try:
        subject = prefill.subject_for(request.user, _acting_for(request))
    except DomainError as exc:
        return render(request, "cases/apply_refused.html", {"message": exc.message}, status=403)
    params: dict[str, Any] = request.GET.dict()
    if request.method == "POST":
        params.update(request.POST.dict())
    draft = None
    draft_id = str(params.get("draft", ""))[:40]
    if draft_id:
        draft = selectors.draft_for(draft_id, [subject.ref])
        if draft is None:
            raise Http404
    target = _target_from(params, draft)
    applicant = services.Applicant(ref=subject.ref, name=subject.name, user=prefill.applicant_user(subject, request.user))
    error: DomainError | None = None
    values: dict[str, Any] = dict(draft.form) if draft is not None else {}
    sources = _session_prefill(request, target.key)
    chosen: dict[str, str] = {}
    if request.method == "POST":
        values = {str(f["name"]): request.POST.get(str(f["name"]), "").strip() for f in target.fields}
        try:
            if request.POST.get("action") == "draft":
                saved = services.case_save_draft(applicant=applicant, form=values, draft_id=draft.pk if draft else None,
                                                 **target.service_args())
                messages.success(request, _("草稿已保存，可在“我的办件 · 草稿”中继续填写。"))
                return redirect(f"/cases/apply/?draft={saved.pk}")
            uploads, certs = _uploads_from(request, target)
            chosen = certs
            case = services.case_submit(
                applicant=applicant, form=values, uploads=uploads, certificates=certs,
                idempotency_key=str(request.POST.get("submission", ""))[:100], draft_id=draft.pk if draft else None,
                prefill_sources=prefill.sources_kept(sources, values), **target.service_args())
            return redirect("cases:receipt", number=case.number)
        except DomainError as exc:
            error = exc
    elif draft is None and target.answered:
        filled = prefill.prefill(subject, target.fields, title=target.title, legal_basis=target.legal_basis)
        _remember_prefill(request, target.key, filled)
        sources = _session_prefill(request, target.key)
        values = {name: p.value for name, p in filled.items()}
    types = sorted({str(m.get("certificate_type")) for m in target.materials if m.get("certificate_type")})
    from yiwang.certificates import selectors as cert_selectors

    wallet = cert_selectors.wallet_certificates_by_type([subject.ref], types) if types else {}
    return render(request, "cases/apply.html", {
        "target": target, "subject": subject, "draft": draft, "error": error,
        "fields": _field_rows(target, values, sources, error),
        "materials": _material_rows(target, wallet, chosen),
        "material_error": error.message if error is not None and error.field in ("materials", "certificates") else "",
        "form_error": error.message if error is not None and error.field not in
        {str(f["name"]) for f in target.fields} | {"materials", "certificates"} else "",
        "submission": request.POST.get("submission") or uuid.uuid4().hex,
        "max_mb": services.MAX_UPLOAD_BYTES // (1024 * 1024),
        "audience_mismatch": _audience_mismatch(target, subject),
    }, status=422 if error is not None else 200)


# --- after submitting ----------------------------------------------------------------------------------


def _countdown(due: date | None) -> dict[str, Any] | None:
    if due is None:
        return None
    today = timezone.localdate()
    if due < today:
        return {"overdue": True, "days": working_days_between(due, today)}
    return {"overdue": False, "days": working_days_between(today, due)}


@login_required
@require_GET
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    case = _own_case(request, number)
    return render(request, "cases/receipt.html", {
        "case": case, "children": selectors.children(case) if case.kind == Case.Kind.BUNDLE else [],
        "tone": STATUS_TONES.get(case.status, ""),
    })


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "open")
    if tab not in ("open", "done", "draft"):
        tab = "open"
    refs = prefill.visible_refs(request.user, _acting_for(request))
    rows, next_cursor = selectors.applicant_page(refs, status=tab, cursor=request.GET.get("cursor", "")[:200])
    kids = selectors.children_of(rows)
    return render(request, "cases/mine.html", {
        "tab": tab, "rows": [{"case": c, "children": kids.get(c.pk, []), "tone": STATUS_TONES.get(c.status, ""),
                              "countdown": _countdown(c.promised_due) if c.is_open else None} for c in rows],
        "next_cursor": next_cursor, "first_page": not request.GET.get("cursor"),
    })


def _field_labels(case: Case) -> dict[str, str]:
    fields: list[Mapping[str, Any]] = []
    if case.item_version_id:
        version = catalog_selectors.version_by_id(case.item_version_id)
        fields = list(version.form_fields) if version else []
    elif case.bundle_code:
        bundle = catalog_selectors.bundle_by_code(case.bundle_code, published_only=False)
        fields = list(catalog_selectors.bundle_guide(bundle, case.answers)["fields"]) if bundle else []
    return {str(f["name"]): str(f.get("label") or f["name"]) for f in fields}


@login_required
@require_GET
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    case = _own_case(request, number)
    labels = _field_labels(case)
    events = selectors.timeline(case)
    correction = selectors.open_correction(case) if case.status == Case.Status.CORRECTIONS else None
    children = selectors.children(case) if case.kind == Case.Kind.BUNDLE else []
    return render(request, "cases/case_detail.html", {
        "case": case, "tone": STATUS_TONES.get(case.status, ""), "parent": case.parent if case.parent_id else None,
        "timeline": [{"event": e, "label": EVENT_LABELS.get(e.type, e.type)} for e in events],
        "children": [{"case": c, "tone": STATUS_TONES.get(c.status, "")} for c in children],
        "materials": selectors.materials(case),
        "corrections": [{"row": c, "points": _points(c)} for c in selectors.corrections(case)],
        "correction": correction, "countdown": _countdown(case.promised_due) if case.is_open else None,
        "form_rows": [(labels.get(k, k), v, case.prefill_sources.get(k)) for k, v in (case.form or {}).items()],
        "issued": [e.detail for e in events if e.type == "certificate_issued"],
        "can_withdraw": case.status == Case.Status.SUBMITTED and case.kind != Case.Kind.SUB,
        "can_rate": case.status == Case.Status.COMPLETED and case.kind != Case.Kind.SUB,
        "Material": Material,
    })


@login_required
@require_GET
def material(request: HttpRequest, number: str, material_id: str) -> HttpResponseBase:
    """The applicant downloads what they uploaded (a read of their own data: not audit-logged)."""
    case = _own_case(request, number)
    m = selectors.material_of(case, material_id[:40])
    if m is None or not m.file:
        raise Http404
    return material_download(m)


@login_required
@require_POST
def withdraw(request: HttpRequest, number: str) -> HttpResponse:
    case = _own_case(request, number, write=True)
    try:
        services.case_withdraw(case_id=case.pk, applicant=_applicant_of(case, request),
                               reason=request.POST.get("reason", "")[:500])
        messages.success(request, _("申请已撤回。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cases:case_detail", number=case.number)


def _points(row: Any) -> list[str]:
    return [str(p.get("point") or p.get("reason") or p.get("field") or p.get("material") or "")
            if isinstance(p, Mapping) else str(p) for p in row.points or []]


def _corrections_materials(case: Case) -> list[dict[str, Any]]:
    if case.item_version_id:
        version = catalog_selectors.version_by_id(case.item_version_id)
        return list(version.materials) if version else []
    return []


@login_required
@require_http_methods(["GET", "POST"])
def corrections(request: HttpRequest, number: str) -> HttpResponse:
    """补正: every point the department listed at once; change fields, add materials, explain."""
    case = _own_case(request, number, write=request.method == "POST")
    request_row = selectors.open_correction(case)
    if case.status != Case.Status.CORRECTIONS or request_row is None:
        messages.info(request, _("该办件当前没有需要补正的事项。"))
        return redirect("cases:case_detail", number=case.number)
    fields: list[Mapping[str, Any]] = []
    if case.item_version_id:
        version = catalog_selectors.version_by_id(case.item_version_id)
        fields = list(version.form_fields) if version else []
    materials = _corrections_materials(case)
    error: DomainError | None = None
    values = dict(case.form or {})
    if request.method == "POST":
        posted = {str(f["name"]): request.POST.get(str(f["name"]), "").strip() for f in fields
                  if str(f["name"]) in request.POST}
        changed = {k: v for k, v in posted.items() if str(values.get(k, "")) != v}
        try:
            uploads = []
            for i, m in enumerate(materials):
                f = request.FILES.get(f"file_{i}")
                if f is not None:
                    uploads.append(_upload(m["name"], f))
            services.corrections_answer(case_id=case.pk, applicant=_applicant_of(case, request), form=changed,
                                        uploads=uploads, note=request.POST.get("note", "")[:2000])
            messages.success(request, _("补正已提交，办件恢复办理。"))
            return redirect("cases:case_detail", number=case.number)
        except DomainError as exc:
            error = exc
            values.update(posted)
    target_fields = [{"name": str(f["name"]), "label": f.get("label") or f["name"], "type": f.get("type") or "text",
                      "input_type": INPUT_TYPES.get(str(f.get("type")), "text"), "required": bool(f.get("required")),
                      "options": [str(o) for o in f.get("options") or []], "value": values.get(str(f["name"]), ""),
                      "error": error.message if error is not None and error.field == f["name"] else ""}
                     for f in fields]
    return render(request, "cases/corrections.html", {
        "case": case, "request_row": request_row,
        "points": _points(request_row),
        "fields": target_fields, "materials": materials, "error": error,
        "other_error": error.message if error is not None and error.field not in {f["name"] for f in target_fields}
        else "",
    }, status=422 if error is not None else 200)


# --- 我的消息 ---------------------------------------------------------------------------------------


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/notifications.html", {
        "rows": selectors.notifications_for_user(request.user),
        "unread": selectors.unread_notifications(request.user),
    })


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    try:
        services.notifications_mark_read(user=request.user, notification_id=request.POST.get("id") or None)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cases:notifications")


@public("开发用站内信发件箱，仅演示模式可用；非演示模式返回404")
@require_GET
def dev_outbox(request: HttpRequest) -> HttpResponse:
    if not settings.DEMO_MODE:
        raise Http404
    return render(request, "cases/notifications_outbox.html", {"rows": selectors.notifications_outbox()})
