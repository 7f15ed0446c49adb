"""Reads for 数据共享交换: the catalogue, requests for a department, grants, a subject's accesses
(谁用了我的数据), and the data bureau's figures."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from yiwang.exchange.models import (
    AccessLog,
    DataItem,
    Grant,
    Objection,
    Resource,
    ShareRequest,
    ShareType,
)


def resources(*, q: str = "", share_type: str = "", provider: str = "") -> QuerySet[Resource]:
    qs = Resource.objects.filter(status=Resource.Status.PUBLISHED).prefetch_related("items")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(summary__icontains=q)
                       | Q(provider_name__icontains=q))
    if share_type in ShareType.values:
        qs = qs.filter(share_type=share_type)
    if provider:
        qs = qs.filter(provider_code=provider)
    return qs.order_by("code")


def resource_by_code(code: str) -> Resource | None:
    return Resource.objects.prefetch_related("items", "versions").filter(code=code).first()


def request_by_number(number: str) -> ShareRequest | None:
    return (ShareRequest.objects.select_related("resource").prefetch_related("approvals", "resource__items")
            .filter(number=number).first())


def requests_made(consumer_code: str) -> QuerySet[ShareRequest]:
    return ShareRequest.objects.select_related("resource").filter(consumer_code=consumer_code)


def requests_to_answer(*, org_code: str, is_bureau: bool) -> list[ShareRequest]:
    """What waits for this department: as provider, and (for the data bureau) the second review."""
    cond = Q(status=ShareRequest.Status.PROVIDER_REVIEW, resource__provider_code=org_code)
    if is_bureau:
        cond |= Q(status=ShareRequest.Status.BUREAU_REVIEW)
    return list(ShareRequest.objects.select_related("resource").filter(cond).order_by("due_on", "created_at"))


def grants_held(consumer_code: str, *, now: datetime | None = None) -> list[Grant]:
    now = now or timezone.now()
    return list(Grant.objects.select_related("resource").filter(
        consumer_code=consumer_code, revoked_at__isnull=True, valid_from__lte=now, valid_until__gt=now)
        .order_by("resource__code"))


def grants_given(provider_code: str) -> QuerySet[Grant]:
    return Grant.objects.select_related("resource").filter(resource__provider_code=provider_code)


def grant_by_id(pk: str) -> Grant | None:
    try:
        return Grant.objects.select_related("resource").filter(pk=pk).first()
    except (ValueError, TypeError):
        return None
    except Exception:  # malformed UUID
        return None


def accesses_for_subject(subject_ref: str, *, limit: int = 200) -> list[AccessLog]:
    """谁用了我的数据: every call that reached this person's or enterprise's data."""
    rows = list(AccessLog.objects.filter(subject_ref=subject_ref).exclude(result=AccessLog.Result.REFUSED)
                .prefetch_related("objections").order_by("-at", "-id")[:limit])
    _attach_item_names(rows)
    return rows


def _attach_item_names(rows: list[AccessLog]) -> None:
    """People read 姓名、户籍地址, not the item codes xm, hjdz: give each row its items' names."""
    codes = {r.resource_code for r in rows}
    names = {(i.resource.code, i.code): i.name
             for i in DataItem.objects.select_related("resource").filter(resource__code__in=codes)}
    for r in rows:
        r.item_names = [names.get((r.resource_code, c), c) for c in r.items]  # type: ignore[attr-defined]


def access_by_id(pk: int) -> AccessLog | None:
    return AccessLog.objects.filter(pk=pk).first()


PENDING_OBJECTIONS = (Objection.Status.OPEN, Objection.Status.ESCALATED)


def objections_open(*, consumer_code: str | None = None) -> QuerySet[Objection]:
    """Objections waiting for an answer, those escalated to the data bureau first; with `consumer_code`,
    only those about that department's calls (the department answers them first)."""
    qs = Objection.objects.select_related("access").filter(status__in=PENDING_OBJECTIONS)
    if consumer_code is not None:
        qs = qs.filter(access__consumer_code=consumer_code)
    return qs.order_by(F("escalated_at").desc(nulls_last=True), "due_on", "created_at")


def objection_by_id(pk: str) -> Objection | None:
    try:
        return Objection.objects.select_related("access").filter(pk=pk).first()
    except (ValueError, TypeError):
        return None
    except Exception:  # malformed UUID
        return None


def recent_calls(consumer_code: str, limit: int = 20) -> list[AccessLog]:
    return list(AccessLog.objects.filter(consumer_code=consumer_code).order_by("-at", "-id")[:limit])


def figures(*, days: int = 30, today: date | None = None) -> dict[str, Any]:
    """The data bureau's page: resources by sharing type, requests and approval times, calls per day
    per consumer, refusals."""
    today = today or timezone.localdate()
    since = timezone.make_aware(datetime.combine(today - timedelta(days=days - 1), datetime.min.time()))
    by_type = dict(Resource.objects.filter(status=Resource.Status.PUBLISHED).values_list("share_type")
                   .annotate(n=Count("id")).values_list("share_type", "n"))
    req_by_status = dict(ShareRequest.objects.values_list("status").annotate(n=Count("id"))
                         .values_list("status", "n"))
    durations = [
        (decided - created).total_seconds() / 86400
        for created, decided in ShareRequest.objects.filter(resource__share_type=ShareType.CONDITIONAL,
                                                            decided_at__isnull=False)
        .values_list("created_at", "decided_at") if decided is not None
    ]
    overdue = ShareRequest.objects.filter(
        status__in=[ShareRequest.Status.PROVIDER_REVIEW, ShareRequest.Status.BUREAU_REVIEW], due_on__lt=today).count()
    rows = (AccessLog.objects.filter(at__gte=since).annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
            .values("day", "consumer_name").annotate(n=Count("id")).order_by("day"))
    day_list = [(today - timedelta(days=days - 1 - i)) for i in range(days)]
    per_consumer: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        per_consumer[r["consumer_name"]][r["day"].isoformat()] = r["n"]
    totals = Counter({k: sum(v.values()) for k, v in per_consumer.items()})
    top = [name for name, _ in totals.most_common(6)]
    series = [{"name": name, "data": [per_consumer[name].get(d.isoformat(), 0) for d in day_list]} for name in top]
    results = dict(AccessLog.objects.filter(at__gte=since).values_list("result").annotate(n=Count("id"))
                   .values_list("result", "n"))
    refusals = list(AccessLog.objects.filter(at__gte=since, result=AccessLog.Result.REFUSED)
                    .values("error_code").annotate(n=Count("id")).order_by("-n")[:10])
    return {
        "resources_by_share_type": {str(label): by_type.get(value, 0) for value, label in ShareType.choices},
        "requests_by_status": {str(label): req_by_status.get(value, 0) for value, label in ShareRequest.Status.choices},
        "approval_days_median": round(median(durations), 1) if durations else None,
        "approval_days_max": round(max(durations), 1) if durations else None,
        "requests_overdue": overdue,
        "days": [d.isoformat() for d in day_list],
        "calls_per_day": series,
        "calls_total": sum(results.values()),
        "calls_by_result": {str(label): results.get(value, 0) for value, label in AccessLog.Result.choices},
        "refused_requests": ShareRequest.objects.filter(status__in=[ShareRequest.Status.REFUSED,
                                                                    ShareRequest.Status.REJECTED]).count(),
        "refusals_by_reason": refusals,
        "objections_open": Objection.objects.filter(status__in=PENDING_OBJECTIONS).count(),
        "objections_escalated": Objection.objects.filter(status=Objection.Status.ESCALATED).count(),
    }
