"""API schemas for the catalogue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ninja import Schema

from yiwang.catalog.models import Bundle, ItemVersion


class MaterialOut(Schema):
    name: str
    form: str = "纸质/电子化"
    copies: int = 1
    necessity: str = "必要"
    source: str = "申请人自备"
    certificate_type: str = ""
    shared_resource: str = ""
    note: str = ""


class FieldOut(Schema):
    name: str
    label: str
    type: str
    required: bool = True
    validation: str = ""
    options: list[str] = []


class StepOut(Schema):
    name: str
    detail: str = ""


class ItemSummaryOut(Schema):
    code: str
    name: str
    version: int
    item_type: str
    item_type_name: str
    department: str
    department_code: str
    level: str
    audience: list[str]
    handling_type: str
    legal_limit_days: int | None
    promised_limit_days: int
    visits: int
    channels: list[str]
    url: str


class ItemOut(ItemSummaryOut):
    version_id: str
    status: str
    effective_from: date | None
    effective_to: date | None
    aliases: list[str]
    keywords: list[str]
    department_name: str
    power_source: str
    legal_basis: list[str]
    themes: list[str]
    conditions: list[str]
    materials: list[MaterialOut]
    fee: Decimal
    fee_basis: str
    location: str
    steps: list[StepOut]
    result_type: str
    result_name: str
    result_certificate_type: str
    form_fields: list[FieldOut]
    summary: str
    source: str


class VersionRowOut(Schema):
    version_id: str
    version: int
    status: str
    effective_from: date | None
    effective_to: date | None


class ItemPageOut(Schema):
    count: int
    next_cursor: str | None
    results: list[ItemSummaryOut]


class QuestionOptionOut(Schema):
    value: str
    label: str


class QuestionOut(Schema):
    code: str
    text: str
    options: list[QuestionOptionOut]


class BundleSummaryOut(Schema):
    code: str
    name: str
    lead_department: str
    audience: list[str]
    summary: str
    item_codes: list[str]
    combined_limit_days: int
    legal_limit_days: int | None
    url: str


class BundleOut(BundleSummaryOut):
    aliases: list[str]
    themes: list[str]
    core_codes: list[str]
    questions: list[QuestionOut]
    rules: list[dict[str, Any]]
    effective_from: date | None


class MergedFieldOut(FieldOut):
    needed_by: list[str]


class MergedMaterialOut(MaterialOut):
    needed_by: list[str]
    applicant_brings: bool


class BundleGuideOut(Schema):
    code: str
    name: str
    answers: dict[str, str]
    applicable: list[ItemSummaryOut]
    fields: list[MergedFieldOut]
    materials: list[MergedMaterialOut]
    combined_limit_days: int
    legal_limit_days: int | None
    fields_saved: int


class SearchHitOut(Schema):
    kind: str
    code: str
    name: str
    score: float
    department: str
    item_type: str
    summary: str
    visits: int | None
    promised_limit_days: int | None
    url: str


class SearchOut(Schema):
    query: str
    results: list[SearchHitOut]


class FiguresOut(Schema):
    total: int
    bundles: int
    online_total: int
    online_rate: float
    compression_items: int
    compression_avg: float
    per_department: list[tuple[str, int]]
    per_type: list[tuple[str, int]]


def item_summary(v: ItemVersion) -> dict[str, Any]:
    return {"code": v.item.code, "name": v.name, "version": v.version, "item_type": v.item_type,
            "item_type_name": v.item_type_name, "department": v.department_short or v.department_name,
            "department_code": v.department_code, "level": v.level, "audience": v.audience,
            "handling_type": v.handling_type, "legal_limit_days": v.legal_limit_days,
            "promised_limit_days": v.promised_limit_days, "visits": v.visits, "channels": v.channels,
            "url": f"/catalog/items/{v.item.code}/"}


def item_full(v: ItemVersion) -> dict[str, Any]:
    return {**item_summary(v), **{f: getattr(v, f) for f in (
        "aliases", "keywords", "department_name", "power_source", "legal_basis", "themes", "conditions",
        "materials", "fee", "fee_basis", "location", "steps", "result_type", "result_name",
        "result_certificate_type", "form_fields", "summary", "source", "effective_from", "effective_to", "status")},
        "version_id": str(v.pk)}


def bundle_summary(b: Bundle) -> dict[str, Any]:
    return {"code": b.code, "name": b.name, "lead_department": b.lead_department_short or b.lead_department_name,
            "audience": b.audience, "summary": b.summary, "item_codes": b.item_codes,
            "combined_limit_days": b.combined_limit_days, "legal_limit_days": b.legal_limit_days,
            "url": f"/catalog/bundles/{b.code}/"}


def bundle_full(b: Bundle) -> dict[str, Any]:
    return {**bundle_summary(b), "aliases": b.aliases, "themes": b.themes, "core_codes": b.core_codes,
            "questions": b.questions, "rules": b.rules, "effective_from": b.effective_from}
