"""The standard certificate types of the demo city's catalogue (证照目录).

A type code is the defining authority's USCC + a 3-digit sequence (GB/T 36904 as observed on real
IDs). Here each type is defined by the department that issues it; `install` takes their codes.
"""

from __future__ import annotations

from yiwang.certificates import services
from yiwang.certificates.models import CertificateType


def _f(key: str, label: str, required: bool = True) -> dict[str, object]:
    return {"key": key, "label": label, "required": required}


# (seq, name, issuing department short name, holder kind, validity years, fields)
STANDARD_TYPES: list[tuple[str, str, str, str, int, list[dict[str, object]]]] = [
    ("001", "营业执照", "市场监管局", "enterprise", 0, [
        _f("KZ_MC", "名称"), _f("KZ_LX", "类型"), _f("KZ_FDDBR", "法定代表人"), _f("KZ_ZCZB", "注册资本"),
        _f("KZ_CLRQ", "成立日期"), _f("KZ_ZS", "住所"), _f("KZ_JYFW", "经营范围")]),
    ("002", "食品经营许可证", "市场监管局", "enterprise", 5, [
        _f("KZ_JYZMC", "经营者名称"), _f("KZ_FDDBR", "法定代表人（负责人）"), _f("KZ_ZS", "住所"),
        _f("KZ_JYCS", "经营场所"), _f("KZ_ZTYT", "主体业态"), _f("KZ_JYXM", "经营项目")]),
    ("001", "居民户口簿", "公安局", "person", 0, [
        _f("KZ_HZXM", "户主姓名"), _f("KZ_HB", "户别"), _f("KZ_ZZ", "住址"), _f("KZ_XM", "姓名"),
        _f("KZ_YHZGX", "与户主关系"), _f("KZ_XB", "性别"), _f("KZ_CSRQ", "出生日期"), _f("KZ_MZ", "民族", False)]),
    ("001", "结婚证", "民政局", "person", 0, [
        _f("KZ_CZR", "持证人"), _f("KZ_DJRQ", "登记日期"), _f("KZ_NFXM", "男方姓名"), _f("KZ_NVFXM", "女方姓名"),
        _f("KZ_DJJG", "婚姻登记机关")]),
    ("001", "出生医学证明", "卫健委", "person", 0, [
        _f("KZ_XSEXM", "新生儿姓名"), _f("KZ_XB", "性别"), _f("KZ_CSSJ", "出生时间"), _f("KZ_CSDD", "出生地点"),
        _f("KZ_MQXM", "母亲姓名"), _f("KZ_FQXM", "父亲姓名", False), _f("KZ_JSJG", "接生机构")]),
    ("001", "不动产权证书", "不动产登记中心", "person", 0, [
        _f("KZ_QLR", "权利人"), _f("KZ_GYQK", "共有情况"), _f("KZ_ZL", "坐落"), _f("KZ_BDCDYH", "不动产单元号"),
        _f("KZ_QLLX", "权利类型"), _f("KZ_YT", "用途"), _f("KZ_MJ", "面积")]),
    ("001", "社会保障卡", "人社局", "person", 10, [
        _f("KZ_XM", "姓名"), _f("KZ_KH", "卡号"), _f("KZ_FKJG", "发卡机构")]),
]


def install(department_codes: dict[str, str]) -> dict[str, CertificateType]:
    """Create or update the standard types; `department_codes` maps a short name (市场监管局) to its USCC.
    Types whose department is missing are skipped."""
    out: dict[str, CertificateType] = {}
    for seq, name, dept, holder, years, fields in STANDARD_TYPES:
        code = department_codes.get(dept)
        if not code:
            continue
        out[name] = services.certificate_type_ensure(code=code + seq, name=name, holder_kind=holder, fields=fields,
                                                     defining_authority=dept, issuer_short_name=dept,
                                                     validity_years=years)
    return out
