"""好差评 reads: a case's rating, a department's rectifications, and the rating figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from yiwang.cases import selectors as case_selectors
from yiwang.feedback.models import BAD_SCORES, DIMENSIONS, GOOD_SCORES, Rating, Rectification
from yiwang.kernel.masking import mask_name

WINDOWS = (7, 30, 90)


def rating_for_case(case: Any) -> Rating | None:
    return Rating.objects.filter(case=case).first()


def rating_by_number(number: str) -> Rating | None:
    return Rating.objects.filter(case_number=number).first()


def rectification_by_id(pk: Any) -> Rectification | None:
    try:
        return Rectification.objects.select_related("rating", "rating__case").filter(pk=pk).first()
    except Exception:  # malformed UUID
        return None


def rectifications(*, department_code: str, status: str = "") -> QuerySet[Rectification]:
    qs = Rectification.objects.filter(department_code=department_code).select_related("rating", "rating__case")
    if status == "todo":
        qs = qs.exclude(status=Rectification.Status.CLOSED)
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "deadline", "opened_at")


def rectification_view(rect: Rectification, *, today: date | None = None) -> dict[str, Any]:
    """What staff see: the rating and the applicant's name masked (they handle the 差评, they do not
    need the person's full identity; the phone is reached through the case record if at all)."""
    today = today or timezone.localdate()
    r = rect.rating
    return {
        "id": str(rect.pk), "case_number": rect.case_number, "case_title": r.case_title,
        "department_name": rect.department_name, "status": rect.status, "status_label": rect.get_status_display(),
        "score": r.score, "score_label": r.score_label, "comment": r.comment,
        "dimensions": {str(DIMENSIONS[k]): v for k, v in r.dimensions.items() if k in DIMENSIONS},
        "applicant": mask_name(r.case.applicant_name) if r.case_id else "",
        "opened_at": rect.opened_at, "deadline": rect.deadline,
        "overdue": rect.status != Rectification.Status.CLOSED and rect.deadline < today,
        "action_taken": rect.action_taken, "rectified_at": rect.rectified_at,
        "followup_at": rect.followup_at, "followup_contacted": rect.followup_contacted,
        "followup_result": rect.followup_result, "followup_satisfied": rect.followup_satisfied,
        "closed_at": rect.closed_at, "on_time": rect.on_time,
    }


# --- figures ---------------------------------------------------------------------------------------


def pct(n: int, d: int) -> float | None:
    """n/d as a percentage with one decimal, or None when there is nothing to divide by."""
    return round(100.0 * n / d, 1) if d else None


@dataclass(frozen=True)
class Window:
    days: int
    since: datetime
    until: datetime
    today: date


def window(days: int, today: date | None = None) -> Window:
    """The last `days` calendar days up to and including `today` (Asia/Shanghai)."""
    if days not in WINDOWS:
        days = 30
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    since = datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=tz)
    until = datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz)
    return Window(days, since, until, today)


def _rating_counts() -> dict[str, Any]:
    return {"n": Count("pk"), "good": Count("pk", filter=Q(score__in=GOOD_SCORES)),
            "bad": Count("pk", filter=Q(score__in=BAD_SCORES)), "mean": Avg("score")}


def _rectification_counts(today: date) -> dict[str, Any]:
    due = Q(status=Rectification.Status.CLOSED) | Q(deadline__lt=today)
    return {"total": Count("pk"), "due": Count("pk", filter=due), "on_time": Count("pk", filter=due & Q(on_time=True)),
            "open": Count("pk", filter=~Q(status=Rectification.Status.CLOSED))}


def _grouped(qs: QuerySet[Any], field: str, counts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One aggregate query grouped by `field`: {value: {count name: count}}."""
    return {row.pop(field): row for row in qs.order_by().values(field).annotate(**counts)}


def _block(ended: int, rated: dict[str, Any], rects: dict[str, Any]) -> dict[str, Any]:
    n = rated.get("n") or 0
    good, bad, mean = rated.get("good") or 0, rated.get("bad") or 0, rated.get("mean")
    due, on_time = rects.get("due") or 0, rects.get("on_time") or 0
    return {
        "ended": ended, "rated": n, "rating_rate": pct(n, ended),
        "satisfied": good, "satisfaction": pct(good, n),
        "mean": round(mean, 2) if mean is not None else None,
        "bad": bad, "bad_rate": pct(bad, n),
        "rectifications": rects.get("total") or 0, "rectifications_due": due, "rectified_on_time": on_time,
        "on_time_rate": pct(on_time, due), "rectifications_open": rects.get("open") or 0,
    }


def figures(*, days: int = 30, item_code: str = "", department_code: str = "",
            today: date | None = None) -> dict[str, Any]:
    """Rating figures over the window, for everything and per department and per item.

    - rating rate: cases rated / cases that ended (办结 or 不予受理) in the window, the rating counted
      with its case (a case ended in the window and rated later still counts as rated);
    - satisfaction: share of ratings of 4–5 (好评), and the mean score;
    - 差评 rate: share of ratings of 1–2;
    - rectification on time: of the rectifications opened in the window that are due (closed, or past
      their deadline), the share closed (回访 recorded) on or before the deadline.
    """
    w = window(days, today)
    ended_qs = case_selectors.ended_cases(since=w.since, until=w.until, item_code=item_code,
                                          department_code=department_code)
    ratings = Rating.objects.filter(case_ended_at__gte=w.since, case_ended_at__lt=w.until)
    rects = Rectification.objects.filter(opened_at__gte=w.since, opened_at__lt=w.until)
    if item_code:
        ratings = ratings.filter(item_code=item_code)
        rects = rects.filter(rating__item_code=item_code)
    if department_code:
        ratings = ratings.filter(department_code=department_code)
        rects = rects.filter(department_code=department_code)
    rect_counts = _rectification_counts(w.today)
    total = _block(ended_qs.count(), ratings.aggregate(**_rating_counts()), rects.aggregate(**rect_counts))
    ended_by_dept = dict(ended_qs.values_list("department_code").annotate(n=Count("pk")).values_list(
        "department_code", "n"))
    names = dict(ended_qs.values_list("department_code", "department_name").distinct())
    rated_by_dept = _grouped(ratings, "department_code", _rating_counts())
    rects_by_dept = _grouped(rects, "department_code", rect_counts)
    per_department = [
        {"code": code, "name": names.get(code, code),
         **_block(ended_by_dept[code], rated_by_dept.get(code, {}), rects_by_dept.get(code, {}))}
        for code in sorted(ended_by_dept, key=lambda c: -ended_by_dept[c])]
    ended_by_item = dict(ended_qs.values_list("item_code").annotate(n=Count("pk")).values_list("item_code", "n"))
    titles = dict(ended_qs.values_list("item_code", "title").distinct())
    rated_by_item = _grouped(ratings, "item_code", _rating_counts())
    rects_by_item = _grouped(rects, "rating__item_code", rect_counts)
    per_item = [
        {"code": code, "name": titles.get(code, code),
         **_block(ended_by_item[code], rated_by_item.get(code, {}), rects_by_item.get(code, {}))}
        # bundles (no item code) are figured under their lead department
        for code in sorted(ended_by_item, key=lambda c: -ended_by_item[c])[:50] if code]
    dims = {}
    given = [d for d in ratings.values_list("dimensions", flat=True) if isinstance(d, dict)]
    for key, label in DIMENSIONS.items():
        values = [d[key] for d in given if key in d]
        dims[str(label)] = round(sum(values) / len(values), 2) if values else None
    distribution = {s: 0 for s in range(5, 0, -1)}
    for score, n in ratings.values_list("score").annotate(n=Count("pk")).values_list("score", "n"):
        distribution[score] = n
    return {"days": w.days, "since": w.since.date().isoformat(), "until": w.today.isoformat(),
            "item": item_code, "department": department_code, "total": total,
            "per_department": per_department, "per_item": per_item, "dimensions": dims,
            "distribution": [{"score": s, "n": n} for s, n in distribution.items()]}
