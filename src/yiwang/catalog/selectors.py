"""Reads for the catalogue: the version in force on a date, lists and filters, 一件事 guides, figures,
search, and the portal home's content."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from yiwang.catalog import rules
from yiwang.catalog.models import Bundle, ImportBatch, ItemVersion, ServiceItem

IN_FORCE = (ItemVersion.Status.PUBLISHED, ItemVersion.Status.SUPERSEDED)
BUNDLE_BOOST = 1.5

PERSON_THEMES = ["生育收养", "户籍身份", "教育入学", "社会保障", "医疗卫生", "就业创业", "婚姻家庭", "住房不动产",
                 "交通出行", "退休养老", "社会救助", "身后事务", "法律服务"]
LEGAL_THEMES = ["设立变更", "准营准办", "税费办理", "用工社保", "工程建设", "环境保护", "交通运输", "文化旅游",
                "注销退出", "政府采购"]


def _today(on: date | None) -> date:
    return on or timezone.localdate()


def in_force(on: date | None = None) -> QuerySet[ItemVersion]:
    """Every item's version in force on `on` (today by default)."""
    day = _today(on)
    return (ItemVersion.objects.select_related("item")
            .filter(status__in=IN_FORCE, effective_from__lte=day)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=day)))


def current_version(code: str, on: date | None = None) -> ItemVersion | None:
    return in_force(on).filter(item__code=code).order_by("-version").first()


def current_codes(on: date | None = None) -> set[str]:
    return set(in_force(on).values_list("item__code", flat=True))


def version_by_id(version_id: Any) -> ItemVersion | None:
    """The exact version a case was filed under, whatever is in force now."""
    try:
        pk = uuid.UUID(str(version_id))
    except (ValueError, TypeError):
        return None
    return ItemVersion.objects.select_related("item").filter(pk=pk).first()


def item_versions(code: str) -> list[ItemVersion]:
    return list(ItemVersion.objects.select_related("item").filter(item__code=code).order_by("-version"))


def item_exists(code: str) -> bool:
    return ServiceItem.objects.filter(code=code).exists()


def items_list(*, audience: str = "", department: str = "", theme: str = "", item_type: str = "", q: str = "",
               source: str = "", on: date | None = None) -> QuerySet[ItemVersion]:
    """Items in force, filtered. audience: "person" (自然人) or "legal" (any 法人/组织)."""
    qs = in_force(on)
    if department:
        qs = qs.filter(Q(department_short=department) | Q(department_name=department) | Q(department_code=department))
    if item_type:
        qs = qs.filter(item_type=item_type)
    if source == "demo":
        qs = qs.exclude(source__startswith="import")
    elif source:
        qs = qs.filter(source=source)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(item__code__icontains=q))
    rows = qs.order_by("department_short", "department_name", "item__code")
    if audience or theme:
        # JSON list containment differs across SQLite and PostgreSQL; filter in Python over ids.
        legal = set(rules.LEGAL_OBJECTS)
        ids = [pk for pk, aud, themes in rows.values_list("id", "audience", "themes")
               if (not audience or (audience == "person" and "自然人" in aud)
                   or (audience == "legal" and legal & set(aud)))
               and (not theme or theme in themes)]
        rows = rows.filter(pk__in=ids)
    return rows


def drafts() -> QuerySet[ItemVersion]:
    return ItemVersion.objects.select_related("item").filter(status=ItemVersion.Status.DRAFT).order_by("-updated_at")


def manage_list(*, q: str = "", status: str = "", limit: int = 200) -> list[ItemVersion]:
    """Latest version of each item (drafts included) for the back office."""
    latest: dict[Any, tuple[Any, int]] = {}
    for pk, item_id, number in ItemVersion.objects.values_list("id", "item_id", "version"):
        if item_id not in latest or number > latest[item_id][1]:
            latest[item_id] = (pk, number)
    qs = ItemVersion.objects.select_related("item").filter(pk__in=[pk for pk, _ in latest.values()])
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(item__code__icontains=q) | Q(department_name__icontains=q))
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("-updated_at", "item__code")[:limit])


# --- bundles ---------------------------------------------------------------------------------------

def bundles_published(*, audience: str = "") -> list[Bundle]:
    rows = list(Bundle.objects.filter(status=Bundle.Status.PUBLISHED).order_by("code"))
    if audience == "person":
        rows = [b for b in rows if "自然人" in b.audience]
    elif audience == "legal":
        rows = [b for b in rows if set(rules.LEGAL_OBJECTS) & set(b.audience)]
    return rows


def bundle_by_code(code: str, *, published_only: bool = True) -> Bundle | None:
    qs = Bundle.objects.filter(code=code)
    if published_only:
        qs = qs.filter(status=Bundle.Status.PUBLISHED)
    return qs.first()


def all_bundles() -> list[Bundle]:
    return list(Bundle.objects.order_by("code"))


def bundle_guide(bundle: Bundle, answers: Mapping[str, str] | None = None, on: date | None = None) -> dict[str, Any]:
    """The bundle for one applicant: which member items apply given the 情形 answers, the merged form
    (each field once), the merged materials and the time limits."""
    record = {"item_codes": bundle.item_codes, "core_codes": bundle.core_codes, "rules": bundle.rules}
    clean = {q["code"]: answers[q["code"]] for q in bundle.questions if answers and answers.get(q["code"])} \
        if answers is not None else None
    codes = rules.applicable_items(record, clean)
    versions = {v.item.code: v for v in in_force(on).filter(item__code__in=bundle.item_codes)}
    members = [versions[c] for c in bundle.item_codes if c in versions]
    applicable = [versions[c] for c in codes if c in versions]
    fields = rules.merge_fields([(v.item.code, v.form_fields) for v in applicable])
    materials = rules.merge_materials([(v.item.code, v.materials) for v in applicable])
    for m in materials:
        m["applicant_brings"] = rules.applicant_brings(m)
    names = {v.item.code: v.name for v in members}
    for f in fields:
        f["needed_by_names"] = [names.get(c, c) for c in f["needed_by"]]
    for m in materials:
        m["needed_by_names"] = [names.get(c, c) for c in m["needed_by"]]
    separate_fields = sum(len(v.form_fields) for v in applicable)
    legal_sum = sum(v.legal_limit_days or 0 for v in applicable)
    return {
        "bundle": bundle, "answers": clean or {}, "answered": clean is not None,
        "members": members, "applicable": applicable, "applicable_codes": [v.item.code for v in applicable],
        "fields": fields, "materials": materials, "fields_saved": separate_fields - len(fields),
        "materials_to_bring": [m for m in materials if m["applicant_brings"]],
        "combined_limit_days": bundle.combined_limit_days,
        "legal_limit_days": bundle.legal_limit_days or legal_sum,
        "separate_promised_days": sum(v.promised_limit_days for v in applicable),
        "visits": max((v.visits for v in applicable), default=0),
        "departments": list(dict.fromkeys(v.department_short or v.department_name for v in applicable)),
    }


# --- figures ---------------------------------------------------------------------------------------

def figures(on: date | None = None) -> dict[str, Any]:
    rows = [{"visits": v.visits, "legal_limit_days": v.legal_limit_days,
             "promised_limit_days": v.promised_limit_days, "department": v.department_short or v.department_name,
             "item_type_name": v.item_type_name}
            for v in in_force(on).only("visits", "legal_limit_days", "promised_limit_days", "department_short",
                                       "department_name", "item_type", "item__code")]
    out = rules.figures(rows)
    out["bundles"] = Bundle.objects.filter(status=Bundle.Status.PUBLISHED).count()
    out["online_pct"] = round(out["online_rate"] * 100, 1)
    out["compression_pct"] = round(out["compression_avg"] * 100, 1)
    out["visits_distribution"] = sorted(Counter(r["visits"] for r in rows).items())
    return out


def departments_with_counts(on: date | None = None) -> list[dict[str, Any]]:
    rows = (in_force(on).exclude(source__startswith="import").values("department_short", "department_name")
            .annotate(n=Count("id")).order_by("-n", "department_short"))
    return [{"short": r["department_short"] or r["department_name"], "name": r["department_name"], "count": r["n"]}
            for r in rows]


def known_departments() -> list[dict[str, str]]:
    """Departments that implement at least one item (code, name, short), for forms and filters."""
    seen: dict[str, dict[str, str]] = {}
    for code, name, short in (ItemVersion.objects.order_by("department_short", "department_name")
                              .values_list("department_code", "department_name", "department_short").distinct()):
        seen.setdefault(name, {"code": code, "name": name, "short": short})
    return list(seen.values())


def import_batches(limit: int = 20) -> list[ImportBatch]:
    return list(ImportBatch.objects.order_by("-at")[:limit])


def import_batch(batch_id: Any) -> ImportBatch | None:
    try:
        pk = uuid.UUID(str(batch_id))
    except (ValueError, TypeError):
        return None
    return ImportBatch.objects.filter(pk=pk).first()


def export_payloads(*, scope: str = "current") -> list[dict[str, Any]]:
    """Rows for export: the version in force of each item, or every version ("all")."""
    qs = (ItemVersion.objects.select_related("item").order_by("item__code", "version") if scope == "all"
          else in_force().order_by("item__code"))
    return [{**v.content(), "code": v.item.code, "version": v.version, "status": v.status} for v in qs]


# --- search ----------------------------------------------------------------------------------------

_index_lock = threading.Lock()
_index_cache: dict[str, Any] = {}


def invalidate_search_index() -> None:
    with _index_lock:
        _index_cache.clear()


def _signature() -> tuple[Any, ...]:
    """Cheap fingerprint of what is searchable, so that other processes' publishing is noticed too."""
    v = ItemVersion.objects.filter(status__in=IN_FORCE).aggregate(n=Count("id"), t=Max("updated_at"))
    b = Bundle.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    return (timezone.localdate().isoformat(), v["n"], v["t"], b["n"], b["t"])


def _item_record(v: ItemVersion) -> dict[str, Any]:
    return {"code": v.item.code, "name": v.name, "aliases": v.aliases,
            "text": " ".join([v.department_name, v.department_short, v.item_type_name, *v.themes, *v.keywords,
                              *v.conditions, *v.legal_basis, v.summary, *v.audience, v.result_name,
                              *[str(m.get("name", "")) for m in v.materials]])}


def _search_docs() -> list[Any]:
    from yiwang.catalog.search import SearchDoc

    versions = list(in_force())
    names = {v.item.code: v.name for v in versions}
    docs = [SearchDoc(key=f"item:{r['code']}", kind="item", code=r["code"], name=r["name"], text=r["text"],
                      aliases=tuple(dict.fromkeys(a for a in r["aliases"] if a)), boost=1.0)
            for r in map(_item_record, versions)]
    for b in bundles_published():
        text = " ".join([b.summary, b.lead_department_name, *b.keywords, *b.themes,
                         *[names.get(c, "") for c in b.item_codes]])
        docs.append(SearchDoc(key=f"bundle:{b.code}", kind="bundle", code=b.code, name=b.name, text=text,
                              aliases=tuple(dict.fromkeys(a for a in b.aliases if a)), boost=BUNDLE_BOOST))
    return docs


def _search_index() -> Any:
    sig = _signature()
    with _index_lock:
        if _index_cache.get("sig") == sig:
            return _index_cache["index"]
    try:
        from yiwang.catalog.search import SearchIndex
    except ImportError:  # the search engine not installed yet: substring fallback below
        return None
    index = SearchIndex.build(_search_docs())
    with _index_lock:
        _index_cache.update(sig=sig, index=index)
    return index


def _fallback_search(q: str, limit: int) -> list[tuple[str, float]]:
    hits: list[tuple[str, float]] = []
    for b in bundles_published():
        if q in b.name or any(q in a for a in b.aliases + b.keywords):
            hits.append((f"bundle:{b.code}", 2.0))
    for v in in_force().filter(Q(name__icontains=q))[:limit]:
        hits.append((f"item:{v.item.code}", 1.0))
    return hits[:limit]


def search_catalog(q: str, limit: int = 10) -> list[dict[str, Any]]:
    """Items and bundles best first: [{kind, code, name, score, department, summary, url}]."""
    q = (q or "").strip()[:100]
    limit = max(1, min(int(limit or 10), 50))
    if not q:
        return []
    index = _search_index()
    hits = index.search(q, limit) if index is not None else _fallback_search(q, limit)
    item_codes = [k.split(":", 1)[1] for k, _ in hits if k.startswith("item:")]
    bundle_codes = [k.split(":", 1)[1] for k, _ in hits if k.startswith("bundle:")]
    items = {v.item.code: v for v in in_force().filter(item__code__in=item_codes)}
    bundles = {b.code: b for b in Bundle.objects.filter(code__in=bundle_codes, status=Bundle.Status.PUBLISHED)}
    out: list[dict[str, Any]] = []
    for key, score in hits:
        kind, code = key.split(":", 1)
        if kind == "item" and code in items:
            v = items[code]
            out.append({"kind": "item", "code": code, "name": v.name, "score": round(float(score), 4),
                        "department": v.department_short or v.department_name, "item_type": v.item_type_name,
                        "summary": v.summary, "visits": v.visits, "promised_limit_days": v.promised_limit_days,
                        "url": f"/catalog/items/{code}/"})
        elif kind == "bundle" and code in bundles:
            b = bundles[code]
            out.append({"kind": "bundle", "code": code, "name": b.name, "score": round(float(score), 4),
                        "department": b.lead_department_short or b.lead_department_name, "item_type": "一件事",
                        "summary": b.summary, "visits": None, "promised_limit_days": b.combined_limit_days,
                        "url": f"/catalog/bundles/{code}/"})
    return out


# --- portal home -----------------------------------------------------------------------------------

def portal_home_context() -> dict[str, Any]:
    """What the site home shows (rendered by catalog/_home_sections.html)."""
    fig = figures()
    return {
        "catalog_bundles": bundles_published(),
        "catalog_person_themes": PERSON_THEMES,
        "catalog_legal_themes": LEGAL_THEMES,
        "catalog_departments": departments_with_counts(),
        "catalog_figures": fig,
        "catalog_hot_items": list(items_list(source="demo").filter(visits=0)[:8]),
    }
