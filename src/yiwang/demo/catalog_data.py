"""Demo catalogue: the service items and 一件事 bundles of `catalog_items`, created through the catalogue
services and published, effective from 2026-01-01. Departments are resolved here, against identity's
organisations, because the catalogue (identity's sibling in the tiers) does not import identity."""

from __future__ import annotations

from datetime import date
from typing import Any

from yiwang.catalog import services as catalog
from yiwang.demo.catalog_items import BUNDLES, ITEMS
from yiwang.identity import selectors as identity

EFFECTIVE_FROM = date(2026, 1, 1)


def _departments() -> dict[str, tuple[str, str, str]]:
    return {o.short_name: (o.code, o.name, o.short_name) for o in identity.departments()}


def item_payload(item: dict[str, Any], departments: dict[str, tuple[str, str, str]]) -> dict[str, Any]:
    code, name, short = departments[item["department"]]
    payload = {k: v for k, v in item.items() if k != "department"}
    return {**payload, "department_code": code, "department_name": name, "department_short": short,
            "source": "demo"}


def build(seed: int) -> dict[str, int]:
    """Deterministic regardless of the seed: the catalogue is fixed reference data."""
    departments = _departments()
    for item in ITEMS:
        version = catalog.item_create_draft(payload=item_payload(item, departments))
        catalog.item_publish(version_id=version.pk, effective_from=EFFECTIVE_FROM)
    for bundle in BUNDLES:
        code, name, short = departments[bundle["lead_department"]]
        payload = {k: v for k, v in bundle.items() if k != "lead_department"}
        catalog.bundle_save(payload={**payload, "lead_department_code": code, "lead_department_name": name,
                                     "lead_department_short": short})
        catalog.bundle_publish(code=bundle["code"], effective_from=EFFECTIVE_FROM)
    return {"事项": len(ITEMS), "一件事": len(BUNDLES)}
