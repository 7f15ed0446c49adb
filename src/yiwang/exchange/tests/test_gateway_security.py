"""Security of the gateway: no grant → refused; items outside the grant never served; expired or
revoked grants refused; masking per grant; 不予共享 refused; every call logged and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from yiwang.exchange import services
from yiwang.exchange.models import AccessLog, Grant
from yiwang.exchange.services import GatewayError
from yiwang.identity import selectors as identity_selectors

from .conftest import CHEN_ID, ENT_CODE, ZHANG_ID, City, grant_for

pytestmark = pytest.mark.django_db


def _call(city: City, code: str, key: str = ZHANG_ID, consumer: str = "公安局", **kw):  # type: ignore[no-untyped-def]
    org = city.orgs[consumer]
    return services.gateway_call(resource_code=code, key=key, purpose="办理户口登记", consumer_code=org.code,
                                 consumer_name=org.name, **kw)


def test_no_grant_is_refused_and_logged(city: City) -> None:
    with pytest.raises(GatewayError) as exc:
        _call(city, "A0103001")
    assert exc.value.code == "exchange.no_grant" and exc.value.status == 403
    row = AccessLog.objects.get(call_id=exc.value.call_id)
    assert row.result == AccessLog.Result.REFUSED and row.consumer_code == city.orgs["公安局"].code


def test_grant_for_a_and_b_never_yields_c(city: City) -> None:
    grant_for(city, "A0103001", ["xm", "hyzk"])
    res = _call(city, "A0103001")
    assert set(res.data) == {"xm", "hyzk"} and res.data["hyzk"] == "已婚"
    assert "poxm" not in res.data and "posfzh" not in res.data
    with pytest.raises(GatewayError) as exc:
        _call(city, "A0103001", items=["xm", "poxm"])
    assert exc.value.code == "exchange.item_not_granted"
    with pytest.raises(GatewayError):
        _call(city, "A0103001", questions={"posfzh": CHEN_ID})  # 核验 of an ungranted item is refused too


def test_another_department_cannot_use_the_grant(city: City) -> None:
    grant_for(city, "A0103001", ["xm", "hyzk"])
    with pytest.raises(GatewayError) as exc:
        _call(city, "A0103001", consumer="医保局")
    assert exc.value.code == "exchange.no_grant"


def test_expired_and_revoked_grants_are_refused(city: City) -> None:
    g = grant_for(city, "A0103001", ["xm", "hyzk"])
    assert _call(city, "A0103001").found
    Grant.objects.filter(pk=g.pk).update(valid_until=timezone.now() - timedelta(seconds=1))
    with pytest.raises(GatewayError) as exc:
        _call(city, "A0103001")
    assert exc.value.code == "exchange.no_grant"
    g2 = grant_for(city, "A0103001", ["xm", "hyzk"])
    assert _call(city, "A0103001").found
    services.grant_revoke(grant=g2, reason="用途已完成")
    with pytest.raises(GatewayError) as exc:
        _call(city, "A0103001")
    assert exc.value.code == "exchange.no_grant"


def test_grant_not_yet_valid_is_refused(city: City) -> None:
    org = city.orgs["公安局"]
    services.grant_create(resource=city.resources["A0103001"], consumer_code=org.code, consumer_name=org.name,
                          items=["xm"], purpose="p", legal_basis="b", valid_from=timezone.now() + timedelta(days=1),
                          valid_until=timezone.now() + timedelta(days=5))
    with pytest.raises(GatewayError):
        _call(city, "A0103001")


def test_masking_is_applied_per_grant(city: City) -> None:
    grant_for(city, "A0103001", ["xm", "poxm", "posfzh"], masking={"xm": "name"})
    res = _call(city, "A0103001")
    assert res.data["xm"] == "张*"                      # the approver chose to mask the name
    assert res.data["poxm"] == "陈静"                   # default: not masked
    assert res.data["posfzh"] == CHEN_ID[:6] + "********" + CHEN_ID[-4:]  # default for 身份证号
    assert set(res.masked_items) == {"xm", "posfzh"}
    grant_for(city, "A0103001", ["xm", "poxm", "posfzh"], consumer="医保局", masking={"posfzh": "none"})
    assert _call(city, "A0103001", consumer="医保局").data["posfzh"] == CHEN_ID


def test_verification_answers_yes_or_no_only(city: City) -> None:
    grant_for(city, "A0103001", ["hyzk", "poxm"])
    res = _call(city, "A0103001", questions={"hyzk": "已婚", "poxm": "李娜"})
    assert res.answers == {"hyzk": True, "poxm": False} and res.data == {}
    assert AccessLog.objects.get(call_id=res.call_id).mode == AccessLog.Mode.VERIFY


def test_not_shared_resource_is_refused_even_with_a_forged_grant(city: City) -> None:
    res = city.resources["A0101009"]
    org = city.orgs["民政局"]
    Grant.objects.create(resource=res, consumer_code=org.code, consumer_name=org.name, items=["ajlb"],
                         masking={"ajlb": "none"}, purpose="x", legal_basis="y", valid_from=timezone.now(),
                         valid_until=timezone.now() + timedelta(days=1))
    with pytest.raises(GatewayError) as exc:
        _call(city, "A0101009", consumer="民政局")
    assert exc.value.code == "exchange.not_shared"


def test_bad_key_and_missing_purpose_are_clear_errors(city: City) -> None:
    grant_for(city, "A0103001", ["xm"])
    with pytest.raises(GatewayError) as exc:
        _call(city, "A0103001", key="123")
    assert exc.value.code == "exchange.invalid_key" and exc.value.status == 422
    org = city.orgs["公安局"]
    with pytest.raises(GatewayError) as exc:
        services.gateway_call(resource_code="A0103001", key=ZHANG_ID, purpose=" ", consumer_code=org.code)
    assert exc.value.field == "purpose"


def test_rate_limit_and_daily_quota(city: City) -> None:
    g = grant_for(city, "A0201001", ["qymc"])
    Grant.objects.filter(pk=g.pk).update(rate_per_minute=2)
    _call(city, "A0201001", key=ENT_CODE)
    _call(city, "A0201001", key=ENT_CODE)
    with pytest.raises(GatewayError) as exc:
        _call(city, "A0201001", key=ENT_CODE)
    assert exc.value.code == "exchange.rate_limited" and exc.value.status == 429
    Grant.objects.filter(pk=g.pk).update(rate_per_minute=100, daily_quota=3)
    _call(city, "A0201001", key=ENT_CODE)
    with pytest.raises(GatewayError) as exc:
        _call(city, "A0201001", key=ENT_CODE)
    assert exc.value.code == "exchange.quota_exceeded"


def test_lookup_is_logged_and_shown_on_the_identity_reads_page(city: City) -> None:
    grant_for(city, "A0103001", ["xm", "hyzk"])
    res = _call(city, "A0103001")
    log = AccessLog.objects.get(call_id=res.call_id)
    assert log.subject_ref == city.zhang.subject_ref and log.items == ["xm", "hyzk"]
    assert log.purpose == "办理户口登记" and log.legal_basis == "测试依据" and log.result == "ok"
    assert log.key_masked == ZHANG_ID[:6] + "********" + ZHANG_ID[-4:]
    reads = identity_selectors.personal_data_reads(city.zhang)
    assert reads[0].action == "exchange.lookup_read" and reads[0].detail["purpose"] == "办理户口登记"
    assert reads[0].detail["fields"] == ["xm", "hyzk"]


def test_enterprise_lookup_by_credit_code(city: City) -> None:
    grant_for(city, "A0201001", ["qymc", "fddbr"])
    res = _call(city, "A0201001", key=ENT_CODE.lower())
    assert res.data == {"qymc": "示范市青禾餐饮有限公司", "fddbr": "张伟"}
    assert AccessLog.objects.get(call_id=res.call_id).subject_ref == city.enterprise.subject_ref


def test_unknown_subject_is_not_found_and_logged(city: City) -> None:
    from datetime import date

    from yiwang.kernel.validators import make_id_number

    grant_for(city, "A0103001", ["xm"])
    res = _call(city, "A0103001", key=make_id_number("110105", date(1980, 1, 1), 33))
    assert not res.found and res.data == {}
    assert AccessLog.objects.get(call_id=res.call_id).result == AccessLog.Result.NOT_FOUND
