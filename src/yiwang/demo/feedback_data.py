"""Demo ratings (好差评) on the demo's ended cases, through the feedback services with backdated times.

About 60 % of the ended top-level cases (办结 or 不予受理) whose applicant has an account are rated,
mostly 4–5; the 1–2 ratings open rectifications, of which some were closed on time, some late and some
are still open (医保局 keeps one open for 孙敏, the persona who handles a 差评). Deterministic from the seed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

RATE_SHARE = 0.6
SCORES = [(5, 52), (4, 30), (3, 8), (2, 6), (1, 4)]
GOOD_COMMENTS = ["办理很快，工作人员很耐心", "网上就办完了，一次都没跑", "材料不用重复交，方便", "进度随时能查，很放心",
                 "", "", "", "窗口指导很细致", "比预想的快"]
MID_COMMENTS = ["", "等待时间有点长", "希望短信提醒更及时"]
BAD_COMMENTS = ["审核时间太长，超出预期", "补正要求没一次说清楚，来回跑了两趟", "电话一直打不通，进度不清楚",
                "窗口人员态度不好", "系统填报太复杂，多次提交失败"]
ACTIONS = ["已对相关人员进行提醒谈话，并优化一次性告知清单", "已核查办理过程，简化审查要点并公开办理进度",
           "已组织窗口服务规范培训，增设咨询引导岗", "已协调技术部门修复填报问题，并在线上指南中补充说明"]
RESULTS = ["电话回访，申请人对整改措施表示认可", "电话回访，申请人表示理解", "短信回访后电话确认，申请人基本满意"]


def _pick(rng: random.Random, table: list[tuple[int, int]]) -> int:
    roll, acc = rng.uniform(0, sum(w for _, w in table)), 0.0
    for value, weight in table:
        acc += weight
        if roll <= acc:
            return value
    return table[-1][0]


def _dims(rng: random.Random, score: int) -> dict[str, int]:
    keys = ["efficiency", "attitude", "convenience", "openness", "overall"]
    return {k: max(1, min(5, score + rng.choice([-1, 0, 0, 0, 1]))) for k in keys if rng.random() < 0.8}


def _handlers(department_code: str) -> list[Any]:
    from yiwang.identity import selectors as identity_selectors

    return identity_selectors.supervisors_of(department_code)


def build(seed: int, *, end: datetime | None = None) -> dict[str, int]:
    from yiwang.cases import selectors as case_selectors
    from yiwang.cases.models import Case
    from yiwang.feedback import services
    from yiwang.feedback.models import Rectification
    from yiwang.kernel.calendar import add_working_days

    end = end or timezone.now()
    rng = random.Random(seed ^ 0xFEED)
    ended = case_selectors.ended_cases().exclude(kind=Case.Kind.SUB).filter(applicant_user__isnull=False, rating__isnull=True) \
        .select_related("applicant_user").order_by("number")
    rated = bad = closed = late = 0
    open_for_insurance = False
    spare_insurance: Any = None
    for case in ended.iterator():
        is_insurance = case.department_name.endswith("医疗保障局") or "医保" in case.department_name
        if rng.random() >= RATE_SHARE:
            if is_insurance and spare_insurance is None:
                spare_insurance = case
            continue
        ended_at: datetime = case.ended_at  # type: ignore[attr-defined]  # annotated by ended_cases()
        at = ended_at + timedelta(minutes=rng.randint(30, 3 * 24 * 60))
        if at >= end:
            continue
        score = _pick(rng, SCORES)
        comment = rng.choice(BAD_COMMENTS if score <= 2 else MID_COMMENTS if score == 3 else GOOD_COMMENTS)
        rating = services.rating_submit(case_number=case.number or "", user=case.applicant_user, score=score,
                                        dimensions=_dims(rng, score), comment=comment, channel="网上", now=at)
        rated += 1
        if score > 2:
            continue
        bad += 1
        rect = Rectification.objects.get(rating=rating)
        handlers = _handlers(rect.department_code)
        if not handlers:
            continue
        if is_insurance and not open_for_insurance:
            open_for_insurance = True  # 孙敏's rectification to do
            continue
        deadline_passed = datetime.combine(rect.deadline, datetime.min.time(), tzinfo=at.tzinfo) < end
        fate = rng.random()
        if deadline_passed:
            mode = "on_time" if fate < 0.6 else "late" if fate < 0.85 else "open"
        else:
            mode = "open" if fate < 0.5 else "rectified" if fate < 0.8 else "on_time"
        if mode == "open":
            continue
        user = handlers[0]
        if mode == "late":
            done = datetime.combine(add_working_days(rect.deadline, rng.randint(1, 4)).due,
                                    datetime.min.time(), tzinfo=timezone.get_current_timezone()) + timedelta(hours=10)
        else:
            done = at + timedelta(hours=rng.randint(4, 48))
        if done + timedelta(hours=3) >= end:
            continue
        services.rectification_record(rectification_id=rect.pk, user=user, action_taken=rng.choice(ACTIONS), now=done)
        if mode == "rectified":
            continue
        services.rectification_follow_up(rectification_id=rect.pk, user=user, contacted=True,
                                         result=rng.choice(RESULTS), satisfied=rng.random() < 0.8,
                                         now=done + timedelta(hours=2))
        closed += 1
        late += mode == "late"
    if not open_for_insurance and spare_insurance is not None:
        spare_end: datetime = spare_insurance.ended_at
        at = min(spare_end + timedelta(hours=6), end - timedelta(minutes=5))
        services.rating_submit(case_number=spare_insurance.number or "", user=spare_insurance.applicant_user, score=2,
                               dimensions={"efficiency": 2, "attitude": 3}, comment=BAD_COMMENTS[2], now=at)
        rated += 1
        bad += 1
    return {"好差评": rated, "差评": bad, "差评整改办结": closed, "其中逾期办结": late}
