"""办件 API schemas (applicant part). `case_out` renders a case for every cases router (the workbench's
act endpoint answers the same CaseOut)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema


class MaterialIn(Schema):
    material: str = Field(..., max_length=200)
    filename: str = Field(..., max_length=200)
    content_type: str = Field(..., max_length=100)
    content_base64: str = Field(..., description="文件内容（base64），不超过 10MB")


class CaseIn(Schema):
    item: str | None = Field(None, max_length=40, description="事项编码")
    version: UUID | None = Field(None, description="事项版本 id（不填为现行版本）")
    bundle: str | None = Field(None, max_length=40, description="一件事编码")
    answers: dict[str, str] = Field(default_factory=dict, description="一件事情形选择")
    form: dict[str, Any] = Field(default_factory=dict, description="申请表字段")
    certificates: dict[str, str] = Field(default_factory=dict, description="材料名称 → 证照夹中电子证照的证照标识")
    materials: list[MaterialIn] = Field(default_factory=list, max_length=50)
    draft: UUID | None = Field(None, description="由草稿提交时的草稿 id")


class DraftIn(Schema):
    item: str | None = Field(None, max_length=40)
    version: UUID | None = None
    bundle: str | None = Field(None, max_length=40)
    answers: dict[str, str] = Field(default_factory=dict)
    form: dict[str, Any] = Field(default_factory=dict)
    draft: UUID | None = None


class WithdrawIn(Schema):
    reason: str = Field("", max_length=500)


class CorrectionsIn(Schema):
    form: dict[str, Any] = Field(default_factory=dict)
    materials: list[MaterialIn] = Field(default_factory=list, max_length=50)
    note: str = Field("", max_length=2000)


class CaseLite(Schema):
    id: UUID
    number: str | None
    kind: str
    title: str
    status: str
    status_label: str
    step_name: str
    department_name: str
    outcome: str
    promised_due: date | None
    submitted_at: datetime | None


class CaseOut(Schema):
    id: UUID
    number: str | None
    kind: str
    title: str
    status: str
    status_label: str
    step_name: str
    department_name: str
    outcome: str
    promised_due: date | None
    legal_due: date | None
    submitted_at: datetime | None
    auto_rule: str = ""
    children: list[CaseLite] = Field(default_factory=list)


class CasePage(Schema):
    items: list[CaseOut]
    next: str | None


class TimelineOut(Schema):
    at: datetime
    type: str
    step_name: str
    department_name: str
    comment: str


class MaterialOut(Schema):
    name: str
    source: str
    filename: str
    certificate_identifier: str
    resource_code: str


class CorrectionOut(Schema):
    requested_at: datetime
    points: list[str]
    answered_at: datetime | None


class CaseDetailOut(CaseOut):
    form: dict[str, Any]
    answers: dict[str, Any]
    prefill_sources: dict[str, Any]
    timeline: list[TimelineOut]
    materials: list[MaterialOut]
    corrections: list[CorrectionOut]


def lite(case: Any) -> dict[str, Any]:
    return {"id": case.pk, "number": case.number, "kind": case.kind, "title": case.title, "status": case.status,
            "status_label": str(case.get_status_display()), "step_name": case.step_name,
            "department_name": case.department_name, "outcome": case.outcome, "promised_due": case.promised_due,
            "submitted_at": case.submitted_at}


def case_out(case: Any, children: list[Any] | None = None) -> dict[str, Any]:
    """CaseOut as a dict; `children` are the sub-cases of a bundle (queried only for bundles)."""
    if children is None:
        from yiwang.cases import selectors

        children = selectors.children(case) if case.kind == "bundle" else []
    return {**lite(case), "legal_due": case.legal_due, "auto_rule": case.auto_rule,
            "children": [lite(c) for c in children]}
