"""The catalogue pages in English (the set_language cookie) and, by default, in Simplified Chinese.

Page chrome (headings, labels, buttons, table headers, help and empty-state text) follows the visitor's
language; data from the catalogue (item and bundle names, departments, legal bases) is shown as stored.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from yiwang.catalog import importing, selectors, views
from yiwang.catalog.tests.test_pages_and_api import FakeManager, _request
from yiwang.kernel.tests.pages import EN, ZH, check, client_in, page

pytestmark = pytest.mark.django_db



def _page(language: str, url: str, **headers: str) -> str:
    return page(client_in(language), url, **headers)


# (url, Chinese chrome, its English, catalogue data shown as stored in both languages)
PORTAL_PAGES: list[tuple[str, list[str], list[str], list[str]]] = [
    ("/catalog/",
     ["<h1>事项目录</h1>", "按主题、部门、事项类型筛选", "主题：", "含导入的外省事项", "承诺1个工作日", "全程网办</span>",
      'placeholder="搜索事项，例如：生孩子、开公司、退休"', ">搜索</button>"],
     ["<h1>Service catalog</h1>", "Filter by topic, department or item type", "Topic: ",
      "Include items imported from other provinces", "Promised within 1 working day", "Fully online</span>",
      'placeholder="Search services, e.g. having a baby, starting a company, retiring"', ">Search</button>",
      "Administrative licensing"],
     ["出生医学证明首次签发", "出生一件事", "卫健委"]),
    ("/catalog/?audience=legal&theme=设立变更",
     ["<h1>法人办事</h1>", "清除筛选", "事项（"],
     ["<h1>Business services</h1>", "Clear filters", "Service items ("],
     ["有限责任公司设立登记", "设立变更"]),
    ("/catalog/?theme=无此主题",
     ["没有符合条件的事项。"], ["No matching service items."], ["无此主题"]),
    ("/catalog/bundles/",
     ["<h1>高效办成一件事</h1>", "一次告知、一表申请、一套材料、一次提交、限时办结。", "牵头：", "个事项"],
     ["<h1>Get it done in one go: one-stop bundles</h1>", "one set of materials", "Lead: 卫健委",
      "service items</span>"],
     ["出生一件事", "开办企业一件事"]),
    ("/catalog/bundles/YJS0001/",
     ["承诺办结时限", "涉及部门", "第一步：回答几个问题", "本主题包含的事项", "回答上面的问题后可在线办理。", "一套材料（",
      "需自带？", "一张表单（", "必填"],
     ["Promised time limit", "Departments involved", "Step 1: answer a few questions", "Service items in this bundle",
      "Answer the questions above to apply online.", "One set of materials (", "Provide yourself?", "One form (",
      "Required"],
     ["出生一件事", "是否需要办理预防接种证？", "出生医学证明首次签发", "卫健委"]),
    ("/catalog/bundles/YJS0001/?answered=1&vaccine=no&insurance=yes&maternity=no",
     ["需办理以下4个事项", ">在线办理<"],
     ["you need the following 4 service items", ">Apply online<"],
     ["出生一件事", "社会保障卡申领"]),
    ("/catalog/items/QR03001000/",
     ["承诺办结时限", "基本信息", "<h2>申请材料</h2>", "<h2>办理流程</h2>", "<h2>受理条件</h2>", ">在线办理<",
      "到办事现场次数", "免提交", "咨询投诉：12345政务服务便民热线", "办事指南 ·", "材料名称"],
     ["Promised time limit", "Basic information", "<h2>Application materials</h2>", "<h2>Procedure</h2>",
      "<h2>Acceptance conditions</h2>", ">Apply online<", "In-person visits required", "Not required",
      "Enquiries and complaints: 12345", "Service guide ·", "Material name", "Implementing agency"],
     ["出生登记（户口登记）", "《中华人民共和国户口登记条例》第七条", "居民户口簿", "人口库", "QR03001000"]),
    ("/catalog/search/?q=生孩子",
     ["<h1>搜索事项</h1>", 'placeholder="例如：生孩子、开公司、退休、二手房过户"'],
     ["<h1>Search services</h1>", "e.g. having a baby, starting a company", "One-stop bundle</span>"],
     ["出生一件事"]),
    ("/catalog/search/?q=zzzqqq",
     ["没有找到与“zzzqqq”相关的事项。"], ["No service items found for “zzzqqq”."], []),
    ("/catalog/figures/",
     ["<h1>事项目录统计</h1>", "在用事项", "承诺时限较法定时限平均压缩", "各部门事项数", "到现场次数分布"],
     ["<h1>Service catalog statistics</h1>", "Service items in force", "Average reduction of promised vs. statutory",
      "Service items per department", "Distribution of in-person visits", '"0 visits"'],
     ["卫健委"]),
    ("/",
     ["按主题办事", "按部门办事", "高效办成一件事", "全程网办 · 零跑动"],
     ["Services by topic", "Services by department", "One-stop bundles", "Fully online · no visits needed"],
     ["出生一件事", "公安局"]),
]


@pytest.mark.parametrize(("url", "zh", "en", "data"), PORTAL_PAGES, ids=[p[0] for p in PORTAL_PAGES])
def test_portal_page_in_both_languages(demo_catalog: dict, url: str, zh: list[str], en: list[str],
                                       data: list[str]) -> None:
    chinese = _page(ZH, url)
    assert '<html lang="zh-CN">' in chinese
    check(chinese, present=zh + data, absent=en, where=f"zh {url}")
    english = _page(EN, url)
    assert '<html lang="en">' in english
    check(english, present=en + data, absent=zh, where=f"en {url}")


def test_empty_states_in_both_languages(db: None) -> None:
    for url, zh, en in [("/catalog/bundles/", "暂无已发布的一件事。", "No one-stop bundles have been published yet."),
                        ("/catalog/", "没有符合条件的事项。", "No matching service items.")]:
        check(_page(ZH, url), present=[zh], absent=[en], where=f"zh {url}")
        check(_page(EN, url), present=[en], absent=[zh], where=f"en {url}")


def test_choosing_english_through_set_language(demo_catalog: dict) -> None:
    c = Client()
    c.post("/i18n/setlang/", {"language": "en", "next": "/catalog/"})
    html = c.get("/catalog/items/QR03001000/").content.decode()
    assert "Basic information" in html and "基本信息" not in html
    assert "出生登记（户口登记）" in html


def test_chinese_stays_the_default_for_an_english_browser(demo_catalog: dict) -> None:
    html = Client().get("/catalog/bundles/YJS0001/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "第一步：回答几个问题" in html and "Step 1" not in html


def test_htmx_search_fragment_follows_the_language(demo_catalog: dict) -> None:
    english = _page(EN, "/catalog/search/?q=zzzqqq", HTTP_HX_REQUEST="true")
    assert "<html" not in english and "No service items found for “zzzqqq”." in english
    assert "没有找到" not in english
    assert "没有找到与“zzzqqq”相关的事项。" in _page(ZH, "/catalog/search/?q=zzzqqq", HTTP_HX_REQUEST="true")


def test_english_chrome_has_no_chinese_outside_catalogue_data(demo_catalog: dict) -> None:
    """On a bundle's guide every Chinese run left in English comes from the bundle, its items or materials."""
    bundle = selectors.bundle_by_code("YJS0001")
    assert bundle is not None
    guide = selectors.bundle_guide(bundle, None)
    data = " ".join([bundle.name, bundle.summary, bundle.lead_department_name, *guide["departments"],
                     *(str(q) for q in bundle.questions),
                     *(f"{v.name} {v.department_short} {v.department_name}" for v in guide["applicable"]),
                     *(str(m) for m in guide["materials"]), *(str(f) for f in guide["fields"])])
    main = re.search(r"<main.*?</main>", _page(EN, "/catalog/bundles/YJS0001/"), re.S)
    assert main is not None
    leftovers = [run for run in re.findall(r"[\u4e00-\u9fff]+", main.group(0))
                 if run not in data]
    assert leftovers == [], leftovers


# --- back office -----------------------------------------------------------------------------------

@contextmanager
def _language(language: str) -> Any:
    with translation.override(language):
        yield


def _manage(language: str, view: Any, method: str = "GET", data: dict | None = None, **kwargs: Any) -> Any:
    req = _request(method, "/catalog/manage/", FakeManager(), data)
    if language != ZH:
        req.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
    with _language(language):
        response = view(req, **kwargs)
        messages = [str(m) for m in req._messages]
    return response, messages


def _html(language: str, view: Any, method: str = "GET", data: dict | None = None, **kwargs: Any) -> str:
    response, _ = _manage(language, view, method, data, **kwargs)
    assert response.status_code == 200
    return response.content.decode()


def _both(view: Any, *, zh: list[str], en: list[str], data: list[str], method: str = "GET",
          payload: Any = None, **kwargs: Any) -> None:
    for language, present, absent in ((ZH, zh, en), (EN, en, zh)):
        html = _html(language, view, method, payload() if callable(payload) else payload, **kwargs)
        check(html, present=present + data, absent=absent, where=f"{language} {view.__name__}")


def test_manage_index_in_both_languages(demo_catalog: dict) -> None:
    _both(views.manage_view,
          zh=["<h1>事项目录管理</h1>", "新建事项", "导出全部版本", "全部状态", "最新版本", "新建一件事", "全程网办率"],
          en=["<h1>Catalog management</h1>", "New service item", "Export all versions", "All statuses",
              "Latest version", "New one-stop bundle", "% fully online"],
          data=["出生登记（户口登记）", "出生一件事"])


def test_manage_item_forms_in_both_languages(demo_catalog: dict) -> None:
    _both(views.item_new_view,
          zh=["实施主体编码（统一社会信用代码）", "设定依据（每行一条）", "JSON 格式示例", "创建草稿", ">行政许可</option>"],
          en=["Implementing agency code (unified social credit code)", "Legal basis (one per line)",
              "JSON format examples", "Create draft", ">Administrative licensing</option>"],
          data=[])
    _both(views.item_new_view, method="POST", payload={"materials": "{"},
          zh=["不是有效的JSON：第1行第2列"], en=["Not valid JSON: line 1, column 2"], data=[])
    v = selectors.current_version("QR03001000")
    assert v is not None
    _both(views.version_view, version_id=str(v.pk),
          zh=["已发布的版本不可修改。", "基于此版本新建草稿", "查看办事指南"],
          en=["Published versions cannot be changed.", "New draft from this version", "View service guide"],
          data=["出生登记（户口登记）", "《中华人民共和国户口登记条例》第七条"])


def test_manage_messages_in_english(demo_catalog: dict) -> None:
    response, messages = _manage(EN, views.new_version_view, "POST", code="QR03001000")
    assert response.status_code == 302
    assert messages == ["New draft v2 created"]
    draft = selectors.drafts()[0]
    html = _html(EN, views.version_view, version_id=str(draft.pk))
    assert "Delete this draft" in html and "删除此草稿" not in html
    _, messages = _manage(EN, views.discard_view, "POST", version_id=str(draft.pk))
    assert messages == ["Draft deleted"]
    _, messages = _manage(ZH, views.new_version_view, "POST", code="QR03001000")
    assert messages == ["已新建草稿 v2"]


def test_manage_bundle_edit_in_both_languages(demo_catalog: dict) -> None:
    _both(views.bundle_edit_view, code="YJS0001",
          zh=["牵头部门（简称、全称或统一社会信用代码）", "成员事项编码（用、分隔，按办理顺序）", "保存草稿", "已有部门："],
          en=["Lead department (short name, full name or unified social credit code)",
              "Member item codes (separated by 、, in processing order)", "Save draft", "Existing departments: "],
          data=["出生一件事"])


def _csv_with_a_bad_row() -> dict[str, Any]:
    body = importing.write_csv(selectors.export_payloads(scope="current"))
    raw = (body.encode() if isinstance(body, str) else body) + "\nBAD,坏行,,,,,,,,,,,,,\n".encode()
    return {"file": SimpleUploadedFile("items.csv", raw, "text/csv"), "dry_run": "on"}


def test_manage_import_in_both_languages(demo_catalog: dict) -> None:
    _both(views.import_view,
          zh=["<h1>导入事项</h1>", "上传并导入", "仅校验，不写入（试运行）"],
          en=["<h1>Import service items</h1>", "Upload and import", "Validate only, write nothing (dry run)"],
          data=[])
    _both(views.import_view, method="POST", payload=_csv_with_a_bad_row,
          zh=["试运行结果：items.csv", "未写入任何数据。", "拒绝原因", "行号"],
          en=["Dry-run result: items.csv", "Nothing has been written.", "Reason for rejection", ">Row<"],
          data=["坏行"])
    payload = _csv_with_a_bad_row()
    del payload["dry_run"]
    response, messages = _manage(EN, views.import_view, "POST", payload)
    assert response.status_code == 302
    assert messages and messages[0].startswith("Import complete: 0 created, 0 updated,")
    batch = selectors.import_batches(1)[0]
    _both(views.import_batch_view, batch_id=str(batch.pk),
          zh=["导入结果：items.csv", "总行数", "下载拒绝明细（CSV）"],
          en=["Import result: items.csv", "Total rows", "Download rejected rows (CSV)", "Reason for rejection"],
          data=["坏行"])
