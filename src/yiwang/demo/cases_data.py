"""Demo cases: workflow definitions, a 秒批 rule and the case history of 示范市, all through the cases
services with backdated `now=` (never raw SQL).

- Workflows: the 出生一件事 member items are accepted at the one window (陈晨, 政务服务中心) and decided
  by an approver of their department (出生医学证明/预防接种证 → 卫健委 赵强, 出生登记 → 公安局 刘洋,
  城乡居民医保参保 → 医保局 孙敏); 食品经营许可 has a 会签 (市场监管局 + 卫健委 all sign), 公共场所卫生许可
  a 或签 (卫健委 or 市场监管局), 娱乐场所经营许可 a 票签 and 建筑工程施工许可 a sequential 会签.
- 秒批: 不动产登记资料查询 (GG18003000) is approved at once when the applicant is verified and the
  purpose is 购房, 贷款 or 入学 — 张伟 can try it in the demo.
- History: about 2,000 top-level cases (items and 一件事 bundles) over the last ~120 days, in every
  state: 待受理, 办理中 (some past their promised date), 待补正, 已挂起, 已办结 准予/不予, 不予受理, 已撤回,
  终止/撤销. Deterministic from the seed; timestamps are relative to the day the demo is built.
  张伟 gets one completed and one open case of his own; his 出生一件事 is left for the browser journey.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from yiwang.identity.models import Enterprise, Person, Staff
from yiwang.kernel.context import Actor, acting_as
from yiwang.kernel.crypto import decrypt_field
from yiwang.kernel.validators import make_credit_code, make_id_number

HISTORY_DAYS = 120
DEFAULT_CASES = 2000
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
AUTO_RULE_ITEM = "GG18003000"  # 不动产登记资料查询

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞",
         "子涵", "浩然", "雨桐", "欣怡", "宇轩", "思远", "嘉怡", "梓萱", "一鸣", "沐阳", "若汐", "安然"]
STREETS = ["人民路", "建设路", "中山路", "滨江大道", "科技园路", "解放路", "湖滨路", "文昌路"]
DISTRICTS = ["中心区", "东湖区", "西山区", "南江区", "北城区", "高新区"]
BANKS = ["中国工商银行示范市分行", "中国建设银行示范市分行", "中国农业银行示范市分行", "示范市农村商业银行"]

DENY_REASONS = ["经审查，申请人不符合法定条件，依法不予许可。如不服，可在六十日内申请行政复议或在六个月内提起行政诉讼。",
                "现场核查发现场所条件与申报不符，不予许可；可整改后重新申请，或依法申请行政复议、提起行政诉讼。"]
NOT_ACCEPT_REASONS = ["申请事项不属于本机关职权范围，请向户籍所在地主管部门申请。",
                      "申请人已就同一事项提交申请且正在办理中，不予重复受理。"]
CORRECTION_POINTS = [["请上传清晰完整的身份证件照片（正反面）"],
                     ["申请表缺少申请人签字，请签字后重新上传", "联系地址请填写到门牌号"],
                     ["请补充提交与申请事项相关的证明材料原件扫描件"]]
SUSPEND_REASONS = ["需要外部专家评审，期间暂停计时", "等待上级部门出具意见"]


# --- workflows and the 秒批 rule --------------------------------------------------------------------


def _definitions(org: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Workflow definitions by item code; `org` maps a department short name to its code."""
    centre = org["政务服务中心"]

    def simple(dept: str, decide_name: str = "审核决定") -> dict[str, Any]:
        return {"steps": [
            {"code": "accept", "name": "一窗受理", "kind": "intake", "role": "window_clerk", "department": centre,
             "next": "decide"},
            {"code": "decide", "name": decide_name, "kind": "decision", "role": "approver", "department": org[dept]},
        ]}

    return {
        "GG06001000": simple("卫健委"),  # 出生医学证明 → 赵强
        "GG06002000": simple("卫健委"),  # 预防接种证
        "QR03001000": simple("公安局"),  # 出生登记 → 刘洋
        "GG05001000": simple("医保局"),  # 城乡居民医保参保 → 孙敏
        "XK01006000": {"steps": [  # 食品经营许可: 会签 with 卫健委
            {"code": "accept", "name": "一窗受理", "kind": "intake", "role": "window_clerk", "department": centre,
             "next": "review"},
            {"code": "review", "name": "材料审查", "kind": "task", "role": "approver", "department": org["市场监管局"],
             "next": "joint"},
            {"code": "joint", "name": "联合会签", "kind": "all", "role": "approver",
             "participants": [org["市场监管局"], org["卫健委"]], "next": "decide"},
            {"code": "decide", "name": "许可决定", "kind": "decision", "role": "supervisor",
             "department": org["市场监管局"]},
        ]},
        "XK06006000": {"steps": [  # 公共场所卫生许可: 或签
            {"code": "accept", "name": "一窗受理", "kind": "intake", "role": "window_clerk", "department": centre,
             "next": "inspect"},
            {"code": "inspect", "name": "现场核查（或签）", "kind": "any", "role": "approver",
             "participants": [org["卫健委"], org["市场监管局"]], "next": "decide"},
            {"code": "decide", "name": "许可决定", "kind": "decision", "role": "approver", "department": org["卫健委"]},
        ]},
        "XK17001000": {"steps": [  # 娱乐场所经营许可: 票签
            {"code": "accept", "name": "一窗受理", "kind": "intake", "role": "window_clerk", "department": centre,
             "next": "vote"},
            {"code": "vote", "name": "联合审查（票签）", "kind": "vote", "role": "approver", "ratio": 0.6,
             "participants": [org["文旅局"], org["公安局"], org["生态环境局"]], "next": "decide"},
            {"code": "decide", "name": "许可决定", "kind": "decision", "role": "supervisor", "department": org["文旅局"]},
        ]},
        "XK08001000": {"steps": [  # 建筑工程施工许可: 顺序会签
            {"code": "accept", "name": "一窗受理", "kind": "intake", "role": "window_clerk", "department": centre,
             "next": "review"},
            {"code": "review", "name": "材料审查", "kind": "task", "role": "approver", "department": org["住建局"],
             "next": "joint"},
            {"code": "joint", "name": "顺序会签", "kind": "all", "role": "approver", "sequential": True,
             "participants": [org["住建局"], org["自然资源局"]], "next": "decide"},
            {"code": "decide", "name": "许可决定", "kind": "decision", "role": "supervisor", "department": org["住建局"]},
        ]},
    }


AUTO_RULE: list[dict[str, Any]] = [
    {"fact": "verified.applicant_ref", "op": "exists", "label": "申请人已实名认证"},
    {"fact": "form.query_purpose", "op": "in", "value": ["购房", "贷款", "入学"], "label": "查询用途为购房、贷款或入学"},
    {"fact": "form.applicant_id_number", "op": "exists", "label": "填写了申请人身份证号"},
]


# --- people and staff --------------------------------------------------------------------------------


@dataclass
class _Pools:
    centre: str
    by_dept_role: dict[tuple[str, str], list[Any]] = field(default_factory=dict)  # (org code, role) → users
    heads: dict[str, list[Any]] = field(default_factory=dict)
    personas: dict[tuple[str, str], Any] = field(default_factory=dict)  # (org code, role) → persona user

    def user_for(self, dept: str, role: str, rng: random.Random) -> Any:
        if role == "supervisor":
            return rng.choice(self.heads[dept])
        persona = self.personas.get((dept, role))
        if persona is not None and rng.random() < 0.7:
            return persona
        pool = self.by_dept_role.get((dept, role)) or self.heads[dept]
        return rng.choice(pool)


def _pools(org: dict[str, str]) -> _Pools:
    pools = _Pools(centre=org["政务服务中心"])
    for staff in Staff.objects.select_related("user", "organisation").prefetch_related("roles").order_by("employee_no"):
        code = staff.organisation.code
        roles = {r.code for r in staff.roles.all()}
        for role in roles:
            pools.by_dept_role.setdefault((code, role), []).append(staff.user)
        if "supervisor" in roles:
            pools.heads.setdefault(code, []).append(staff.user)
        if staff.user.username in ("chenchen", "zhaoqiang", "liuyang", "sunmin"):
            for role in roles:
                pools.personas[(code, role)] = staff.user
    return pools


@dataclass
class _Subject:
    ref: str
    name: str
    user: Any
    id_number: str
    phone: str
    enterprise: Enterprise | None = None


# --- forms -------------------------------------------------------------------------------------------


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _form_for(fields: list[dict[str, Any]], subject: _Subject, rng: random.Random, day: date) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ent = subject.enterprise
    for f in fields:
        name, kind = f["name"], f.get("type") or "text"
        if not f.get("required") and rng.random() < 0.5:
            continue
        if kind == "id_number":
            if name in ("applicant_id_number", "legal_rep_id_number", "father_id_number") and subject.id_number:
                value: Any = subject.id_number
            else:
                value = make_id_number("330106", day - timedelta(days=rng.randint(20 * 365, 60 * 365)),
                                       rng.randrange(0, 998))
            if name == "student_id_number":
                value = make_id_number("330106", day - timedelta(days=rng.randint(6 * 365, 12 * 365)),
                                       rng.randrange(0, 998))
        elif kind == "phone":
            value = subject.phone or f"139{rng.randint(10_000_000, 99_999_999)}"
        elif kind == "credit_code":
            value = ent.credit_code if ent else make_credit_code("9", "1", "990102", "MA" + f"{rng.randrange(10**7):07d}")
        elif kind == "date":
            value = (day - timedelta(days=rng.randint(1, 25))).isoformat()
            if name in ("appointment_date", "show_date"):
                value = (day + timedelta(days=rng.randint(3, 20))).isoformat()
        elif kind in ("number", "money"):
            value = str(rng.choice([1, 2, 3, 4, 5, 8, 12, 30, 60, 120, 500, 1200, 3000]))
        elif kind == "choice":
            value = rng.choice(f.get("options") or ["是"])
        elif name in ("applicant_name", "legal_rep_name", "father_name"):
            value = ent.legal_rep.real_name if ent else subject.name
        elif name in ("enterprise_name", "org_name", "employer"):
            value = ent.name if ent else f"示范市{rng.choice(['青禾', '远航', '华信', '启明'])}有限公司"
        elif name.endswith("_name"):
            value = _person_name(rng)
        elif "address" in name or name in ("venue", "destination", "from_region"):
            value = f"示范市{rng.choice(DISTRICTS)}{rng.choice(STREETS)}{rng.randint(1, 300)}号"
        elif name == "bank_account":
            value = f"6222{rng.randint(10**14, 10**15 - 1)}"
        elif name == "bank_name":
            value = rng.choice(BANKS)
        elif name == "business_scope":
            value = ent.business_scope if ent and ent.business_scope else "餐饮服务；食品销售"
        elif name in ("property_cert_no",):
            value = f"示范不动产权第{rng.randint(1000000, 9999999)}号"
        else:
            value = f"{f.get('label') or name}（演示）"
        out[name] = value
    return out


def _uploads(materials: list[dict[str, Any]]) -> list[Any]:
    from yiwang.cases import formcheck, services

    return [services.Upload(material=m["name"], filename=f"{m['name'][:40]}.pdf", content_type="application/pdf",
                            content=PDF)
            for m in materials if formcheck.material_required(m) and not m.get("shared_resource")]


# --- driving a case ------------------------------------------------------------------------------------

ACTION_FOR_KIND = {"intake": "accept", "task": "approve", "decision": "decide_approve", "all": "agree",
                   "any": "agree", "vote": "agree"}


@dataclass
class _Run:
    rng: random.Random
    pools: _Pools
    end: datetime  # nothing happens after this (the start of the build day)
    trng: random.Random = field(default_factory=lambda: random.Random(0))  # time jitter only
    acts: int = 0

    def later(self, t: datetime, lo_h: float = 1.0, hi_h: float = 40.0) -> datetime:
        t = t + timedelta(hours=self.trng.uniform(lo_h, hi_h))
        local = timezone.localtime(t)
        if local.hour < 9 or local.hour >= 17:  # office hours
            day = local.date() + (timedelta(days=1) if local.hour >= 17 else timedelta())
            local = local.replace(year=day.year, month=day.month, day=day.day, hour=9,
                                  minute=self.trng.randint(0, 59))
        if local.weekday() >= 5:
            local = local + timedelta(days=7 - local.weekday())
        return local

    def act(self, case: Any, t: datetime, override: dict[str, str] | None = None) -> Any | None:
        """One staff action on the case's first open work item; None when nothing could be done."""
        from yiwang.cases import services
        from yiwang.cases.models import WorkItem

        item = WorkItem.objects.filter(case_id=case.pk, status="open").exclude(role="system").order_by(
            "sequence", "opened_at").first()
        if item is None or t >= self.end:
            return None
        action = (override or {}).get(item.step_kind) or ACTION_FOR_KIND[item.step_kind]
        user = self.pools.user_for(item.department_code, item.role, self.rng)
        comment, points = "", []
        if action == "decide_deny":
            comment = self.rng.choice(DENY_REASONS)
        elif action == "not_accept":
            comment = self.rng.choice(NOT_ACCEPT_REASONS)
        elif action == "request_corrections":
            points = self.rng.choice(CORRECTION_POINTS)
        elif action == "return":
            comment = "材料审查意见不充分，请补充核查后重新提交"
        elif action == "approve":
            comment = self.rng.choice(["材料齐全，符合要求", "经审查符合条件", ""])
        label = getattr(user, "display_name", "") or user.username
        with acting_as(Actor(user_id=user.pk, label=label)):
            case = services.task_act(work_item_id=item.pk, user=user, action=action, comment=comment,
                                     points=points, now=t)
        self.acts += 1
        return case

    def case_level(self, case: Any, t: datetime, action: str, reason: str) -> Any:
        from yiwang.cases import services
        from yiwang.cases.models import WorkItem

        dept = case.department_code
        if action == "recall":
            return case
        involved = set(WorkItem.objects.filter(case_id=case.pk).values_list("department_code", flat=True))
        if dept not in involved or dept not in self.pools.heads:
            dept = next((d for d in involved if d in self.pools.heads), dept)
        user = self.rng.choice(self.pools.heads[dept])
        with acting_as(Actor(user_id=user.pk, label=getattr(user, "display_name", "") or user.username)):
            case = services.case_action(case_id=case.pk, user=user, action=action, reason=reason, now=t)
        self.acts += 1
        return case


FATES = [  # (fate, weight) for cases submitted more than two weeks ago
    ("approved", 62), ("denied", 5), ("not_accepted", 4), ("withdrawn", 3), ("corrected", 8), ("returned", 3),
    ("overdue", 6), ("suspended", 2), ("terminated", 1), ("revoked", 1), ("corrections", 1), ("in_progress", 4),
]
RECENT_FATES = [  # cases of the last two weeks are mostly still open
    ("submitted", 18), ("in_progress", 30), ("corrections", 8), ("approved", 30), ("denied", 2),
    ("not_accepted", 2), ("withdrawn", 3), ("suspended", 2), ("corrected", 5),
]


def _pick(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([f for f, _ in table], weights=[w for _, w in table])[0]


def _drive(run: _Run, case: Any, t: datetime, fate: str, applicant: Any) -> tuple[Any, datetime]:
    """Take a freshly submitted case towards `fate`, acting at increasing times up to `run.end`."""
    from yiwang.cases import services
    from yiwang.cases.models import Case

    rng = run.rng
    if case.is_final or fate == "submitted":
        return case, t
    if fate == "withdrawn":
        t = run.later(t, 0.2, 20)
        if t < run.end:
            with acting_as(Actor(user_id=getattr(applicant.user, "pk", None), label=applicant.name)):
                case = services.case_withdraw(case_id=case.pk, applicant=applicant, reason="信息填写有误，撤回后重新申请",
                                              now=t)
        return case, t
    first = {"not_accepted": "not_accept", "corrections": "request_corrections",
             "corrected": "request_corrections"}.get(fate)
    t = run.later(t, 0.5, 30)
    nxt = run.act(case, t, {"intake": first, "task": first, "decision": first} if first else None)
    if nxt is None:
        return case, t
    case = nxt
    if fate in ("not_accepted", "corrections"):
        return case, t
    if fate == "corrected":
        t = run.later(t, 20, 90)
        if t >= run.end:
            return case, t
        with acting_as(Actor(user_id=getattr(applicant.user, "pk", None), label=applicant.name)):
            case = services.corrections_answer(case_id=case.pk, applicant=applicant, note="已按要求补正",
                                               uploads=_uploads([{"name": "补正材料", "necessity": "必要"}]), now=t)
        if case.status == Case.Status.SUBMITTED:  # corrected at intake: now it is accepted
            t = run.later(t, 0.5, 10)
            case = run.act(case, t) or case
    if case.kind == Case.Kind.BUNDLE:
        return _drive_bundle(run, case, t, fate)
    stop_after = rng.randint(0, 2) if fate in ("in_progress", "overdue") else 99
    returned = False
    done = 0
    while not case.is_final and done < stop_after:
        t = run.later(t)
        if fate in ("suspended", "terminated", "revoked") and done == 0 and case.status == Case.Status.IN_PROGRESS:
            reason = {"suspended": rng.choice(SUSPEND_REASONS), "terminated": "申请人死亡，办理终止",
                      "revoked": "申请人以欺骗手段取得受理，依法撤销"}[fate]
            if t < run.end:
                case = run.case_level(case, t, {"suspended": "suspend", "terminated": "terminate",
                                                "revoked": "revoke"}[fate], reason)
            return case, t
        override = None
        if fate == "returned" and not returned and case.step_code == "decide":
            override, returned = {"decision": "return"}, True
        elif fate == "denied":
            override = {"decision": "decide_deny"}
        nxt = run.act(case, t, override)
        if nxt is None:
            break
        case = nxt
        done += 1
    return case, t


def _drive_bundle(run: _Run, parent: Any, t: datetime, fate: str) -> tuple[Any, datetime]:
    from yiwang.cases.models import Case

    for child in list(Case.objects.filter(parent=parent).order_by("number")):
        ct = t
        steps = run.rng.randint(0, 1) if fate in ("in_progress", "overdue") else 99
        done = 0
        while not child.is_final and done < steps:
            ct = run.later(ct)
            deny = fate == "denied" and run.rng.random() < 0.5
            nxt = run.act(child, ct, {"decision": "decide_deny"} if deny else None)
            if nxt is None:
                break
            child, done = nxt, done + 1
    parent.refresh_from_db()
    return parent, t


# --- the build -----------------------------------------------------------------------------------------


def _subjects(rng: random.Random) -> tuple[list[_Subject], list[_Subject], _Subject | None]:
    people, zhang = [], None
    for p in Person.objects.select_related("user").order_by("created_at", "id"):
        phone = decrypt_field(p.phone_enc) if p.phone_enc else ""
        s = _Subject(ref=p.subject_ref, name=p.real_name, user=p.user, id_number=decrypt_field(p.id_number_enc),
                     phone=phone)
        if phone == "13800000001":
            zhang = s
            continue
        if p.user is not None:
            people.append(s)
    ents = []
    for e in Enterprise.objects.select_related("legal_rep", "legal_rep__user").order_by("credit_code"):
        rep = e.legal_rep
        if rep.user is None:
            continue
        ents.append(_Subject(ref=e.subject_ref, name=e.name, user=rep.user, id_number=decrypt_field(rep.id_number_enc),
                             phone=decrypt_field(rep.phone_enc) if rep.phone_enc else "", enterprise=e))
    return people, ents, zhang


def build(seed: int, *, count: int | None = None, end: datetime | None = None) -> dict[str, int]:
    from yiwang.cases import services
    from yiwang.cases.models import Case
    from yiwang.catalog import selectors as catalog_selectors
    from yiwang.identity import selectors as identity_selectors

    centre = identity_selectors.organisation_by_short_name("政务服务中心")
    departments = {o.short_name: o.code for o in identity_selectors.departments()}
    if centre is None or not departments:
        return {}
    org = {**departments, "政务服务中心": centre.code}
    services.forget_definitions()
    services.set_intake_centre(centre.code, centre.name)
    definitions = _definitions(org)
    for code, definition in definitions.items():
        services.definition_save(item_code=code, definition=definition, note="示范市演示流程")
    services.rule_save(item_code=AUTO_RULE_ITEM, name="不动产登记资料查询秒批", conditions=AUTO_RULE)

    rng = random.Random(seed ^ 0xCA5E)
    if count is None:  # YIWANG_DEMO_CASES=200 makes a quick demo for development
        count = int(os.environ.get("YIWANG_DEMO_CASES", "") or DEFAULT_CASES)
    # The history ends at the start of the build day, so that building twice on one day gives the same data.
    end = end or timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    pools = _pools(org)
    run = _Run(rng=rng, pools=pools, end=end, trng=random.Random(seed ^ 0x7131))
    people, ents, zhang = _subjects(rng)
    versions = {v.item.code: v for v in catalog_selectors.in_force().select_related("item")}
    person_items = [c for c, v in versions.items() if "自然人" in v.audience and c != "QT13001000"]
    ent_items = [c for c, v in versions.items() if set(v.audience) & {"企业法人", "非法人企业"}]
    bundles = {b.code: b for b in catalog_selectors.bundles_published()}
    # The persona items get more traffic so that every demo inbox has work in it.
    hot = ["GG06001000", "QR03001000", "GG05001000", "XK01006000", "XK06006000", "GG06002000"]

    start = timezone.localtime(end) - timedelta(days=HISTORY_DAYS)
    times = sorted(start + timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400 - 3600)) for _ in range(count))
    made = bundles_made = 0
    for t in times:
        t = run.later(t, 0, 0.01)
        if t >= end:
            t = end - timedelta(minutes=rng.randint(5, 600))
        recent = (end - t).days < 14
        fate = _pick(rng, RECENT_FATES if recent else FATES)
        as_enterprise = rng.random() < 0.25 and bool(ents)
        subject = rng.choice(ents if as_enterprise else people)
        applicant = services.Applicant(ref=subject.ref, name=subject.name, user=subject.user)
        channel = rng.choice(["网上", "网上", "掌上", "窗口"])
        day = timezone.localtime(t).date()
        kwargs: dict[str, Any]
        roll = rng.random()
        if roll < 0.08 and bundles:
            bundle = bundles[rng.choice(sorted(b for b in bundles if (b in ("YJS0002", "YJS0006", "YJS0007"))
                                               == as_enterprise) or sorted(bundles))]
            answers = {q["code"]: rng.choice(q["options"])["value"] for q in bundle.questions}
            guide = catalog_selectors.bundle_guide(bundle, answers)
            kwargs = {"bundle_code": bundle.code, "answers": answers,
                      "form": _form_for(guide["fields"], subject, rng, day), "uploads": _uploads(guide["materials"])}
        else:
            pool = ent_items if as_enterprise else person_items
            code = rng.choice(hot) if (roll < 0.35 and not as_enterprise) else rng.choice(pool)
            if as_enterprise and roll < 0.2:
                code = rng.choice(["XK01006000", "XK17001000", "XK08001000", "XK06006000"])
            v = versions[code]
            kwargs = {"version_id": v.pk, "form": _form_for(v.form_fields, subject, rng, day),
                      "uploads": _uploads(v.materials)}
        with acting_as(Actor(user_id=getattr(subject.user, "pk", None), label=subject.name)):
            case = services.case_submit(applicant=applicant, channel=channel, now=t, **kwargs)
        made += 1
        bundles_made += case.kind == Case.Kind.BUNDLE
        if fate == "overdue":  # accepted long ago and still open
            fate = "in_progress"
        if case.kind == Case.Kind.BUNDLE and fate in ("not_accepted", "suspended", "terminated", "revoked",
                                                      "returned"):
            fate = "approved"  # a bundle's sub-cases follow their own departments' decisions
        _drive(run, case, t, fate, applicant)
    personal = _zhang_wei(run, zhang, versions, end) if zhang else 0
    escalated = services.escalate_overdue(now=end)
    return {"办件（历史）": made + personal, "其中一件事": bundles_made, "办理动作": run.acts, "超期督办": escalated,
            "流程定义": len(definitions), "秒批规则": 1}


def _zhang_wei(run: _Run, zhang: _Subject, versions: dict[str, Any], end: datetime) -> int:
    """张伟's own: 个税汇算 completed two months ago, and a 居民身份证 renewal in 公安局 review now."""
    from yiwang.cases import services

    applicant = services.Applicant(ref=zhang.ref, name=zhang.name, user=zhang.user)
    local_end = timezone.localtime(end)
    t1 = datetime.combine(local_end.date() - timedelta(days=61), time(10, 12), tzinfo=local_end.tzinfo)
    v = versions["GG02005000"]
    form = {"applicant_name": zhang.name, "applicant_id_number": zhang.id_number, "phone": zhang.phone,
            "bank_account": "6222020200112233445", "bank_name": "中国工商银行示范市分行"}
    with acting_as(Actor(user_id=zhang.user.pk if zhang.user else None, label=zhang.name)):
        case = services.case_submit(applicant=applicant, version_id=v.pk, form=form, now=t1)
    _drive(run, case, t1, "approved", applicant)
    t2 = datetime.combine(local_end.date() - timedelta(days=3), time(9, 40), tzinfo=local_end.tzinfo)
    if t2 >= end:
        t2 = end - timedelta(hours=2)
    v = versions["GG03002000"]
    form = {"applicant_name": zhang.name, "applicant_id_number": zhang.id_number, "phone": zhang.phone,
            "apply_reason": "有效期满换领", "delivery": "邮寄", "address": "示范市中心区人民路1号"}
    with acting_as(Actor(user_id=zhang.user.pk if zhang.user else None, label=zhang.name)):
        case = services.case_submit(applicant=applicant, version_id=v.pk, form=form, uploads=_uploads(v.materials),
                                    now=t2)
    t = run.later(t2, 0.5, 3)
    if t < end:
        run.act(case, t)  # 陈晨 accepts; it waits in 公安局's review (刘洋)
    return 2
