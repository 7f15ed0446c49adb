"""Catalogue journey: a citizen types 开公司, gets the 开办企业一件事 bundle first, opens its guide and
sees the merged materials."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_search_kaigongsi_finds_the_bundle_and_its_guide(demo_server, page, shot):  # type: ignore[no-untyped-def]
    page.goto(demo_server + "/")
    page.fill("input[name=q]", "开公司")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/catalog/search/**")
    first = page.locator(".cat-results .cat-result a.cat-name").first
    assert "开办企业一件事" in first.inner_text()
    assert "/catalog/bundles/" in (first.get_attribute("href") or "")
    shot(page, "search")
    first.click()
    page.wait_for_load_state()
    body = page.content()
    assert "开办企业一件事" in body
    assert "在线办理" in body
    # The merged list of materials: a material needed by several member items appears once.
    assert "一套材料" in body
    assert page.locator("tr", has_text="股东主体资格证明").count() == 1
    shot(page, "bundle-guide")
    api = page.request.get(demo_server + "/api/v1/catalog/search?q=开公司&limit=5").json()
    assert api["results"][0]["kind"] == "bundle"
    assert "开办企业" in api["results"][0]["name"]
