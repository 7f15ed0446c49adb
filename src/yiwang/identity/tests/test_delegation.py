"""帮办代办 and enterprise mandates through the pages and the API; acting for someone records both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from yiwang.identity import services
from yiwang.identity.middleware import ActorMiddleware
from yiwang.identity.models import Delegation, EnterpriseMandate, User
from yiwang.kernel.audit import audit_record
from yiwang.kernel.models import AuditEntry
from yiwang.kernel.validators import make_credit_code

from .conftest import PASSWORD, City, logged_in

pytestmark = pytest.mark.django_db


def _u(obj: object) -> User:
    user = obj.user  # type: ignore[attr-defined]
    assert user is not None
    return user  # type: ignore[no-any-return]


def _grant_via_page(city: City) -> Delegation:
    c = logged_in(_u(city.grandma))
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    r = c.post("/me/delegations/", {"action": "grant", "agent_phone": "13800000004", "scopes": ["cases:apply"],
                                    "valid_until": until, "reason": "帮奶奶办理退休一件事"})
    assert r.status_code == 302, r.content.decode()[:500]
    return Delegation.objects.get()


def test_grant_by_phone_act_for_and_every_action_records_both(city: City) -> None:
    d = _grant_via_page(city)
    assert d.agent == _u(city.grandson) and d.scopes == ["cases:apply"]
    grandson = logged_in(_u(city.grandson))
    page = grandson.get("/me/delegations/").content.decode()
    assert "王秀英" in page and f'value="person:{city.grandma.pk}"' in page

    r = grandson.post("/me/acting-for/", {"acting_for": f"person:{city.grandma.pk}"})
    assert r.status_code == 302 and grandson.session["acting_for"] == city.grandma.subject_ref
    started = AuditEntry.objects.get(action="delegation.acting_started")
    assert started.actor_id == _u(city.grandson).pk and started.on_behalf_of == city.grandma.subject_ref

    # Any audited action in a request of the acting session carries both the agent and the principal.
    request = RequestFactory().get("/")
    request.user = _u(city.grandson)
    request.session = SessionStore(session_key=grandson.session.session_key)

    def action(req: HttpRequest) -> HttpResponse:
        audit_record(action="case.submitted", object_type="case", object_id="X1")
        return HttpResponse()

    ActorMiddleware(action)(request)
    entry = AuditEntry.objects.get(action="case.submitted")
    assert entry.actor_id == _u(city.grandson).pk and entry.on_behalf_of == city.grandma.subject_ref

    # The principal revokes: acting stops at the next request.
    grandma = logged_in(_u(city.grandma))
    assert grandma.post("/me/delegations/", {"action": "revoke", "delegation": str(d.pk)}).status_code == 302
    d.refresh_from_db()
    assert d.revoked_at is not None
    ActorMiddleware(action)(request)
    assert AuditEntry.objects.filter(action="case.submitted").order_by("-id")[0].on_behalf_of == ""
    assert grandson.post("/me/acting-for/", {"acting_for": f"person:{city.grandma.pk}"}).status_code == 403


def test_cannot_act_for_someone_without_a_delegation(city: City) -> None:
    c = logged_in(_u(city.grandson))
    r = c.post("/me/acting-for/", {"acting_for": f"person:{city.zhang.pk}"})
    assert r.status_code == 403 and c.session.get("acting_for", "") == ""
    assert c.post("/me/acting-for/", {"acting_for": "person:not-a-uuid"}).status_code == 422
    # Forged session value is ignored by the middleware.
    s = c.session
    s["acting_for"] = f"person:{city.zhang.pk}"
    s.save()
    c.get("/me/")
    assert c.session["acting_for"] == ""


def test_only_the_principal_revokes(city: City) -> None:
    d = _grant_via_page(city)
    r = logged_in(_u(city.grandson)).post("/me/delegations/", {"action": "revoke", "delegation": str(d.pk)})
    assert r.status_code == 403


def test_grant_page_validation(city: City) -> None:
    c = logged_in(_u(city.grandma))
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    r = c.post("/me/delegations/", {"action": "grant", "agent_phone": "123", "scopes": ["cases:apply"],
                                    "valid_until": until})
    assert r.status_code == 422 and "手机号" in r.content.decode()
    r = c.post("/me/delegations/", {"action": "grant", "agent_phone": "13900000009", "scopes": ["cases:apply"],
                                    "valid_until": until})
    assert r.status_code == 422 and "没有注册" in r.content.decode()
    r = c.post("/me/delegations/", {"action": "grant", "agent_phone": "13800000004", "scopes": ["root"],
                                    "valid_until": until})
    assert r.status_code == 422 and "授权范围" in r.content.decode()
    r = c.post("/me/delegations/", {"action": "grant", "agent_phone": "13800000002", "scopes": ["cases:apply"],
                                    "valid_until": until})
    assert r.status_code == 422 and "不能授权给自己" in r.content.decode()
    assert not Delegation.objects.exists()


def test_delegation_api(city: City) -> None:
    grandma = logged_in(_u(city.grandma))
    until = (timezone.now() + timedelta(days=10)).isoformat()
    r = grandma.post("/api/v1/identity/delegations", {"agent_phone": "13800000004", "scopes": ["cases:view"],
                                                      "valid_until": until}, content_type="application/json")
    assert r.status_code == 201, r.content
    did = r.json()["id"]
    got = logged_in(_u(city.grandson)).get("/api/v1/identity/delegations").json()
    assert got["received"][0]["principal"] == "王秀英" and got["received"][0]["active"]
    r = logged_in(_u(city.grandson)).post("/api/v1/identity/acting-for",
                                          {"acting_for": f"person:{city.grandma.pk}"},
                                          content_type="application/json")
    assert r.status_code == 200 and r.json()["acting_for"] == city.grandma.subject_ref
    r = grandma.post(f"/api/v1/identity/delegations/{did}/revoke")
    assert r.status_code == 200 and not r.json()["active"]
    r = grandma.post("/api/v1/identity/delegations", {"agent_phone": "1380000", "scopes": ["cases:view"],
                                                      "valid_until": until}, content_type="application/json")
    assert r.status_code == 422 and r.json()["error"]["field"] == "agent_phone"


def test_legal_rep_grants_mandate_and_employee_logs_in_for_the_enterprise(city: City) -> None:
    code = make_credit_code("9", "1", "990102", "MA7QH0C1X")
    ent = services.enterprise_register(credit_code=code, name="示范市青禾餐饮有限公司", legal_rep=city.zhang)
    boss = logged_in(_u(city.zhang))
    assert "经办人授权" in boss.get("/me/").content.decode()
    page = f"/me/enterprises/{ent.pk}/mandates/"
    until = (timezone.localdate() + timedelta(days=365)).isoformat()
    r = boss.post(page, {"action": "grant", "person_phone": "13800000004", "scopes": ["cases:apply"],
                         "valid_until": until})
    assert r.status_code == 302, r.content.decode()[:300]
    m = EnterpriseMandate.objects.get()
    assert m.person == city.grandson and m.granted_by == city.zhang
    assert "王小明" in boss.get(page).content.decode()
    # Someone else cannot see the page.
    assert logged_in(_u(city.grandma)).get(page).status_code == 404

    # The employee logs in on the enterprise tab (password + SMS).
    c = Client()
    r = c.post("/login/", {"tab": "enterprise", "username": "13800000004", "password": PASSWORD,
                           "credit_code": code})
    assert r.status_code == 302
    import re

    from yiwang.identity.models import SmsMessage

    sms = re.search(r"(\d{6})", SmsMessage.objects.latest("sent_at").body)
    assert sms
    c.post("/login/otp/", {"code": sms.group(1)})
    assert c.session["acting_for"] == ent.subject_ref

    # Revoked: no longer.
    assert boss.post(page, {"action": "revoke", "mandate": str(m.pk)}).status_code == 302
    r = Client().post("/login/", {"tab": "enterprise", "username": "13800000004", "password": PASSWORD,
                                  "credit_code": code})
    assert r.status_code == 403


def test_mandate_api_malformed_credit_code(city: City) -> None:
    r = logged_in(_u(city.zhang)).post("/api/v1/identity/enterprises/91350100M000100Y44/mandates",
                                       {"person_phone": "13800000004", "scopes": ["cases:apply"],
                                        "valid_until": (timezone.now() + timedelta(days=1)).isoformat()},
                                       content_type="application/json")
    assert r.status_code == 422 and r.json()["error"]["field"] == "credit_code"


def test_delegation_to_a_staff_member_by_employee_number(city: City) -> None:
    c = logged_in(_u(city.grandma))
    until = (timezone.localdate() + timedelta(days=7)).isoformat()
    r = c.post("/me/delegations/", {"action": "grant", "agent_employee_no": "SF00001", "scopes": ["cases:apply"],
                                    "valid_until": until, "reason": "窗口帮办"})
    assert r.status_code == 302
    assert Delegation.objects.get().agent == _u(city.clerk)
    clerk = logged_in(_u(city.clerk))
    assert clerk.post("/me/acting-for/", {"acting_for": f"person:{city.grandma.pk}"}).status_code == 302
    assert clerk.session["acting_for"] == city.grandma.subject_ref
    r = c.post("/me/delegations/", {"action": "grant", "agent_employee_no": "NOPE", "scopes": ["cases:apply"],
                                    "valid_until": until})
    assert r.status_code == 422 and "工号" in r.content.decode()


def test_naive_datetimes_are_taken_as_beijing_time(city: City) -> None:
    r = logged_in(_u(city.grandma)).post("/api/v1/identity/delegations",
                                         {"agent_phone": "13800000004", "scopes": ["cases:view"],
                                          "valid_until": "2099-01-01T00:00:00"}, content_type="application/json")
    assert r.status_code == 201, r.content
    r = logged_in(_u(city.grandma)).post("/api/v1/identity/delegations",
                                         {"agent_phone": "13800000004", "scopes": ["cases:view"],
                                          "valid_until": "2000-01-01T00:00:00"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["error"]["field"] == "valid_until"
