"""In and out schemas of the staff workbench API (/api/v1/cases/workbench)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from ninja import Field, Schema


class SlaOut(Schema):
    due: date | None = Field(None, description="承诺办结日期")
    limit_days: int | None = Field(None, description="承诺时限（工作日，含停表顺延）")
    remaining_days: int | None = Field(None, description="剩余工作日（负数为超期）")
    light: str = Field(description="green 绿灯 / yellow 黄灯（已用≥80%）/ red 红灯（超期）/ paused 停表 / none")
    label: str


class InboxItemOut(Schema):
    id: str = Field(description="待办事项 ID（抄送行为抄送记录 ID）")
    kind: str = Field(description="item 待办/已办 或 cc 抄送")
    number: str | None = Field(None, description="办件编号")
    case_id: uuid.UUID
    title: str
    applicant: str = Field(description="申请人（脱敏）")
    status: str
    status_label: str
    step_code: str
    step_name: str
    department_code: str
    department_name: str
    role: str = ""
    arrived_at: datetime = Field(description="到达时间")
    claimed: bool = False
    assignee: str = ""
    version: int = Field(0, description="待办的 row_version，办理时回传")
    sla: SlaOut


class InboxPageOut(Schema):
    items: list[InboxItemOut]
    next: str | None = Field(None, description="下一页游标")


class ClaimIn(Schema):
    version: int | None = Field(None, description="页面上待办的 row_version；过期则 409")


class WorkItemOut(Schema):
    id: str
    case_number: str | None
    step_code: str
    step_name: str
    step_kind: str
    department_code: str
    role: str
    status: str
    assignee: str = ""
    claimed_at: datetime | None = None
    version: int


class ActIn(Schema):
    action: str = Field(max_length=24, description="accept / not_accept / request_corrections / approve / agree / "
                                                    "disagree / return / decide_approve / decide_deny / transfer / "
                                                    "add_signer / remove_signer")
    comment: str = Field("", max_length=2000, description="意见或理由（不予、退回、不同意时必填）")
    target: str = Field("", max_length=40, description="退回的环节编码，或转办/加签/减签的部门编码")
    points: list[str] = Field(default_factory=list, max_length=50, description="补正事项（一次性告知）")
    version: int | None = Field(None, description="待办的 row_version；过期则 409 case.conflict")


class CaseLiteOut(Schema):
    id: uuid.UUID
    number: str | None
    kind: str
    title: str
    status: str
    status_label: str
    step_name: str
    department_name: str
    outcome: str


class CaseOut(CaseLiteOut):
    promised_due: date | None = None
    legal_due: date | None = None
    submitted_at: datetime | None = None
    children: list[CaseLiteOut] = Field(default_factory=list)


class CaseActionIn(Schema):
    action: str = Field(max_length=12, description="suspend 挂起 / resume 恢复 / terminate 终止 / revoke 撤销 / "
                                                    "recall 拿回")
    reason: str = Field("", max_length=2000)
    version: int | None = Field(None, description="办件的 row_version；过期则 409 case.conflict")


class FormRowOut(Schema):
    name: str
    label: str
    value: str
    masked: bool


class EventOut(Schema):
    at: datetime
    type: str
    step_name: str
    department_name: str
    actor: str
    comment: str


class ClockOut(Schema):
    owner: str
    owner_label: str
    department_code: str
    step_code: str
    started_at: datetime
    ended_at: datetime | None


class MaterialOut(Schema):
    id: uuid.UUID
    name: str
    source: str
    filename: str
    size: int
    certificate_identifier: str = ""
    url: str = ""


class StaffCaseOut(CaseOut):
    applicant: str = Field(description="申请人（脱敏）")
    item_code: str
    version: int = Field(description="办件的 row_version")
    sla: SlaOut
    form: list[FormRowOut]
    materials: list[MaterialOut]
    history: list[EventOut]
    clock: list[ClockOut]
    work_items: list[WorkItemOut]
    parent: str | None = Field(None, description="一件事主件的办件编号")


def sla_out(sla: Any) -> SlaOut:
    return SlaOut(**sla.as_dict())
