"""The browser test's path on the demo city (the lead drives the same pages with Playwright):
赵强 (卫健委) requests 户籍信息 (有条件) → 刘洋 (公安局, provider) approves → 吴刚 (数据局) approves →
赵强 looks 张伟 up in the gateway console → 张伟 sees the access with its purpose. Also checks that
the demo's figures and 张伟's 谁用了我的数据 page have real content."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.test import Client

from yiwang.exchange.models import AccessLog, Grant, Objection, Resource, ShareRequest
from yiwang.identity.models import User

pytestmark = pytest.mark.django_db

ZHANG_ID = "330106199305121016"
PURPOSE = "签发出生医学证明时核验父亲户籍"


def _as(username: str) -> Client:
    c = Client()
    c.force_login(User.objects.get(username=username))
    return c


def test_demo_city_request_approve_lookup_and_see(db: None) -> None:
    from yiwang.demo.build import build_demo

    build_demo()
    assert Resource.objects.count() >= 15
    assert set(Resource.objects.values_list("share_type", flat=True)) == {"unconditional", "conditional", "none"}
    assert AccessLog.objects.count() > 300
    zhang = _as("13800000001")
    before = zhang.get("/exchange/my-data/").content.decode()
    assert "示范市公安局" in before and "办理出生一件事户口登记时核验父母婚姻状况" in before

    zhao = _as("zhaoqiang")
    console = zhao.get("/exchange/console/").content.decode()
    assert 'value="A0101002"' not in console  # no grant yet
    r = zhao.post("/exchange/resources/A0101002/request/", {
        "items": ["xm", "hjdz", "hh"], "purpose": PURPOSE, "legal_basis": "《中华人民共和国母婴保健法》第二十三条",
        "valid_from": date.today().isoformat(), "valid_until": (date.today() + timedelta(days=365)).isoformat()},
        follow=True)
    number = re.search(r"申请 (GX\w+) 已提交", r.content.decode()).group(1)  # type: ignore[union-attr]
    liu = _as("liuyang")
    assert f'data-request="{number}"' in liu.get("/exchange/workbench/").content.decode()
    liu.post(f"/exchange/requests/{number}/decide/", {"decision": "approve", "comment": "同意"})
    wu = _as("wugang")
    assert f'data-request="{number}"' in wu.get("/exchange/workbench/").content.decode()
    wu.post(f"/exchange/requests/{number}/decide/", {"decision": "approve", "comment": "同意"})
    assert ShareRequest.objects.get(number=number).status == "approved"
    assert Grant.objects.filter(request__number=number).exists()

    html = zhao.post("/exchange/console/", {"resource": "A0101002", "key": ZHANG_ID, "purpose": PURPOSE}).content.decode()
    assert 'id="lookup-result"' in html and 'data-found="true"' in html and 'data-item="xm">张伟' in html
    assert 'data-item="yhzgx"' not in html  # not requested, not granted

    after = zhang.get("/exchange/my-data/").content.decode()
    assert PURPOSE in after and "示范市卫生健康委员会" in after
    assert PURPOSE in zhang.get("/me/data-reads/").content.decode()
    figures = wu.get("/exchange/figures/").content.decode()
    assert 'id="exchange-figures"' in figures and '"calls_per_day": [{"name"' in figures
    # The demo's objections: one left unanswered past its 5 working days, escalated to 数据局; one open.
    assert sorted(Objection.objects.values_list("status", flat=True)) == ["escalated", "open"]
    assert 'data-escalated="true"' in wu.get("/exchange/workbench/?tab=objections").content.decode()
