from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from ninja import Schema
from pydantic import Field, field_validator

from yiwang.kernel.validators import validate_credit_code, validate_id_number, validate_mobile


class IdentifierCheckIn(Schema):
    id_number: str | None = None
    credit_code: str | None = None
    phone: str | None = None

    @field_validator("id_number", mode="before")
    @classmethod
    def _id(cls, v: Any) -> str | None:
        return validate_id_number(v) if v is not None else v

    @field_validator("credit_code", mode="before")
    @classmethod
    def _uscc(cls, v: Any) -> str | None:
        return validate_credit_code(v) if v is not None else v

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, v: Any) -> str | None:
        if v is not None and not isinstance(v, str):
            raise ValueError("手机号必须是字符串")
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


class PersonLookupIn(Schema):
    id_number: str
    purpose: str = Field(min_length=1, max_length=200, description="查询事由，如“受理出生一件事”")

    @field_validator("id_number", mode="before")
    @classmethod
    def _id(cls, v: Any) -> str:
        return validate_id_number(v)


class PersonLookupOut(Schema):
    found: bool
    masked: bool = True
    id: str | None = None
    real_name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    assurance_level: int | None = None
    region: str | None = None


def _aware(v: datetime | None) -> datetime | None:
    """Naive times are taken as Beijing time (TIME_ZONE), so comparisons never mix naive and aware."""
    if v is not None and timezone.is_naive(v):
        return timezone.make_aware(v)
    return v


class DelegationIn(Schema):
    agent_phone: str | None = Field(default=None, description="被授权人手机号（居民）")
    agent_employee_no: str | None = Field(default=None, max_length=20, description="或：帮办工作人员工号")
    scopes: list[str] = Field(min_length=1, max_length=10)
    valid_until: datetime
    valid_from: datetime | None = None
    reason: str = Field(default="", max_length=200)

    @field_validator("agent_phone", mode="before")
    @classmethod
    def _phone(cls, v: Any) -> str | None:
        if v is None:
            return None
        if not isinstance(v, str):
            raise ValueError("手机号必须是字符串")
        return validate_mobile(v)


    @field_validator("valid_until", "valid_from")
    @classmethod
    def _tz(cls, v: datetime | None) -> datetime | None:
        return _aware(v)


class DelegationOut(Schema):
    id: str
    principal: str
    agent: str
    scopes: list[str]
    valid_from: datetime
    valid_until: datetime
    reason: str
    active: bool


class DelegationsOut(Schema):
    given: list[DelegationOut]
    received: list[DelegationOut]


class ActingForIn(Schema):
    acting_for: str = Field(default="", max_length=80, description='"person:<uuid>"、"enterprise:<uuid>"，空为本人')


class ActingForOut(Schema):
    acting_for: str


class MandateIn(Schema):
    person_phone: str
    scopes: list[str] = Field(min_length=1, max_length=10)
    valid_until: datetime

    @field_validator("person_phone", mode="before")
    @classmethod
    def _phone(cls, v: Any) -> str:
        if not isinstance(v, str):
            raise ValueError("手机号必须是字符串")
        return validate_mobile(v)


    @field_validator("valid_until")
    @classmethod
    def _tz(cls, v: datetime) -> datetime:
        return _aware(v) or v


class MandateOut(Schema):
    id: int
    person: str
    scopes: list[str]
    valid_from: datetime
    valid_until: datetime
    active: bool


class EnterpriseOut(Schema):
    credit_code: str
    name: str
    kind: str
    legal_rep: str
    region: str | None = None
    established_on: date | None = None


class OrganisationOut(Schema):
    id: str
    code: str
    name: str
    short_name: str
    kind: str
    region: str
    parent: str | None = None


class TokenOut(Schema):
    client_id: str
    scopes: list[str]
    machine: bool
    expires_at: float
