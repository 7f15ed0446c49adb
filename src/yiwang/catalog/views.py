"""Catalogue pages: the portal (lists, search, 办事指南 of items and bundles, figures) and the back office
(create, edit, validate, publish, import, export). Views parse, authorise, call and render."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.catalog import importing, rules, selectors, services
from yiwang.catalog.forms import BundleForm, ImportForm, ItemForm, PublishForm
from yiwang.kernel.errors import DomainError
from yiwang.kernel.permissions import public, roles_required

MANAGERS = ("catalog_manager", "admin")
MAX_UPLOAD = 20 * 1024 * 1024


def _date_param(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- portal ----------------------------------------------------------------------------------------

@public("事项目录与办事指南依法公开")
def index_view(request: HttpRequest) -> HttpResponse:
    audience = request.GET.get("audience", "")
    audience = audience if audience in ("person", "legal") else ""
    department = request.GET.get("department", "")[:100]
    theme = request.GET.get("theme", "")[:40]
    item_type = request.GET.get("type", "")[:2]
    scope = request.GET.get("scope", "demo")
    items = selectors.items_list(audience=audience, department=department, theme=theme, item_type=item_type,
                                 source="" if scope == "all" else "demo")
    count = items.count()
    themes = (selectors.PERSON_THEMES if audience == "person" else selectors.LEGAL_THEMES if audience == "legal"
              else selectors.PERSON_THEMES + selectors.LEGAL_THEMES)
    return render(request, "catalog/index.html", {
        "items": items[:300], "count": count, "audience": audience, "department": department, "theme": theme,
        "item_type": item_type, "themes": themes, "item_types": sorted(rules.ITEM_TYPES.items()),
        "bundles": selectors.bundles_published(audience=audience),
        "departments": selectors.departments_with_counts(), "scope": scope,
    })


@public("事项搜索面向所有人")
def search_view(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:100]
    results = selectors.search_catalog(q, 20) if q else []
    template = "catalog/_search_results.html" if request.headers.get("HX-Request") else "catalog/search.html"
    return render(request, template, {"q": q, "results": results})


@public("办事指南依法公开")
def item_view(request: HttpRequest, code: str) -> HttpResponse:
    version_id = request.GET.get("version")
    if version_id:
        v = selectors.version_by_id(version_id)
        if v is None or v.item.code != code or v.status == v.Status.DRAFT:
            raise Http404("未找到该事项版本")
    else:
        v = selectors.current_version(code, _date_param(request.GET.get("on")))
    if v is None:
        raise Http404("未找到现行有效的事项")
    materials = [{**m, "applicant_brings": rules.applicant_brings(m)} for m in v.materials]
    history = [h for h in selectors.item_versions(code) if h.status != h.Status.DRAFT]
    bundles = [b for b in selectors.bundles_published() if code in b.item_codes]
    return render(request, "catalog/item.html", {"v": v, "materials": materials, "history": history,
                                                 "bundles": bundles})


@public("一件事主题依法公开")
def bundles_view(request: HttpRequest) -> HttpResponse:
    audience = request.GET.get("audience", "")
    return render(request, "catalog/bundles.html", {"bundles": selectors.bundles_published(audience=audience),
                                                    "audience": audience})


@public("一件事办事指南依法公开；情形引导只根据申请人的回答计算")
def bundle_view(request: HttpRequest, code: str) -> HttpResponse:
    b = selectors.bundle_by_code(code)
    if b is None:
        raise Http404("未找到一件事")
    answers = {q["code"]: request.GET[q["code"]] for q in b.questions if request.GET.get(q["code"])}
    guide = selectors.bundle_guide(b, answers if "answered" in request.GET else None)
    apply_query = "&".join(f"{k}={v}" for k, v in guide["answers"].items())
    return render(request, "catalog/bundle.html", {"b": b, "g": guide, "apply_query": apply_query})


@public("事项目录统计数据公开")
def figures_view(request: HttpRequest) -> HttpResponse:
    fig = selectors.figures()
    chart = {"departments": fig["per_department"], "types": fig["per_type"],
             "visits": [[ngettext("%(n)s次", "%(n)s次", k) % {"n": k}, n] for k, n in fig["visits_distribution"]]}
    return render(request, "catalog/figures.html", {"fig": fig, "chart": chart})


# --- back office -----------------------------------------------------------------------------------

@roles_required(*MANAGERS)
def manage_view(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:100]
    status = request.GET.get("status", "")
    return render(request, "catalog/manage/index.html", {
        "rows": selectors.manage_list(q=q, status=status), "q": q, "status": status,
        "drafts": selectors.drafts()[:50], "batches": selectors.import_batches(10),
        "bundles": selectors.all_bundles(), "fig": selectors.figures(),
    })


@roles_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def item_new_view(request: HttpRequest) -> HttpResponse:
    form = ItemForm(request.POST or None, initial={"materials": "[]", "steps": "[]", "form_fields": "[]"})
    if request.method == "POST" and form.is_valid():
        try:
            v = services.item_create_draft(payload=form.payload())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已创建草稿：%(name)s（v%(version)s）") % {"name": v.name, "version": v.version})
            return redirect("catalog:manage_version", version_id=v.pk)
    return render(request, "catalog/manage/edit.html", {"form": form, "v": None,
                                                        "departments": selectors.known_departments()})


@roles_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def version_view(request: HttpRequest, version_id: str) -> HttpResponse:
    v = selectors.version_by_id(version_id)
    if v is None:
        raise Http404("未找到该事项版本")
    editable = v.status == v.Status.DRAFT
    form = ItemForm(request.POST or None, initial=ItemForm.initial_from(v))
    form.fields["code"].disabled = True
    if request.method == "POST":
        if not editable:
            messages.error(request, _("已发布的事项版本不可修改，请新建版本"))
            return redirect("catalog:manage_version", version_id=v.pk)
        if form.is_valid():
            changes = {k: val for k, val in form.payload().items() if k != "code"}
            try:
                v = services.item_update_draft(version_id=v.pk, changes=changes)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("草稿已保存"))
                return redirect("catalog:manage_version", version_id=v.pk)
    problems = services.item_validate(v)
    return render(request, "catalog/manage/edit.html", {
        "form": form, "v": v, "editable": editable, "problems": problems, "publish_form": PublishForm(),
        "history": selectors.item_versions(v.item.code), "departments": selectors.known_departments()})


@roles_required(*MANAGERS)
@require_POST
def publish_view(request: HttpRequest, version_id: str) -> HttpResponse:
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效的生效日期"))
        return redirect("catalog:manage_version", version_id=version_id)
    try:
        v = services.item_publish(version_id=version_id, effective_from=form.cleaned_data["effective_from"])
    except DomainError as exc:
        messages.error(request, _("发布失败：%(reason)s") % {"reason": exc.message})
        return redirect("catalog:manage_version", version_id=version_id)
    messages.success(request, _("已发布 %(name)s v%(version)s，%(start)s 起生效")
                     % {"name": v.name, "version": v.version, "start": v.effective_from})
    return redirect("catalog:manage_version", version_id=v.pk)


@roles_required(*MANAGERS)
@require_POST
def new_version_view(request: HttpRequest, code: str) -> HttpResponse:
    try:
        v = services.item_new_draft(code=code)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("catalog:manage")
    messages.success(request, _("已新建草稿 v%(version)s") % {"version": v.version})
    return redirect("catalog:manage_version", version_id=v.pk)


@roles_required(*MANAGERS)
@require_POST
def discard_view(request: HttpRequest, version_id: str) -> HttpResponse:
    try:
        services.item_discard_draft(version_id=version_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("catalog:manage_version", version_id=version_id)
    messages.success(request, _("草稿已删除"))
    return redirect("catalog:manage")


@roles_required(*MANAGERS)
@require_POST
def bundle_publish_view(request: HttpRequest, code: str) -> HttpResponse:
    try:
        services.bundle_publish(code=code)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("一件事已发布"))
    return redirect("catalog:manage")


@roles_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def bundle_edit_view(request: HttpRequest, code: str = "") -> HttpResponse:
    """Create (no code) or edit a 一件事; saving returns it to draft until published again."""
    bundle = selectors.bundle_by_code(code, published_only=False) if code else None
    if code and bundle is None:
        raise Http404("未找到一件事")
    initial = BundleForm.initial_from(bundle) if bundle else {"questions": "[]", "rules": "[]"}
    form = BundleForm(request.POST or None, initial=initial)
    if bundle:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        payload = dict(form.cleaned_data)
        if bundle:
            payload["code"] = bundle.code
        try:
            saved = services.bundle_save(payload=payload)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已保存为草稿：%(name)s，请在列表中发布") % {"name": saved.name})
            return redirect("catalog:manage_bundle_edit", code=saved.code)
    return render(request, "catalog/manage/bundle_edit.html", {"form": form, "bundle": bundle,
                                                               "departments": selectors.known_departments()})


@roles_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            form.add_error("file", _("文件不能超过20MB"))
        else:
            try:
                report = services.import_file(data=upload.read(), filename=upload.name,
                                              dry_run=form.cleaned_data["dry_run"])
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                if report.batch_id:
                    messages.success(request, _("导入完成：新增%(created)s，更新%(updated)s，未变%(unchanged)s，"
                                                "拒绝%(rejected)s")
                                     % {"created": report.created, "updated": report.updated,
                                        "unchanged": report.unchanged, "rejected": report.rejected})
                    return redirect("catalog:manage_import_batch", batch_id=report.batch_id)
    return render(request, "catalog/manage/import.html", {"form": form, "report": report,
                                                          "batches": selectors.import_batches(20)})


@roles_required(*MANAGERS)
def import_batch_view(request: HttpRequest, batch_id: str) -> HttpResponse:
    batch = selectors.import_batch(batch_id)
    if batch is None:
        raise Http404("未找到导入批次")
    return render(request, "catalog/manage/import_batch.html", {"batch": batch})


@roles_required(*MANAGERS)
def import_batch_rejections_view(request: HttpRequest, batch_id: str) -> HttpResponse:
    """The rejected rows as CSV, to fix and re-import."""
    batch = selectors.import_batch(batch_id)
    if batch is None:
        raise Http404("未找到导入批次")
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["行号", "事项编码", "事项名称", "拒绝原因"])
    for r in batch.rejections:
        w.writerow([r["row"], r["code"], r["name"], r["reason"]])
    resp = HttpResponse(buf.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="rejections-{batch.pk}.csv"'
    return resp


@roles_required(*MANAGERS)
def export_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404("仅支持 csv 或 xlsx")
    scope = "all" if request.GET.get("scope") == "all" else "current"
    rows = selectors.export_payloads(scope=scope)
    if fmt == "xlsx":
        body = importing.write_xlsx(rows)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, ctype = importing.write_csv(rows), "text/csv; charset=utf-8"
    resp = HttpResponse(body, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="catalog-{scope}.{fmt}"'
    return resp
