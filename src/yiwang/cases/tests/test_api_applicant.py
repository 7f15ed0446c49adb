"""The applicant API: POST /api/v1/cases (Idempotency-Key), 我的办件 pages, one case, 撤回, 补正, drafts."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from yiwang.cases import services
from yiwang.cases.models import Case, Material, WorkItem
from yiwang.certificates import catalogue as cert_catalogue
from yiwang.certificates import services as cert_services
from yiwang.identity import services as identity
from yiwang.kernel.validators import make_id_number

from .conftest import PASSWORD, ZHANG_ID, World, birth_form

BASE = "/api/v1/cases"
MOVE_FORM = {"applicant_name": "张伟", "applicant_id_number": ZHANG_ID, "phone": "13800000001",
             "new_address": "示范市东湖区湖滨街道幸福社区3栋201"}


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _post(c: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return c.post(url, json.dumps(body, ensure_ascii=False), content_type="application/json", headers=headers)


@pytest.fixture
def zhang(world: World) -> Client:
    return _client(world.zhang.user)


@pytest.fixture
def stranger(world: World) -> Client:
    other = identity.person_register(real_name="王芳", id_number=make_id_number("330106", date(1988, 2, 2), 131),
                                     phone="13800000009", password=PASSWORD)
    return _client(other.user)


def test_submit_returns_201_with_the_case(world: World, zhang: Client) -> None:
    r = _post(zhang, BASE, {"item": "QR03004000", "form": MOVE_FORM})
    assert r.status_code == 201, r.content
    body = r.json()
    case = Case.objects.get()
    assert body["number"] == case.number and body["status"] == "submitted" and body["status_label"] == "待受理"
    assert body["kind"] == "item" and body["children"] == [] and body["promised_due"]
    assert body["department_name"] == "示范市公安局"


def test_bad_field_is_422_with_the_field(world: World, zhang: Client) -> None:
    r = _post(zhang, BASE, {"item": "QR03004000", "form": {**MOVE_FORM, "applicant_id_number": "123"}})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "applicant_id_number" and err["code"] == "case.field_invalid"
    r = _post(zhang, BASE, {"item": "QR03004000", "form": {**MOVE_FORM, "new_address": ""}})
    assert r.status_code == 422 and r.json()["error"]["field"] == "new_address"
    r = _post(zhang, BASE, {"item": "NOPE000000", "form": MOVE_FORM})
    assert r.status_code == 404 and r.json()["error"]["code"] == "case.item_unknown"
    r = zhang.post(BASE, "not json", content_type="application/json")
    assert r.status_code in (400, 422) and "error" in r.json()
    assert Case.objects.count() == 0


def test_materials_type_size_and_base64_are_checked(world: World, zhang: Client, monkeypatch: Any) -> None:
    def body(content_type: str, raw: bytes | str) -> dict[str, Any]:
        b64 = raw if isinstance(raw, str) else base64.b64encode(raw).decode()
        return {"item": "QR03004000", "form": MOVE_FORM, "materials": [
            {"material": "迁入地户主同意书", "filename": "x", "content_type": content_type, "content_base64": b64}]}

    r = _post(zhang, BASE, body("text/html", b"<html>"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "case.material_type"
    r = _post(zhang, BASE, body("application/pdf", "***not base64***"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "case.material_invalid"
    # (the real limit is 10MB; a smaller one keeps the request body under Django's upload limit here)
    monkeypatch.setattr(services, "MAX_UPLOAD_BYTES", 1000)
    r = _post(zhang, BASE, body("application/pdf", b"%PDF" + b"0" * 2000))  # refused before decoding
    assert r.status_code == 422 and r.json()["error"]["code"] == "case.material_too_large"
    r = _post(zhang, BASE, body("application/pdf", b"%PDF" + b"0" * 997))  # decoded, refused by the service
    assert r.status_code == 422 and r.json()["error"]["code"] == "case.material_too_large"
    monkeypatch.undo()
    r = _post(zhang, BASE, body("application/pdf", b"%PDF-1.7 agreed"))
    assert r.status_code == 201
    m = Material.objects.get(name="迁入地户主同意书")
    assert m.source == "upload" and m.size == len(b"%PDF-1.7 agreed")


def test_idempotency_key_retry_answers_the_same_case(world: World, zhang: Client) -> None:
    first = _post(zhang, BASE, {"item": "QR03004000", "form": MOVE_FORM}, **{"Idempotency-Key": "abc-1"})
    again = _post(zhang, BASE, {"item": "QR03004000", "form": MOVE_FORM}, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["number"] == first.json()["number"] and Case.objects.count() == 1
    other = _post(zhang, BASE, {"item": "QR03004000", "form": {**MOVE_FORM, "new_address": "别处"}},
                  **{"Idempotency-Key": "abc-1"})
    assert other.status_code == 409 and other.json()["error"]["code"] == "case.idempotency_mismatch"


def test_bundle_submission_lists_its_sub_cases(world: World, zhang: Client) -> None:
    photo = base64.b64encode(b"\x89PNG\r\n\x1a\n0000").decode()
    r = _post(zhang, BASE, {"bundle": "YJS0001", "answers": {"vaccine": "no", "insurance": "yes", "maternity": "no"},
                            "form": birth_form(), "materials": [{"material": "近期免冠彩色照片", "filename": "p.png",
                                                                 "content_type": "image/png", "content_base64": photo}]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "bundle" and len(body["children"]) == 4
    assert {c["department_name"] for c in body["children"]} >= {"示范市公安局"}


def test_certificate_instead_of_upload_is_recorded(world: World, zhang: Client) -> None:
    types = cert_catalogue.install({s: o.code for s, o in world.orgs.items()})
    cert = cert_services.certificate_issue(
        type_code=types["居民户口簿"].code, issuer_code=world.orgs["公安局"].code, holder_name="张伟",
        holder_code=ZHANG_ID, holder_code_type="公民身份号码", subject_ref=world.zhang.subject_ref,
        content={"KZ_HZXM": "张伟", "KZ_HB": "家庭户", "KZ_ZZ": "示范市", "KZ_XM": "张伟", "KZ_YHZGX": "户主",
                 "KZ_XB": "男", "KZ_CSRQ": "1993-05-12"})
    r = _post(zhang, BASE, {"item": "QR03004000", "form": MOVE_FORM, "certificates": {"居民户口簿": cert.identifier}})
    assert r.status_code == 201
    m = Material.objects.get(name="居民户口簿")
    assert m.source == Material.Source.CERTIFICATE and m.certificate_identifier == cert.identifier
    detail = zhang.get(f"{BASE}/{r.json()['number']}").json()
    assert {"name": "居民户口簿", "source": "certificate", "filename": "", "certificate_identifier": cert.identifier,
            "resource_code": ""} in detail["materials"]


def test_my_cases_pages_and_filters(world: World, zhang: Client, stranger: Client) -> None:
    for i in range(25):
        services.case_submit(applicant=world.applicant, item_code="QR03004000",
                             form={**MOVE_FORM, "new_address": f"示范市{i}号"})
    services.case_save_draft(applicant=world.applicant, item_code="QR03004000", form={"phone": "1"})
    page = zhang.get(f"{BASE}?status=open").json()
    assert len(page["items"]) == 20 and page["next"]
    rest = zhang.get(f"{BASE}?status=open&cursor={page['next']}").json()
    assert len(rest["items"]) == 5 and rest["next"] is None
    numbers = [c["number"] for c in page["items"] + rest["items"]]
    assert len(set(numbers)) == 25 and numbers == sorted(numbers, reverse=True)
    drafts = zhang.get(f"{BASE}?status=draft").json()["items"]
    assert len(drafts) == 1 and drafts[0]["number"] is None
    assert zhang.get(f"{BASE}?status=bogus").status_code == 422
    assert stranger.get(BASE).json() == {"items": [], "next": None}
    assert Client().get(BASE).status_code == 401


def test_someone_elses_case_is_404(world: World, zhang: Client, stranger: Client) -> None:
    number = _post(zhang, BASE, {"item": "QR03004000", "form": MOVE_FORM}).json()["number"]
    assert zhang.get(f"{BASE}/{number}").status_code == 200
    for r in (stranger.get(f"{BASE}/{number}"), _post(stranger, f"{BASE}/{number}/withdraw", {}),
              _post(stranger, f"{BASE}/{number}/corrections", {"note": "x"})):
        assert r.status_code == 404 and r.json()["error"]["code"] == "case.not_found"
    case = Case.objects.get()
    assert case.status == "submitted"


def test_withdraw_before_acceptance_only(world: World, zhang: Client) -> None:
    number = _post(zhang, BASE, {"item": "QR03004000", "form": MOVE_FORM}).json()["number"]
    r = _post(zhang, f"{BASE}/{number}/withdraw", {"reason": "不办了"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    number = _post(zhang, BASE, {"item": "QR03004000", "form": MOVE_FORM}).json()["number"]
    case = Case.objects.get(number=number)
    services.task_act(work_item_id=WorkItem.objects.get(case=case, status="open").pk, user=world.clerk,
                      action="accept")
    r = _post(zhang, f"{BASE}/{number}/withdraw", {})
    assert r.status_code in (409, 422) and r.json()["error"]["code"]
    assert Case.objects.get(number=number).status == "in_progress"


def test_corrections_answer(world: World, zhang: Client) -> None:
    number = _post(zhang, BASE, {"item": "QR03004000", "form": MOVE_FORM}).json()["number"]
    case = Case.objects.get(number=number)
    services.task_act(work_item_id=WorkItem.objects.get(case=case, status="open").pk, user=world.clerk,
                      action="accept")
    r = _post(zhang, f"{BASE}/{number}/corrections", {"note": "x"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "case.no_corrections"
    services.task_act(work_item_id=WorkItem.objects.get(case=case, status="open").pk,
                      user=world.approvers["公安局"], action="request_corrections", points=["请补充门牌号"])
    detail = zhang.get(f"{BASE}/{number}").json()
    assert detail["status"] == "corrections" and detail["corrections"][0]["points"] == ["请补充门牌号"]
    r = _post(zhang, f"{BASE}/{number}/corrections", {"form": {"phone": "oops"}})
    assert r.status_code == 422 and r.json()["error"]["field"] == "phone"
    r = _post(zhang, f"{BASE}/{number}/corrections", {"form": {"new_address": "示范市东湖区3栋201室"}, "note": "已补充"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    assert Case.objects.get(number=number).form["new_address"] == "示范市东湖区3栋201室"


def test_drafts_save_update_and_submit(world: World, zhang: Client) -> None:
    r = _post(zhang, f"{BASE}/drafts", {"item": "QR03004000", "form": {"new_address": "半"}})
    assert r.status_code == 201 and r.json()["status"] == "draft"
    draft_id = r.json()["id"]
    r = _post(zhang, f"{BASE}/drafts", {"item": "QR03004000", "form": {"new_address": "全"}, "draft": draft_id})
    assert r.status_code == 201 and Case.objects.count() == 1
    r = _post(zhang, BASE, {"item": "QR03004000", "form": MOVE_FORM, "draft": draft_id})
    assert r.status_code == 201 and r.json()["id"] == draft_id and r.json()["number"]


def test_bearer_token_needs_the_cases_write_scope(world: World) -> None:
    AccessToken.objects.create(user=world.zhang.user, token="zhang-token-0123456789", scope="openid cases:write",
                               expires=timezone.now() + timedelta(hours=1))
    api = Client(HTTP_AUTHORIZATION="Bearer zhang-token-0123456789")
    r = _post(api, BASE, {"item": "QR03004000", "form": MOVE_FORM}, **{"Idempotency-Key": "t-1"})
    assert r.status_code == 201
    assert api.get(BASE).json()["items"][0]["number"] == r.json()["number"]
    AccessToken.objects.create(user=world.zhang.user, token="zhang-token-readonly-1", scope="openid",
                               expires=timezone.now() + timedelta(hours=1))
    ro = Client(HTTP_AUTHORIZATION="Bearer zhang-token-readonly-1")
    assert ro.get(BASE).status_code == 200
    assert _post(ro, BASE, {"item": "QR03004000", "form": MOVE_FORM}).status_code == 403
