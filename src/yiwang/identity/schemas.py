from __future__ import annotations

from ninja import Schema
from pydantic import field_validator

from yiwang.kernel.validators import validate_credit_code, validate_id_number, validate_mobile


class IdentifierCheckIn(Schema):
    id_number: str | None = None
    credit_code: str | None = None
    phone: str | None = None

    @field_validator("id_number")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        return validate_id_number(v) if v is not None else v

    @field_validator("credit_code")
    @classmethod
    def _uscc(cls, v: str | None) -> str | None:
        return validate_credit_code(v) if v is not None else v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        return validate_mobile(v) if v is not None else v


class IdentifierCheckOut(Schema):
    valid: bool
    normalised: dict[str, str]


class MeOut(Schema):
    username: str
    display_name: str
    kind: str
    roles: list[str]
    elderly_mode: bool
    id_number: str | None = None
    phone: str | None = None
    assurance_level: int | None = None
    organisation: str | None = None


class RegionOut(Schema):
    code: str
    name: str
    level: int
    parent: str | None = None
