"""Masking of personal data for display. Every tier may call these."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """110105********002X style: keep the region (6) and last 4."""
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 4, 0) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """138****1234: keep 3 + 4."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """张* / 欧阳** : keep the first character."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1) if len(value) > 1 else value


def mask_credit_code(value: str) -> str:
    """Credit codes are public registration data; they are shown in full."""
    return value
