"""Search documents for tests and the benchmark: the demo catalogue, real Guangdong items, synthetic 10k.

Pure (no Django). `docs_from_catalogue` is also a reference for turning catalogue records into
`SearchDoc`s (what goes into name, aliases and text).
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from yiwang.catalog.search import SearchDoc, SearchIndex

GD_SAMPLE = Path(__file__).resolve().parent / "tests" / "data" / "gd_service_items_sample.csv"
BUNDLE_BOOST = 1.5

_TEXT_FIELDS = (
    "department", "dept", "dept_name", "type", "item_type", "kind_label", "category", "theme", "topic",
    "conditions", "condition", "accept_conditions", "legal_basis", "basis", "description", "summary",
    "target", "service_object", "audience", "keywords", "tags", "events", "event",
)
_ALIAS_FIELDS = ("aliases", "alias", "short_name", "short_names", "colloquial", "keywords_colloquial")


def _flatten(value: Any) -> list[str]:
    """Strings out of str / list / tuple / dict values (dicts: their name/title/text-like fields)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        out: list[str] = []
        for key in ("name", "title", "text", "description"):
            out.extend(_flatten(value.get(key)))
        return out
    if isinstance(value, Iterable):
        out = []
        for v in value:
            out.extend(_flatten(v))
        return out
    return [str(value)]


def doc_from_record(record: Mapping[str, Any], *, kind: str, names_by_code: Mapping[str, str] | None = None
                    ) -> SearchDoc:
    """One catalogue record (item or bundle dict) as a SearchDoc."""
    code = str(record.get("code") or record.get("id") or record["name"])
    aliases: list[str] = []
    for f in _ALIAS_FIELDS:
        aliases.extend(_flatten(record.get(f)))
    parts: list[str] = []
    for f in _TEXT_FIELDS:
        parts.extend(_flatten(record.get(f)))
    parts.extend(_flatten(record.get("materials")))
    if kind == "bundle":
        members = record.get("items") or record.get("members") or record.get("item_codes") or ()
        for m in _flatten(members):
            parts.append((names_by_code or {}).get(m, m))
    boost = float(record.get("boost") or (BUNDLE_BOOST if kind == "bundle" else 1.0))
    return SearchDoc(
        key=f"{kind}:{code}", kind=kind, code=code, name=str(record["name"]),
        text=" ".join(p for p in parts if p), aliases=tuple(dict.fromkeys(a for a in aliases if a)),
        boost=boost,
    )


def docs_from_catalogue(items: Iterable[Mapping[str, Any]], bundles: Iterable[Mapping[str, Any]]
                        ) -> list[SearchDoc]:
    items = list(items)
    names = {str(i.get("code")): str(i["name"]) for i in items}
    docs = [doc_from_record(i, kind="item") for i in items]
    docs += [doc_from_record(b, kind="bundle", names_by_code=names) for b in bundles]
    return docs


def demo_docs() -> list[SearchDoc]:
    """The demo city's catalogue (`yiwang.demo.catalog_items`), or [] while it does not exist."""
    try:
        from yiwang.demo import catalog_items  # type: ignore[attr-defined]
    except ImportError:
        return []
    return docs_from_catalogue(catalog_items.ITEMS, catalog_items.BUNDLES)


def _gd_rows(path: Path = GD_SAMPLE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _materials(raw: str) -> list[str]:
    raw = raw.strip()
    if raw.startswith("["):
        try:
            return [str(m) for m in json.loads(raw)]
        except ValueError:
            return [raw]
    return [raw] if raw and raw != "无" else []


def _json_words(raw: str) -> list[str]:
    return _materials(raw)


def gd_docs(path: Path = GD_SAMPLE) -> list[SearchDoc]:
    """Real Guangdong service items (see tests/data/README.md) as item SearchDocs, keys "item:gd-<code>"."""
    docs = []
    for r in _gd_rows(path):
        text = " ".join([
            r["DEPT_NAME"], r["TASK_TYPE_TEXT"], *_json_words(r["theme_category"]),
            *_json_words(r["service_object_name"]), *_materials(r["material_intro"]), r["accept_standard"],
        ])
        code = "gd-" + r["TASK_CODE"]
        docs.append(SearchDoc(key=f"item:{code}", kind="item", code=code, name=r["TASK_NAME"], text=text))
    return docs


_VARIANTS = ("新办", "变更", "延续", "注销", "补办", "换发", "核准", "备案", "年检", "查询", "预约", "证明开具")
_SCOPES = ("", "", "", "示范市", "示范市东城区", "示范市西城区", "示范市南湖区", "示范市北岭区", "示范市高新区",
           "示范市临港区")


def synthetic_docs(n: int, *, seed: int = 20260401, base: list[SearchDoc] | None = None) -> list[SearchDoc]:
    """`n` documents: `base` (e.g. the demo catalogue) first, then plausible items recombined from real
    Guangdong names, departments and material phrases (deterministic for a seed)."""
    rng = random.Random(seed)
    rows = _gd_rows()
    docs: list[SearchDoc] = list(base or [])
    docs += gd_docs()
    materials = sorted({m for r in rows for m in _materials(r["material_intro"]) if 2 <= len(m) <= 40})
    depts = sorted({r["DEPT_NAME"] for r in rows})
    conditions = [r["accept_standard"][:80] for r in rows if len(r["accept_standard"]) > 20]
    i = 0
    while len(docs) < n:
        r = rows[rng.randrange(len(rows))]
        name = r["TASK_NAME"]
        scope = rng.choice(_SCOPES)
        roll = rng.random()
        if roll < 0.45:
            name = f"{name}（{rng.choice(_VARIANTS)}）"
        elif roll < 0.6:
            other = rows[rng.randrange(len(rows))]["TASK_NAME"]
            name = f"{name[: max(2, len(name) // 2)]}{other[len(other) // 2 :]}"
        name = scope + name
        mats = rng.sample(materials, k=min(len(materials), rng.randint(1, 5)))
        text = " ".join([rng.choice(depts), r["TASK_TYPE_TEXT"], *mats, rng.choice(conditions)])
        code = f"syn-{i:05d}"
        docs.append(SearchDoc(key=f"item:{code}", kind="item", code=code, name=name, text=text))
        i += 1
    return docs[:n]


@lru_cache(maxsize=1)
def demo_index() -> SearchIndex:
    """The demo catalogue plus the real Guangdong sample as distractors (built once per process)."""
    return SearchIndex.build(demo_docs() + gd_docs())


QUERY_SET = Path(__file__).resolve().parent / "data" / "search_queries.json"


def load_query_set(path: Path = QUERY_SET) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["queries"])


def evaluate(index: SearchIndex, queries: list[dict[str, Any]], k: int = 5) -> dict[str, Any]:
    """Top-1 and top-k accuracy of `index` over a query set ({"q", "expect": [keys]}); misses listed."""
    top1 = topk = 0
    misses: list[dict[str, Any]] = []
    for q in queries:
        got = [key for key, _ in index.search(q["q"], k)]
        hit1 = bool(got) and got[0] in q["expect"]
        hitk = any(key in q["expect"] for key in got)
        top1 += hit1
        topk += hitk
        if not hit1:
            misses.append({"q": q["q"], "expect": q["expect"], "got": got, "in_top_k": hitk})
    n = max(len(queries), 1)
    return {"n": len(queries), "top1": top1 / n, f"top{k}": topk / n, "misses": misses}
