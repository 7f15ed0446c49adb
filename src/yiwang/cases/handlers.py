"""In-process reactions to case events (after commit): results that become e-certificates.

When a case ends 准予 and its item version names a result certificate type (结果证照), the certificate
is issued into the applicant's wallet — only when the applicant is the holder: a person's certificate
for a person applying for themself, an enterprise's for an enterprise. A certificate about someone
else (the newborn's 出生医学证明, the deceased's …) or for an enterprise that does not exist yet (设立登记
by its founder) is skipped and logged. A failure here never touches the case: the kernel runs each
handler in its own savepoint after the case committed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import date
from functools import partial
from typing import Any

from django.utils import timezone

from yiwang.kernel import events, planned
from yiwang.kernel.errors import DomainError

log = logging.getLogger(__name__)

# Form fields that say the application is about another person: a certificate of the result belongs to
# them, not to the applicant.
THIRD_PARTY_FIELDS = ("child_name", "deceased_name", "adoptee_name", "student_name")


def connect() -> None:
    """Subscribe this app's handlers (called once from AppConfig.ready)."""
    events.subscribe("case.completed", on_case_completed, planned_writes=True)


def _digits(seed: str, n: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:n].rjust(n, "0")


def _gender(person: Any) -> str:
    return "男" if getattr(person, "gender", "") == "M" else "女"


# --- content per certificate type: (case, form, holder) -> 照面 --------------------------------------

def _business_licence(case: Any, form: Mapping[str, Any], h: dict[str, Any]) -> dict[str, Any]:
    ent = h["enterprise"]
    capital = form.get("registered_capital") or getattr(ent, "registered_capital", "")
    return {"KZ_MC": form.get("enterprise_name") or ent.name, "KZ_LX": getattr(ent, "kind", "") or "有限责任公司",
            "KZ_FDDBR": form.get("legal_rep_name") or ent.legal_rep.real_name,
            "KZ_ZCZB": f"{capital}万元" if capital not in ("", None) else "",
            "KZ_CLRQ": (ent.established_on or h["today"]).isoformat(),
            "KZ_ZS": form.get("business_address") or ent.address,
            "KZ_JYFW": form.get("business_scope") or ent.business_scope}


def _food_licence(case: Any, form: Mapping[str, Any], h: dict[str, Any]) -> dict[str, Any]:
    ent = h["enterprise"]
    return {"KZ_JYZMC": ent.name, "KZ_FDDBR": ent.legal_rep.real_name, "KZ_ZS": ent.address or
            form.get("business_address", ""), "KZ_JYCS": form.get("business_address") or ent.address,
            "KZ_ZTYT": "食品经营者", "KZ_JYXM": form.get("food_category", "")}


def _hukou(case: Any, form: Mapping[str, Any], h: dict[str, Any]) -> dict[str, Any]:
    p = h["person"]
    return {"KZ_HZXM": p.real_name, "KZ_HB": "家庭户",
            "KZ_ZZ": form.get("new_address") or form.get("address") or form.get("residence_address", ""),
            "KZ_XM": p.real_name, "KZ_YHZGX": "户主", "KZ_XB": _gender(p), "KZ_CSRQ": p.birth_date.isoformat()}


def _marriage(case: Any, form: Mapping[str, Any], h: dict[str, Any]) -> dict[str, Any]:
    p = h["person"]
    partner = form.get("partner_name", "")
    man, woman = (p.real_name, partner) if p.gender == "M" else (partner, p.real_name)
    return {"KZ_CZR": p.real_name, "KZ_DJRQ": h["today"].isoformat(), "KZ_NFXM": man, "KZ_NVFXM": woman,
            "KZ_DJJG": case.department_name}


def _property(case: Any, form: Mapping[str, Any], h: dict[str, Any]) -> dict[str, Any]:
    p = h["person"]
    area = form.get("floor_area")
    return {"KZ_QLR": form.get("buyer_name") or p.real_name, "KZ_GYQK": "单独所有",
            "KZ_ZL": form.get("property_address", ""), "KZ_BDCDYH": "990100" + _digits(case.number or "", 22),
            "KZ_QLLX": "国有建设用地使用权/房屋所有权", "KZ_YT": "住宅", "KZ_MJ": f"{area}平方米" if area else ""}


def _social_card(case: Any, form: Mapping[str, Any], h: dict[str, Any]) -> dict[str, Any]:
    return {"KZ_XM": h["person"].real_name, "KZ_KH": "S" + _digits(case.number or "", 8),
            "KZ_FKJG": case.department_name}


CONTENT: dict[str, Callable[[Any, Mapping[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "营业执照": _business_licence, "食品经营许可证": _food_licence, "居民户口簿": _hukou, "结婚证": _marriage,
    "不动产权证书": _property, "社会保障卡": _social_card,
}


def _already_issued(case: Any) -> bool:
    from yiwang.cases.models import CaseEvent

    return CaseEvent.objects.filter(case=case, type="certificate_issued").exists()


def _holder(case: Any, holder_kind: str) -> dict[str, Any] | None:
    """Name, code and the identity row of the applicant, when the applicant is of `holder_kind`."""
    from yiwang.identity import selectors as identity_selectors
    from yiwang.identity import services as identity_services

    kind, _, pk = case.applicant_ref.partition(":")
    if kind != holder_kind:
        return None
    if kind == "enterprise":
        ent = identity_selectors.enterprise_by_id(pk)
        if ent is None:
            return None
        return {"enterprise": ent, "holder_name": ent.name, "holder_code": ent.credit_code,
                "holder_code_type": "统一社会信用代码"}
    if case.applicant_user is None:
        return None
    person = identity_selectors.person_for_user(case.applicant_user)
    if person is None or person.subject_ref != case.applicant_ref:
        return None
    secret = identity_services.person_reveal(viewer=case.applicant_user, person=person, fields=("id_number",),
                                             purpose="办件结果证照签发")
    return {"person": person, "holder_name": person.real_name, "holder_code": secret["id_number"],
            "holder_code_type": "公民身份号码"}


def _result_type(case: Any) -> tuple[Any, str] | None:
    """(certificate type, its name) of the result certificate an approved, completed case would carry,
    or None (with the reason logged) when there is none to issue."""
    from yiwang.cases.models import Case
    from yiwang.cases.services import cached_version
    from yiwang.catalog import selectors as catalog_selectors
    from yiwang.certificates import selectors as cert_selectors

    if case.status != Case.Status.COMPLETED or case.outcome != Case.Outcome.APPROVED or not case.item_version_id:
        return None
    # Published versions never change: the submission's cache serves the handler too.
    version = cached_version(case.item_version_id, lambda: catalog_selectors.version_by_id(case.item_version_id))
    type_name = (version.result_certificate_type if version else "").strip()
    if not type_name:
        return None
    ctype = cert_selectors.certificate_type_named(type_name)
    if ctype is None or type_name not in CONTENT:
        log.info("case %s: result certificate type %s is not in the certificate catalogue", case.number, type_name)
        return None
    return ctype, type_name


def issue_result_certificate(case: Any) -> str:
    """Issue the result certificate of a completed, approved case to its applicant; returns the 证照标识,
    or "" when there is nothing to issue (with the reason logged)."""
    from yiwang.cases.models import CaseEvent
    from yiwang.certificates import services as cert_services

    found = _result_type(case)
    if found is None:
        return ""
    ctype, type_name = found
    form = dict(case.form or {})
    if any(form.get(f) for f in THIRD_PARTY_FIELDS):
        log.info("case %s: %s belongs to another person (not the applicant); not issued", case.number, type_name)
        return ""
    holder = _holder(case, ctype.holder_kind)
    if holder is None:
        log.info("case %s: %s is held by a %s, the applicant is %s; not issued", case.number, type_name,
                 ctype.holder_kind, case.applicant_ref.partition(":")[0])
        return ""
    if _already_issued(case):
        return ""
    # Issued as of the decision (a case replayed later, like the demo's history, keeps its dates).
    completed = case.completed_at or timezone.now()
    today: date = timezone.localtime(completed).date()
    content = CONTENT[type_name](case, form, {**holder, "today": today})
    known = {f["key"] for f in ctype.fields}
    content = {k: v for k, v in content.items() if k in known and v not in ("", None)}
    cert = cert_services.certificate_issue(
        type_code=ctype.code, issuer_code=case.department_code, holder_name=holder["holder_name"],
        holder_code=holder["holder_code"], holder_code_type=holder["holder_code_type"],
        subject_ref=case.applicant_ref, content=content, issued_on=today,
        number=holder["holder_code"] if type_name == "营业执照" else "")
    CaseEvent.objects.create(case=case, at=completed, type="certificate_issued",
                             department_code=case.department_code, department_name=case.department_name,
                             actor_label=case.department_name[:120] or "一网通办平台",
                             comment=f"已签发电子证照：{cert.name}（{cert.identifier}），已存入证照夹",
                             detail={"identifier": cert.identifier, "name": cert.name})
    return str(cert.identifier)


def on_case_completed(event: Any) -> None:
    """Subscribed with planned writes (ADR 0006): the case is read and checked before the dispatch
    transaction; issuing, which reads the holder and writes the certificate, runs inside it."""
    from yiwang.cases import selectors

    data = event.data or {}
    if data.get("outcome") != "approved":
        return
    case = selectors.case_by_id(data.get("case_id"))
    if case is None or _result_type(case) is None:
        return
    planned.later(partial(_issue_logged, case))


def _issue_logged(case: Any) -> None:
    try:
        issue_result_certificate(case)
    except DomainError as exc:  # e.g. a required 照面 field the form does not carry
        log.info("case %s: result certificate not issued: %s %s", case.number, exc.code, exc.message)
