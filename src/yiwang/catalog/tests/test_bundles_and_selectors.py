"""一件事: 情形 decide the member items; one merged form and one merged list of materials; figures."""

from __future__ import annotations

from datetime import date

import pytest

from yiwang.catalog import rules, selectors, services
from yiwang.demo.catalog_items import BUNDLES, ITEMS
from yiwang.kernel.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def test_demo_data_is_complete_and_valid() -> None:
    assert len(ITEMS) >= 60 and len(BUNDLES) >= 6
    names = {b["name"] for b in BUNDLES}
    assert {"出生一件事", "开办企业一件事", "退休一件事", "二手房转移登记一件事", "身后一件事"} <= names
    codes = [i["code"] for i in ITEMS]
    assert len(codes) == len(set(codes))
    for item in ITEMS:
        problems = rules.validate_item({**item, "department_name": item["department"],
                                        "result_type": item["result"]["type"]})
        assert problems == [], (item["code"], problems)
    for b in BUNDLES:
        assert rules.validate_bundle({**b, "item_codes": b["items"], "core_codes": b["core"]}, codes) == []


def test_birth_bundle_situations(demo_catalog: dict) -> None:
    b = selectors.bundle_by_code("YJS0001")
    assert b is not None
    everything = selectors.bundle_guide(b)
    assert len(everything["applicable"]) == 6
    g = selectors.bundle_guide(b, {"vaccine": "no", "insurance": "yes", "maternity": "no"})
    assert g["applicable_codes"] == ["GG06001000", "QR03001000", "GG05001000", "GG04001000"]
    # A field several items need is asked once, and remembers who needs it.
    names = [f["name"] for f in g["fields"]]
    assert len(names) == len(set(names))
    child = next(f for f in g["fields"] if f["name"] == "child_name")
    assert child["needed_by"] == ["GG06001000", "QR03001000"]
    assert g["fields_saved"] > 0
    # The birth certificate (issued by the first item) is listed once, and need not be brought.
    birth = [m for m in g["materials"] if m.get("certificate_type") == "出生医学证明"]
    assert len(birth) == 1 and birth[0]["applicant_brings"] is False
    assert g["combined_limit_days"] == 5


def test_bundle_must_reference_published_items(demo_catalog: dict) -> None:
    with pytest.raises(ValidationFailed):
        services.bundle_save(payload={"code": "YJS9999", "name": "测试一件事", "lead_department_name": "示范市数据局",
                                      "item_codes": ["GG06001000", "NOPE0000"], "core_codes": ["GG06001000"],
                                      "combined_limit_days": 3, "audience": ["自然人"]})


def test_figures(demo_catalog: dict) -> None:
    fig = selectors.figures()
    assert fig["total"] == len(ITEMS)
    online = sum(1 for i in ITEMS if i["visits"] == 0)
    assert fig["online_total"] == online
    assert fig["online_rate"] == round(online / len(ITEMS), 4)
    assert 0 < fig["compression_avg"] < 1
    assert sum(n for _d, n in fig["per_department"]) == len(ITEMS)
    assert fig["bundles"] == len(BUNDLES)


def test_rules_figures_arithmetic() -> None:
    rows = [{"visits": 0, "legal_limit_days": 20, "promised_limit_days": 5, "department": "甲"},
            {"visits": 1, "legal_limit_days": 10, "promised_limit_days": 10, "department": "甲"},
            {"visits": 0, "legal_limit_days": None, "promised_limit_days": 1, "department": "乙"}]
    f = rules.figures(rows)
    assert f["online_rate"] == round(2 / 3, 4)
    assert f["compression_avg"] == 0.375  # (0.75 + 0) / 2; no legal limit → not counted
    assert f["per_department"] == [("甲", 2), ("乙", 1)]


def test_search_puts_bundles_first_for_life_events(demo_catalog: dict) -> None:
    hits = selectors.search_catalog("生孩子", 5)
    assert hits and hits[0]["kind"] == "bundle" and hits[0]["name"] == "出生一件事"
    hits = selectors.search_catalog("营业执照", 5)
    assert any(h["code"] == "XK01001000" for h in hits)


def test_search_index_notices_publishing(demo_catalog: dict) -> None:
    assert not any(h["code"] == "XK01002000" for h in selectors.search_catalog("测绘资质换证", 5))
    payload = {**next(i for i in ITEMS if i["code"] == "XK01002000")}
    v = services.item_new_draft(code="XK01002000")
    services.item_update_draft(version_id=v.pk, changes={"name": "测绘资质换证", "aliases": []})
    services.item_publish(version_id=v.pk, effective_from=date(2026, 2, 1))
    assert payload  # unchanged source data
    assert selectors.search_catalog("测绘资质换证", 5)[0]["code"] == "XK01002000"
