"""Smoke test of `yiwang bench catalog` on a small catalogue (the real run uses 10,000 items)."""

from __future__ import annotations

from yiwang.bench import catalog as bench
from yiwang.catalog.search_fixtures import demo_docs, synthetic_docs


def test_synthetic_catalogue_is_deterministic_and_sized() -> None:
    a = synthetic_docs(1200, seed=3, base=demo_docs())
    b = synthetic_docs(1200, seed=3, base=demo_docs())
    assert len(a) == 1200 and a == b
    assert len({d.key for d in a}) == 1200
    assert a[0].key.startswith(("item:", "bundle:"))


def test_bench_reports_latency_figures() -> None:
    figures = bench.run({"docs": "1200", "queries": "200"})
    assert figures["docs"] == 1200 and figures["queries"] == 200
    for name in ("build_s", "search_p50_ms", "search_p95_ms"):
        assert figures[name] > 0
    assert figures["search_p50_ms"] <= figures["search_p95_ms"]
    assert figures["search_p95_ms"] < 100
