"""The applicant side below the pages: prefill from identity and shared data, who applies (self,
enterprise, 帮办), e-certificates standing in for materials, result certificates issued on 办结, and the
keyset pages of 我的办件."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from yiwang.cases import handlers, prefill, selectors, services
from yiwang.cases.models import Case, CaseEvent, Material
from yiwang.certificates import catalogue as cert_catalogue
from yiwang.certificates import selectors as cert_selectors
from yiwang.certificates import services as cert_services
from yiwang.exchange import services as exchange_services
from yiwang.exchange.providers import registry_put
from yiwang.exchange.standard import install as exchange_install
from yiwang.identity import services as identity
from yiwang.kernel.crypto import decrypt_field
from yiwang.kernel.errors import ValidationFailed
from yiwang.kernel.masking import mask_id_number
from yiwang.kernel.validators import make_credit_code, make_id_number

from .conftest import PASSWORD, ZHANG_ID, World, birth_form

MOVE_FORM = {"applicant_name": "张伟", "applicant_id_number": ZHANG_ID, "phone": "13800000001",
             "new_address": "示范市东湖区湖滨街道幸福社区3栋201"}
ENT_CODE = make_credit_code("9", "1", "990102", "MA7QH0C1X")


@pytest.fixture
def shared_data(world: World) -> dict[str, Any]:
    """The registries 张伟 is in, and the platform's prefill grants."""
    resources = exchange_install({s: (o.code, o.name) for s, o in world.orgs.items()})
    z = world.zhang
    registry_put(registry="population", key=ZHANG_ID, key_masked=mask_id_number(ZHANG_ID), subject_ref=z.subject_ref,
                 data={"xm": z.real_name, "xb": "男", "csrq": z.birth_date.isoformat(), "mz": "汉族", "sfzh": ZHANG_ID,
                       "hjdz": "示范市中心区人民路街道幸福里3栋2单元501室", "hh": "12345678", "yhzgx": "户主", "hzxm": "张伟"})
    registry_put(registry="marriage", key=ZHANG_ID, key_masked=mask_id_number(ZHANG_ID), subject_ref=z.subject_ref,
                 data={"xm": z.real_name, "hyzk": "已婚", "poxm": "陈静", "posfzh": "", "djrq": "2022-05-20",
                       "djjg": "示范市民政局婚姻登记处"})
    for code in ("A0101001", "A0101002", "A0103001"):
        res = resources[code]
        exchange_services.grant_create(resource=res, consumer_code=exchange_services.PREFILL_CONSUMER_CODE,
                                       consumer_name=exchange_services.PREFILL_CONSUMER_NAME,
                                       items=list(res.items.values_list("code", flat=True)), purpose="办件预填",
                                       legal_basis="依申请", valid_until=timezone.now() + timedelta(days=30))
    return resources


@pytest.fixture
def enterprise(world: World) -> Any:
    return identity.enterprise_register(credit_code=ENT_CODE, name="示范市青禾餐饮有限公司", legal_rep=world.zhang,
                                        address="示范市中心区人民路88号", established_on=date(2026, 3, 18),
                                        business_scope="餐饮服务")


@pytest.fixture
def cert_types(world: World) -> dict[str, Any]:
    return cert_catalogue.install({s: o.code for s, o in world.orgs.items()})


def _subject(world: World, acting_for: str = "") -> prefill.Subject:
    return prefill.subject_for(world.zhang.user, acting_for)


# --- prefill ---------------------------------------------------------------------------------------


def test_prefill_maps_catalogue_fields_to_shared_data_with_sources(world: World, shared_data: Any) -> None:
    fields = [{"name": n} for n in ("father_name", "father_id_number", "mother_name", "address", "household_number",
                                    "child_name", "phone")]
    out = prefill.prefill(_subject(world), fields, title="出生一件事", legal_basis=["《母婴保健法》"])
    assert out["father_name"].value == "张伟" and out["father_name"].source == prefill.IDENTITY_SOURCE
    assert out["father_id_number"].value == ZHANG_ID and out["phone"].value == "13800000001"
    assert out["mother_name"].value == "陈静" and out["mother_name"].label == "婚姻登记信息 · 示范市民政局"
    assert out["address"].value.startswith("示范市中心区") and out["address"].department == "示范市公安局"
    assert out["household_number"].value == "12345678"
    assert "child_name" not in out  # nobody knows the newborn's name yet
    from yiwang.exchange.models import AccessLog

    logs = AccessLog.objects.filter(subject_ref=world.zhang.subject_ref, mode="prefill")
    assert logs.count() == 2 and {log.legal_basis for log in logs} == {"《母婴保健法》"}  # one row per resource


def test_prefill_without_grants_falls_back_to_identity_only(world: World) -> None:
    out = prefill.prefill(_subject(world), [{"name": "applicant_name"}, {"name": "address"}], title="x")
    assert set(out) == {"applicant_name"}


def test_prefill_for_an_enterprise(world: World, enterprise: Any) -> None:
    subject = _subject(world, enterprise.subject_ref)
    assert subject.kind == "enterprise" and subject.ref == enterprise.subject_ref
    out = prefill.prefill(subject, [{"name": n} for n in ("enterprise_name", "credit_code", "legal_rep_name",
                                                          "business_address")], title="食品经营许可")
    assert out["enterprise_name"].value == enterprise.name and out["credit_code"].value == ENT_CODE
    assert out["legal_rep_name"].value == "张伟" and out["business_address"].value == "示范市中心区人民路88号"
    # The contact phone is the applying person's own number: no third-party read is logged for it.
    from yiwang.kernel.audit import AuditEntry

    reads_before = AuditEntry.objects.filter(action="person.personal_data_read").count()
    with_phone = prefill.prefill(subject, [{"name": "enterprise_name"}, {"name": "phone"}], title="食品经营许可")
    assert with_phone["phone"].value == "13800000001" and with_phone["phone"].source == prefill.IDENTITY_SOURCE
    assert AuditEntry.objects.filter(action="person.personal_data_read").count() == reads_before


def test_sources_kept_only_for_untouched_values() -> None:
    pre = {"a": {"value": "1", "source": "S", "department": "D"}, "b": {"value": "2", "source": "S", "department": "D"}}
    assert prefill.sources_kept(pre, {"a": "1", "b": "changed"}) == {"a": {"source": "S", "department": "D"}}


# --- who applies -------------------------------------------------------------------------------------


def test_subject_is_self_unless_acting_for_someone_allowed(world: World, enterprise: Any) -> None:
    other = identity.person_register(real_name="王秀英", id_number=make_id_number("330106", date(1954, 3, 1), 122),
                                     phone="13800000002", password=PASSWORD)
    assert _subject(world, other.subject_ref).ref == world.zhang.subject_ref  # no delegation: himself
    assert _subject(world, f"enterprise:{world.zhang.pk}").ref == world.zhang.subject_ref
    now = timezone.now()
    identity.delegation_grant(principal=other, agent=world.zhang.user, scopes=["cases:view"], valid_from=now,
                              valid_until=now + timedelta(days=30))
    assert _subject(world, other.subject_ref).ref == world.zhang.subject_ref  # view only: cannot apply
    assert prefill.subject_for(world.zhang.user, other.subject_ref, scope="cases:view").ref == other.subject_ref
    identity.delegation_grant(principal=other, agent=world.zhang.user, scopes=["cases:apply"], valid_from=now,
                              valid_until=now + timedelta(days=30))
    helped = _subject(world, other.subject_ref)
    assert helped.ref == other.subject_ref and prefill.applicant_user(helped, world.zhang.user) == other.user
    refs = prefill.visible_refs(world.zhang.user, other.subject_ref)
    assert set(refs) == {world.zhang.subject_ref, enterprise.subject_ref, other.subject_ref}
    assert other.subject_ref not in prefill.visible_refs(world.zhang.user)


def test_a_delegate_sees_and_withdraws_the_principals_case_only_while_acting(world: World) -> None:
    grandma = identity.person_register(real_name="王秀英", id_number=make_id_number("330106", date(1954, 3, 1), 122),
                                       phone="13800000002", password=PASSWORD)
    now = timezone.now()
    identity.delegation_grant(principal=grandma, agent=world.zhang.user, scopes=["cases:apply"], valid_from=now,
                              valid_until=now + timedelta(days=30))
    case = services.case_submit(applicant=services.Applicant(grandma.subject_ref, grandma.real_name, grandma.user),
                                item_code="QR03004000", form={**MOVE_FORM, "applicant_name": "王秀英"})
    c = Client()
    c.force_login(world.zhang.user)
    assert c.get(f"/cases/mine/{case.number}/").status_code == 404
    session = c.session
    session["acting_for"] = grandma.subject_ref
    session.save()
    assert c.get(f"/cases/mine/{case.number}/").status_code == 200
    assert case.number in c.get("/cases/mine/").content.decode()
    c.post(f"/cases/mine/{case.number}/withdraw/")
    case.refresh_from_db()
    assert case.status == "withdrawn"


# --- e-certificates as materials ----------------------------------------------------------------------


def _hukou(world: World, types: dict[str, Any], **over: Any) -> Any:
    return cert_services.certificate_issue(
        type_code=types["居民户口簿"].code, issuer_code=world.orgs["公安局"].code, holder_name="张伟",
        holder_code=ZHANG_ID, holder_code_type="公民身份号码", subject_ref=world.zhang.subject_ref,
        content={"KZ_HZXM": "张伟", "KZ_HB": "家庭户", "KZ_ZZ": "示范市中心区", "KZ_XM": "张伟", "KZ_YHZGX": "户主",
                 "KZ_XB": "男", "KZ_CSRQ": "1993-05-12"}, **over)


def test_wallet_certificate_stands_in_for_a_material(world: World, cert_types: Any) -> None:
    cert = _hukou(world, cert_types)
    wallet = cert_selectors.wallet_certificates_by_type([world.zhang.subject_ref], ["居民户口簿", "结婚证"])
    assert [c.identifier for c in wallet["居民户口簿"]] == [cert.identifier] and "结婚证" not in wallet
    case = services.case_submit(applicant=world.applicant, item_code="QR03004000", form=MOVE_FORM,
                                certificates={"居民户口簿": cert.identifier})
    m = Material.objects.get(case=case, name="居民户口簿")
    assert m.source == Material.Source.CERTIFICATE and m.certificate_identifier == cert.identifier


def test_a_revoked_or_foreign_certificate_is_refused(world: World, cert_types: Any) -> None:
    cert = _hukou(world, cert_types)
    cert_services.certificate_revoke(identifier=cert.identifier, reason="信息有误")
    with pytest.raises(ValidationFailed) as err:
        services.case_submit(applicant=world.applicant, item_code="QR03004000", form=MOVE_FORM,
                             certificates={"居民户口簿": cert.identifier})
    assert err.value.field == "certificates"
    with pytest.raises(ValidationFailed):
        services.case_submit(applicant=world.applicant, item_code="QR03004000", form=MOVE_FORM,
                             certificates={"居民户口簿": "NOT-A-CERT"})


def test_apply_page_offers_the_wallet_certificate_and_records_it(world: World, cert_types: Any) -> None:
    from yiwang.catalog import selectors as catalog_selectors

    cert = _hukou(world, cert_types)
    v = catalog_selectors.current_version("QR03004000")
    c = Client()
    c.force_login(world.zhang.user)
    url = f"/cases/apply/?item=QR03004000&version={v.pk}"
    html = c.get(url).content.decode()
    i = [m["name"] for m in v.materials].index("居民户口簿")
    assert "使用电子证照" in html and f'name="cert_{i}"' in html and cert.identifier in html
    r = c.post(url, {**MOVE_FORM, "action": "submit", f"source_{i}": "certificate", f"cert_{i}": cert.identifier})
    assert r.status_code == 302
    case = Case.objects.get()
    assert Material.objects.get(case=case, name="居民户口簿").certificate_identifier == cert.identifier
    assert cert.identifier in c.get(f"/cases/mine/{case.number}/").content.decode()


# --- result certificates ---------------------------------------------------------------------------------


def _auto(item_code: str, fact: str) -> None:
    services.rule_save(item_code=item_code, name="测试秒批", conditions=[{"fact": fact, "op": "exists"}])


def test_completed_case_issues_the_result_certificate_to_the_applicant(world: World, cert_types: Any,
                                                                        django_capture_on_commit_callbacks: Any) -> None:
    _auto("QR03004000", "form.new_address")
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_submit(applicant=world.applicant, item_code="QR03004000", form=MOVE_FORM)
    assert case.status == "completed" and case.outcome == "approved"
    ev = CaseEvent.objects.get(case=case, type="certificate_issued")
    cert = cert_selectors.certificate_by_identifier(ev.detail["identifier"])
    assert cert is not None and cert.name == "居民户口簿" and cert.subject_ref == world.zhang.subject_ref
    assert cert.content["KZ_ZZ"] == MOVE_FORM["new_address"] and cert.issuer_code == world.orgs["公安局"].code
    assert decrypt_field(cert.holder_code_enc) == ZHANG_ID
    assert handlers.issue_result_certificate(case) == ""  # idempotent: a retried event issues nothing more
    assert CaseEvent.objects.filter(case=case, type="certificate_issued").count() == 1


def test_certificate_of_someone_else_is_not_issued(world: World, cert_types: Any,
                                                   django_capture_on_commit_callbacks: Any) -> None:
    _auto("QR03001000", "form.child_name")  # 出生登记: the 户口簿 page is the newborn's
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_submit(applicant=world.applicant, item_code="QR03001000", form=birth_form())
    assert case.status == "completed"
    assert not CaseEvent.objects.filter(case=case, type="certificate_issued").exists()


def test_enterprise_certificate_for_an_enterprise_applicant(world: World, cert_types: Any, enterprise: Any,
                                                            django_capture_on_commit_callbacks: Any) -> None:
    _auto("XK01002000", "form.change_items")
    form = {"enterprise_name": enterprise.name, "credit_code": ENT_CODE, "legal_rep_name": "张伟",
            "phone": "13800000001", "change_items": "住所"}
    uploads = [services.Upload(material=n, filename="a.pdf", content_type="application/pdf", content=b"%PDF-1")
               for n in ("变更登记申请书", "股东会决议或决定")]
    as_enterprise = services.Applicant(enterprise.subject_ref, enterprise.name, world.zhang.user)
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_submit(applicant=as_enterprise, item_code="XK01002000", form=form, uploads=uploads)
    ev = CaseEvent.objects.get(case=case, type="certificate_issued")
    cert = cert_selectors.certificate_by_identifier(ev.detail["identifier"])
    assert cert is not None and cert.subject_ref == enterprise.subject_ref and cert.number == ENT_CODE
    # the same item applied for by a person (no enterprise yet) gets no licence
    with django_capture_on_commit_callbacks(execute=True):
        person_case = services.case_submit(applicant=world.applicant, item_code="XK01002000", form=form,
                                           uploads=uploads)
    assert not CaseEvent.objects.filter(case=person_case, type="certificate_issued").exists()


def test_a_failing_issue_never_breaks_the_case(world: World, django_capture_on_commit_callbacks: Any) -> None:
    _auto("QR03004000", "form.new_address")  # no certificate catalogue installed: nothing to issue
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_submit(applicant=world.applicant, item_code="QR03004000", form=MOVE_FORM)
    case.refresh_from_db()
    assert case.status == "completed" and not CaseEvent.objects.filter(case=case, type="certificate_issued").exists()


# --- keyset pages ------------------------------------------------------------------------------------------


def test_keyset_pages_cover_every_case_once_newest_first(world: World) -> None:
    for i in range(45):
        services.case_submit(applicant=world.applicant, item_code="QR03004000",
                             form={**MOVE_FORM, "new_address": f"示范市{i}号"})
    seen: list[str] = []
    cursor = ""
    while True:
        rows, cursor_next = selectors.applicant_page([world.zhang.subject_ref], status="open", cursor=cursor)
        seen += [c.number for c in rows]
        if not cursor_next:
            break
        cursor = cursor_next
    assert len(seen) == 45 == len(set(seen))
    assert seen == list(Case.objects.order_by("-created_at", "-id").values_list("number", flat=True))
    assert selectors.applicant_page([world.zhang.subject_ref], cursor="garbage!")[0][0].number == seen[0]
    assert selectors.applicant_page([], status="open") == ([], None)


def test_a_submission_that_fails_to_write_keeps_no_uploaded_file(world: World, monkeypatch: Any) -> None:
    """Uploads are stored while the submission is planned; when its transaction fails they are removed,
    so a failed (or retried) submission leaves neither rows nor orphan files."""
    from pathlib import Path

    from django.conf import settings

    def stored() -> set[Path]:
        root = Path(settings.MEDIA_ROOT) / "cases"
        return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()

    photo = services.Upload(material="近期免冠彩色照片", filename="photo.png", content_type="image/png",
                            content=b"\x89PNG\r\n\x1a\n" + b"1" * 64)
    answers = {"vaccine": "no", "insurance": "yes", "maternity": "no"}
    before, cases_before = stored(), Case.objects.count()

    def no_number(now: Any) -> str:
        raise RuntimeError("编号服务不可用")

    monkeypatch.setattr(services, "_case_number", no_number)
    with pytest.raises(RuntimeError):
        services.case_submit(applicant=world.applicant, bundle_code="YJS0001", answers=answers, form=birth_form(),
                             uploads=[photo])
    assert stored() == before and Case.objects.count() == cases_before
    monkeypatch.undo()
    case = services.case_submit(applicant=world.applicant, bundle_code="YJS0001", answers=answers, form=birth_form(),
                                uploads=[photo])
    assert len(stored() - before) == 1 and Material.objects.filter(case=case, source="upload").count() == 1
