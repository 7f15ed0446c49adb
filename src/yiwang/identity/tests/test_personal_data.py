"""Personal data: masked by default, full values only for roles that need them, every read audited and
listed on the citizen's 谁查看了我的信息 page; staff look-up by 身份证号 over the API."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.identity import services
from yiwang.identity.models import User
from yiwang.kernel.context import Actor, acting_as
from yiwang.kernel.errors import PermissionDenied
from yiwang.kernel.models import AuditEntry

from .conftest import ZHANG_ID, ZHANG_PHONE, City, logged_in

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/identity/persons/lookup"


def _user(staff_or_person: object) -> User:
    user = staff_or_person.user  # type: ignore[attr-defined]
    assert user is not None
    return user  # type: ignore[no-any-return]


def test_window_clerk_reveals_and_the_citizen_sees_who_looked(city: City) -> None:
    clerk = _user(city.clerk)
    with acting_as(Actor(user_id=clerk.pk, label="陈晨")):
        full = services.person_reveal(viewer=clerk, person=city.zhang, purpose="受理出生一件事")
    assert full == {"id_number": ZHANG_ID, "phone": ZHANG_PHONE}
    entry = AuditEntry.objects.get(action="person.personal_data_read")
    assert entry.actor_id == clerk.pk and entry.subject_ref == city.zhang.subject_ref

    page = logged_in(_user(city.zhang)).get("/me/data-reads/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "陈晨" in html and "受理出生一件事" in html


def test_approver_without_the_flag_is_refused(city: City) -> None:
    with pytest.raises(PermissionDenied) as exc:
        services.person_reveal(viewer=_user(city.approver), person=city.zhang)
    assert exc.value.code == "identity.reveal_forbidden"
    assert not AuditEntry.objects.filter(action="person.personal_data_read").exists()


def test_own_view_is_not_a_third_party_read(city: City) -> None:
    c = logged_in(_user(city.zhang))
    page = c.get("/me/?show=full").content.decode()
    assert ZHANG_ID in page
    assert "138****0001" in c.get("/me/").content.decode() and ZHANG_ID not in c.get("/me/").content.decode()
    assert not AuditEntry.objects.filter(action="person.personal_data_read").exists()
    assert "暂无记录" in c.get("/me/data-reads/").content.decode()


def test_lookup_full_for_clerk_masked_for_approver_and_always_audited(city: City) -> None:
    r = logged_in(_user(city.clerk)).post(LOOKUP, {"id_number": ZHANG_ID.lower(), "purpose": "窗口受理"},
                                          content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["found"] and not body["masked"] and body["id_number"] == ZHANG_ID and body["phone"] == ZHANG_PHONE

    r = logged_in(_user(city.approver)).post(LOOKUP, {"id_number": ZHANG_ID, "purpose": "审批核对"},
                                             content_type="application/json")
    body = r.json()
    assert r.status_code == 200 and body["masked"]
    assert body["id_number"] == "330106********" + ZHANG_ID[-4:] and body["phone"] == "138****0001"

    actions = list(AuditEntry.objects.filter(subject_ref=city.zhang.subject_ref, detail__via="lookup")
                   .values_list("action", flat=True).order_by("id"))
    assert actions == ["person.personal_data_read", "person.lookup"]
    html = logged_in(_user(city.zhang)).get("/me/data-reads/").content.decode()
    assert "窗口受理" in html and "审批核对" in html and "赵强" in html


def test_lookup_refuses_citizens_and_anonymous(city: City) -> None:
    assert Client().post(LOOKUP, {"id_number": ZHANG_ID, "purpose": "x"},
                         content_type="application/json").status_code == 401
    r = logged_in(_user(city.grandma)).post(LOOKUP, {"id_number": ZHANG_ID, "purpose": "好奇"},
                                            content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "identity.lookup_forbidden"
    assert AuditEntry.objects.filter(action="person.lookup_denied").count() == 1


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("12345", "18位"), ("33010619930512101X", "校验位"), ("330106199302301011", "出生日期"), (12345, "字符串"),
     ("ABCDEFGHIJKLMNOPQR", "数字")],
)
def test_malformed_id_number_is_422_with_field_and_chinese_message(city: City, value: object,
                                                                    fragment: str) -> None:
    r = logged_in(_user(city.clerk)).post(LOOKUP, {"id_number": value, "purpose": "窗口受理"},
                                          content_type="application/json")
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "id_number" and fragment in err["message"], err


def test_unknown_person_lookup_is_audited_too(city: City) -> None:
    from datetime import date

    from yiwang.kernel.validators import make_id_number

    r = logged_in(_user(city.clerk)).post(
        LOOKUP, {"id_number": make_id_number("110105", date(1980, 1, 1), 11), "purpose": "窗口受理"},
        content_type="application/json")
    assert r.status_code == 200 and r.json() == {"found": False, "masked": True, "id": None, "real_name": None,
                                                 "id_number": None, "phone": None, "gender": None,
                                                 "birth_date": None, "assurance_level": None, "region": None}
    assert AuditEntry.objects.filter(action="person.lookup_miss").count() == 1


@pytest.mark.parametrize("path", ["/api/v1/identity/enterprises/91350100M000100Y44",
                                  "/api/v1/identity/enterprises/abc"])
def test_malformed_credit_code_is_422(city: City, path: str) -> None:
    r = logged_in(_user(city.clerk)).get(path)
    assert r.status_code == 422 and r.json()["error"]["field"] == "credit_code"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["error"]["message"])


def test_check_identifiers_reports_field(city: City) -> None:
    r = Client().post("/api/v1/identity/check-identifiers", {"credit_code": "91350100M000100Y44"},
                      content_type="application/json")
    assert r.status_code == 422 and r.json()["error"]["field"] == "credit_code"
    r = Client().post("/api/v1/identity/check-identifiers", {"id_number": "1234"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["error"]["field"] == "id_number"
    r = Client().post("/api/v1/identity/check-identifiers", {"id_number": ZHANG_ID, "phone": ZHANG_PHONE},
                      content_type="application/json")
    assert r.status_code == 200 and r.json()["valid"]


def test_api_me_is_masked(city: City) -> None:
    body = logged_in(_user(city.zhang)).get("/api/v1/identity/me").json()
    assert body["id_number"] == "330106********" + ZHANG_ID[-4:] and body["phone"] == "138****0001"
    assert body["roles"] == ["citizen"]
