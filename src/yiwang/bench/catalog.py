"""`yiwang bench catalog`: catalogue search latency over a 10,000-item catalogue, in process.

Options (key=value): docs (10000), queries (2000), seed (20260401), limit (10).
The catalogue is the demo catalogue plus real Guangdong items plus synthetic items recombined from them
(`yiwang.catalog.search_fixtures`); queries are drawn from the search quality set
(`catalog/data/search_queries.json`) and from fragments of item names, some with a typo.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

from yiwang.catalog.search import SearchIndex
from yiwang.catalog.search_fixtures import demo_docs, synthetic_docs

QUERY_SET = Path(__file__).resolve().parent.parent / "catalog" / "data" / "search_queries.json"
_TYPO_CHARS = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后"


def _query_set() -> list[str]:
    if not QUERY_SET.exists():
        return []
    data = json.loads(QUERY_SET.read_text(encoding="utf-8"))
    return [q["q"] for q in data.get("queries", [])]


def make_queries(names: list[str], n: int, rng: random.Random) -> list[str]:
    base = _query_set()
    out: list[str] = []
    while len(out) < n:
        roll = rng.random()
        if base and roll < 0.4:
            out.append(rng.choice(base))
            continue
        name = rng.choice(names)
        if len(name) < 3:
            out.append(name)
            continue
        size = rng.randint(2, min(10, len(name)))
        start = rng.randrange(0, len(name) - size + 1)
        frag = name[start : start + size]
        if roll > 0.85 and len(frag) >= 3:   # one wrong character
            k = rng.randrange(len(frag))
            frag = frag[:k] + rng.choice(_TYPO_CHARS) + frag[k + 1 :]
        elif roll > 0.8:                     # a long sentence around it
            frag = f"请问我想办理{frag}需要准备什么材料，在哪里办，多久能办好"
        out.append(frag)
    return out


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def run(options: dict[str, str]) -> dict[str, Any]:
    n_docs = int(options.get("docs", "10000"))
    n_queries = int(options.get("queries", "2000"))
    seed = int(options.get("seed", "20260401"))
    limit = int(options.get("limit", "10"))
    rng = random.Random(seed)

    demo = demo_docs()
    docs = synthetic_docs(n_docs, seed=seed, base=demo)
    t0 = time.perf_counter()
    index = SearchIndex.build(docs)
    build_s = time.perf_counter() - t0

    queries = make_queries([d.name for d in docs], n_queries, rng)
    for q in queries[:50]:              # warm caches the way a running server would have them
        index.search(q, limit)
    times: list[float] = []
    empty = 0
    for q in queries:
        t = time.perf_counter()
        hits = index.search(q, limit)
        times.append((time.perf_counter() - t) * 1000)
        empty += not hits
    return {
        "docs": len(docs),
        "demo_docs": len(demo),
        "queries": len(queries),
        "build_s": round(build_s, 3),
        "search_p50_ms": round(_pct(times, 50), 3),
        "search_p95_ms": round(_pct(times, 95), 3),
        "search_p99_ms": round(_pct(times, 99), 3),
        "search_max_ms": round(max(times), 3),
        "search_mean_ms": round(statistics.fmean(times), 3),
        "queries_without_hits": empty,
        **{f"index_{k}": v for k, v in index.stats().items() if k != "docs"},
    }
