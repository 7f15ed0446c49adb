"""证照标识 (GB/T 36904): parse, build and check. Pure Python, no Django.

    1.2.156.3005.2.<证照类型代码>.<颁发机构代码>.<流水号>.<版本号>.<校验位>

The check character is ISO/IEC 7064 MOD 37,36 over the four middle parts with the dots removed,
alphabet 0-9A-Z (see /work/shared/reference/cn-standards.md §3 and §7).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROOT = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

_TYPE_RE = re.compile(r"^[0-9A-Z]{18}\d{3}$")
_ISSUER_RE = re.compile(r"^[0-9A-Z]{18}$")
_SERIAL_RE = re.compile(r"^[0-9A-Z]{1,40}$")
_VERSION_RE = re.compile(r"^\d{3}$")


class IdentifierError(ValueError):
    """A malformed identifier; `part` names what is wrong (format, check)."""

    def __init__(self, message: str, part: str = "format"):
        super().__init__(message)
        self.part = part


def mod37_36_check(data: str) -> str:
    """ISO/IEC 7064 MOD 37,36 check character for `data` (characters 0-9A-Z)."""
    p = 36
    for ch in data.upper():
        v = ALPHABET.find(ch)
        if v < 0:
            raise IdentifierError(f"字符 {ch!r} 不在 0-9A-Z 中")
        p = (p + v) % 36 or 36
        p = (2 * p) % 37
    return ALPHABET[(37 - p) % 36]


@dataclass(frozen=True)
class Identifier:
    type_code: str
    issuer_code: str
    serial: str
    version: str
    check: str

    def __str__(self) -> str:
        return f"{ROOT}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version}.{self.check}"


def build(type_code: str, issuer_code: str, serial: str, version: str = "001") -> Identifier:
    type_code, issuer_code, serial = type_code.upper(), issuer_code.upper(), serial.upper()
    if not _TYPE_RE.match(type_code):
        raise IdentifierError("证照类型代码应为 18 位统一社会信用代码加 3 位数字")
    if not _ISSUER_RE.match(issuer_code):
        raise IdentifierError("颁发机构代码应为 18 位统一社会信用代码")
    if not _SERIAL_RE.match(serial):
        raise IdentifierError("流水号只能包含数字和大写字母")
    if not _VERSION_RE.match(version):
        raise IdentifierError("版本号应为 3 位数字")
    check = mod37_36_check(type_code + issuer_code + serial + version)
    return Identifier(type_code, issuer_code, serial, version, check)


def parse(text: str) -> Identifier:
    """Parse and check an identifier; raises IdentifierError (part "format" or "check")."""
    text = (text or "").strip().upper()
    if not text.startswith(ROOT + "."):
        raise IdentifierError(f"证照标识应以 {ROOT}. 开头")
    parts = text[len(ROOT) + 1:].split(".")
    if len(parts) != 5:
        raise IdentifierError("证照标识应由类型代码、颁发机构代码、流水号、版本号和校验位五段组成")
    type_code, issuer_code, serial, version, check = parts
    expected = build(type_code, issuer_code, serial, version)
    if len(check) != 1 or check != expected.check:
        raise IdentifierError("证照标识校验位不正确", "check")
    return expected
