"""Form validation from the catalogue's field definitions (pure; kernel validators for the formats)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from yiwang.kernel import validators
from yiwang.kernel.errors import ValidationFailed

MAX_TEXT = 2000


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int, float, Decimal)):
        return str(value).strip()
    raise TypeError


def validate(fields: Sequence[Mapping[str, Any]], form: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned form: only defined fields, each checked by type; the first problem raises
    ValidationFailed with the field's name (so the page can point at it)."""
    cleaned: dict[str, Any] = {}
    for f in fields:
        name, label, kind = str(f["name"]), str(f.get("label") or f["name"]), str(f.get("type") or "text")
        try:
            value = _text(form.get(name))
        except TypeError:
            raise ValidationFailed("case.field_invalid", f"{label}格式不正确", name) from None
        if not value:
            if f.get("required"):
                raise ValidationFailed("case.field_required", f"请填写{label}", name)
            continue
        if len(value) > MAX_TEXT:
            raise ValidationFailed("case.field_too_long", f"{label}不能超过 {MAX_TEXT} 字", name)
        cleaned[name] = _check(kind, value, label, name, f)
    return cleaned


def _check(kind: str, value: str, label: str, name: str, f: Mapping[str, Any]) -> Any:
    try:
        if kind == "id_number":
            return validators.validate_id_number(value)
        if kind == "phone":
            return validators.validate_mobile(value)
        if kind == "credit_code":
            return validators.validate_credit_code(value)
    except ValueError as exc:
        raise ValidationFailed("case.field_invalid", f"{label}：{exc}", name) from None
    if kind == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValidationFailed("case.field_invalid", f"{label}应为日期（如 2026-11-23）", name) from None
    if kind in ("number", "money"):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValidationFailed("case.field_invalid", f"{label}应为数字", name) from None
        if not number.is_finite() or number < 0:
            raise ValidationFailed("case.field_invalid", f"{label}应为不小于 0 的数字", name)
        return str(number)
    if kind == "choice":
        options = [str(o) for o in f.get("options") or []]
        if options and value not in options:
            raise ValidationFailed("case.field_invalid", f"{label}只能选择：{'、'.join(options)}", name)
    if kind == "email" and "@" not in value:
        raise ValidationFailed("case.field_invalid", f"{label}格式不正确", name)
    return value


def material_required(m: Mapping[str, Any]) -> bool:
    """A material the applicant must supply: 必要, not filled online, not fetched by the department itself."""
    note = str(m.get("note") or "")
    return m.get("necessity", "必要") == "必要" and "在线填写" not in note and "无需提交" not in note
