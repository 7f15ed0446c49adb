"""Catalogue API: list, get and search items and 一件事 bundles. The catalogue is public information
(办事指南 must be published), so every operation here is public and read-only."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router

from yiwang.catalog import schemas, selectors
from yiwang.catalog.schemas import (
    BundleGuideOut,
    BundleOut,
    BundleSummaryOut,
    FiguresOut,
    ItemOut,
    ItemPageOut,
    SearchOut,
    VersionRowOut,
)
from yiwang.kernel.errors import NotFound, ValidationFailed
from yiwang.kernel.permissions import public

router = Router(tags=["事项目录"])


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        value = int(raw.removeprefix("o:"))
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("catalog.bad_cursor", "分页游标无效", "cursor") from None
    if value < 0:
        raise ValidationFailed("catalog.bad_cursor", "分页游标无效", "cursor")
    return value


@router.get("/items", response=ItemPageOut, auth=None)
@public("办事指南依法公开")
def list_items(request: HttpRequest, audience: str = "", department: str = "", theme: str = "",
               item_type: str = "", q: str = "", limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
    """Items in force today, filtered; audience is `person` or `legal`. Cursor pagination."""
    limit = max(1, min(limit, 200))
    offset = _offset(cursor)
    qs = selectors.items_list(audience=audience, department=department, theme=theme, item_type=item_type,
                              q=q[:100])
    count = qs.count()
    rows = list(qs[offset:offset + limit])
    nxt = _cursor(offset + limit) if offset + limit < count else None
    return {"count": count, "next_cursor": nxt, "results": [schemas.item_summary(v) for v in rows]}


@router.get("/items/{code}", response=ItemOut, auth=None)
@public("办事指南依法公开")
def get_item(request: HttpRequest, code: str, on: date | None = None) -> dict[str, Any]:
    """The version in force on `on` (today by default) with every element."""
    v = selectors.current_version(code, on)
    if v is None:
        raise NotFound("catalog.item_not_found", f"未找到现行有效的事项：{code}", "code")
    return schemas.item_full(v)


@router.get("/items/{code}/versions", response=list[VersionRowOut], auth=None)
@public("事项的版本沿革依法公开")
def item_versions(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    rows = [v for v in selectors.item_versions(code) if v.status != v.Status.DRAFT]
    if not rows:
        raise NotFound("catalog.item_not_found", f"未找到事项：{code}", "code")
    return [{"version_id": str(v.pk), "version": v.version, "status": v.status, "effective_from": v.effective_from,
             "effective_to": v.effective_to} for v in rows]


@router.get("/versions/{version_id}", response=ItemOut, auth=None)
@public("已发布的事项版本依法公开；办件据此追溯其受理时的版本")
def get_version(request: HttpRequest, version_id: str) -> dict[str, Any]:
    v = selectors.version_by_id(version_id)
    if v is None or v.status == v.Status.DRAFT:
        raise NotFound("catalog.version_not_found", "未找到该事项版本", "version_id")
    return schemas.item_full(v)


@router.get("/bundles", response=list[BundleSummaryOut], auth=None)
@public("一件事主题依法公开")
def list_bundles(request: HttpRequest, audience: str = "") -> list[dict[str, Any]]:
    return [schemas.bundle_summary(b) for b in selectors.bundles_published(audience=audience)]


@router.get("/bundles/{code}", response=BundleOut, auth=None)
@public("一件事主题依法公开")
def get_bundle(request: HttpRequest, code: str) -> dict[str, Any]:
    b = selectors.bundle_by_code(code)
    if b is None:
        raise NotFound("catalog.bundle_not_found", f"未找到一件事：{code}", "code")
    return schemas.bundle_full(b)


@router.get("/bundles/{code}/guide", response=BundleGuideOut, auth=None)
@public("情形引导只根据申请人的回答计算，不读取任何个人数据")
def bundle_guide(request: HttpRequest, code: str) -> dict[str, Any]:
    """Which member items apply given the 情形 answers (query parameters named by question code), the
    merged form and the merged materials."""
    b = selectors.bundle_by_code(code)
    if b is None:
        raise NotFound("catalog.bundle_not_found", f"未找到一件事：{code}", "code")
    answers = {q["code"]: request.GET[q["code"]] for q in b.questions if request.GET.get(q["code"])}
    g = selectors.bundle_guide(b, answers if answers else None)
    return {"code": b.code, "name": b.name, "answers": g["answers"],
            "applicable": [schemas.item_summary(v) for v in g["applicable"]], "fields": g["fields"],
            "materials": g["materials"], "combined_limit_days": g["combined_limit_days"],
            "legal_limit_days": g["legal_limit_days"], "fields_saved": g["fields_saved"]}


@router.get("/search", response=SearchOut, auth=None)
@public("事项搜索面向所有人")
def search(request: HttpRequest, q: str = "", limit: int = 10) -> dict[str, Any]:
    """Items and 一件事 bundles best first (Chinese, colloquial, pinyin and typo-tolerant)."""
    if len(q) > 100:
        raise ValidationFailed("catalog.query_too_long", "搜索词不能超过100个字符", "q")
    return {"query": q, "results": selectors.search_catalog(q, max(1, min(limit, 50)))}


@router.get("/figures", response=FiguresOut, auth=None)
@public("事项目录统计数据公开")
def figures(request: HttpRequest) -> dict[str, Any]:
    """全程网办率, average compression of promised vs legal time limits, items per department."""
    return selectors.figures()
