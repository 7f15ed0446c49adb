"""Validators for Chinese identifiers. Each returns the normalised value or raises ValueError with a
Chinese message naming what is wrong.

- 身份证号 GB 11643-1999: 6-digit region, 8-digit real birth date, 3-digit sequence, ISO 7064 MOD 11-2 check.
- 统一社会信用代码 GB 32100-2015: 18 characters from a 31-letter alphabet, MOD 31 check character.
- 手机号: 11 digits starting 1[3-9].
"""

from __future__ import annotations

import re
from datetime import date

# Province-level prefixes of GB/T 2260 (the first two digits of every region code).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82", "83",
    }
)  # fmt: skip

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_REGISTRARS = "123456789AGNY"

# ASCII only: `\d` would also accept full-width and other Unicode digits.
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_PHONE = re.compile(r"^1[3-9][0-9]{9}$")
# Region codes that end in 0000 are valid only for 港澳台 (81/82 for 港澳居民居住证, 83 for 台湾居民, 71).
_OUTSIDE_MAINLAND = frozenset({"71", "81", "82", "83"})


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str, *, today: date | None = None) -> str:
    """Return the normalised 18-character 身份证号 or raise ValueError."""
    if not isinstance(value, str):
        raise ValueError("身份证号必须是字符串")
    v = value.strip().upper()
    if len(v) != 18:
        raise ValueError("身份证号应为18位")
    if not _ID_SHAPE.fullmatch(v):
        raise ValueError("身份证号前17位应为数字，最后一位为数字或X")
    if v[:2] not in PROVINCE_CODES or (v[2:6] == "0000" and v[:2] not in _OUTSIDE_MAINLAND):
        raise ValueError("身份证号的地址码不正确")
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValueError("身份证号中的出生日期不存在") from None
    if born < date(1900, 1, 1) or born > (today or date.today()):
        raise ValueError("身份证号中的出生日期不合理")
    if id_check_char(v[:17]) != v[17]:
        raise ValueError("身份证号校验位不正确")
    return v


def id_number_birth_date(value: str) -> date:
    v = validate_id_number(value)
    return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def id_number_gender(value: str) -> str:
    """'M' or 'F' from the sequence digit (odd = male)."""
    return "M" if int(validate_id_number(value)[16]) % 2 else "F"


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """Return the normalised 统一社会信用代码 or raise ValueError."""
    if not isinstance(value, str):
        raise ValueError("统一社会信用代码必须是字符串")
    v = value.strip().upper()
    if len(v) != 18:
        raise ValueError("统一社会信用代码应为18位")
    bad = sorted({c for c in v if c not in USCC_ALPHABET})
    if bad:
        raise ValueError(f"统一社会信用代码含有不允许的字符：{''.join(bad)}（不使用 I、O、S、V、Z）")
    if v[0] not in USCC_REGISTRARS:
        raise ValueError("统一社会信用代码的登记管理部门代码不正确")
    if not v[2:8].isdigit():
        raise ValueError("统一社会信用代码的第3至8位应为行政区划代码")
    if uscc_check_char(v[:17]) != v[17]:
        raise ValueError("统一社会信用代码校验位不正确")
    return v


def validate_mobile(value: str) -> str:
    if not isinstance(value, str):
        raise ValueError("手机号必须是字符串")
    v = value.strip().replace(" ", "").replace("-", "")
    if v.startswith("+86"):
        v = v[3:]
    if not _PHONE.fullmatch(v):
        raise ValueError("手机号应为以1开头的11位数字")
    return v


def make_id_number(region6: str, born: date, sequence: int) -> str:
    """Build a valid 身份证号 (demo data and tests)."""
    first17 = f"{region6}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def make_credit_code(registrar: str, category: str, region6: str, body9: str) -> str:
    """Build a valid 统一社会信用代码 (demo data and tests). body9 uses the USCC alphabet."""
    first17 = f"{registrar}{category}{region6}{body9}"
    return first17 + uscc_check_char(first17)
