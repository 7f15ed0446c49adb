"""办件 figures (reads only): 即办件 share, working days used versus promised, 零跑动 share, per-step
waiting and working time with 退回 and 补正 rates, steps that are always approved unchanged, and the
share of materials satisfied without an upload (电子证照 or 共享数据 instead of a file).

What is counted, and why:
- "Ended" cases are those that reached 办结 (completed, any outcome) or 不予受理 within the window,
  counted by when they ended. Bundle parents (一件事) are left out of the per-case figures: their
  sub-cases are the real handling units and are counted instead (a bundle would count twice).
- Working days used are the department's own clock only: ClockInterval rows owned by "department",
  measured in working days (a working day counts fully for 24 hours, a weekend or holiday not at all,
  part days pro rata). Time owned by the applicant (补正) or by a suspension (挂起) is never charged
  to the department.
- Waiting time is 到达 → 认领 (opened → claimed) and working time 认领 → 完成 (claimed → done), in
  hours, over finished work items that were claimed; items finished without a claim count in the
  elapsed time only. Stretches when the case waited for the applicant (补正) or was suspended are
  taken out of both.
- A step is "always approved unchanged" when, over at least MIN_EVIDENCE finished work items, every
  one passed (受理/通过/同意/准予) with no comment, and the step never returned a case or asked for
  补正 — a candidate for removing the step or turning it into a 秒批 rule.

The pure helpers (working_time_days, pct, step_stats) take plain values and are unit-tested.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from yiwang.cases import selectors
from yiwang.cases.models import Case, ClockInterval, CorrectionRequest, Material, WorkItem
from yiwang.kernel.calendar import is_working_day

WINDOWS = (7, 30, 90)
MIN_EVIDENCE = 5
PASS_ACTIONS = frozenset({"accept", "approve", "agree", "decide_approve"})
INSTANT = "即办件"


# --- pure helpers ----------------------------------------------------------------------------------


def pct(n: int | float, d: int | float) -> float | None:
    """n/d as a percentage with one decimal; None when there is nothing to divide by."""
    return round(100.0 * n / d, 1) if d else None


def mean(values: Iterable[float]) -> float | None:
    vals = list(values)
    return round(sum(vals) / len(vals), 2) if vals else None


def working_time_days(start: datetime, end: datetime, works: Callable[[date], bool],
                      tz: Any = None) -> float:
    """Working days elapsed between two instants: each local calendar day contributes the fraction of
    it that [start, end) covers if it is a working day, nothing otherwise."""
    if end <= start:
        return 0.0
    tz = tz or timezone.get_current_timezone()
    s, e = start.astimezone(tz), end.astimezone(tz)
    total = 0.0
    day = s.date()
    while day <= e.date():
        day_start = datetime.combine(day, time.min, tzinfo=tz)
        day_end = day_start + timedelta(days=1)
        lo, hi = max(s, day_start), min(e, day_end)
        if hi > lo and works(day):
            total += (hi - lo).total_seconds() / 86400.0
        day += timedelta(days=1)
    return total


@dataclass(frozen=True)
class ItemRow:
    """One finished work item, as step_stats needs it."""

    case_id: Any
    action: str
    comment: str
    opened_at: datetime
    claimed_at: datetime | None
    done_at: datetime
    paused: tuple[tuple[datetime, datetime], ...] = ()  # the case's 补正/挂起 stretches


def hours_outside(start: datetime, end: datetime, paused: Iterable[tuple[datetime, datetime]]) -> float:
    """Hours in [start, end) not covered by any of the `paused` stretches (assumed not to overlap)."""
    if end <= start:
        return 0.0
    covered = sum(max((min(end, pe) - max(start, ps)).total_seconds(), 0.0) for ps, pe in paused)
    return max((end - start).total_seconds() - covered, 0.0) / 3600


def step_stats(rows: Iterable[ItemRow], corrected_cases: set[Any], *, min_evidence: int = MIN_EVIDENCE
               ) -> dict[str, Any]:
    """Figures of one step from its finished work items and the cases that were asked for 补正 at it."""
    rows = list(rows)
    cases = {r.case_id for r in rows}
    waits: list[float] = []
    works: list[float] = []
    elapsed: list[float] = []
    for r in rows:
        elapsed.append(hours_outside(r.opened_at, r.done_at, r.paused))
        if r.claimed_at is not None and r.opened_at <= r.claimed_at <= r.done_at:
            waits.append(hours_outside(r.opened_at, r.claimed_at, r.paused))
            works.append(hours_outside(r.claimed_at, r.done_at, r.paused))
    returns = sum(1 for r in rows if r.action == "return")
    corrected = len(cases & corrected_cases)
    unchanged = (len(rows) >= min_evidence and returns == 0 and corrected == 0
                 and all(r.action in PASS_ACTIONS and not r.comment.strip() for r in rows))
    return {"items": len(rows), "cases": len(cases), "wait_hours": mean(waits), "work_hours": mean(works),
            "elapsed_hours": mean(elapsed), "claimed": len(waits), "returns": returns,
            "return_rate": pct(returns, len(rows)), "corrections": corrected,
            "correction_rate": pct(corrected, len(cases)), "always_unchanged": unchanged}


# --- windows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    days: int
    since: datetime
    until: datetime
    today: date


def window(days: int, today: date | None = None) -> Window:
    """The last `days` calendar days to `today` inclusive (Asia/Shanghai); days ∉ {7, 30, 90} → 30."""
    if days not in WINDOWS:
        days = 30
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    return Window(days, datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=tz),
                  datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz), today)


# --- figures -------------------------------------------------------------------------------------


def _department_days(case_ids: list[Any]) -> dict[Any, float]:
    used: dict[Any, float] = defaultdict(float)
    rows = ClockInterval.objects.filter(case_id__in=case_ids, owner=ClockInterval.Owner.DEPARTMENT,
                                        ended_at__isnull=False).values_list("case_id", "started_at", "ended_at")
    for case_id, start, end in rows:
        if end is not None:
            used[case_id] += working_time_days(start, end, is_working_day)
    return used


def case_figures(*, days: int = 30, item_code: str = "", department_code: str = "",
                 today: date | None = None) -> dict[str, Any]:
    """All the case figures over a window, optionally for one item or one department."""
    w = window(days, today)
    ended = selectors.ended_cases(since=w.since, until=w.until, item_code=item_code,
                                  department_code=department_code).exclude(kind=Case.Kind.BUNDLE)
    fields = ("id", "status", "handling_type", "visits", "promised_limit_days", "department_code",
              "department_name", "item_code", "title")
    rows: list[dict[str, Any]] = [dict(r) for r in ended.values(*fields)]
    n = len(rows)
    instant = sum(1 for r in rows if r["handling_type"] == INSTANT)
    zero_visits = sum(1 for r in rows if r["visits"] == 0)
    timed = [r for r in rows if r["status"] == Case.Status.COMPLETED and r["promised_limit_days"] is not None]
    used = _department_days([r["id"] for r in timed])
    per_dept: dict[str, dict[str, Any]] = {}
    for r in rows:
        d = per_dept.setdefault(r["department_code"], {"code": r["department_code"], "name": r["department_name"],
                                                      "ended": 0, "instant": 0, "zero_visits": 0, "_used": [],
                                                      "_promised": [], "_within": 0})
        d["ended"] += 1
        d["instant"] += int(r["handling_type"] == INSTANT)
        d["zero_visits"] += int(r["visits"] == 0)
    for r in timed:
        d = per_dept[r["department_code"]]
        u = used.get(r["id"], 0.0)
        d["_used"].append(u)
        d["_promised"].append(float(r["promised_limit_days"]))
        d["_within"] += int(u <= r["promised_limit_days"])
    departments = []
    for d in sorted(per_dept.values(), key=lambda x: -x["ended"]):
        departments.append({
            "code": d["code"], "name": d["name"], "ended": d["ended"], "instant_share": pct(d["instant"], d["ended"]),
            "zero_visit_share": pct(d["zero_visits"], d["ended"]), "timed": len(d["_used"]),
            "avg_days_used": mean(d["_used"]), "avg_days_promised": mean(d["_promised"]),
            "within_promise_share": pct(d["_within"], len(d["_used"]))})
    all_used = [used.get(r["id"], 0.0) for r in timed]
    within = sum(1 for r in timed if used.get(r["id"], 0.0) <= r["promised_limit_days"])
    return {
        "days": w.days, "since": w.since.date().isoformat(), "until": w.today.isoformat(), "item": item_code,
        "department": department_code,
        "ended": n, "instant": instant, "instant_share": pct(instant, n),
        "zero_visits": zero_visits, "zero_visit_share": pct(zero_visits, n),
        "timed": len(timed), "avg_days_used": mean(all_used),
        "avg_days_promised": mean(float(r["promised_limit_days"]) for r in timed),
        "within_promise_share": pct(within, len(timed)),
        "per_department": departments,
        "steps": step_figures(case_ids=[r["id"] for r in rows]),
        "materials": materials_figures(days=days, item_code=item_code, department_code=department_code, today=today),
    }


def step_figures(*, case_ids: list[Any], min_evidence: int = MIN_EVIDENCE) -> list[dict[str, Any]]:
    """Per (item, step): waiting versus working time, 退回 and 补正 rates, always-approved flag."""
    items = WorkItem.objects.filter(case_id__in=case_ids, status=WorkItem.Status.DONE).exclude(role="system") \
        .exclude(action="auto").values_list("case_id", "case__item_code", "case__title", "step_code", "step_name",
                                            "action", "comment", "opened_at", "claimed_at", "done_at")
    paused: dict[Any, list[tuple[datetime, datetime]]] = defaultdict(list)
    for case_id, start, end in ClockInterval.objects.filter(case_id__in=case_ids, ended_at__isnull=False).exclude(
            owner=ClockInterval.Owner.DEPARTMENT).values_list("case_id", "started_at", "ended_at"):
        if end is not None:
            paused[case_id].append((start, end))
    groups: dict[tuple[str, str], list[ItemRow]] = defaultdict(list)
    names: dict[tuple[str, str], tuple[str, str]] = {}
    for case_id, item_code, title, step_code, step_name, action, comment, opened, claimed, done in items:
        key = (item_code, step_code)
        names[key] = (title, step_name)
        groups[key].append(ItemRow(case_id, action, comment or "", opened, claimed, done or opened,
                                   tuple(paused.get(case_id, ()))))
    corrected: dict[tuple[str, str], set[Any]] = defaultdict(set)
    for case_id, item_code, step_code in CorrectionRequest.objects.filter(case_id__in=case_ids).values_list(
            "case_id", "case__item_code", "step_code"):
        corrected[(item_code, step_code)].add(case_id)
    out = []
    for key, group in groups.items():
        title, step_name = names[key]
        out.append({"item_code": key[0], "item_title": title, "step_code": key[1], "step_name": step_name,
                    **step_stats(group, corrected.get(key, set()), min_evidence=min_evidence)})
    out.sort(key=lambda s: (-s["items"], s["item_code"], s["step_code"]))
    return out


def materials_figures(*, days: int | None = None, item_code: str = "", department_code: str = "",
                      today: date | None = None) -> dict[str, Any]:
    """材料免提交: of the materials of cases submitted in the window (all time when days is None), the
    share satisfied by an e-certificate or shared data instead of an uploaded file."""
    qs = Material.objects.all()
    if days is not None:
        w = window(days, today)
        qs = qs.filter(case__submitted_at__gte=w.since, case__submitted_at__lt=w.until)
    if item_code:
        qs = qs.filter(case__item_code=item_code)
    if department_code:
        qs = qs.filter(case__department_code=department_code)
    counts: Mapping[str, int] = dict(qs.values_list("source").annotate(n=Count("pk")).values_list("source", "n"))
    upload = counts.get(Material.Source.UPLOAD, 0)
    cert = counts.get(Material.Source.CERTIFICATE, 0)
    shared = counts.get(Material.Source.SHARED, 0)
    total = upload + cert + shared
    return {"total": total, "upload": upload, "certificate": cert, "shared": shared,
            "without_upload": cert + shared, "without_upload_share": pct(cert + shared, total),
            "by_source": [{"name": str(label), "value": counts.get(value, 0)}
                          for value, label in Material.Source.choices]}
