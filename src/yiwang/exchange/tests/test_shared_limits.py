"""The per-minute rate and the daily quota are counted in the database (one GrantUsage row per grant
per day, counted by a conditional UPDATE in the transaction that writes the log row), so calls made
by different processes count together; the in-process grant cache never outlives a revocation or an
edit, because the same UPDATE re-checks the grant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiwang.exchange import services
from yiwang.exchange.models import AccessLog, Grant, GrantUsage
from yiwang.exchange.services import GatewayError

from .conftest import ENT_CODE, ZHANG_ID, City, grant_for

pytestmark = pytest.mark.django_db


def _call(city: City, code: str = "A0201001", key: str = ENT_CODE, consumer: str = "公安局", **kw):  # type: ignore[no-untyped-def]
    org = city.orgs[consumer]
    return services.gateway_call(resource_code=code, key=key, purpose="企业信息核查", consumer_code=org.code,
                                 consumer_name=org.name, **kw)


def _other_process() -> None:
    """What a second worker process would have: none of this process's in-memory state."""
    services.forget_grants()
    services.forget_resources()


def test_rate_is_counted_in_the_database_across_processes(city: City) -> None:
    g = grant_for(city, "A0201001", ["qymc"])
    Grant.objects.filter(pk=g.pk).update(rate_per_minute=3)
    now = (timezone.now() + timedelta(minutes=1)).replace(second=5, microsecond=0)
    local = timezone.localtime(now)
    if (local + timedelta(minutes=2)).date() != local.date():  # the day (Asia/Shanghai) would end mid-test
        now += timedelta(minutes=3)
    _call(city, now=now)
    _other_process()
    _call(city, now=now + timedelta(seconds=10))
    usage = GrantUsage.objects.get(grant=g)
    assert (usage.calls, usage.minute_calls, usage.minute) == (2, 2, int(now.timestamp() // 60))
    _other_process()
    _call(city, now=now + timedelta(seconds=20))
    _other_process()
    with pytest.raises(GatewayError) as exc:
        _call(city, now=now + timedelta(seconds=30))
    assert exc.value.code == "exchange.rate_limited" and exc.value.status == 429
    refused = AccessLog.objects.get(call_id=exc.value.call_id)
    assert refused.result == AccessLog.Result.REFUSED and refused.error_code == "exchange.rate_limited"
    # The refusal is not counted; the next minute is a new window; the day's count goes on.
    assert services.usage_now(g, now=now + timedelta(seconds=30)) == {"calls_today": 3, "calls_this_minute": 3}
    _call(city, now=now + timedelta(seconds=60))
    assert services.usage_now(g, now=now + timedelta(seconds=61)) == {"calls_today": 4, "calls_this_minute": 1}


def test_counts_match_the_log_rows(city: City) -> None:
    g = grant_for(city, "A0201001", ["qymc"])
    for n in range(5):
        if n % 2:
            _other_process()
        _call(city)
    with pytest.raises(GatewayError):
        _call(city, items=["zczb"])  # not granted: refused before counting
    served = AccessLog.objects.filter(grant=g, result__in=[AccessLog.Result.OK, AccessLog.Result.NOT_FOUND]).count()
    assert served == 5 == GrantUsage.objects.get(grant=g).calls


def test_quota_and_rate_refusals_are_told_apart(city: City) -> None:
    g = grant_for(city, "A0201001", ["qymc"])
    Grant.objects.filter(pk=g.pk).update(rate_per_minute=100, daily_quota=2)
    _call(city)
    _call(city)
    with pytest.raises(GatewayError) as exc:
        _call(city)
    assert exc.value.code == "exchange.quota_exceeded"
    # A zero limit refuses the first call of the day (the usage row is created for it).
    g2 = grant_for(city, "A0103001", ["xm"], consumer="医保局")
    Grant.objects.filter(pk=g2.pk).update(rate_per_minute=0)
    with pytest.raises(GatewayError) as exc:
        _call(city, "A0103001", key=ZHANG_ID, consumer="医保局")
    assert exc.value.code == "exchange.rate_limited"
    assert GrantUsage.objects.get(grant=g2).calls == 0


def test_a_new_day_starts_a_new_count(city: City) -> None:
    g = grant_for(city, "A0201001", ["qymc"])
    Grant.objects.filter(pk=g.pk).update(daily_quota=1)
    now = timezone.now()
    _call(city, now=now)
    with pytest.raises(GatewayError):
        _call(city, now=now)
    _call(city, now=now + timedelta(days=1))
    assert sorted(GrantUsage.objects.filter(grant=g).values_list("calls", flat=True)) == [1, 1]


# --- the grant cache (only used outside transactions: these tests commit) ---------------------------


@pytest.mark.django_db(transaction=True)
def test_cached_grant_saves_a_query_and_a_revocation_counts_at_once(city: City) -> None:
    g = grant_for(city, "A0201001", ["qymc", "fddbr"])
    _call(city)  # reads the grant and caches it
    with CaptureQueriesContext(connection) as cached:
        _call(city)
    services.forget_grants()
    with CaptureQueriesContext(connection) as fresh:
        _call(city)
    assert len(cached.captured_queries) == len(fresh.captured_queries) - 1
    # Another process revokes it (this process's cache is not told): refused at once, nothing disclosed.
    Grant.objects.filter(pk=g.pk).update(revoked_at=timezone.now(), revoked_reason="测试")
    with pytest.raises(GatewayError) as exc:
        _call(city)
    assert exc.value.code == "exchange.no_grant"
    row = AccessLog.objects.get(call_id=exc.value.call_id)
    assert row.result == AccessLog.Result.REFUSED
    assert GrantUsage.objects.get(grant=g).calls == 3


@pytest.mark.django_db(transaction=True)
def test_an_edited_grant_is_served_as_it_now_is(city: City) -> None:
    g = grant_for(city, "A0201001", ["qymc", "fddbr"])
    assert _call(city).data["fddbr"] == "张伟"
    # Another process (the admin) tightens the masking; the cached copy must not be used.
    Grant.objects.filter(pk=g.pk).update(masking={"qymc": "none", "fddbr": "name"})
    assert _call(city).data["fddbr"] == "张*"
    # A newer grant with more items, while the older one is cached: served from a fresh read.
    grant_for(city, "A0201001", ["qymc", "fddbr", "zs"], days=60)
    res = _call(city, items=["zs"])
    assert res.data["zs"] == "示范市中心区人民路88号"
    assert AccessLog.objects.filter(result=AccessLog.Result.OK).count() == 3


@pytest.mark.django_db(transaction=True)
def test_log_row_and_count_commit_together(city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    g = grant_for(city, "A0201001", ["qymc"])
    _call(city)

    def broken(**kw):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_append", broken)
    with pytest.raises(RuntimeError):
        _call(city)
    # The failed call left neither a count nor a log row behind.
    assert GrantUsage.objects.get(grant=g).calls == 1
    assert AccessLog.objects.filter(grant=g).count() == 1
