"""Portal pages, back office and API, end to end through Django's test client."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory

from yiwang.catalog import selectors, views
from yiwang.catalog.models import ItemVersion

pytestmark = pytest.mark.django_db


@dataclass
class FakeManager:
    """Stands in for a signed-in catalogue manager (the identity app is a sibling; no import)."""

    roles: set[str] = field(default_factory=lambda: {"catalog_manager"})
    is_authenticated: bool = True
    pk: int = 1
    id: int = 1
    elderly_mode: bool = False

    def role_names(self) -> set[str]:
        return self.roles


def _request(method: str, path: str, user: Any, data: dict | None = None) -> Any:
    rf = RequestFactory()
    req = rf.post(path, data or {}) if method == "POST" else rf.get(path, data or {})
    req.user = user
    req.session = {}  # type: ignore[assignment]
    req._messages = FallbackStorage(req)  # type: ignore[attr-defined]
    req.elderly_mode = False  # type: ignore[attr-defined]
    return req


def test_portal_pages(demo_catalog: dict) -> None:
    c = Client()
    for url in ["/catalog/", "/catalog/?audience=person", "/catalog/?audience=legal&theme=设立变更",
                "/catalog/?department=公安局", "/catalog/bundles/", "/catalog/figures/",
                "/catalog/search/?q=生孩子", "/catalog/items/GG06001000/", "/catalog/bundles/YJS0001/",
                "/catalog/bundles/YJS0001/?answered=1&vaccine=no&insurance=yes&maternity=no"]:
        r = c.get(url)
        assert r.status_code == 200, url
    guide = c.get("/catalog/items/QR03001000/").content.decode()
    for element in ["出生登记（户口登记）", "《中华人民共和国户口登记条例》第七条", "居民户口簿", "人口库", "免提交",
                    "承诺办结时限", "在线办理", "到办事现场次数", "即办件", "QR03001000"]:
        assert element in guide, element
    bundle = c.get("/catalog/bundles/YJS0001/?answered=1&vaccine=no&insurance=yes&maternity=no").content.decode()
    assert "需办理以下4个事项" in bundle and "/cases/apply/?bundle=YJS0001" in bundle
    assert "出生一件事" in c.get("/catalog/search/?q=生孩子").content.decode()
    assert c.get("/catalog/items/NOPE/").status_code == 404


def test_home_sections_context(demo_catalog: dict) -> None:
    from django.template.loader import render_to_string

    html = render_to_string("catalog/_home_sections.html", selectors.portal_home_context())
    assert "个人办事" in html and "法人办事" in html and "出生一件事" in html and "公安局" in html


def test_manage_requires_role(demo_catalog: dict) -> None:
    assert Client().get("/catalog/manage/").status_code == 302
    r = views.manage_view(_request("GET", "/catalog/manage/", FakeManager(roles={"citizen"})))
    assert r.status_code == 403
    r = views.manage_view(_request("GET", "/catalog/manage/", FakeManager()))
    assert r.status_code == 200


def test_manage_edit_validate_publish(demo_catalog: dict) -> None:
    user = FakeManager()
    r = views.new_version_view(_request("POST", "/x", user), code="GG06001000")
    assert r.status_code == 302
    draft = ItemVersion.objects.get(item__code="GG06001000", status="draft")
    r = views.version_view(_request("GET", "/x", user), version_id=str(draft.pk))
    assert r.status_code == 200 and "校验通过" in r.content.decode()
    r = views.publish_view(_request("POST", "/x", user, {"effective_from": "2026-07-01"}), version_id=str(draft.pk))
    draft.refresh_from_db()
    assert draft.status == "published" and str(draft.effective_from) == "2026-07-01"
    # A published version's form refuses changes.
    r = views.version_view(_request("POST", "/x", user, {"name": "x"}), version_id=str(draft.pk))
    draft.refresh_from_db()
    assert draft.name != "x"


def test_manage_import_upload_and_export(demo_catalog: dict) -> None:
    user = FakeManager()
    r = views.export_view(_request("GET", "/x", user), fmt="csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    req = _request("POST", "/x", user)
    req.FILES["file"] = SimpleUploadedFile("catalog.csv", r.content, content_type="text/csv")
    r2 = views.import_view(req)
    assert r2.status_code == 302  # to the batch report
    r3 = views.export_view(_request("GET", "/x", user), fmt="xlsx")
    assert r3.content[:2] == b"PK"
    _ = io.BytesIO(r3.content)


def test_api(demo_catalog: dict) -> None:
    c = Client()
    r = c.get("/api/v1/catalog/search", {"q": "开公司", "limit": 5})
    assert r.status_code == 200
    results = r.json()["results"]
    assert results[0]["kind"] == "bundle" and results[0]["name"] == "开办企业一件事"
    assert {"kind", "code", "name"} <= set(results[0])
    item = c.get("/api/v1/catalog/items/XK01001000").json()
    assert item["name"] == "有限责任公司设立登记" and item["promised_limit_days"] == 1
    assert item["materials"] and item["form_fields"] and item["fee"] in ("0.00", "0", 0)
    page = c.get("/api/v1/catalog/items", {"audience": "legal", "limit": 10}).json()
    assert page["count"] > 10 and page["next_cursor"]
    page2 = c.get("/api/v1/catalog/items", {"audience": "legal", "limit": 10, "cursor": page["next_cursor"]}).json()
    assert page2["results"][0]["code"] != page["results"][0]["code"]
    assert len(c.get("/api/v1/catalog/bundles").json()) == demo_catalog["bundles"]
    guide = c.get("/api/v1/catalog/bundles/YJS0005/guide", {"pension": "yes", "medical": "no", "property": "no"})
    assert [i["code"] for i in guide.json()["applicable"]] == ["QR03003000", "GF07004000", "GF04006000"]
    assert c.get("/api/v1/catalog/figures").json()["total"] == demo_catalog["items"]
    err = c.get("/api/v1/catalog/items/NOPE")
    assert err.status_code == 404 and err.json()["error"]["code"] == "catalog.item_not_found"
    versions = c.get("/api/v1/catalog/items/XK01001000/versions").json()
    assert c.get(f"/api/v1/catalog/versions/{versions[0]['version_id']}").status_code == 200
    spec = c.get("/api/v1/openapi.json").json()
    assert "/api/v1/catalog/search" in spec["paths"]


def test_anonymous_search_empty_query(demo_catalog: dict) -> None:
    assert Client().get("/api/v1/catalog/search", {"q": ""}).json()["results"] == []
    req = _request("GET", "/catalog/search/", AnonymousUser())
    assert views.search_view(req).status_code == 200


def test_manage_bundle_edit_and_publish(demo_catalog: dict) -> None:
    user = FakeManager()
    assert views.bundle_edit_view(_request("GET", "/x", user), code="YJS0001").status_code == 200
    data = {"code": "YJS0099", "name": "婚育一件事", "lead_department": "民政局", "audience": ["自然人"],
            "item_codes": "QR07001000、GG06001000", "core_codes": "QR07001000", "combined_limit_days": "3",
            "questions": "[]", "rules": "[]"}
    r = views.bundle_edit_view(_request("POST", "/x", user, data))
    assert r.status_code == 302
    assert selectors.bundle_by_code("YJS0099") is None  # a draft is not public yet
    views.bundle_publish_view(_request("POST", "/x", user), code="YJS0099")
    b = selectors.bundle_by_code("YJS0099")
    assert b is not None and b.lead_department_short == "民政局"
    bad = {**data, "code": "YJS0098", "item_codes": "QR07001000"}
    r = views.bundle_edit_view(_request("POST", "/x", user, bad))
    assert r.status_code == 200 and "至少包含2个事项" in r.content.decode()


def test_api_bad_input_is_4xx_not_500(demo_catalog: dict) -> None:
    c = Client()
    assert c.get("/api/v1/catalog/versions/not-a-uuid").status_code == 404
    assert c.get("/api/v1/catalog/items", {"cursor": "%%%"}).status_code == 422
    assert c.get("/api/v1/catalog/items", {"limit": -5}).status_code == 200
    assert c.get("/api/v1/catalog/search", {"q": "x" * 101}).status_code == 422
    assert c.get("/api/v1/catalog/items/XK01001000", {"on": "not-a-date"}).status_code == 422
    assert c.get("/api/v1/catalog/items/XK01001000", {"on": "2025-06-01"}).status_code == 404
