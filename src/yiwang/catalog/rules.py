"""Pure catalogue rules (no Django): the standard enumerations, validation of an item's elements,
一件事 情形 resolution, the merged form and materials, and the catalogue figures."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeGuard

# Enumerations (cn-standards §1).
ITEM_TYPES: dict[str, str] = {
    "01": "行政许可", "02": "行政处罚", "03": "行政强制", "04": "行政征收", "05": "行政给付", "06": "行政检查",
    "07": "行政确认", "08": "行政奖励", "09": "行政裁决", "10": "其他行政权力", "20": "公共服务",
}
ITEM_TYPE_BY_NAME: dict[str, str] = {v: k for k, v in ITEM_TYPES.items()}
SERVICE_OBJECTS = ("自然人", "企业法人", "事业法人", "社会组织法人", "非法人企业", "行政机关", "其他组织")
LEGAL_OBJECTS = frozenset(SERVICE_OBJECTS) - {"自然人"}
LEVELS = ("国家级", "省级", "市级", "县级", "镇(乡、街道)级", "村(社区)级")
HANDLING_TYPES = ("即办件", "承诺件")
CHANNELS = ("窗口", "网上", "掌上")
MATERIAL_FORMS = ("纸质", "电子化", "纸质/电子化")
NECESSITY = ("必要", "非必要", "容缺后补")
SOURCES = ("申请人自备", "政府部门核发", "其他")
POWER_SOURCES = ("法定本级行使", "上级下放", "上级授权", "同级授权", "上级委托", "同级委托")
FIELD_TYPES = ("text", "textarea", "id_number", "phone", "date", "choice", "number", "money", "credit_code", "email")
RESULT_TYPES = ("证照", "批文", "其他", "")

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{1,39}$")
FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

Problem = tuple[str, str]  # (field, Chinese message)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_item(p: Mapping[str, Any]) -> list[Problem]:
    """Every problem with an item's elements, as (field, message). Empty means valid."""
    out: list[Problem] = []
    code = str(p.get("code") or "")
    if not CODE_RE.match(code):
        out.append(("code", "事项编码应为2至40位字母、数字或连字符"))
    name = str(p.get("name") or "").strip()
    if not name:
        out.append(("name", "缺少事项名称"))
    elif len(name) > 200:
        out.append(("name", "事项名称超过200字"))
    if p.get("item_type") not in ITEM_TYPES:
        out.append(("item_type", f"事项类型不在标准枚举内：{p.get('item_type')!r}"))
    if not str(p.get("department_name") or "").strip():
        out.append(("department_name", "缺少实施主体"))
    dept_code = str(p.get("department_code") or "")
    if dept_code and len(dept_code) != 18:
        out.append(("department_code", "实施主体编码应为18位统一社会信用代码"))
    if p.get("level") not in LEVELS:
        out.append(("level", f"行使层级不在标准枚举内：{p.get('level')!r}"))
    audience = p.get("audience") or []
    if not audience:
        out.append(("audience", "缺少服务对象"))
    elif any(a not in SERVICE_OBJECTS for a in audience):
        out.append(("audience", "服务对象不在标准枚举内：" + "、".join(a for a in audience if a not in SERVICE_OBJECTS)))
    if p.get("handling_type") not in HANDLING_TYPES:
        out.append(("handling_type", "办件类型应为即办件或承诺件"))
    promised, legal = p.get("promised_limit_days"), p.get("legal_limit_days")
    if not _is_int(promised) or promised < 0:
        out.append(("promised_limit_days", "承诺办结时限应为不小于0的工作日数"))
    if legal is not None and (not _is_int(legal) or legal < 0):
        out.append(("legal_limit_days", "法定办结时限应为不小于0的工作日数"))
    if _is_int(promised) and _is_int(legal) and promised > legal:
        out.append(("promised_limit_days", f"承诺办结时限（{promised}个工作日）不得超过法定办结时限（{legal}个工作日）"))
    if p.get("handling_type") == "即办件" and _is_int(promised) and promised > 1:
        out.append(("promised_limit_days", "即办件的承诺办结时限不应超过1个工作日"))
    try:
        fee = Decimal(str(p.get("fee", "0")))
        if fee < 0 or fee != fee.quantize(Decimal("0.01")):
            out.append(("fee", "收费金额应为不小于0、最多两位小数的金额"))
        elif fee > 0 and not str(p.get("fee_basis") or "").strip():
            out.append(("fee_basis", "收费事项须填写收费依据"))
    except (InvalidOperation, ValueError):
        out.append(("fee", f"收费金额不是有效金额：{p.get('fee')!r}"))
    channels = p.get("channels") or []
    if not channels or any(c not in CHANNELS for c in channels):
        out.append(("channels", "办理形式应为窗口、网上、掌上中的一种或多种"))
    visits = p.get("visits")
    if not _is_int(visits) or not 0 <= visits <= 9:
        out.append(("visits", "到办事现场次数应为0至9的整数"))
    elif visits == 0 and channels and not ({"网上", "掌上"} & set(channels)):
        out.append(("visits", "到现场0次的事项须支持网上或掌上办理"))
    for i, m in enumerate(p.get("materials") or [], start=1):
        if not isinstance(m, Mapping) or not str(m.get("name") or "").strip():
            out.append(("materials", f"第{i}项材料缺少名称"))
            continue
        if m.get("form", "纸质/电子化") not in MATERIAL_FORMS:
            out.append(("materials", f"材料“{m['name']}”的材料形式不在标准枚举内"))
        if m.get("necessity", "必要") not in NECESSITY:
            out.append(("materials", f"材料“{m['name']}”的必要性不在标准枚举内"))
        if m.get("source", "申请人自备") not in SOURCES:
            out.append(("materials", f"材料“{m['name']}”的来源渠道不在标准枚举内"))
        copies = m.get("copies", 1)
        if not _is_int(copies) or copies < 0:
            out.append(("materials", f"材料“{m['name']}”的份数应为不小于0的整数"))
    seen: set[str] = set()
    for f in p.get("form_fields") or []:
        fname = str(f.get("name") or "") if isinstance(f, Mapping) else ""
        if not FIELD_NAME_RE.match(fname):
            out.append(("form_fields", f"表单字段名不合法：{fname!r}（小写字母开头，仅含字母、数字、下划线）"))
            continue
        if fname in seen:
            out.append(("form_fields", f"表单字段重复：{fname}"))
        seen.add(fname)
        if f.get("type") not in FIELD_TYPES:
            out.append(("form_fields", f"表单字段“{fname}”的类型不支持：{f.get('type')!r}"))
        if f.get("type") == "choice" and not f.get("options"):
            out.append(("form_fields", f"选择型字段“{fname}”缺少选项"))
        if not str(f.get("label") or "").strip():
            out.append(("form_fields", f"表单字段“{fname}”缺少标签"))
    if p.get("result_type", "") not in RESULT_TYPES:
        out.append(("result_type", "审批结果类型应为证照、批文或其他"))
    return out


def validate_bundle(p: Mapping[str, Any], known_codes: Iterable[str]) -> list[Problem]:
    out: list[Problem] = []
    if not CODE_RE.match(str(p.get("code") or "")):
        out.append(("code", "一件事编码应为2至40位字母、数字或连字符"))
    if not str(p.get("name") or "").strip():
        out.append(("name", "缺少一件事名称"))
    items = list(p.get("item_codes") or [])
    if len(items) < 2:
        out.append(("item_codes", "一件事至少包含2个事项"))
    missing = [c for c in items if c not in set(known_codes)]
    if missing:
        out.append(("item_codes", "以下成员事项未发布：" + "、".join(missing)))
    if not set(p.get("core_codes") or []) <= set(items):
        out.append(("core_codes", "必办事项须为成员事项"))
    qcodes = {q.get("code"): {o.get("value") for o in q.get("options") or []} for q in p.get("questions") or []}
    for r in p.get("rules") or []:
        for q, v in (r.get("when") or {}).items():
            if q not in qcodes or v not in qcodes[q]:
                out.append(("rules", f"情形规则引用了不存在的问题或选项：{q}={v}"))
        if not set(r.get("include") or []) | set(r.get("exclude") or []) <= set(items):
            out.append(("rules", "情形规则引用了非成员事项"))
    combined = p.get("combined_limit_days")
    if not _is_int(combined) or combined < 0:
        out.append(("combined_limit_days", "承诺办结时限应为不小于0的工作日数"))
    return out


def applicable_items(bundle: Mapping[str, Any], answers: Mapping[str, str] | None) -> list[str]:
    """Member item codes that apply to an applicant with these 情形 answers (in the bundle's order).

    Without answers every member item is listed (the full guide); with answers: the core items, plus
    what each matching rule includes, minus what it excludes."""
    order = list(bundle.get("item_codes") or bundle.get("items") or [])
    if answers is None:
        return order
    chosen = set(bundle.get("core_codes") or bundle.get("core") or [])
    for rule in bundle.get("rules") or []:
        when = rule.get("when") or {}
        if all(answers.get(q) == v for q, v in when.items()):
            chosen |= set(rule.get("include") or [])
            chosen -= set(rule.get("exclude") or [])
    return [c for c in order if c in chosen]


def merge_fields(per_item: Sequence[tuple[str, Sequence[Mapping[str, Any]]]]) -> list[dict[str, Any]]:
    """One merged form: each field asked once; `needed_by` lists the item codes that need it.

    A field required by any item is required; choice options are united in first-seen order."""
    merged: dict[str, dict[str, Any]] = {}
    for code, fields in per_item:
        for f in fields:
            name = str(f.get("name"))
            if name not in merged:
                merged[name] = {**dict(f), "options": list(f.get("options") or []), "needed_by": [code]}
                continue
            m = merged[name]
            if code not in m["needed_by"]:
                m["needed_by"].append(code)
            m["required"] = bool(m.get("required")) or bool(f.get("required"))
            for o in f.get("options") or []:
                if o not in m["options"]:
                    m["options"].append(o)
    return list(merged.values())


def _material_key(m: Mapping[str, Any]) -> str:
    return str(m.get("certificate_type") or m.get("name"))


NECESSITY_RANK = {"必要": 0, "容缺后补": 1, "非必要": 2}


def merge_materials(per_item: Sequence[tuple[str, Sequence[Mapping[str, Any]]]]) -> list[dict[str, Any]]:
    """One merged list of materials: the same certificate (or same-named material) once, with the
    strictest necessity and the most copies; `needed_by` lists the item codes."""
    merged: dict[str, dict[str, Any]] = {}
    for code, materials in per_item:
        for m in materials:
            key = _material_key(m)
            if key not in merged:
                merged[key] = {**dict(m), "needed_by": [code]}
                continue
            cur = merged[key]
            if code not in cur["needed_by"]:
                cur["needed_by"].append(code)
            if NECESSITY_RANK.get(str(m.get("necessity")), 9) < NECESSITY_RANK.get(str(cur.get("necessity")), 9):
                cur["necessity"] = m.get("necessity")
            cur["copies"] = max(int(cur.get("copies") or 0), int(m.get("copies") or 0))
    return list(merged.values())


def applicant_brings(material: Mapping[str, Any]) -> bool:
    """Whether the applicant must bring it: not when a certificate or shared-data resource stands in."""
    return not (material.get("shared_resource") or
                (material.get("source") == "政府部门核发" and material.get("certificate_type")))


def figures(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Catalogue figures over current items (each with visits, legal_limit_days, promised_limit_days,
    department): 全程网办率, average compression of promised vs legal limits, items per department."""
    total = len(rows)
    online = sum(1 for r in rows if r.get("visits") == 0)
    ratios = [1 - r["promised_limit_days"] / r["legal_limit_days"] for r in rows
              if r.get("legal_limit_days") and r.get("promised_limit_days") is not None]
    per_dept = Counter(str(r.get("department") or "") for r in rows)
    per_type = Counter(str(r.get("item_type_name") or "") for r in rows)
    return {
        "total": total,
        "online_total": online,
        "online_rate": round(online / total, 4) if total else 0.0,
        "compression_items": len(ratios),
        "compression_avg": round(sum(ratios) / len(ratios), 4) if ratios else 0.0,
        "legal_days_total": sum(int(r.get("legal_limit_days") or 0) for r in rows if r.get("legal_limit_days")),
        "per_department": sorted(per_dept.items(), key=lambda kv: (-kv[1], kv[0])),
        "per_type": sorted(per_type.items(), key=lambda kv: (-kv[1], kv[0])),
    }
