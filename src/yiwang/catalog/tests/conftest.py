"""Fixtures for catalogue tests: the demo catalogue published through the services (departments given
explicitly, as the demo resolves them from identity)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from yiwang.catalog import services
from yiwang.demo.catalog_items import BUNDLES, ITEMS

EFFECTIVE = date(2026, 1, 1)


def dept(short: str) -> dict[str, str]:
    # A stable fake USCC-shaped code per department; validity is not the catalogue's concern here.
    code = f"11990100MB{abs(hash(short)) % 10**7:07d}X"[:18]
    return {"department_code": code, "department_name": f"示范市{short}", "department_short": short}


def item_payload(item: dict[str, Any]) -> dict[str, Any]:
    payload = {k: v for k, v in item.items() if k != "department"}
    return {**payload, **dept(item["department"]), "source": "demo"}


@pytest.fixture
def demo_catalog(db: None) -> dict[str, int]:
    for item in ITEMS:
        v = services.item_create_draft(payload=item_payload(item))
        services.item_publish(version_id=v.pk, effective_from=EFFECTIVE)
    for b in BUNDLES:
        d = dept(b["lead_department"])
        payload = {k: v for k, v in b.items() if k != "lead_department"}
        services.bundle_save(payload={**payload, "lead_department_code": d["department_code"],
                                      "lead_department_name": d["department_name"],
                                      "lead_department_short": d["department_short"]})
        services.bundle_publish(code=b["code"], effective_from=EFFECTIVE)
    return {"items": len(ITEMS), "bundles": len(BUNDLES)}
