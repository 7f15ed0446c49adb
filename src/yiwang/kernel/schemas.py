"""Kernel API schemas (the public working-day calendar)."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import Field


class DeadlineOut(Schema):
    start: date = Field(description="起始日期（不计入）")
    days: int = Field(description="工作日数")
    due: date = Field(description="到期日")
    provisional: bool = Field(description="是否暂定：计算中用到了尚未公布或未确认放假安排的年份")
    unknown_years: list[int] = Field(description="尚未公布或未确认放假安排的年份")


class WorkingDaysOut(Schema):
    start: date = Field(description="起始日期（不计入）")
    end: date = Field(description="截止日期（计入）")
    working_days: int = Field(description="(start, end] 内的工作日数；end 早于 start 时为负数")
    provisional: bool = Field(description="是否暂定")
    unknown_years: list[int] = Field(description="尚未公布或未确认放假安排的年份")
