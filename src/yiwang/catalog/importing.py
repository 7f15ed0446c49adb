"""Reading and writing catalogue spreadsheets (no Django): CSV and Excel, in two layouts.

- The native layout (what `export` writes): one row per item, Chinese column headers, lists joined by
  "、" or newlines, materials / steps / form fields as JSON.
- The 广东政务服务网 export (header starts with TASK_CODE): mapped onto the standard elements; rows that
  cannot be mapped honestly are rejected with a reason, never guessed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from yiwang.catalog.rules import ITEM_TYPE_BY_NAME, ITEM_TYPES, SERVICE_OBJECTS, validate_item
from yiwang.kernel.validators import validate_credit_code


class RowRejected(Exception):
    """A row that cannot be imported; the message (Chinese) says why."""


# (key, header) of the native layout, in column order.
NATIVE_COLUMNS: list[tuple[str, str]] = [
    ("code", "事项编码"), ("name", "事项名称"), ("item_type", "事项类型代码"), ("item_type_name", "事项类型"),
    ("department_code", "实施主体编码"), ("department_name", "实施主体"), ("department_short", "实施主体简称"),
    ("level", "行使层级"), ("power_source", "权力来源"), ("handling_type", "办件类型"), ("audience", "服务对象"),
    ("themes", "主题分类"), ("aliases", "别名"), ("keywords", "关键词"), ("legal_basis", "设定依据"),
    ("conditions", "受理条件"), ("legal_limit_days", "法定办结时限（工作日）"),
    ("promised_limit_days", "承诺办结时限（工作日）"), ("fee", "收费金额（元）"), ("fee_basis", "收费依据"),
    ("channels", "办理形式"), ("visits", "到办事现场次数"), ("location", "办理地点"), ("result_type", "审批结果类型"),
    ("result_name", "审批结果名称"), ("result_certificate_type", "结果证照类型"), ("summary", "事项简介"),
    ("materials", "申请材料(JSON)"), ("steps", "办理流程(JSON)"), ("form_fields", "表单字段(JSON)"),
    ("effective_from", "生效日期"), ("version", "版本号"), ("status", "状态"),
]
HEADER_TO_KEY = {h: k for k, h in NATIVE_COLUMNS} | {k: k for k, _ in NATIVE_COLUMNS}
LIST_SEP = "、"
LINE_LISTS = ("legal_basis", "conditions")
SEP_LISTS = ("audience", "themes", "aliases", "keywords", "channels")
JSON_LISTS = ("materials", "steps", "form_fields")


# --- reading files --------------------------------------------------------------------------------

def read_table(data: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    """(header, rows) from CSV (UTF-8 with or without BOM, or GB18030) or Excel (.xlsx)."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        table = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030")
        table = [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
    if not table:
        raise RowRejected("文件为空")
    header = [h.strip() for h in table[0]]
    return header, table[1:]


def detect_layout(header: Sequence[str]) -> str:
    if "TASK_CODE" in header and "TASK_NAME" in header:
        return "gdzwfw"
    if "事项编码" in header or "code" in header:
        return "native"
    raise RowRejected("无法识别的表头：既不是本系统导出格式，也不是广东政务服务网导出格式")


def iter_records(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it — the header is row 1, record) for each non-empty row."""
    for i, row in enumerate(rows, start=2):
        if not any(str(c).strip() for c in row):
            continue
        rec = {h: (row[j] if j < len(row) else "") for j, h in enumerate(header)}
        if len(row) > len(header) and any(str(c).strip() for c in row[len(header):]):
            rec["__extra__"] = "1"
        yield i, rec


# --- native layout --------------------------------------------------------------------------------

def _split(value: str, sep: str) -> list[str]:
    return [s.strip() for s in value.replace("，", sep if sep != "\n" else "，").split(sep) if s.strip()]


def _int_or_none(value: str, label: str) -> int | None:
    v = str(value).strip()
    if v in ("", "无", "-"):
        return None
    try:
        f = float(v)
    except ValueError:
        raise RowRejected(f"{label}不是整数：{v}") from None
    if f != int(f):
        raise RowRejected(f"{label}不是整数：{v}")
    return int(f)


def native_to_payload(rec: Mapping[str, str]) -> dict[str, Any]:
    r = {HEADER_TO_KEY[k]: str(v) for k, v in rec.items() if k in HEADER_TO_KEY}
    if rec.get("__extra__"):
        raise RowRejected("该行的列数多于表头，可能有未加引号的逗号")
    p: dict[str, Any] = {k: r.get(k, "").strip() for k in ("code", "name", "department_code", "department_name",
                                                          "department_short", "level", "power_source",
                                                          "handling_type", "fee_basis", "location", "result_type",
                                                          "result_name", "result_certificate_type", "summary")}
    item_type = r.get("item_type", "").strip().zfill(2) if r.get("item_type", "").strip() else ""
    if not item_type and r.get("item_type_name"):
        item_type = ITEM_TYPE_BY_NAME.get(r["item_type_name"].strip(), r["item_type_name"].strip())
    p["item_type"] = item_type
    for k in LINE_LISTS:
        p[k] = [s.strip() for s in r.get(k, "").splitlines() if s.strip()]
    for k in SEP_LISTS:
        p[k] = _split(r.get(k, ""), LIST_SEP)
    for k in JSON_LISTS:
        raw = r.get(k, "").strip()
        try:
            value = json.loads(raw) if raw else []
        except json.JSONDecodeError as exc:
            raise RowRejected(f"{dict(NATIVE_COLUMNS)[k]}不是有效的JSON（第{exc.colno}列附近）") from None
        if not isinstance(value, list):
            raise RowRejected(f"{dict(NATIVE_COLUMNS)[k]}应为JSON数组")
        p[k] = value
    p["legal_limit_days"] = _int_or_none(r.get("legal_limit_days", ""), "法定办结时限")
    p["promised_limit_days"] = _int_or_none(r.get("promised_limit_days", ""), "承诺办结时限")
    p["visits"] = _int_or_none(r.get("visits", ""), "到办事现场次数")
    p["fee"] = r.get("fee", "").strip() or "0.00"
    p["effective_from"] = r.get("effective_from", "").strip() or None
    p["source"] = "import"
    return p


def payload_to_native_row(p: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for key, _header in NATIVE_COLUMNS:
        v = p.get(key)
        if key == "item_type_name":
            v = ITEM_TYPES.get(str(p.get("item_type")), "")
        if key in LINE_LISTS:
            out.append("\n".join(v or []))
        elif key in SEP_LISTS:
            out.append(LIST_SEP.join(v or []))
        elif key in JSON_LISTS:
            out.append(json.dumps(v or [], ensure_ascii=False))
        elif v is None:
            out.append("")
        elif isinstance(v, Decimal):
            out.append(f"{v:.2f}")
        else:
            out.append(str(v))
    return out


def write_csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([h for _k, h in NATIVE_COLUMNS])
    for p in rows:
        w.writerow(payload_to_native_row(p))
    return buf.getvalue().encode("utf-8-sig")


def write_xlsx(rows: Sequence[Mapping[str, Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "事项目录"
    ws.append([h for _k, h in NATIVE_COLUMNS])
    for p in rows:
        ws.append(payload_to_native_row(p))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- 广东政务服务网 layout ----------------------------------------------------------------------------

LIMIT_RE = re.compile(r"^(\d+)\((工作日|自然日)\)$")
LAW_RE = re.compile(r"《([^《》]{2,60})》")


def parse_limit(value: str, label: str) -> int | None:
    v = value.strip().replace("（", "(").replace("）", ")")
    if v in ("", "无"):
        return None
    m = LIMIT_RE.match(v)
    if not m:
        raise RowRejected(f"{label}无法识别：{value}")
    if m.group(2) == "自然日":
        raise RowRejected(f"{label}以自然日计（{value}），无法换算为工作日，需人工核定")
    return int(m.group(1))


def _json_list(value: str, label: str) -> list[str]:
    v = value.strip()
    if v in ("", "无"):
        return []
    try:
        data = json.loads(v)
    except json.JSONDecodeError:
        raise RowRejected(f"{label}格式错误：{v[:40]}") from None
    if not isinstance(data, list):
        raise RowRejected(f"{label}应为列表：{v[:40]}")
    return [str(x).strip() for x in data if str(x).strip()]


def gd_row_to_payload(rec: Mapping[str, str]) -> dict[str, Any]:
    """Map one row of the 广东政务服务网 export to item elements, or raise RowRejected."""
    if rec.get("__extra__"):
        raise RowRejected("该行的列数多于表头")
    code = rec.get("TASK_CODE", "").strip()
    if not code:
        raise RowRejected("缺少实施编码（TASK_CODE）")
    try:
        dept_code = validate_credit_code(code[:18])
    except ValueError as exc:
        raise RowRejected(f"实施编码前18位不是有效的实施主体统一社会信用代码（{code[:18]}）：{exc}") from None
    name = rec.get("TASK_NAME", "").strip() or rec.get("matter_name", "").strip()
    type_name = (rec.get("TASK_TYPE_TEXT") or rec.get("matter_type") or "").strip()
    if type_name not in ITEM_TYPE_BY_NAME:
        raise RowRejected(f"事项类型不在标准枚举内：{type_name or '（空）'}")
    legal = parse_limit(rec.get("handle_time", ""), "法定办结时限")
    promised = parse_limit(rec.get("handle_time_limit", ""), "承诺办结时限")
    if promised is None:
        raise RowRejected("缺少承诺办结时限（原值为“无”）")
    audience = _json_list(rec.get("service_object_name", ""), "服务对象")
    unknown = [a for a in audience if a not in SERVICE_OBJECTS]
    if unknown:
        raise RowRejected("服务对象不在标准枚举内：" + "、".join(unknown))
    location = rec.get("handle_location", "").strip()
    channels: list[str] = []
    if location.startswith("办理地点"):
        channels.append("窗口")
        location = location.split("：", 1)[-1].strip()
    elif location in ("无线下办理", "无"):
        location = ""
    if rec.get("ONLINECHECK", "").strip() == "1":
        channels.append("网上")
    visits = _int_or_none(rec.get("visit_number", "") or "0", "到办事现场次数")
    accept = rec.get("accept_standard", "").strip()
    accept = "" if accept == "无" else accept
    laws = list(dict.fromkeys(f"《{t}》" for t in LAW_RE.findall(accept)))
    themes = [t for t in _json_list(rec.get("theme_category", ""), "主题分类") if t != "其他"]
    materials = [{"name": m, "form": "纸质/电子化", "copies": 1, "necessity": "必要", "source": "申请人自备",
                  "certificate_type": "", "shared_resource": "", "note": ""}
                 for m in _json_list(rec.get("material_intro", ""), "申请材料")]
    level = rec.get("matter_level", "").strip()
    p: dict[str, Any] = {
        "code": code, "name": name, "aliases": [], "keywords": [], "item_type": ITEM_TYPE_BY_NAME[type_name],
        "department_code": dept_code, "department_name": rec.get("DEPT_NAME", "").strip(), "department_short": "",
        "level": level, "power_source": "", "legal_basis": laws, "audience": audience,
        "handling_type": "即办件" if promised <= 1 else "承诺件", "themes": themes,
        "conditions": [accept] if accept else [], "materials": materials, "legal_limit_days": legal,
        "promised_limit_days": promised, "fee": "0.00", "fee_basis": "", "channels": channels,
        "visits": visits if visits is not None else 0, "location": location, "steps": [],
        "result_type": "", "result_name": "", "result_certificate_type": "", "form_fields": [],
        "summary": "", "effective_from": None, "source": "import:gdzwfw",
        "extra": {k: rec.get(src, "").strip() for k, src in (
            ("basic_code", "matter_code"), ("consult_phone", "consult_phone"), ("complain_phone", "complain_phone"),
            ("online_url", "URL"), ("co_department", "co_department"), ("courier_service", "courier_service"),
            ("platform", "bear_paltform"), ("region_code", "AREACODE"))
            if rec.get(src, "").strip() not in ("", "无")},
    }
    if len(p["department_name"]) > 100:
        raise RowRejected("实施主体名称超过100字")
    problems = validate_item(p)
    if problems:
        raise RowRejected("；".join(msg for _f, msg in problems))
    return p
