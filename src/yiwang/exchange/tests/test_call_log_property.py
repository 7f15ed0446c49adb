"""Property: over random call sequences (grants made, revoked, items asked, keys good or bad),
every successful call has exactly one access-log row, and no log row lacks its call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.exchange import services
from yiwang.exchange.models import AccessLog, Grant
from yiwang.exchange.services import GatewayError

from .conftest import CHEN_ID, ENT_CODE, ZHANG_ID, City

pytestmark = pytest.mark.django_db

RESOURCES = {"A0103001": ["xm", "hyzk", "poxm", "posfzh"], "A0201001": ["qymc", "fddbr", "zs"],
             "A0101009": ["ajlb"], "A0101001": ["xm", "xb", "sfzh"]}
KEYS = [ZHANG_ID, CHEN_ID, ENT_CODE, "not-a-key", "110105198001010033"]

step = st.one_of(
    st.tuples(st.just("grant"), st.sampled_from(["A0103001", "A0201001", "A0101001"]),
              st.sampled_from(["公安局", "医保局"]), st.integers(1, 3)),
    st.tuples(st.just("revoke"), st.integers(0, 5)),
    st.tuples(st.just("call"), st.sampled_from(list(RESOURCES)), st.sampled_from(["公安局", "医保局", "民政局"]),
              st.sampled_from(KEYS), st.lists(st.sampled_from(["xm", "hyzk", "poxm", "qymc", "fddbr", "sfzh"]),
                                              max_size=3), st.booleans()),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=15))
def test_every_call_has_exactly_one_log_row(city: City, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    AccessLog.objects.all().delete()
    Grant.objects.filter(request__isnull=True).update(revoked_at=timezone.now())
    served: list[str] = []
    refused: list[str] = []
    grants: list[Grant] = []
    for s in steps:
        if s[0] == "grant":
            _, code, consumer, n = s
            org = city.orgs[consumer]
            grants.append(services.grant_create(
                resource=city.resources[code], consumer_code=org.code, consumer_name=org.name,
                items=RESOURCES[code][:n], purpose="p", legal_basis="b", valid_until=timezone.now() + timedelta(days=1)))
        elif s[0] == "revoke":
            if grants:
                services.grant_revoke(grant=grants[s[1] % len(grants)], reason="测试")
        else:
            _, code, consumer, key, items, verify = s
            org = city.orgs[consumer]
            kw = {"questions": {i: "x" for i in items}} if verify and items else {"items": items or None}
            try:
                res = services.gateway_call(resource_code=code, key=key, purpose="核验", consumer_code=org.code,
                                            consumer_name=org.name, **kw)
                served.append(res.call_id)
                granted = Grant.objects.filter(resource__code=code, consumer_code=org.code,
                                               revoked_at__isnull=True).values_list("items", flat=True)
                allowed = set().union(*[set(g) for g in granted]) if granted else set()
                assert set(res.data) <= allowed and set(res.answers) <= allowed
            except GatewayError as exc:
                refused.append(exc.call_id)
    logged = list(AccessLog.objects.values_list("call_id", "result"))
    ids = [str(c) for c, _ in logged]
    assert len(ids) == len(set(ids)) == len(served) + len(refused)
    assert set(ids) == set(served) | set(refused)
    ok = {str(c) for c, r in logged if r in ("ok", "not_found")}
    assert ok == set(served)
