"""Benchmarks: `yiwang bench NAME` prints one JSON object {"bench": NAME, "figures": {...}}.

Each benchmark is a module `yiwang.bench.<name>` with `run(options: dict[str, str]) -> dict` returning
the figures. Benchmarks are not part of the unit run; they use a throw-away database of their own
(an SQLite file in a temporary folder, or the PostgreSQL database named by DATABASE_URL).
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any


def parse_options(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key.strip()] = value.strip()
    return out


def run_bench(name: str, *, database: str = "sqlite", options: list[str] | None = None) -> int:
    try:
        module = importlib.import_module(f"yiwang.bench.{name}")
    except ModuleNotFoundError:
        print(json.dumps({"error": {"code": "bench.unknown", "message": f"没有名为 {name} 的基准测试"}},
                         ensure_ascii=False))
        return 2
    figures: dict[str, Any] = module.run(parse_options(options or []))
    print(json.dumps({"bench": name, "database": database, "figures": figures}, ensure_ascii=False))
    sys.stdout.flush()
    return 0
