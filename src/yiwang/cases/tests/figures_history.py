"""A small constructed case history for the figures, XES and 好差评 tests, built through the services
at known (backdated) times. Week of Monday 2026-11-16 (no holidays)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from yiwang.cases import services
from yiwang.cases.models import Case, WorkItem

from .conftest import ZHANG_ID, World, birth_form

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)  # the figures are asked for on Friday of that week
MOVE = "QR03004000"  # 户口迁移 (公安局, 承诺件: 受理 → 审查 → 决定)
BIRTH = "GG06001000"  # 出生医学证明 (卫健委, 即办件: 受理 → 决定)
MOVE_FORM = {"applicant_name": "张伟", "applicant_id_number": ZHANG_ID, "phone": "13800000001",
             "new_address": "示范市东湖区湖滨街道幸福社区3栋201"}
PDF = services.Upload(material="出生医学证明自填单", filename="form.pdf", content_type="application/pdf",
                      content=b"%PDF-1.4 test")


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """task_claim stamps timezone.now(): freeze it to place a claim in the constructed history."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def open_item(case: Case) -> WorkItem:
    return WorkItem.objects.get(case=case, status="open")


def act(case: Case, user: Any, action: str, at: datetime, *, claim_at: datetime | None = None,
        comment: str = "", points: tuple[str, ...] = (), target: str = "") -> Case:
    item = open_item(case)
    if claim_at is not None:
        with frozen(claim_at):
            services.task_claim(work_item_id=item.pk, user=user)
    return services.task_act(work_item_id=item.pk, user=user, action=action, comment=comment, points=points,
                             target=target, now=at)


@dataclass
class History:
    a: Case  # 户口迁移: 补正 of two days at 审查, then 准予 (online)
    b: Case  # 出生医学证明: 即办件 at the window (one visit), upload + shared
    c: Case  # 户口迁移: 不予受理 (online)
    d: Case  # 户口迁移: 决定 returns to 审查 once, then 准予 (online)


def build_history(world: World) -> History:
    police, health = world.heads["公安局"], world.approvers["卫健委"]
    police_appr = world.approvers["公安局"]
    # A: Mon 09:00 submitted; 受理 claimed 09:30, done 10:00; 审查 asks 补正 Mon 12:00; answered Wed 12:00;
    # 审查 claimed Wed 13:00, approved 14:00; 决定 Wed 16:00. Department clock: Mon 09–12 + Wed 12–16.
    a = services.case_submit(applicant=world.applicant, item_code=MOVE, form=MOVE_FORM, now=t(16, 9))
    a = act(a, world.clerk, "accept", t(16, 10), claim_at=t(16, 9, 30))
    a = act(a, police_appr, "request_corrections", t(16, 12), points=("请补充迁入地址的门牌号",))
    a = services.corrections_answer(case_id=a.pk, applicant=world.applicant, note="已补充", now=t(18, 12))
    a = act(a, police_appr, "approve", t(18, 14), claim_at=t(18, 13))
    a = act(a, police, "decide_approve", t(18, 16))
    # B: Tue 09:00 at the window; 受理 09:10; 决定 09:30.
    b = services.case_submit(applicant=world.applicant, item_code=BIRTH, form=birth_form(), uploads=[PDF],
                             channel="窗口", now=t(17, 9))
    b = act(b, world.clerk, "accept", t(17, 9, 10))
    b = act(b, health, "decide_approve", t(17, 9, 30))
    # C: Tue 09:30 submitted, 不予受理 at 10:00.
    c = services.case_submit(applicant=world.applicant, item_code=MOVE, form=MOVE_FORM, now=t(17, 9, 30))
    c = act(c, world.clerk, "not_accept", t(17, 10), comment="不属于本市户籍迁移范围")
    # D: Wed 09:00; 受理 09:30; 审查 10:00; 决定 returns to 审查 11:00; 审查 again 14:00; 决定 Thu 10:00.
    d = services.case_submit(applicant=world.applicant, item_code=MOVE, form=MOVE_FORM, now=t(18, 9))
    d = act(d, world.clerk, "accept", t(18, 9, 30))
    d = act(d, police_appr, "approve", t(18, 10))
    d = act(d, police, "return", t(18, 11), comment="迁入地址与房产证明不一致，请核实")
    d = act(d, police_appr, "approve", t(18, 14))
    d = act(d, police, "decide_approve", t(19, 10))
    for case in (a, b, c, d):
        case.refresh_from_db()
    return History(a, b, c, d)
