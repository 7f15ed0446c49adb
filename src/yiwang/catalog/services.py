"""Writes for the catalogue: item drafts and versions, publishing with effective dates, 一件事 bundles,
and spreadsheet import (atomic per row)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from yiwang.catalog import importing, rules
from yiwang.catalog.models import Bundle, ImportBatch, ItemVersion, ServiceItem
from yiwang.kernel import context, events
from yiwang.kernel.audit import audit_record
from yiwang.kernel.errors import Conflict, NotFound, ValidationFailed

EDITABLE_FIELDS = tuple(f for f in ItemVersion.CONTENT_FIELDS if f not in ("effective_from",))


def _invalidate_search() -> None:
    from yiwang.catalog import selectors

    transaction.on_commit(selectors.invalidate_search_index)


def resolve_department(ref: str) -> tuple[str, str, str]:
    """(code, name, short name) of a department the catalogue already knows, by short name, name or code.

    Identity is a sibling in the tiers (no imports either way), so a caller in a higher tier (the demo,
    the web shell) passes department_code / department_name / department_short for a new department."""
    from yiwang.catalog import selectors

    ref = (ref or "").strip()
    for d in selectors.known_departments():
        if ref and ref in (d["short"], d["name"], d["code"]):
            return d["code"], d["name"], d["short"]
    raise ValidationFailed("catalog.unknown_department", f"未找到实施部门：{ref}", "department")


def _normalise(payload: dict[str, Any]) -> dict[str, Any]:
    """Payload → model field values (department resolved, fee as Decimal, result split)."""
    p = dict(payload)
    if "department" in p and not p.get("department_name"):
        p["department_code"], p["department_name"], p["department_short"] = resolve_department(p.pop("department"))
    p.pop("department", None)
    if isinstance(p.get("result"), dict):
        r = p.pop("result")
        p["result_type"], p["result_name"] = r.get("type", ""), r.get("name", "")
        p["result_certificate_type"] = r.get("certificate_type", "")
    p.pop("item_type_name", None)
    out = {k: v for k, v in p.items() if k in EDITABLE_FIELDS}
    if "fee" in out:
        out["fee"] = Decimal(str(out["fee"] or "0")).quantize(Decimal("0.01"))
    for key in ("department_code", "department_short", "power_source", "fee_basis", "location", "result_type",
                "result_name", "result_certificate_type", "summary", "source"):
        if key in out and out[key] is None:
            out[key] = ""
    return out


def _check(payload: dict[str, Any], code: str) -> None:
    problems = rules.validate_item({**payload, "code": code})
    if problems:
        field_name, _ = problems[0]
        raise ValidationFailed("catalog.invalid_item", "；".join(m for _f, m in problems), field_name)


def _open_draft(item: ServiceItem) -> ItemVersion | None:
    return item.versions.filter(status=ItemVersion.Status.DRAFT).first()


@transaction.atomic
def item_create_draft(*, payload: dict[str, Any]) -> ItemVersion:
    """A new draft: the first version of a new item, or the next version of an existing one."""
    code = str(payload.get("code") or "").strip()
    values = _normalise(payload)
    _check(values, code)
    item, _ = ServiceItem.objects.get_or_create(code=code)
    if _open_draft(item):
        raise Conflict("catalog.draft_exists", f"事项{code}已有未发布的草稿，请编辑该草稿", "code")
    number = (item.versions.aggregate(n=Max("version"))["n"] or 0) + 1
    version = ItemVersion(item=item, version=number, status=ItemVersion.Status.DRAFT, **values)
    version.full_clean()
    version.save()
    audit_record(action="catalog.item_draft_created", object_type="catalog.ItemVersion", object_id=str(version.pk),
                 detail={"code": code, "version": number})
    return version


@transaction.atomic
def item_new_draft(*, code: str) -> ItemVersion:
    """A new draft copied from the item's latest version (to change a published item)."""
    item = ServiceItem.objects.filter(code=code).first()
    if item is None:
        raise NotFound("catalog.item_not_found", f"未找到事项：{code}", "code")
    if _open_draft(item):
        raise Conflict("catalog.draft_exists", f"事项{code}已有未发布的草稿", "code")
    latest = item.versions.order_by("-version").first()
    assert latest is not None
    values = {f: getattr(latest, f) for f in EDITABLE_FIELDS}
    version = ItemVersion.objects.create(item=item, version=latest.version + 1, status=ItemVersion.Status.DRAFT,
                                         **values)
    audit_record(action="catalog.item_draft_created", object_type="catalog.ItemVersion", object_id=str(version.pk),
                 detail={"code": code, "version": version.version, "from": latest.version})
    return version


@transaction.atomic
def item_update_draft(*, version_id: Any, changes: dict[str, Any]) -> ItemVersion:
    version = ItemVersion.objects.select_for_update().select_related("item").filter(pk=version_id).first()
    if version is None:
        raise NotFound("catalog.version_not_found", "未找到该事项版本", "version")
    if version.status != ItemVersion.Status.DRAFT:
        raise Conflict("catalog.version_immutable", "已发布的事项版本不可修改，请新建版本", "status")
    values = _normalise(changes)
    merged = {**{f: getattr(version, f) for f in EDITABLE_FIELDS}, **values}
    _check(merged, version.item.code)
    for k, v in values.items():
        setattr(version, k, v)
    version.full_clean()
    version.save()
    audit_record(action="catalog.item_draft_updated", object_type="catalog.ItemVersion", object_id=str(version.pk),
                 detail={"code": version.item.code, "fields": sorted(values)})
    return version


def item_validate(version: ItemVersion) -> list[tuple[str, str]]:
    return rules.validate_item({**version.content(), "code": version.item.code})


def _publish(version: ItemVersion, effective_from: date) -> list[int]:
    """Publish a draft: earlier versions in force end the day the new one takes effect."""
    if version.status != ItemVersion.Status.DRAFT:
        raise Conflict("catalog.not_draft", "只能发布草稿版本", "status")
    problems = item_validate(version)
    if problems:
        raise ValidationFailed("catalog.invalid_item", "；".join(m for _f, m in problems), problems[0][0])
    superseded: list[int] = []
    for prev in version.item.versions.select_for_update().filter(
            status__in=[ItemVersion.Status.PUBLISHED, ItemVersion.Status.SUPERSEDED]).exclude(pk=version.pk):
        if prev.effective_from and prev.effective_from >= effective_from:
            raise Conflict("catalog.effective_date_order",
                           f"生效日期须晚于现行版本v{prev.version}的生效日期（{prev.effective_from}）", "effective_from")
        if prev.effective_to is None or prev.effective_to > effective_from:
            prev.effective_to = effective_from
            prev.status = ItemVersion.Status.SUPERSEDED
            prev.save(update_fields=["effective_to", "status", "updated_at"])
            superseded.append(prev.version)
    ItemVersion.objects.filter(pk=version.pk).update(
        status=ItemVersion.Status.PUBLISHED, effective_from=effective_from, published_at=timezone.now())
    version.refresh_from_db()
    return superseded


@transaction.atomic
def item_publish(*, version_id: Any, effective_from: date | None = None) -> ItemVersion:
    """Publish a draft with an effective date (today if none); it is immutable from then on."""
    version = ItemVersion.objects.select_for_update().select_related("item").filter(pk=version_id).first()
    if version is None:
        raise NotFound("catalog.version_not_found", "未找到该事项版本", "version")
    when = effective_from or timezone.localdate()
    superseded = _publish(version, when)
    audit_record(action="catalog.item_published", object_type="catalog.ItemVersion", object_id=str(version.pk),
                 detail={"code": version.item.code, "version": version.version, "effective_from": when.isoformat(),
                         "superseded": superseded})
    events.publish("catalog.item_published", source="catalog", subject=version.item.code,
                   data={"code": version.item.code, "version": version.version, "version_id": str(version.pk),
                         "effective_from": when.isoformat()})
    _invalidate_search()
    return version


@transaction.atomic
def item_discard_draft(*, version_id: Any) -> None:
    version = ItemVersion.objects.select_related("item").filter(pk=version_id).first()
    if version is None or version.status != ItemVersion.Status.DRAFT:
        raise Conflict("catalog.not_draft", "只能删除草稿版本", "status")
    code, number = version.item.code, version.version
    item = version.item
    version.delete()
    if not item.versions.exists():
        item.delete()
    audit_record(action="catalog.item_draft_discarded", object_type="catalog.ServiceItem", object_id=code,
                 detail={"version": number})


# --- bundles ---------------------------------------------------------------------------------------

BUNDLE_FIELDS = ("name", "aliases", "keywords", "audience", "themes", "summary", "item_codes", "core_codes",
                 "questions", "rules", "combined_limit_days", "legal_limit_days")


@transaction.atomic
def bundle_save(*, payload: dict[str, Any]) -> Bundle:
    """Create or update a bundle as a draft (a published one returns to draft until re-published)."""
    from yiwang.catalog import selectors

    p = dict(payload)
    if "items" in p:
        p["item_codes"] = p.pop("items")
    if "core" in p:
        p["core_codes"] = p.pop("core")
    code = str(p.get("code") or "").strip()
    values = {k: p[k] for k in BUNDLE_FIELDS if k in p}
    for key in ("lead_department_code", "lead_department_name", "lead_department_short"):
        if key in p:
            values[key] = p[key] or ""
    if p.get("lead_department"):
        (values["lead_department_code"], values["lead_department_name"],
         values["lead_department_short"]) = resolve_department(p["lead_department"])
    bundle = Bundle.objects.filter(code=code).first()
    merged = {**({k: getattr(bundle, k) for k in BUNDLE_FIELDS} if bundle else {}), **values, "code": code}
    if not str(merged.get("lead_department_name") or (bundle.lead_department_name if bundle else "")).strip():
        raise ValidationFailed("catalog.invalid_bundle", "缺少牵头部门", "lead_department")
    problems = rules.validate_bundle(merged, selectors.current_codes())
    if problems:
        raise ValidationFailed("catalog.invalid_bundle", "；".join(m for _f, m in problems), problems[0][0])
    if bundle is None:
        bundle = Bundle(code=code)
    for k, v in values.items():
        setattr(bundle, k, v)
    bundle.status = Bundle.Status.DRAFT
    bundle.full_clean()
    bundle.save()
    audit_record(action="catalog.bundle_saved", object_type="catalog.Bundle", object_id=code,
                 detail={"items": bundle.item_codes})
    _invalidate_search()
    return bundle


@transaction.atomic
def bundle_publish(*, code: str, effective_from: date | None = None) -> Bundle:
    from yiwang.catalog import selectors

    bundle = Bundle.objects.select_for_update().filter(code=code).first()
    if bundle is None:
        raise NotFound("catalog.bundle_not_found", f"未找到一件事：{code}", "code")
    problems = rules.validate_bundle({**{k: getattr(bundle, k) for k in BUNDLE_FIELDS}, "code": code},
                                     selectors.current_codes())
    if problems:
        raise ValidationFailed("catalog.invalid_bundle", "；".join(m for _f, m in problems), problems[0][0])
    bundle.status = Bundle.Status.PUBLISHED
    bundle.effective_from = effective_from or timezone.localdate()
    bundle.published_at = timezone.now()
    bundle.save()
    audit_record(action="catalog.bundle_published", object_type="catalog.Bundle", object_id=code,
                 detail={"effective_from": bundle.effective_from.isoformat()})
    events.publish("catalog.bundle_published", source="catalog", subject=code,
                   data={"code": code, "effective_from": bundle.effective_from.isoformat()})
    _invalidate_search()
    return bundle


# --- import ----------------------------------------------------------------------------------------

@dataclass
class ImportReport:
    filename: str
    layout: str
    dry_run: bool
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)
    batch_id: str = ""

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    @property
    def imported(self) -> int:
        return self.created + self.updated


def _same_content(version: ItemVersion, values: dict[str, Any]) -> bool:
    return all(getattr(version, k) == v for k, v in values.items() if k not in ("source", "extra"))


def _import_one(values: dict[str, Any], code: str, effective_from: date, *, known: bool) -> str:
    """Create or version one item from an imported row; 'created' / 'updated' / 'unchanged'."""
    if not known:  # a new item: its first version, published at once (nothing to supersede)
        item = ServiceItem.objects.create(code=code)
        version = ItemVersion(item=item, version=1, status=ItemVersion.Status.PUBLISHED,
                              effective_from=effective_from, published_at=timezone.now(), **values)
        version.clean_fields()
        version.save()
        return "created"
    item = ServiceItem.objects.get(code=code)
    if _open_draft(item):
        raise ValidationFailed("catalog.draft_exists", "该事项有未发布的草稿，请先发布或删除草稿", "code")
    current = item.versions.exclude(status=ItemVersion.Status.DRAFT).order_by("-version").first()
    if current is not None and _same_content(current, values):
        return "unchanged"
    number = (item.versions.aggregate(n=Max("version"))["n"] or 0) + 1
    version = ItemVersion(item=item, version=number, status=ItemVersion.Status.DRAFT, **values)
    version.full_clean()
    version.save()
    _publish(version, effective_from)
    return "updated"


def import_file(*, data: bytes, filename: str, dry_run: bool = False,
                effective_from: date | None = None) -> ImportReport:
    """Import a CSV or Excel file (native layout or the 广东政务服务网 export). Each row is imported
    wholly (its own savepoint) or rejected wholly with its row number and a Chinese reason."""
    when = effective_from or timezone.localdate()
    try:
        header, rows = importing.read_table(data, filename)
        layout = importing.detect_layout(header)
    except importing.RowRejected as exc:
        raise ValidationFailed("catalog.import_unreadable", str(exc), "file") from None
    except Exception as exc:  # a corrupt workbook or undecodable bytes: tell the user, do not 500
        raise ValidationFailed("catalog.import_unreadable", f"文件无法读取：{exc}", "file") from None
    mapper = importing.gd_row_to_payload if layout == "gdzwfw" else importing.native_to_payload
    report = ImportReport(filename=filename, layout=layout, dry_run=dry_run)
    seen: dict[str, int] = {}
    known = set(ServiceItem.objects.values_list("code", flat=True))
    with transaction.atomic():
        for number, rec in importing.iter_records(header, rows):
            report.total += 1
            code = (rec.get("TASK_CODE") or rec.get("事项编码") or rec.get("code") or "").strip()
            name = (rec.get("TASK_NAME") or rec.get("事项名称") or rec.get("name") or "").strip()
            try:
                payload = mapper(rec)
                if code in seen:
                    raise importing.RowRejected(f"事项编码与第{seen[code]}行重复")
                seen[code] = number
                if payload.get("effective_from"):
                    try:
                        row_when = date.fromisoformat(str(payload["effective_from"]))
                    except ValueError:
                        raise importing.RowRejected(f"生效日期格式错误：{payload['effective_from']}") from None
                else:
                    row_when = when
                values = _normalise(payload)
                _check(values, code)
                with transaction.atomic():  # savepoint: the row goes in wholly or not at all
                    outcome = _import_one(values, code, row_when, known=code in known)
                    if dry_run:
                        transaction.set_rollback(True)
            except importing.RowRejected as exc:
                report.rejections.append({"row": number, "code": code, "name": name, "reason": str(exc)})
                continue
            except (ValidationFailed, Conflict) as exc:
                report.rejections.append({"row": number, "code": code, "name": name, "reason": exc.message})
                continue
            except DjangoValidationError as exc:
                reason = "；".join(f"{k}：{'、'.join(str(m) for m in v)}" for k, v in exc.message_dict.items())
                report.rejections.append({"row": number, "code": code, "name": name, "reason": reason})
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
        if not dry_run:
            batch = ImportBatch.objects.create(
                filename=filename[:200], file_format=layout, dry_run=dry_run, total=report.total,
                created=report.created, updated=report.updated, unchanged=report.unchanged,
                rejected=report.rejected, rejections=report.rejections,
                actor_label=context.current_actor().label[:120])
            report.batch_id = str(batch.pk)
            audit_record(action="catalog.items_imported", object_type="catalog.ImportBatch", object_id=str(batch.pk),
                         detail={"filename": filename, "layout": layout, "total": report.total,
                                 "created": report.created, "updated": report.updated,
                                 "unchanged": report.unchanged, "rejected": report.rejected})
            events.publish("catalog.items_imported", source="catalog", subject=str(batch.pk),
                           data={"created": report.created, "updated": report.updated, "rejected": report.rejected})
            _invalidate_search()
    return report
