"""The path a user walks: the catalogue → a request for a 有条件 resource → the provider's and the
data bureau's approval → a grant → a lookup in the gateway console → the access log → the person sees
it on 谁用了我的数据 and can object. Then the same through the API with scoped credentials."""

from __future__ import annotations

import base64
import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from yiwang.exchange import selectors, services
from yiwang.exchange.models import AccessLog, Objection, ShareRequest
from yiwang.kernel.calendar import add_working_days
from yiwang.kernel.errors import ValidationFailed

from .conftest import ZHANG_ID, City, logged_in

pytestmark = pytest.mark.django_db


def test_catalogue_pages_are_public(city: City) -> None:
    c = Client()
    html = c.get("/exchange/").content.decode()
    assert "婚姻登记信息" in html and 'data-resource="A0103001"' in html
    assert "违法犯罪记录" in c.get("/exchange/?share_type=none").content.decode()
    html = c.get("/exchange/resources/A0103001/").content.decode()
    assert "有条件共享" in html and "敏感个人信息" in html and 'id="share-request-form"' not in html
    assert c.get("/exchange/resources/NOPE/").status_code == 404
    r = c.get("/api/v1/exchange/resources?share_type=none").json()
    assert {x["code"] for x in r} == {"A0101009", "A0104003", "A0202002"}
    assert all(x["share_condition"] for x in r)


def test_conditional_request_approval_lookup_and_my_data(city: City) -> None:
    police = logged_in(city.liuyang.user)
    page = police.get("/exchange/resources/A0103001/").content.decode()
    assert 'id="share-request-form"' in page
    r = police.post("/exchange/resources/A0103001/request/", {
        "items": ["xm", "hyzk", "poxm"], "purpose": "办理出生一件事户口登记时核验父母婚姻状况",
        "legal_basis": "《中华人民共和国户口登记条例》第七条", "valid_from": date.today().isoformat(),
        "valid_until": (date.today() + timedelta(days=365)).isoformat()})
    assert r.status_code == 302
    req = ShareRequest.objects.get()
    assert req.status == ShareRequest.Status.PROVIDER_REVIEW and req.due_on is not None
    # 10 working days on the kernel calendar; any 10 working days span at least 12 calendar days
    # (whatever weekday the test runs on).
    assert req.due_on == add_working_days(timezone.localdate(), 10).due
    assert req.due_on >= timezone.localdate() + timedelta(days=12)
    mine = police.get("/exchange/workbench/?tab=mine").content.decode()
    assert f'data-request="{req.number}"' in mine and "待提供方审核" in mine
    # The consumer cannot approve its own request; the data bureau cannot skip the provider.
    assert police.post(f"/exchange/requests/{req.number}/decide/", {"decision": "approve"}).status_code == 302
    assert ShareRequest.objects.get().status == ShareRequest.Status.PROVIDER_REVIEW
    # The provider (民政局) approves.
    provider = logged_in(city.minzheng.user)
    todo = provider.get("/exchange/workbench/").content.decode()
    assert f'data-request="{req.number}"' in todo and req.due_on.isoformat() in todo
    provider.post(f"/exchange/requests/{req.number}/decide/", {"decision": "approve", "comment": "同意"})
    assert ShareRequest.objects.get().status == ShareRequest.Status.BUREAU_REVIEW
    # The data bureau approves, masking the name.
    bureau = logged_in(city.wugang.user)
    assert f'data-request="{req.number}"' in bureau.get("/exchange/workbench/").content.decode()
    bureau.post(f"/exchange/requests/{req.number}/decide/", {"decision": "approve", "comment": "同意",
                                                            "mask_poxm": "name"})
    req.refresh_from_db()
    assert req.status == ShareRequest.Status.APPROVED and req.grant.masking["poxm"] == "name"
    # The consumer looks 张伟 up in the console.
    console = police.get("/exchange/console/").content.decode()
    assert 'value="A0103001"' in console
    html = police.post("/exchange/console/", {"resource": "A0103001", "key": ZHANG_ID,
                                              "purpose": "办理出生一件事户口登记"}).content.decode()
    assert 'id="lookup-result"' in html and 'data-item="hyzk">已婚' in html and "陈*" in html
    assert 'data-item="posfzh"' not in html
    # 张伟 sees it, with the purpose, and objects.
    zhang = logged_in(city.zhang.user)
    mine = zhang.get("/exchange/my-data/").content.decode()
    assert 'id="my-data-accesses"' in mine and "示范市公安局" in mine and "办理出生一件事户口登记" in mine
    access = AccessLog.objects.get(subject_ref=city.zhang.subject_ref)
    r = zhang.post(f"/exchange/my-data/{access.pk}/objection/", {"reason": "我没有办理户口登记"})
    assert r.status_code == 302 and Objection.objects.get().access == access
    # Nobody else can object to (or see) it.
    chen = logged_in(city.chen.user)
    assert chen.post(f"/exchange/my-data/{access.pk}/objection/", {"reason": "x"}).status_code == 404
    assert "办理出生一件事户口登记" not in chen.get("/exchange/my-data/").content.decode()
    # The bureau answers the objection.
    obj = Objection.objects.get()
    assert f'data-objection="{obj.pk}"' in bureau.get("/exchange/workbench/?tab=objections").content.decode()
    bureau.post(f"/exchange/objections/{obj.pk}/answer/", {"response": "经核实为您女儿的出生一件事办件"})
    assert Objection.objects.get().status == Objection.Status.ANSWERED
    # The figures page counts it all.
    f = bureau.get("/exchange/figures/")
    assert f.status_code == 200 and 'id="calls-chart"' in f.content.decode()
    assert police.get("/exchange/figures/").status_code == 403


def test_unconditional_is_granted_at_once_and_not_shared_is_refused(city: City) -> None:
    police = logged_in(city.liuyang.user)
    until = (date.today() + timedelta(days=30)).isoformat()
    r = police.post("/api/v1/exchange/requests", {"resource": "A0104002", "items": ["xm", "cbzt"], "purpose": "参保核验",
                                                  "legal_basis": "《社会保险法》", "valid_until": until},
                    content_type="application/json")
    assert r.status_code == 201 and r.json()["status"] == "approved"
    r = police.post("/api/v1/exchange/requests", {"resource": "A0202002", "items": ["ynse"], "purpose": "核查",
                                                  "legal_basis": "无", "valid_until": until},
                    content_type="application/json")
    assert r.json()["status"] == "refused" and "税收征收管理法" in r.json()["reason"]
    r = police.post("/api/v1/exchange/requests", {"resource": "A0104002", "items": ["nope"], "purpose": "x",
                                                  "legal_basis": "y", "valid_until": until},
                    content_type="application/json")
    assert r.status_code == 422 and r.json()["error"]["field"] == "items"


def test_provider_rejection_needs_a_reason(city: City) -> None:
    org = city.orgs["公安局"]
    req = services.request_submit(resource=city.resources["A0103001"], consumer_code=org.code, consumer_name=org.name,
                                  items=["xm"], purpose="p", legal_basis="b", valid_from=date.today(),
                                  valid_until=date.today() + timedelta(days=5))
    provider = logged_in(city.minzheng.user)
    r = provider.post(f"/api/v1/exchange/requests/{req.number}/decision", {"approve": False, "comment": ""},
                      content_type="application/json")
    assert r.status_code == 422
    r = provider.post(f"/api/v1/exchange/requests/{req.number}/decision", {"approve": False, "comment": "用途不符"},
                      content_type="application/json")
    assert r.json()["status"] == "rejected"
    assert not hasattr(ShareRequest.objects.get(), "grant") or ShareRequest.objects.get().grant is None


def test_scoped_credentials_call_the_api(city: City) -> None:
    org = city.orgs["公安局"]
    req = services.request_submit(resource=city.resources["A0104002"], consumer_code=org.code, consumer_name=org.name,
                                  items=["xm", "cbzt"], purpose="参保核验", legal_basis="b", valid_from=date.today(),
                                  valid_until=date.today() + timedelta(days=5))
    police = logged_in(city.liuyang.user)
    html = police.post(f"/exchange/grants/{req.grant.pk}/credentials/").content.decode()
    client_id = re.search(r'id="client-id">([^<]+)<', html).group(1)  # type: ignore[union-attr]
    secret = re.search(r'id="client-secret">([^<]+)<', html).group(1)  # type: ignore[union-attr]
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    tok = Client().post("/o/token/", {"grant_type": "client_credentials", "scope": "exchange:lookup"},
                        HTTP_AUTHORIZATION=f"Basic {basic}")
    assert tok.status_code == 200, tok.content
    api = Client(HTTP_AUTHORIZATION=f"Bearer {tok.json()['access_token']}")
    r = api.post("/api/v1/exchange/lookup", {"resource": "A0104002", "key": ZHANG_ID, "purpose": "参保核验"},
                 content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["data"] == {"xm": "张伟", "cbzt": "正常参保"}
    r = api.post("/api/v1/exchange/lookup", {"resource": "A0103001", "key": ZHANG_ID, "purpose": "身份核验"},
                 content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "exchange.no_grant"
    r = api.post("/api/v1/exchange/verify", {"resource": "A0104002", "key": ZHANG_ID, "purpose": "核验",
                                             "questions": {"xm": "张伟"}}, content_type="application/json")
    assert r.json()["answers"] == {"xm": True}
    assert Client().post("/api/v1/exchange/lookup", {}, content_type="application/json").status_code == 401
    zhang = logged_in(city.zhang.user)
    rows = zhang.get("/api/v1/exchange/my-data").json()
    assert len(rows) == 2 and rows[0]["consumer"] == "示范市公安局" and rows[0]["purpose"] == "核验"


def test_prefill_for_birth_bundle_names_its_sources(city: City) -> None:
    for code in ("A0101001", "A0101002", "A0103001", "A0104002"):
        res = city.resources[code]
        services.grant_create(resource=res, consumer_code=services.PREFILL_CONSUMER_CODE,
                              consumer_name=services.PREFILL_CONSUMER_NAME,
                              items=list(res.items.values_list("code", flat=True)), purpose="预填", legal_basis="依申请",
                              valid_until=timezone.now() + timedelta(days=5))
    out = services.prefill_for(city.zhang, ["name", "household_address", "marital_status", "spouse_name",
                                            "medical_insurance_status", "social_insurance_status"],
                               legal_basis="出生一件事", purpose="出生一件事：预填父亲信息")
    assert out["name"] == {"value": "张伟", "source_resource": "人口基本信息", "source_department": "示范市公安局"}
    assert out["household_address"]["value"].startswith("示范市中心区")
    assert out["spouse_name"] == {"value": "陈静", "source_resource": "婚姻登记信息", "source_department": "示范市民政局"}
    assert out["medical_insurance_status"]["source_department"] == "示范市医疗保障局"
    assert "social_insurance_status" not in out  # no grant for 社保参保: left for the applicant to type
    logs = AccessLog.objects.filter(subject_ref=city.zhang.subject_ref, mode="prefill")
    assert logs.filter(result="ok").count() == 4
    assert logs.filter(result="refused").count() == 1
    with pytest.raises(ValidationFailed):
        services.prefill_for(city.zhang, ["name"], legal_basis="", purpose="x")
    ent = services.prefill_for(city.enterprise, ["enterprise_name"], legal_basis="b", purpose="p")
    assert ent == {}  # no grant for 企业登记信息


def test_catalogue_revisions_are_versioned(city: City) -> None:
    r = city.resources["A0104002"]
    assert r.version == 1 and r.versions.count() == 1
    items = [{"code": i.code, "name": i.name, "data_type": i.data_type, "grade": i.grade, "personal": i.personal,
              "default_mask": i.default_mask} for i in r.items.all()]
    again = services.resource_save(code=r.code, name=r.name, provider_code=r.provider_code,
                                   provider_name=r.provider_name, share_type="unconditional", items=items,
                                   published_on=r.published_on, share_condition="", summary=r.summary,
                                   classification=r.classification, update_cycle=r.update_cycle, key_type=r.key_type,
                                   adapter=r.adapter, adapter_config=r.adapter_config, category=r.category,
                                   format=r.format, share_method=r.share_method, open_type=r.open_type)
    assert again.version == 1  # nothing changed
    changed = services.resource_save(code=r.code, name=r.name, provider_code=r.provider_code,
                                     provider_name=r.provider_name, share_type="conditional", items=items,
                                     share_condition="仅用于参保核验", note="改为有条件共享")
    assert changed.version == 2 and changed.versions.count() == 2
    assert changed.versions.first().snapshot["share_type"] == "conditional"
    with pytest.raises(ValidationFailed):
        services.resource_save(code="X1", name="x", provider_code="p", provider_name="p", share_type="none",
                               items=items)  # 不予共享 without its basis


def test_figures_and_daily_digest(city: City) -> None:
    from .conftest import grant_for

    grant_for(city, "A0103001", ["xm"])
    org = city.orgs["公安局"]
    services.gateway_call(resource_code="A0103001", key=ZHANG_ID, purpose="p", consumer_code=org.code)
    f = selectors.figures()
    assert f["calls_total"] == 1 and f["resources_by_share_type"]["不予共享"] == 3
    assert f["calls_per_day"][0]["data"][-1] == 1
    d = services.digest_publish(timezone.localdate())
    assert d.calls == 1 and len(d.digest) == 64
    assert d.ledger_ref.startswith("audit:") and len(d.summary["ledger_salt"]) > 0
    assert services.digest_publish(timezone.localdate()).pk == d.pk
    assert services.digest_compute(timezone.localdate())["digest"] == d.digest


def test_file_import_reads_csv_and_excel() -> None:
    import io

    from openpyxl import Workbook

    from yiwang.exchange.providers import read_rows

    assert read_rows("a.csv", "\ufeff身份证号,姓名\n1,张伟\n".encode()) == [{"身份证号": "1", "姓名": "张伟"}]
    assert read_rows("a.csv", "身份证号,姓名\n1,张伟\n".encode("gb18030"))[0]["姓名"] == "张伟"
    wb = Workbook()
    wb.active.append(["身份证号", "姓名"])
    wb.active.append(["2", "陈静"])
    buf = io.BytesIO()
    wb.save(buf)
    assert read_rows("a.xlsx", buf.getvalue()) == [{"身份证号": "2", "姓名": "陈静"}]
