"""The applicant's pages: apply (form, prefill, materials, drafts), receipt, 我的办件, case detail, 撤回,
补正, 我的消息 and the demo outbox."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yiwang.cases import services
from yiwang.cases.models import Case, Material, Notification, WorkItem
from yiwang.catalog import selectors as catalog_selectors
from yiwang.identity import services as identity
from yiwang.kernel.validators import make_id_number

from .conftest import PASSWORD, ZHANG_ID, World, birth_form

MOVE_FORM = {"applicant_name": "张伟", "applicant_id_number": ZHANG_ID, "phone": "13800000001",
             "new_address": "示范市东湖区湖滨街道幸福社区3栋201"}
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64
OTHER_ID = make_id_number("330106", date(1988, 2, 2), 131)


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def zhang(world: World) -> Client:
    return _client(world.zhang.user)


@pytest.fixture
def stranger(world: World) -> Client:
    other = identity.person_register(real_name="王芳", id_number=OTHER_ID, phone="13800000009", password=PASSWORD)
    return _client(other.user)


def _version(code: str) -> Any:
    version = catalog_selectors.current_version(code)
    assert version is not None
    return version


def test_apply_requires_login(world: World) -> None:
    r = Client().get("/cases/apply/?item=QR03004000")
    assert r.status_code == 302 and "/login" in r["Location"]


def test_apply_page_prefills_identity_and_says_where_it_came_from(world: World, zhang: Client) -> None:
    v = _version("QR03004000")
    r = zhang.get(f"/cases/apply/?item=QR03004000&version={v.pk}")
    html = r.content.decode()
    assert r.status_code == 200
    assert 'name="applicant_name" id="id_applicant_name" value="张伟"' in html
    assert f'value="{ZHANG_ID}"' in html  # the person's own full 身份证号, for their own form
    assert "来源：实名身份信息 · 统一身份认证平台" in html
    assert 'name="new_address" id="id_new_address" value=""' in html  # nothing known: the applicant types it
    # materials the department verifies through data sharing are explained, not demanded
    assert "数据共享（人口库）" in html and 'name="file_0"' in html


def test_apply_unknown_item_is_404(world: World, zhang: Client) -> None:
    assert zhang.get("/cases/apply/?item=NOPE000000").status_code == 404
    other = _version("QR03001000")
    assert zhang.get(f"/cases/apply/?item=QR03004000&version={other.pk}").status_code == 404


def test_submit_shows_field_error_next_to_the_field(world: World, zhang: Client) -> None:
    v = _version("QR03004000")
    form = {**MOVE_FORM, "phone": "12345", "action": "submit"}
    r = zhang.post(f"/cases/apply/?item=QR03004000&version={v.pk}", form)
    html = r.content.decode()
    assert r.status_code == 422
    assert 'id="err-phone"' in html and 'aria-invalid="true"' in html
    assert 'value="12345"' in html  # what the applicant typed is kept
    assert Case.objects.count() == 0


def test_submit_creates_a_case_and_shows_the_receipt(world: World, zhang: Client) -> None:
    v = _version("QR03004000")
    zhang.get(f"/cases/apply/?item=QR03004000&version={v.pk}")  # prefill remembered in the session
    r = zhang.post(f"/cases/apply/?item=QR03004000&version={v.pk}", {**MOVE_FORM, "action": "submit",
                                                                      "submission": "s-1"})
    assert r.status_code == 302
    case = Case.objects.get()
    assert r["Location"] == f"/cases/mine/{case.number}/receipt/"
    assert case.prefill_sources["applicant_name"] == {"source": "实名身份信息", "department": "统一身份认证平台"}
    assert "new_address" not in case.prefill_sources
    assert {m.source for m in case.materials.all()} == {"shared"}
    page = zhang.get(r["Location"]).content.decode()
    assert case.number in page and "申请已提交" in page and "承诺办结日期" in page
    # a double click (same submission key) does not make a second case
    again = zhang.post(f"/cases/apply/?item=QR03004000&version={v.pk}", {**MOVE_FORM, "action": "submit",
                                                                          "submission": "s-1"})
    assert again["Location"] == r["Location"] and Case.objects.count() == 1


def test_an_edited_prefilled_value_is_not_credited_to_the_source(world: World, zhang: Client) -> None:
    v = _version("QR03004000")
    zhang.get(f"/cases/apply/?item=QR03004000&version={v.pk}")
    zhang.post(f"/cases/apply/?item=QR03004000&version={v.pk}",
               {**MOVE_FORM, "phone": "13900000000", "action": "submit"})
    case = Case.objects.get()
    assert "phone" not in case.prefill_sources and "applicant_id_number" in case.prefill_sources


def _residence_url() -> str:
    v = _version("GG03005000")  # 居住证申领: 居住登记证明或租房合同 must be uploaded
    return f"/cases/apply/?item=GG03005000&version={v.pk}"


def _residence_form(world: World) -> dict[str, Any]:
    v = _version("GG03005000")
    form = {f["name"]: "x" for f in v.form_fields}
    form.update({"applicant_name": "张伟", "applicant_id_number": ZHANG_ID, "phone": "13800000001"})
    for f in v.form_fields:
        if f.get("type") == "date":
            form[f["name"]] = "2026-01-05"
        if f.get("type") == "choice":
            form[f["name"]] = f["options"][0]
        if f.get("type") in ("number", "money"):
            form[f["name"]] = "3"
    return form


def _index_of(code: str, name: str) -> int:
    return [m["name"] for m in _version(code).materials].index(name)


def test_missing_material_and_wrong_file_type_and_too_large(world: World, zhang: Client) -> None:
    url, form = _residence_url(), _residence_form(world)
    r = zhang.post(url, {**form, "action": "submit"})
    assert r.status_code == 422 and "缺少申请材料" in r.content.decode() and 'id="materials-error"' in r.content.decode()
    i = _index_of("GG03005000", "居住登记证明或租房合同")
    bad = SimpleUploadedFile("contract.exe", b"MZ....", content_type="application/x-msdownload")
    r = zhang.post(url, {**form, "action": "submit", f"file_{i}": bad})
    assert r.status_code == 422 and "文件类型不支持" in r.content.decode()
    big = SimpleUploadedFile("contract.pdf", b"%PDF" + b"0" * (services.MAX_UPLOAD_BYTES + 1),
                             content_type="application/pdf")
    r = zhang.post(url, {**form, "action": "submit", f"file_{i}": big})
    assert r.status_code == 422 and "超过 10MB" in r.content.decode()
    ofd = SimpleUploadedFile("contract.ofd", b"PK\x03\x04ofd", content_type="application/octet-stream")
    r = zhang.post(url, {**form, "action": "submit", f"file_{i}": ofd})
    assert r.status_code == 302
    m = Material.objects.get(name="居住登记证明或租房合同")
    assert m.source == "upload" and m.content_type == "application/ofd" and m.filename == "contract.ofd"


def test_draft_saves_and_resumes(world: World, zhang: Client) -> None:
    v = _version("QR03004000")
    r = zhang.post(f"/cases/apply/?item=QR03004000&version={v.pk}",
                   {"new_address": "示范市东湖区1号", "phone": "bad", "action": "draft"})
    draft = Case.objects.get(status="draft")
    assert r["Location"] == f"/cases/apply/?draft={draft.pk}"
    page = zhang.get(r["Location"]).content.decode()
    assert 'value="示范市东湖区1号"' in page and f'name="draft" value="{draft.pk}"' in page
    listed = zhang.get("/cases/mine/?tab=draft").content.decode()
    assert f"/cases/apply/?draft={draft.pk}" in listed
    r = zhang.post(f"/cases/apply/?draft={draft.pk}", {**MOVE_FORM, "draft": str(draft.pk), "action": "submit"})
    assert r.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.number and Case.objects.count() == 1


def test_someone_elses_draft_is_404(world: World, zhang: Client, stranger: Client) -> None:
    v = _version("QR03004000")
    zhang.post(f"/cases/apply/?item=QR03004000&version={v.pk}", {"new_address": "x", "action": "draft"})
    draft = Case.objects.get(status="draft")
    assert stranger.get(f"/cases/apply/?draft={draft.pk}").status_code == 404


def test_bundle_apply_asks_the_questions_then_submits_sub_cases(world: World, zhang: Client) -> None:
    r = zhang.get("/cases/apply/?bundle=YJS0001")
    html = r.content.decode()
    assert r.status_code == 200 and "选择您的情形" in html and 'id="apply-form"' not in html
    url = "/cases/apply/?bundle=YJS0001&vaccine=no&insurance=yes&maternity=no"
    html = zhang.get(url).content.decode()
    assert 'id="apply-form"' in html and 'name="child_name"' in html
    assert 'name="father_name" id="id_father_name" value="张伟"' in html  # 张伟 is the father
    photo = [m["name"] for m in catalog_selectors.bundle_guide(catalog_selectors.bundle_by_code("YJS0001"),
                                                               {"vaccine": "no", "insurance": "yes",
                                                                "maternity": "no"})["materials"]]
    i = photo.index("近期免冠彩色照片")
    r = zhang.post(url, {**birth_form(), "action": "submit",
                         f"file_{i}": SimpleUploadedFile("p.png", PNG, content_type="image/png")})
    assert r.status_code == 302, r.content.decode()[:3000]
    case = Case.objects.get(kind="bundle")
    page = zhang.get(r["Location"]).content.decode()
    assert "本次一并办理的事项" in page
    for child in Case.objects.filter(parent=case):
        assert child.number in page and child.department_name in page


def test_auto_approved_receipt_says_done_at_once(world: World, zhang: Client) -> None:
    services.rule_save(item_code="QR03004000", name="市内迁移秒批",
                       conditions=[{"fact": "form.new_address", "op": "exists"}])
    v = _version("QR03004000")
    r = zhang.post(f"/cases/apply/?item=QR03004000&version={v.pk}", {**MOVE_FORM, "action": "submit"})
    page = zhang.get(r["Location"]).content.decode()
    assert "已办结 · 准予" in page and "市内迁移秒批" in page


def test_mine_tabs_and_keyset_pages(world: World, zhang: Client) -> None:
    for i in range(23):
        services.case_submit(applicant=world.applicant, item_code="QR03004000",
                             form={**MOVE_FORM, "new_address": f"示范市东湖区{i}号"})
    first = zhang.get("/cases/mine/")
    html = first.content.decode()
    assert html.count('class="card case-row"') == 20 and 'id="next-page"' in html
    newest = Case.objects.order_by("-created_at").first()
    assert newest is not None and html.index(newest.number) < html.index("next-page")
    cursor = html.split('id="next-page"')[0].rsplit("cursor=", 1)[1].split('"')[0]
    second = zhang.get(f"/cases/mine/?tab=open&cursor={cursor}").content.decode()
    assert second.count('class="card case-row"') == 3 and 'id="next-page"' not in second
    assert zhang.get("/cases/mine/?tab=done").content.decode().count('class="card case-row"') == 0


def _submitted(world: World, **form: Any) -> Case:
    return services.case_submit(applicant=world.applicant, item_code="QR03004000", form={**MOVE_FORM, **form})


def test_case_detail_shows_timeline_and_due_and_is_404_for_others(world: World, zhang: Client,
                                                                   stranger: Client) -> None:
    case = _submitted(world)
    page = zhang.get(f"/cases/mine/{case.number}/").content.decode()
    assert "办理进度" in page and "提交申请" in page and 'id="withdraw-form"' in page
    assert stranger.get(f"/cases/mine/{case.number}/").status_code == 404
    assert stranger.get(f"/cases/mine/{case.number}/receipt/").status_code == 404
    assert stranger.post(f"/cases/mine/{case.number}/withdraw/").status_code == 404
    assert zhang.get("/cases/mine/99010020991231999999/").status_code == 404


def test_withdraw_before_acceptance_and_refused_after(world: World, zhang: Client) -> None:
    case = _submitted(world)
    r = zhang.post(f"/cases/mine/{case.number}/withdraw/", {"reason": "填错了"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == "withdrawn"
    other = _submitted(world)
    intake = WorkItem.objects.get(case=other, status="open")
    services.task_act(work_item_id=intake.pk, user=world.clerk, action="accept")
    zhang.post(f"/cases/mine/{other.number}/withdraw/")
    other.refresh_from_db()
    assert other.status == "in_progress"
    page = zhang.get(f"/cases/mine/{other.number}/").content.decode()
    assert 'id="withdraw-form"' not in page and "受理" in page


def _to_corrections(world: World) -> Case:
    case = _submitted(world)
    intake = WorkItem.objects.get(case=case, status="open")
    services.task_act(work_item_id=intake.pk, user=world.clerk, action="accept")
    review = WorkItem.objects.get(case=case, status="open")
    return services.task_act(work_item_id=review.pk, user=world.approvers["公安局"], action="request_corrections",
                             points=["迁入地址不完整，请补充门牌号", "请补交迁入地户主同意书"])


def test_corrections_page_lists_every_point_and_the_answer_resumes_the_case(world: World, zhang: Client) -> None:
    case = _to_corrections(world)
    page = zhang.get(f"/cases/mine/{case.number}/").content.decode()
    assert 'id="corrections-link"' in page
    r = zhang.get(f"/cases/mine/{case.number}/corrections/")
    html = r.content.decode()
    assert "迁入地址不完整，请补充门牌号" in html and "请补交迁入地户主同意书" in html
    r = zhang.post(f"/cases/mine/{case.number}/corrections/", {"phone": "bad-phone"})
    assert r.status_code == 422 and "联系电话" in r.content.decode()
    i = _index_of("QR03004000", "迁入地户主同意书")
    r = zhang.post(f"/cases/mine/{case.number}/corrections/", {
        **MOVE_FORM, "new_address": "示范市东湖区湖滨街道幸福社区3栋201室", "note": "已补充",
        f"file_{i}": SimpleUploadedFile("ok.pdf", b"%PDF-1.7 ok", content_type="application/pdf")})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == "in_progress" and case.form["new_address"].endswith("201室")
    assert Material.objects.filter(case=case, name="迁入地户主同意书", source="upload").exists()
    answered = case.corrections.get()
    assert answered.answer["fields"] == ["new_address"]  # only what changed


def test_completed_case_links_to_rating(world: World, zhang: Client) -> None:
    services.rule_save(item_code="QR03004000", name="秒批", conditions=[{"fact": "form.new_address", "op": "exists"}])
    case = _submitted(world)
    page = zhang.get(f"/cases/mine/{case.number}/").content.decode()
    assert f'href="/feedback/rate/{case.number}/"' in page


def test_notifications_list_and_mark_read(world: World, zhang: Client, stranger: Client) -> None:
    case = _submitted(world)
    html = zhang.get("/cases/notifications/").content.decode()
    assert "申请已提交" in html and case.number in html and 'id="unread-count"' in html
    note = Notification.objects.get(user=world.zhang.user)
    stranger.post("/cases/notifications/read/", {"id": note.pk})  # not theirs: nothing changes
    note.refresh_from_db()
    assert note.read_at is None
    zhang.post("/cases/notifications/read/", {"id": note.pk})
    note.refresh_from_db()
    assert note.read_at is not None
    assert "申请已提交" not in stranger.get("/cases/notifications/").content.decode()


def test_dev_outbox_only_in_demo_mode(world: World, settings: Any) -> None:
    _submitted(world)
    settings.DEMO_MODE = True
    assert "申请已提交" in Client().get("/cases/dev/outbox/").content.decode()
    settings.DEMO_MODE = False
    assert Client().get("/cases/dev/outbox/").status_code == 404


def test_acting_for_an_enterprise_applies_as_the_enterprise(world: World, zhang: Client) -> None:
    from yiwang.kernel.validators import make_credit_code

    code = make_credit_code("9", "1", "990102", "MA7QH0C1X")
    ent = identity.enterprise_register(credit_code=code, name="示范市青禾餐饮有限公司", legal_rep=world.zhang,
                                       address="示范市中心区人民路88号")
    v = _version("XK01002000")  # 企业变更登记: for legal persons only
    url = f"/cases/apply/?item=XK01002000&version={v.pk}"
    assert 'id="audience-notice"' in zhang.get(url).content.decode()  # as 张伟 himself: a notice
    session = zhang.session
    session["acting_for"] = ent.subject_ref
    session.save()
    html = zhang.get(url).content.decode()
    assert 'id="audience-notice"' not in html and f'value="{code}"' in html and 'value="示范市青禾餐饮有限公司"' in html
    files = {f"file_{i}": SimpleUploadedFile("a.pdf", b"%PDF-1", content_type="application/pdf")
             for i, m in enumerate(v.materials) if m["name"] in ("变更登记申请书", "股东会决议或决定")}
    r = zhang.post(url, {"enterprise_name": ent.name, "credit_code": code, "legal_rep_name": "张伟",
                         "phone": "13800000001", "change_items": "住所", "action": "submit", **files})
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.applicant_ref == ent.subject_ref and case.applicant_name == ent.name
    assert case.prefill_sources["credit_code"]["source"] == "实名身份信息"
    assert case.number in zhang.get("/cases/mine/").content.decode()
