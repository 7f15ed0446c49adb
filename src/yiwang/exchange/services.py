"""Writes for 数据共享交换: the catalogue (versioned), sharing requests and approvals, grants and their
credentials, the gateway (lookup and 核验, masked, rate-limited, every call logged), prefill for
cases, objections, and the daily digest of the access log."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Field
from django.utils import timezone

from yiwang.exchange.models import (
    AccessLog,
    Approval,
    DataItem,
    Digest,
    Grant,
    GrantUsage,
    MaskRule,
    Objection,
    Resource,
    ResourceVersion,
    ShareRequest,
    ShareType,
)
from yiwang.exchange.providers import HttpProvider, Provider, ProviderUnavailable, TableProvider
from yiwang.kernel import context, events
from yiwang.kernel.audit import audit_append, audit_record
from yiwang.kernel.calendar import add_working_days
from yiwang.kernel.crypto import sm3_hex
from yiwang.kernel.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from yiwang.kernel.masking import mask_id_number, mask_name, mask_phone
from yiwang.kernel.validators import validate_credit_code, validate_id_number

PROVIDER_ANSWER_WORKING_DAYS = 10
BUREAU_SHORT_NAME = "数据局"
# The platform's own case-handling system (一网通办) consumes data for prefill under grants like any other.
PREFILL_CONSUMER_CODE = "yiwang.cases"
PREFILL_CONSUMER_NAME = "一网通办平台（办件预填）"


# --- masking ------------------------------------------------------------------------------------


def mask_value(rule: str, value: Any) -> Any:
    """Apply one masking rule to one value (non-strings are masked through their text)."""
    if value is None or value == "" or rule == MaskRule.NONE:
        return value
    if isinstance(value, list):
        return [mask_value(rule, v) for v in value]
    text = str(value)
    if rule == MaskRule.NAME:
        return mask_name(text)
    if rule == MaskRule.ID_NUMBER:
        return mask_id_number(text)
    if rule == MaskRule.PHONE:
        return mask_phone(text)
    if rule == MaskRule.MIDDLE:
        return text[0] + "*" * (len(text) - 2) + text[-1] if len(text) > 2 else "*" * len(text)
    if rule == MaskRule.YEAR:
        return text[:4] + "-**-**" if len(text) >= 4 else "****"
    return "******"


# --- the catalogue ------------------------------------------------------------------------------


def _snapshot(resource: Resource) -> dict[str, Any]:
    fields = ["code", "name", "category", "classification", "provider_code", "provider_name", "summary", "format",
              "key_type", "share_type", "share_condition", "share_method", "open_type", "update_cycle",
              "related_codes", "adapter", "status"]
    snap: dict[str, Any] = {f: getattr(resource, f) for f in fields}
    snap["published_on"] = resource.published_on.isoformat()
    snap["items"] = [{"code": i.code, "name": i.name, "data_type": i.data_type, "grade": i.grade,
                      "personal": i.personal, "default_mask": i.default_mask} for i in resource.items.all()]
    return snap


@transaction.atomic
def resource_save(*, code: str, name: str, provider_code: str, provider_name: str, share_type: str,
                  items: list[dict[str, Any]], published_on: date | None = None, note: str = "",
                  **metadata: Any) -> Resource:
    """Create or revise a catalogue resource. A revision that changes anything bumps the version and
    keeps a snapshot; 不予共享 needs its legal basis in `share_condition`, 有条件 its conditions."""
    if share_type not in ShareType.values:
        raise ValidationFailed("exchange.invalid_share_type", "共享类型应为无条件共享、有条件共享或不予共享", "share_type")
    if share_type != ShareType.UNCONDITIONAL and not str(metadata.get("share_condition", "")).strip():
        raise ValidationFailed("exchange.condition_required",
                               "有条件共享须写明共享条件，不予共享须写明法律、行政法规或政策依据", "share_condition")
    if not items:
        raise ValidationFailed("exchange.items_required", "资源至少应包含一个信息项", "items")
    resource = Resource.objects.select_for_update().filter(code=code).first()
    created = resource is None
    if resource is None:
        resource = Resource(code=code)
    before = None if created else _snapshot(resource)
    resource.name, resource.provider_code, resource.provider_name = name, provider_code, provider_name
    resource.share_type = share_type
    resource.published_on = published_on or (resource.published_on if not created else timezone.localdate())
    for key, value in metadata.items():
        setattr(resource, key, value)
    resource.full_clean(exclude=["version"])
    resource.save()
    resource.items.all().delete()
    DataItem.objects.bulk_create([
        DataItem(resource=resource, code=i["code"], name=i["name"], data_type=i.get("data_type", "字符型"),
                 grade=i.get("grade", "general"), personal=i.get("personal", "none"),
                 default_mask=i.get("default_mask", MaskRule.NONE), order=n)
        for n, i in enumerate(items)
    ])
    after = _snapshot(resource)
    transaction.on_commit(forget_resources)
    forget_resources()
    if before is not None and {k: v for k, v in before.items()} == after:
        return resource
    if not created:
        resource.version = F("version") + 1
        resource.save(update_fields=["version"])
        resource.refresh_from_db()
    ResourceVersion.objects.create(resource=resource, version=resource.version, snapshot=after, note=note[:200])
    audit_record(action="exchange.resource_published", object_type="exchange_resource", object_id=resource.code,
                 detail={"version": resource.version, "share_type": share_type})
    return resource


# --- sharing requests and approvals ---------------------------------------------------------------


def _request_number(now: datetime) -> str:
    return f"GX{timezone.localtime(now):%Y%m%d}{uuid.uuid4().hex[:8].upper()}"


def _grant_from_request(req: ShareRequest, *, masking: dict[str, str] | None = None,
                        now: datetime | None = None) -> Grant:
    now = now or timezone.now()
    defaults = dict(req.resource.items.filter(code__in=req.items).values_list("code", "default_mask"))
    chosen = {code: (masking or {}).get(code, defaults.get(code, MaskRule.NONE)) for code in req.items}
    bad = [r for r in chosen.values() if r not in MaskRule.values]
    if bad:
        raise ValidationFailed("exchange.invalid_mask", "脱敏规则不正确", "masking")
    start = max(now, timezone.make_aware(datetime.combine(req.valid_from, datetime.min.time())))
    end = timezone.make_aware(datetime.combine(req.valid_until, datetime.max.time().replace(microsecond=0)))
    grant = Grant.objects.create(request=req, resource=req.resource, consumer_code=req.consumer_code,
                                 consumer_name=req.consumer_name, items=list(req.items), masking=chosen,
                                 purpose=req.purpose, legal_basis=req.legal_basis, valid_from=start, valid_until=end)
    events.publish("exchange.grant_issued", source="exchange", subject=str(grant.pk),
                   data={"resource": req.resource.code, "consumer": req.consumer_code, "items": list(req.items)})
    return grant


@transaction.atomic
def request_submit(*, resource: Resource, consumer_code: str, consumer_name: str, items: list[str], purpose: str,
                   legal_basis: str, valid_from: date, valid_until: date, requested_by: str = "",
                   now: datetime | None = None) -> ShareRequest:
    """A consuming department asks for a resource. 无条件 is granted at once; 有条件 waits for the
    provider (answer due within 10 working days) and then the data bureau; 不予共享 is refused with
    the catalogue's stated basis."""
    now = now or timezone.now()
    purpose, legal_basis = (purpose or "").strip(), (legal_basis or "").strip()
    if not purpose:
        raise ValidationFailed("exchange.purpose_required", "请填写数据用途", "purpose")
    if not legal_basis:
        raise ValidationFailed("exchange.legal_basis_required", "请填写使用数据的法律依据", "legal_basis")
    if resource.status != Resource.Status.PUBLISHED:
        raise ValidationFailed("exchange.resource_withdrawn", "该资源已撤销，不能申请", "resource")
    known = set(resource.items.values_list("code", flat=True))
    items = list(dict.fromkeys(items))
    if not items:
        raise ValidationFailed("exchange.items_required", "请至少选择一个信息项", "items")
    unknown = [i for i in items if i not in known]
    if unknown:
        raise ValidationFailed("exchange.unknown_items", f"资源中没有这些信息项：{'、'.join(unknown)}", "items")
    if valid_until < valid_from or valid_until < timezone.localdate(now):
        raise ValidationFailed("exchange.invalid_period", "使用期限不正确", "valid_until")
    if valid_until > valid_from + timedelta(days=3 * 366):
        raise ValidationFailed("exchange.period_too_long", "使用期限最长三年", "valid_until")
    if consumer_code == resource.provider_code:
        raise ValidationFailed("exchange.own_resource", "不能申请本部门提供的资源", "resource")
    req = ShareRequest(number=_request_number(now), resource=resource, consumer_code=consumer_code,
                       consumer_name=consumer_name, items=items, purpose=purpose[:200], legal_basis=legal_basis[:200],
                       valid_from=valid_from, valid_until=valid_until, requested_by=requested_by[:120],
                       created_at=now, status=ShareRequest.Status.PROVIDER_REVIEW)
    if resource.share_type == ShareType.NONE:
        req.status = ShareRequest.Status.REFUSED
        req.reason = f"该资源不予共享。依据：{resource.share_condition}"[:300]
        req.decided_at = now
    elif resource.share_type == ShareType.UNCONDITIONAL:
        req.status = ShareRequest.Status.APPROVED
        req.decided_at = now
    else:
        req.due_on = add_working_days(timezone.localdate(now), PROVIDER_ANSWER_WORKING_DAYS).due
    req.save()
    if req.status == ShareRequest.Status.APPROVED:
        Approval.objects.create(request=req, stage=Approval.Stage.AUTO, approved=True,
                                comment="无条件共享，自动批准", by_label="系统", at=now)
        _grant_from_request(req, now=now)
    elif req.status == ShareRequest.Status.REFUSED:
        Approval.objects.create(request=req, stage=Approval.Stage.AUTO, approved=False, comment=req.reason,
                                by_label="系统", at=now)
    audit_record(action="exchange.request_submitted", object_type="exchange_request", object_id=req.number,
                 detail={"resource": resource.code, "consumer": consumer_code, "items": items,
                         "status": req.status})
    events.publish("exchange.request_submitted", source="exchange", subject=req.number,
                   data={"resource": resource.code, "consumer": consumer_code, "status": req.status})
    return req


@transaction.atomic
def request_decide(*, request: ShareRequest, approve: bool, org_code: str, is_bureau: bool, by_label: str,
                   comment: str = "", masking: dict[str, str] | None = None,
                   now: datetime | None = None) -> ShareRequest:
    """The provider answers first (its own staff), then the data bureau. A refusal needs a reason.
    The bureau's approval issues the grant (with the masking the approvers chose)."""
    now = now or timezone.now()
    req = ShareRequest.objects.select_for_update().select_related("resource").get(pk=request.pk)
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationFailed("exchange.reason_required", "不同意时须说明理由", "comment")
    if req.status == ShareRequest.Status.PROVIDER_REVIEW:
        if org_code != req.resource.provider_code:
            raise PermissionDenied("exchange.not_provider", "只有资源提供部门可以审核这一步", None)
        stage = Approval.Stage.PROVIDER
    elif req.status == ShareRequest.Status.BUREAU_REVIEW:
        if not is_bureau:
            raise PermissionDenied("exchange.not_bureau", "这一步由数据局审核", None)
        stage = Approval.Stage.BUREAU
    else:
        raise Conflict("exchange.request_closed", "该申请已办结", None)
    Approval.objects.create(request=req, stage=stage, approved=approve, comment=comment[:300],
                            by_label=by_label[:120], at=now)
    if not approve:
        req.status, req.reason, req.decided_at = ShareRequest.Status.REJECTED, comment[:300], now
    elif stage == Approval.Stage.PROVIDER:
        req.status = ShareRequest.Status.BUREAU_REVIEW
    else:
        req.status, req.decided_at = ShareRequest.Status.APPROVED, now
    req.save(update_fields=["status", "reason", "decided_at"])
    if req.status == ShareRequest.Status.APPROVED:
        _grant_from_request(req, masking=masking, now=now)
    audit_record(action="exchange.request_decided", object_type="exchange_request", object_id=req.number,
                 detail={"stage": stage, "approved": approve, "comment": comment[:300]})
    return req


@transaction.atomic
def grant_create(*, resource: Resource, consumer_code: str, consumer_name: str, items: list[str], purpose: str,
                 legal_basis: str, valid_until: datetime, masking: dict[str, str] | None = None,
                 valid_from: datetime | None = None, rate_per_minute: int = 600, daily_quota: int = 20000) -> Grant:
    """A grant without a request (system consumers such as prefill, set up by the data bureau)."""
    defaults = dict(resource.items.values_list("code", "default_mask"))
    unknown = [i for i in items if i not in defaults]
    if unknown:
        raise ValidationFailed("exchange.unknown_items", f"资源中没有这些信息项：{'、'.join(unknown)}", "items")
    if resource.share_type == ShareType.NONE:
        raise PermissionDenied("exchange.not_shared", f"该资源不予共享。依据：{resource.share_condition}", None)
    grant = Grant.objects.create(
        resource=resource, consumer_code=consumer_code, consumer_name=consumer_name, items=list(items),
        masking={i: (masking or {}).get(i, defaults[i]) for i in items}, purpose=purpose, legal_basis=legal_basis,
        valid_from=valid_from or timezone.now(), valid_until=valid_until, rate_per_minute=rate_per_minute,
        daily_quota=daily_quota)
    audit_record(action="exchange.grant_created", object_type="exchange_grant", object_id=str(grant.pk),
                 detail={"resource": resource.code, "consumer": consumer_code, "items": list(items)})
    return grant


@transaction.atomic
def grant_revoke(*, grant: Grant, reason: str) -> Grant:
    if not reason.strip():
        raise ValidationFailed("exchange.reason_required", "请说明撤销理由", "reason")
    Grant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(revoked_at=timezone.now(),
                                                                       revoked_reason=reason[:200])
    grant.refresh_from_db()
    audit_record(action="exchange.grant_revoked", object_type="exchange_grant", object_id=str(grant.pk),
                 detail={"reason": reason[:200]})
    return grant


@transaction.atomic
def grant_issue_credentials(*, grant: Grant) -> tuple[str, str]:
    """Scoped credentials for the consumer's system: an OAuth client (client-credentials grant) that
    may only obtain `exchange:lookup`, bound to this grant. Returns (client_id, secret); the secret is
    shown once and stored only hashed."""
    from yiwang.identity import selectors as identity_selectors
    from yiwang.identity import services as identity_services

    org = identity_selectors.departments().filter(code=grant.consumer_code).first()
    app, secret = identity_services.client_register(
        name=f"{grant.consumer_name} · {grant.resource.name}"[:255], grant="client-credentials",
        scopes=["exchange:lookup"], organisation=org,
        description=f"数据共享授权 {grant.pk}"[:200])
    Grant.objects.filter(pk=grant.pk).update(client_id=app.client_id)
    grant.client_id = app.client_id
    return app.client_id, secret


# --- the gateway ---------------------------------------------------------------------------------


@dataclass
class CallResult:
    call_id: str
    found: bool
    resource: str
    data: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, bool] = field(default_factory=dict)
    masked_items: list[str] = field(default_factory=list)
    provider: str = ""


class GatewayError(DomainError):
    """A refused or failed gateway call; `call_id` names its access-log row."""

    def __init__(self, base: DomainError, call_id: str):
        super().__init__(base.code, base.message, base.field, status=base.status)
        self.call_id = call_id


class _RateWindow:
    """Calls per grant per minute, counted in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}

    def hit(self, key: str, limit: int) -> bool:
        minute = int(time.time() // 60)
        with self._lock:
            held_minute, n = self._counts.get(key, (minute, 0))
            if held_minute != minute:
                n = 0
            if n >= limit:
                self._counts[key] = (minute, n)
                return False
            self._counts[key] = (minute, n + 1)
            if len(self._counts) > 50_000:
                self._counts.clear()
            return True

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


rate_window = _RateWindow()


def provider_for(resource: Resource) -> Provider:
    cfg = resource.adapter_config or {}
    if resource.adapter == Resource.Adapter.HTTP:
        return HttpProvider(name=resource.provider_name, url=str(cfg.get("url", "")),
                            timeout_s=float(cfg.get("timeout_s", 2.0)), retries=int(cfg.get("retries", 1)),
                            breaker_threshold=int(cfg.get("breaker_threshold", 3)),
                            breaker_reset_s=float(cfg.get("breaker_reset_s", 30.0)))
    return TableProvider(str(cfg.get("registry", resource.code)))


def _normalise_key(resource: Resource, key: str) -> str:
    try:
        if resource.key_type == Resource.KeyType.CREDIT_CODE:
            return validate_credit_code(key)
        return validate_id_number(key)
    except ValueError as exc:
        raise ValidationFailed("exchange.invalid_key", str(exc), "key") from None


def _key_masked(resource: Resource, key: str) -> str:
    return key if resource.key_type == Resource.KeyType.CREDIT_CODE else mask_id_number(key)


def _subject_for(resource: Resource, key: str) -> str:
    from yiwang.identity import selectors as identity_selectors

    if resource.key_type == Resource.KeyType.CREDIT_CODE:
        ent = identity_selectors.enterprise_by_credit_code(key)
        return ent.subject_ref if ent is not None else ""
    person = identity_selectors.person_by_id_number(key)
    return person.subject_ref if person is not None else ""


_GRANT_SQL: dict[str, str] = {}


def _concrete(f: Any) -> Field[Any, Any]:
    if not isinstance(f, Field):
        raise TypeError(f"{f} is not a concrete field")
    return f


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _active_grant(*, resource: Resource, consumer_code: str | None, client_id: str | None,
                  now: datetime) -> Grant | None:
    """The consumer's live grant for the resource (not revoked, within its period), read on every call
    straight from the table (one small indexed query, no cache: a revocation counts at once)."""
    grant_f = Grant._meta
    qn = connection.ops.quote_name
    key = f"{connection.vendor}|{consumer_code is not None}|{client_id is not None}"
    sql = _GRANT_SQL.get(key)
    if sql is None:
        cols = ", ".join(qn(str(_concrete(grant_f.get_field(n)).column)) for n in (
            "id", "consumer_code", "consumer_name", "items", "masking", "purpose", "legal_basis", "rate_per_minute",
            "daily_quota", "valid_until"))
        where = [f"{qn('resource_id')} = %s", f"{qn('revoked_at')} IS NULL", f"{qn('valid_from')} <= %s",
                 f"{qn('valid_until')} > %s"]
        if consumer_code is not None:
            where.append(f"{qn('consumer_code')} = %s")
        if client_id is not None:
            where.append(f"{qn('client_id')} = %s")
        sql = _GRANT_SQL[key] = (f"SELECT {cols} FROM {qn(grant_f.db_table)} WHERE {' AND '.join(where)} "
                                 f"ORDER BY {qn('valid_until')} DESC LIMIT 1")
    at = grant_f.get_field("valid_from").get_db_prep_value(now, connection)
    params: list[Any] = [grant_f.get_field("id").get_db_prep_value(resource.pk, connection), at, at]
    if consumer_code is not None:
        params.append(consumer_code)
    if client_id is not None:
        params.append(client_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return Grant(id=uuid.UUID(str(row[0])), resource=resource, consumer_code=row[1], consumer_name=row[2],
                 items=_json(row[3]), masking=_json(row[4]), purpose=row[5], legal_basis=row[6],
                 rate_per_minute=row[7], daily_quota=row[8], client_id=client_id or "")


def _take_quota(grant: Grant, day: date) -> bool:
    """Count one call against the grant's daily quota; False when the quota is spent."""
    usage_f = GrantUsage._meta
    qn = connection.ops.quote_name
    grant_id = usage_f.get_field("grant").get_db_prep_value(grant.pk, connection)
    day_param = usage_f.get_field("day").get_db_prep_value(day, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {qn(usage_f.db_table)} SET {qn('calls')} = {qn('calls')} + 1 "
                       f"WHERE {qn('grant_id')} = %s AND {qn('day')} = %s AND {qn('calls')} < %s",
                       [grant_id, day_param, grant.daily_quota])
        if cursor.rowcount:
            return True
    if GrantUsage.objects.filter(grant_id=grant.pk, day=day).exists():
        return False
    GrantUsage.objects.create(grant_id=grant.pk, day=day, calls=1)
    return grant.daily_quota >= 1


_RESOURCE_CACHE: dict[str, tuple[float, Resource | None]] = {}
RESOURCE_CACHE_S = 5.0


def _resource(code: str) -> Resource | None:
    """Catalogue metadata, cached in process for a few seconds (cleared at once by resource_save)."""
    hit = _RESOURCE_CACHE.get(code)
    now = time.monotonic()
    if hit is not None and hit[0] > now and not connection.in_atomic_block:
        return hit[1]
    found = Resource.objects.filter(code=code[:40]).first()
    if len(_RESOURCE_CACHE) > 1000:
        _RESOURCE_CACHE.clear()
    _RESOURCE_CACHE[code] = (now + RESOURCE_CACHE_S, found)
    return found


def forget_resources() -> None:
    _RESOURCE_CACHE.clear()


_LOG_SQL: dict[str, tuple[str, list[Any]]] = {}
_LOG_COLUMNS = ("at", "grant", "consumer_code", "consumer_name", "actor_label", "resource_code", "resource_name",
                "provider_name", "mode", "purpose", "legal_basis", "subject_ref", "key_masked", "items", "result",
                "error_code", "latency_ms", "request_id", "call_id")


def _write_log(*, at: datetime, grant: Grant | None, consumer_code: str, consumer_name: str, resource: Resource | None,
               resource_code: str, mode: str, purpose: str, legal_basis: str, subject_ref: str, key_masked: str,
               items: list[str], result: str, error_code: str, started: float, call_id: str) -> None:
    """Append one access-log row. A plain INSERT (the gateway's hot path); values are prepared by the
    model's own fields, so the row is what AccessLog.objects.create would have written."""
    actor = context.current_actor()
    values: dict[str, Any] = {
        "at": at, "grant": grant.pk if grant else None, "consumer_code": consumer_code[:40],
        "consumer_name": consumer_name[:100], "actor_label": actor.label[:120], "resource_code": resource_code[:40],
        "resource_name": resource.name if resource else "", "provider_name": resource.provider_name if resource else "",
        "mode": mode, "purpose": purpose[:200], "legal_basis": legal_basis[:200], "subject_ref": subject_ref,
        "key_masked": key_masked[:20], "items": items, "result": result, "error_code": error_code[:60],
        "latency_ms": round((time.perf_counter() - started) * 1000, 3), "request_id": context.request_id()[:40],
        "call_id": uuid.UUID(call_id),
    }
    held = _LOG_SQL.get(connection.vendor)
    if held is None:
        meta = AccessLog._meta
        qn = connection.ops.quote_name
        cols = [_concrete(meta.get_field(n)) for n in _LOG_COLUMNS]
        held = _LOG_SQL[connection.vendor] = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(str(f.column)) for f in cols)}) "
            f"VALUES ({', '.join(['%s'] * len(cols))})", cols)
    sql, fields = held
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def gateway_call(*, resource_code: str, key: str = "", purpose: str, consumer_code: str | None = None,
                 consumer_name: str = "", client_id: str | None = None, items: list[str] | None = None,
                 questions: dict[str, Any] | None = None, legal_basis: str = "", subject_ref: str = "",
                 mode: str = AccessLog.Mode.LOOKUP, now: datetime | None = None) -> CallResult:
    """One gateway call. The consumer is a department (`consumer_code`, e.g. a staff member's body) or
    a system holding credentials (`client_id`). Only granted items, masked per the grant; 核验
    (`questions`: item → expected value) answers yes/no and discloses nothing else. Every call —
    served, refused or failed — writes exactly one access-log row; refusals raise GatewayError."""
    started = time.perf_counter()
    now = now or timezone.now()
    call_id = str(uuid.uuid4())
    purpose = (purpose or "").strip()
    resource = _resource(resource_code)
    grant: Grant | None = None
    key_masked, requested = "", list(items or [])
    if questions:
        mode = AccessLog.Mode.VERIFY
        requested = list(questions)
    log_kw: dict[str, Any] = dict(at=now, resource=resource, resource_code=resource_code, mode=mode, purpose=purpose,
                                  started=started, call_id=call_id)

    def refuse(error: DomainError, result: str = AccessLog.Result.REFUSED) -> GatewayError:
        _write_log(grant=grant, consumer_code=(grant.consumer_code if grant else consumer_code or client_id or ""),
                   consumer_name=(grant.consumer_name if grant else consumer_name),
                   legal_basis=(grant.legal_basis if grant else legal_basis), subject_ref=subject_ref,
                   key_masked=key_masked, items=requested, result=result, error_code=error.code, **log_kw)
        return GatewayError(error, call_id)

    if not purpose or len(purpose) > 200:
        raise refuse(ValidationFailed("exchange.purpose_required", "请填写查询事由（不超过200字）", "purpose"))
    if resource is None:
        raise refuse(NotFound("exchange.resource_not_found", "资源目录中没有该资源", "resource"))
    if consumer_code is None and client_id is None:
        raise refuse(PermissionDenied("exchange.no_consumer", "无法确定调用方", None))
    if resource.share_type == ShareType.NONE:
        raise refuse(PermissionDenied("exchange.not_shared", f"该资源不予共享。依据：{resource.share_condition}", None))
    if not subject_ref:
        try:
            key = _normalise_key(resource, key)
        except DomainError as exc:
            raise refuse(exc) from None
        key_masked = _key_masked(resource, key)
    grant = _active_grant(resource=resource, consumer_code=consumer_code, client_id=client_id, now=now)
    if grant is None:
        raise refuse(PermissionDenied("exchange.no_grant",
                                      "没有有效的共享授权（未申请、未批准、已过期或已撤销），不能调用该资源", None))
    requested = requested or list(grant.items)
    not_granted = [i for i in requested if i not in grant.items]
    if not_granted:
        raise refuse(PermissionDenied("exchange.item_not_granted",
                                      f"以下信息项未获授权：{'、'.join(not_granted)}", "items"))
    if not rate_window.hit(str(grant.pk), grant.rate_per_minute):
        raise refuse(RateLimited("exchange.rate_limited", "调用过于频繁，请稍后再试（每分钟上限）", None))
    day = timezone.localdate(now)
    provider = provider_for(resource)
    try:
        if subject_ref and isinstance(provider, TableProvider):
            record = provider.fetch_subject(subject_ref)
        elif subject_ref:
            raise ProviderUnavailable("exchange.prefill_needs_key", "该资源只能按证件号查询", None)
        else:
            record = provider.fetch(key)
    except ProviderUnavailable as exc:
        raise refuse(exc, AccessLog.Result.ERROR) from None
    if record is not None and not subject_ref:
        subject_ref = str(record.get("_subject_ref") or "") or _subject_for(resource, key)
    result = CallResult(call_id=call_id, found=record is not None, resource=resource.code,
                        provider=resource.provider_name)
    if record is not None:
        if questions:
            result.answers = {i: str(record.get(i, "")) == str(q) for i, q in questions.items()}
        else:
            for i in requested:
                rule = grant.masking.get(i, MaskRule.HIDDEN)
                result.data[i] = mask_value(rule, record.get(i))
                if rule != MaskRule.NONE:
                    result.masked_items.append(i)
    with transaction.atomic():
        if not _take_quota(grant, day):
            quota_spent = True
        else:
            quota_spent = False
            _write_log(grant=grant, consumer_code=grant.consumer_code, consumer_name=grant.consumer_name,
                   legal_basis=legal_basis or grant.legal_basis, subject_ref=subject_ref, key_masked=key_masked,
                       items=requested,
                       result=AccessLog.Result.OK if record is not None else AccessLog.Result.NOT_FOUND,
                       error_code="", **log_kw)
            if record is not None and subject_ref:
                audit_append(action="exchange.lookup_read" if not questions else "exchange.verify_read",
                             object_type="exchange_call", object_id=call_id, subject_ref=subject_ref,
                             detail={"purpose": purpose, "fields": requested, "resource": resource.name,
                                     "consumer": grant.consumer_name,
                                     "legal_basis": legal_basis or grant.legal_basis})
    if quota_spent:  # nothing was disclosed; the refusal is logged like any other
        raise refuse(RateLimited("exchange.quota_exceeded", "今日调用次数已达配额上限", None))
    return result


# --- prefill for cases -----------------------------------------------------------------------------

# form field → (resource code, data item)
PREFILL_FIELDS: dict[str, tuple[str, str]] = {
    "name": ("A0101001", "xm"),
    "gender": ("A0101001", "xb"),
    "birth_date": ("A0101001", "csrq"),
    "ethnicity": ("A0101001", "mz"),
    "household_address": ("A0101002", "hjdz"),
    "household_number": ("A0101002", "hh"),
    "relation_to_head": ("A0101002", "yhzgx"),
    "marital_status": ("A0103001", "hyzk"),
    "spouse_name": ("A0103001", "poxm"),
    "marriage_date": ("A0103001", "djrq"),
    "social_insurance_status": ("A0104001", "cbzt"),
    "social_insurance_types": ("A0104001", "xz"),
    "employer": ("A0104001", "dwmc"),
    "medical_insurance_status": ("A0104002", "cbzt"),
    "medical_insurance_type": ("A0104002", "xz"),
    "enterprise_name": ("A0201001", "qymc"),
    "enterprise_kind": ("A0201001", "qylx"),
    "legal_rep": ("A0201001", "fddbr"),
    "registered_address": ("A0201001", "zs"),
    "business_scope": ("A0201001", "jyfw"),
    "tax_credit_level": ("A0202001", "nsxydj"),
}


def prefill_for(person_or_enterprise: Any, field_names: list[str], legal_basis: str, purpose: str, *,
                consumer_code: str = PREFILL_CONSUMER_CODE) -> dict[str, dict[str, Any]]:
    """Fill an application's form from what the state holds, through the gateway under the case's
    legal basis: {field: {"value", "source_resource", "source_department"}}. Each resource is called
    once (one access-log row, visible to the applicant); a field whose resource has no grant for the
    platform, or no record, is left out (the applicant types it)."""
    if not (legal_basis or "").strip():
        raise ValidationFailed("exchange.legal_basis_required", "预填须说明办件的法律依据", "legal_basis")
    subject = str(getattr(person_or_enterprise, "subject_ref", ""))
    if not subject:
        raise ValidationFailed("exchange.no_subject", "缺少申请人", None)
    by_resource: dict[str, list[tuple[str, str]]] = {}
    for name in dict.fromkeys(field_names):
        if name not in PREFILL_FIELDS:
            raise ValidationFailed("exchange.unknown_field", f"无法预填的字段：{name}", "field_names")
        code, item = PREFILL_FIELDS[name]
        by_resource.setdefault(code, []).append((name, item))
    out: dict[str, dict[str, Any]] = {}
    for code, wanted in by_resource.items():
        try:
            res = gateway_call(resource_code=code, subject_ref=subject, consumer_code=consumer_code,
                               items=sorted({i for _, i in wanted}), purpose=purpose, legal_basis=legal_basis,
                               mode=AccessLog.Mode.PREFILL)
        except GatewayError:
            continue
        if not res.found:
            continue
        resource = Resource.objects.only("name", "provider_name").get(code=code)
        for name, item in wanted:
            out[name] = {"value": res.data.get(item), "source_resource": resource.name,
                         "source_department": resource.provider_name}
    return out


# --- objections ------------------------------------------------------------------------------------


@transaction.atomic
def objection_raise(*, subject_ref: str, access: AccessLog, reason: str) -> Objection:
    """The person (or enterprise) an access was about disputes it; recorded for the data bureau."""
    if access.subject_ref != subject_ref:
        raise PermissionDenied("exchange.not_your_data", "只能对涉及本人数据的调用提出异议", None)
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationFailed("exchange.reason_required", "请填写异议理由（不超过500字）", "reason")
    obj = Objection.objects.create(access=access, subject_ref=subject_ref, reason=reason)
    audit_record(action="exchange.objection_raised", object_type="exchange_objection", object_id=str(obj.pk),
                 subject_ref=subject_ref, detail={"access": access.pk, "consumer": access.consumer_name})
    events.publish("exchange.objection_raised", source="exchange", subject=str(obj.pk),
                   data={"access": access.pk, "consumer": access.consumer_code, "resource": access.resource_code})
    return obj


@transaction.atomic
def objection_answer(*, objection: Objection, response: str) -> Objection:
    if not response.strip():
        raise ValidationFailed("exchange.response_required", "请填写答复", "response")
    objection.status, objection.response, objection.answered_at = Objection.Status.ANSWERED, response[:500], \
        timezone.now()
    objection.save(update_fields=["status", "response", "answered_at"])
    audit_record(action="exchange.objection_answered", object_type="exchange_objection", object_id=str(objection.pk),
                 subject_ref=objection.subject_ref, detail={"response": response[:500]})
    return objection


# --- the daily digest -----------------------------------------------------------------------------


def digest_compute(day: date) -> dict[str, Any]:
    """The day's calls summarised, and an SM3 digest over every row (chained to the previous day)."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
    rows = list(AccessLog.objects.filter(at__gte=start, at__lt=start + timedelta(days=1)).order_by("id").values(
        "call_id", "at", "consumer_code", "resource_code", "subject_ref", "items", "result", "purpose"))
    previous = Digest.objects.filter(day__lt=day).order_by("-day").values_list("digest", flat=True).first() or ""
    chain = previous  # an SM3 hash chain over the day's rows, linked to the previous day's digest
    for r in rows:
        line = json.dumps({**r, "at": r["at"].isoformat(), "call_id": str(r["call_id"])}, sort_keys=True,
                          ensure_ascii=False)
        chain = sm3_hex((chain + line).encode())
    return {
        "day": day.isoformat(), "calls": len(rows), "previous": previous, "digest": chain or sm3_hex(previous.encode()),
        "by_consumer": dict(Counter(r["consumer_code"] for r in rows)),
        "by_resource": dict(Counter(r["resource_code"] for r in rows)),
        "by_result": dict(Counter(r["result"] for r in rows)),
    }


# The ledger knows a fixed set of entry kinds; "record" until it has one for exchange digests.
LEDGER_KIND = "record"


def _ledger_append(summary: dict[str, Any]) -> tuple[str, str]:
    """Anchor the day's digest in the trust ledger's `audit` log (SM3 tree). Returns ("audit:<index>",
    salt hex) — the salt is what later proves the entry is this digest — or ("", "") without a ledger."""
    try:
        from yiwang.ledger import services as ledger_services
    except ImportError:  # pragma: no cover - the ledger is part of the platform
        return "", ""
    log = ledger_services.ensure_log("audit", title="审计日志日摘要", hash="sm3")
    appended = ledger_services.ledger_append(log.name, LEDGER_KIND, bytes.fromhex(summary["digest"]),
                                             ref=f"exchange:{summary['day']}")
    return f"{appended.log}:{appended.index}", appended.salt.hex()


@transaction.atomic
def digest_publish(day: date) -> Digest:
    """Record (once) the digest of a finished day and append it to the trust ledger when available."""
    existing = Digest.objects.filter(day=day).first()
    if existing is not None:
        return existing
    summary = digest_compute(day)
    digest = Digest.objects.create(day=day, calls=summary["calls"], summary=summary, digest=summary["digest"])
    ref, salt = _ledger_append(summary)
    if ref:
        digest.ledger_ref = ref[:120]
        digest.summary = {**summary, "ledger_salt": salt}
        digest.save(update_fields=["ledger_ref", "summary"])
    audit_record(action="exchange.digest_published", object_type="exchange_digest", object_id=day.isoformat(),
                 detail={"calls": summary["calls"], "digest": summary["digest"], "ledger": ref})
    return digest


# --- file import into a base registry --------------------------------------------------------------

KEY_HEADERS = ("身份证号", "公民身份号码", "证件号码", "统一社会信用代码", "key")


@dataclass
class RegistryImportReport:
    resource: str
    imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def registry_import(*, resource_code: str, filename: str, content: bytes) -> RegistryImportReport:
    """Load a provider's CSV/Excel file into the base registry behind a table-backed resource.

    Columns are the resource's data items, by name (姓名) or code (xm), plus a key column (身份证号 or
    统一社会信用代码). Each row is merged into the subject's record whole or rejected whole with its row
    number and reason."""
    from yiwang.exchange.providers import TableProvider, read_rows, registry_put

    resource = _resource(resource_code)
    if resource is None:
        raise NotFound("exchange.resource_not_found", "资源目录中没有该资源", "resource")
    provider = provider_for(resource)
    if not isinstance(provider, TableProvider):
        raise ValidationFailed("exchange.not_table_resource", "该资源由部门接口提供，不能通过文件导入", "resource")
    items = list(resource.items.all())
    column_to_item = {i.name: i.code for i in items} | {i.code: i.code for i in items}
    report = RegistryImportReport(resource=resource.code)
    for number, row in enumerate(read_rows(filename, content), start=2):
        key_raw = next((row[h] for h in KEY_HEADERS if row.get(h)), "")
        if not key_raw:
            report.rejected.append((number, "缺少身份证号或统一社会信用代码列"))
            continue
        try:
            key = _normalise_key(resource, key_raw)
        except DomainError as exc:
            report.rejected.append((number, exc.message))
            continue
        unknown = [h for h in row if h and h not in column_to_item and h not in KEY_HEADERS]
        if unknown:
            report.rejected.append((number, f"未知信息项：{'、'.join(unknown)}"))
            continue
        values = {column_to_item[h]: v for h, v in row.items() if h in column_to_item and v != ""}
        if not values:
            report.rejected.append((number, "该行没有可导入的信息项"))
            continue
        with transaction.atomic():
            record = provider.fetch(key) or {}
            record.pop("_subject_ref", None)
            record.update(values)
            registry_put(registry=provider.registry, key=key, key_masked=_key_masked(resource, key),
                         subject_ref=_subject_for(resource, key), data=record, source=f"文件导入：{filename}"[:60])
        report.imported += 1
    audit_record(action="exchange.registry_imported", object_type="exchange_resource", object_id=resource.code,
                 detail={"file": filename, "imported": report.imported, "rejected": len(report.rejected)})
    return report
