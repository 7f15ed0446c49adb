"""API schemas for 数据共享交换."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field


class DataItemOut(Schema):
    code: str
    name: str
    data_type: str
    grade: str
    personal: str


class ResourceOut(Schema):
    code: str
    name: str
    category: str
    classification: str
    provider_code: str
    provider_name: str
    summary: str
    format: str
    key_type: str
    share_type: str
    share_condition: str
    share_method: str
    open_type: str
    update_cycle: str
    published_on: date
    version: int
    items: list[DataItemOut]


class RequestIn(Schema):
    resource: str = Field(..., max_length=40)
    items: list[str] = Field(..., min_length=1, max_length=100)
    purpose: str = Field(..., min_length=1, max_length=200)
    legal_basis: str = Field(..., min_length=1, max_length=200)
    valid_from: date | None = None
    valid_until: date


class RequestOut(Schema):
    number: str
    resource: str
    consumer: str
    items: list[str]
    status: str
    reason: str
    due_on: date | None
    created_at: datetime
    decided_at: datetime | None


class DecisionIn(Schema):
    approve: bool
    comment: str = Field("", max_length=300)
    masking: dict[str, str] | None = None


class LookupIn(Schema):
    resource: str = Field(..., max_length=40)
    key: str = Field(..., max_length=40)
    purpose: str = Field(..., min_length=1, max_length=200)
    items: list[str] | None = Field(None, max_length=100)
    legal_basis: str = Field("", max_length=200)


class VerifyIn(Schema):
    resource: str = Field(..., max_length=40)
    key: str = Field(..., max_length=40)
    purpose: str = Field(..., min_length=1, max_length=200)
    questions: dict[str, Any] = Field(..., min_length=1, max_length=20)


class LookupOut(Schema):
    call_id: str
    found: bool
    resource: str
    provider: str
    data: dict[str, Any]
    masked_items: list[str]


class VerifyOut(Schema):
    call_id: str
    found: bool
    resource: str
    answers: dict[str, bool]


class AccessOut(Schema):
    id: int
    at: datetime
    consumer: str
    resource: str
    provider: str
    purpose: str
    legal_basis: str
    items: list[str]
    mode: str
    result: str
    objections: int
    objection_status: str = ""  # the latest objection's: open / escalated (已提交数据局督办) / answered


class ObjectionIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)


class ObjectionOut(Schema):
    id: str
    access: int
    status: str
    created_at: datetime
    due_on: date | None = None
    escalated_at: datetime | None = None
