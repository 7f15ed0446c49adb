"""Writes for 数据共享交换: the catalogue (versioned), sharing requests and approvals, grants and their
credentials, the gateway (lookup and 核验, masked, rate-limited, every call logged), prefill for
cases, objections, and the daily digest of the access log."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
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
    transaction.on_commit(forget_grants)
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
    transaction.on_commit(forget_grants)
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
    transaction.on_commit(forget_grants)
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


@dataclass(slots=True)
class GrantView:
    """What the gateway needs from a live grant: read as one row, no model instance on the hot path.
    `raw` keeps the columns as the database returned them, so the count can check that the row is
    still exactly this one (see `_count_call`)."""

    pk: uuid.UUID
    consumer_code: str
    consumer_name: str
    items: list[str]
    masking: dict[str, str]
    legal_basis: str
    rate_per_minute: int
    daily_quota: int
    client_id: str = ""
    raw: tuple[Any, ...] = ()


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


def _concrete(f: Any) -> Field[Any, Any]:
    if not isinstance(f, Field):
        raise TypeError(f"{f} is not a concrete field")
    return f


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _col(model: Any, name: str, conn: BaseDatabaseWrapper) -> str:
    return str(conn.ops.quote_name(str(_concrete(model._meta.get_field(name)).column)))


# SQL of the hot path, built once per database vendor (and variant) from the models' own metadata.
_SQL: dict[tuple[str, ...], str] = {}


# The grant columns the gateway reads, in order; the count re-checks all of them (see _count_call).
_GRANT_COLUMNS = ("consumer_code", "consumer_name", "items", "masking", "legal_basis", "rate_per_minute",
                  "daily_quota")
_GRANT_JSON = frozenset({"items", "masking"})


def _grant_sql(conn: BaseDatabaseWrapper, by_consumer: bool, by_client: bool) -> str:
    key = ("grant", conn.vendor, str(by_consumer), str(by_client))
    sql = _SQL.get(key)
    if sql is None:
        cols = ", ".join(_col(Grant, n, conn) for n in ("id", *_GRANT_COLUMNS))
        where = [f"{_col(Grant, 'resource', conn)} = %s", f"{_col(Grant, 'revoked_at', conn)} IS NULL",
                 f"{_col(Grant, 'valid_from', conn)} <= %s", f"{_col(Grant, 'valid_until', conn)} > %s"]
        if by_consumer:
            where.append(f"{_col(Grant, 'consumer_code', conn)} = %s")
        if by_client:
            where.append(f"{_col(Grant, 'client_id', conn)} = %s")
        sql = _SQL[key] = (f"SELECT {cols} FROM {conn.ops.quote_name(Grant._meta.db_table)} "
                           f"WHERE {' AND '.join(where)} ORDER BY {_col(Grant, 'valid_until', conn)} DESC LIMIT 1")
    return sql


# Live grants seen lately, per (resource, consumer, client): saves the grant query on most calls. Safe
# because the count that every served call makes (_count_call, in the transaction with its log row)
# re-checks in the database that the grant is still live and unchanged; when it is not, the call is
# served again from a fresh read. A miss is never cached, so a first grant counts at once.
_GRANT_CACHE: dict[tuple[Any, ...], tuple[float, GrantView]] = {}
GRANT_CACHE_S = 5.0
_CACHE_VENDORS = frozenset({"sqlite", "postgresql"})


def forget_grants() -> None:
    _GRANT_CACHE.clear()


def _active_grant(*, resource: Resource, consumer_code: str | None, client_id: str | None, now: datetime,
                  conn: BaseDatabaseWrapper | None = None, cursor: Any = None,
                  use_cache: bool = False) -> tuple[GrantView | None, bool]:
    """The consumer's live grant for the resource (not revoked, within its period) and whether it came
    from the cache. Without the cache: one small indexed query."""
    conn = conn or connections[DEFAULT_DB_ALIAS]
    cache_key = (resource.pk, consumer_code, client_id)
    use_cache = use_cache and conn.vendor in _CACHE_VENDORS and not conn.in_atomic_block
    if use_cache:
        hit = _GRANT_CACHE.get(cache_key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1], True
    at = conn.ops.adapt_datetimefield_value(now)
    params: list[Any] = [_uuid_param(resource.pk, conn), at, at]
    if consumer_code is not None:
        params.append(consumer_code)
    if client_id is not None:
        params.append(client_id)
    sql = _grant_sql(conn, consumer_code is not None, client_id is not None)
    if cursor is None:
        with conn.cursor() as own:
            own.execute(sql, params)
            row = own.fetchone()
    else:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        _GRANT_CACHE.pop(cache_key, None)
        return None, False
    view = GrantView(pk=row[0] if isinstance(row[0], uuid.UUID) else uuid.UUID(str(row[0])), consumer_code=row[1],
                     consumer_name=row[2], items=_json(row[3]), masking=_json(row[4]), legal_basis=row[5],
                     rate_per_minute=row[6], daily_quota=row[7], client_id=client_id or "", raw=tuple(row[1:]))
    if conn.vendor in _CACHE_VENDORS and not conn.in_atomic_block:
        if len(_GRANT_CACHE) > 10_000:
            _GRANT_CACHE.clear()
        _GRANT_CACHE[cache_key] = (time.monotonic() + GRANT_CACHE_S, view)
    return view, False


def _uuid_param(value: uuid.UUID, conn: BaseDatabaseWrapper) -> Any:
    # UUIDField.get_db_prep_value: the hex text where the database has no UUID type, else the UUID.
    return value if conn.features.has_native_uuid_field else value.hex


# --- the per-minute rate and the daily quota, in the database ----------------------------------------

QUOTA_EXCEEDED = "exchange.quota_exceeded"
RATE_LIMITED = "exchange.rate_limited"


def _minute_of(now: datetime) -> int:
    return int(now.timestamp() // 60)


def _count_sql(conn: BaseDatabaseWrapper, by_client: bool) -> str:
    key = ("count", conn.vendor, str(by_client))
    sql = _SQL.get(key)
    if sql is None:
        t = conn.ops.quote_name(GrantUsage._meta.db_table)
        calls, minute, minute_calls = (_col(GrantUsage, n, conn) for n in ("calls", "minute", "minute_calls"))
        json_param = "CAST(%s AS jsonb)" if conn.vendor == "postgresql" else "%s"
        same = [f"{_col(Grant, n, conn)} = {json_param if n in _GRANT_JSON else '%s'}" for n in _GRANT_COLUMNS]
        live = [f"{_col(Grant, 'id', conn)} = %s", f"{_col(Grant, 'revoked_at', conn)} IS NULL",
                f"{_col(Grant, 'valid_from', conn)} <= %s", f"{_col(Grant, 'valid_until', conn)} > %s", *same]
        if by_client:
            live.append(f"{_col(Grant, 'client_id', conn)} = %s")
        sql = _SQL[key] = (
            f"UPDATE {t} SET {calls} = {calls} + 1, "
            f"{minute_calls} = CASE WHEN {minute} = %s THEN {minute_calls} + 1 ELSE 1 END, {minute} = %s "
            f"WHERE {_col(GrantUsage, 'grant', conn)} = %s AND {_col(GrantUsage, 'day', conn)} = %s "
            f"AND {calls} < %s AND ({minute} <> %s OR {minute_calls} < %s) "
            f"AND EXISTS (SELECT 1 FROM {conn.ops.quote_name(Grant._meta.db_table)} WHERE {' AND '.join(live)})")
    return sql


def _usage_row(cursor: Any, conn: BaseDatabaseWrapper, grant_param: Any, day_param: Any) -> tuple[int, int, int] | None:
    t = conn.ops.quote_name(GrantUsage._meta.db_table)
    cols = ", ".join(_col(GrantUsage, n, conn) for n in ("calls", "minute", "minute_calls"))
    cursor.execute(f"SELECT {cols} FROM {t} WHERE {_col(GrantUsage, 'grant', conn)} = %s "
                   f"AND {_col(GrantUsage, 'day', conn)} = %s", [grant_param, day_param])
    row = cursor.fetchone()
    return (int(row[0]), int(row[1]), int(row[2])) if row is not None else None


def _limit_reached(row: tuple[int, int, int] | None, grant: GrantView, minute: int) -> str:
    if row is None:
        return "" if grant.daily_quota >= 1 and grant.rate_per_minute >= 1 else (
            QUOTA_EXCEEDED if grant.daily_quota < 1 else RATE_LIMITED)
    calls, held_minute, minute_calls = row
    if calls >= grant.daily_quota:
        return QUOTA_EXCEEDED
    if held_minute == minute and minute_calls >= grant.rate_per_minute:
        return RATE_LIMITED
    return ""


GRANT_CHANGED = "exchange.grant_changed"


def _count_call(cursor: Any, conn: BaseDatabaseWrapper, grant: GrantView, day: date, now: datetime,
                *, at_param: Any = None) -> str:
    """Count one call against the grant's daily quota and its per-minute rate: one conditional UPDATE of
    the grant's row for the day (a fixed window per minute kept in the same row), run in the
    transaction that writes the call's log row. Every process counts on the same row, so the limits
    hold across gunicorn workers. The same statement checks that the grant is still live (not revoked,
    within its period) and still exactly as read (items, masking, limits …), so a revocation or an
    edit counts at once even when the grant was read from the cache.

    Returns "" when counted, else QUOTA_EXCEEDED, RATE_LIMITED or GRANT_CHANGED."""
    minute = _minute_of(now)
    grant_param = _uuid_param(grant.pk, conn)
    day_param = conn.ops.adapt_datefield_value(day)
    at = at_param if at_param is not None else conn.ops.adapt_datetimefield_value(now)
    params = [minute, minute, grant_param, day_param, grant.daily_quota, minute, grant.rate_per_minute,
              grant_param, at, at, *grant.raw]
    if grant.client_id:
        params.append(grant.client_id)
    sql = _count_sql(conn, bool(grant.client_id))
    cursor.execute(sql, params)
    if cursor.rowcount:
        return ""
    row = _usage_row(cursor, conn, grant_param, day_param)
    if row is None:  # the first call of the day: create the row (another process may do so at once)
        GrantUsage.objects.bulk_create([GrantUsage(grant_id=grant.pk, day=day, calls=0, minute=minute,
                                                   minute_calls=0)], ignore_conflicts=True)
        cursor.execute(sql, params)
        if cursor.rowcount:
            return ""
        row = _usage_row(cursor, conn, grant_param, day_param)
    return _limit_reached(row, grant, minute) or GRANT_CHANGED


def usage_now(grant: Grant | GrantView, *, now: datetime | None = None) -> dict[str, int]:
    """The grant's counts as every process sees them: calls today and in the current minute."""
    now = now or timezone.now()
    row = GrantUsage.objects.filter(grant_id=grant.pk, day=timezone.localdate(now)).values_list(
        "calls", "minute", "minute_calls").first()
    if row is None:
        return {"calls_today": 0, "calls_this_minute": 0}
    return {"calls_today": row[0], "calls_this_minute": row[2] if row[1] == _minute_of(now) else 0}


# --- catalogue metadata, cached briefly in process ---------------------------------------------------

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


# --- the access log ----------------------------------------------------------------------------------

_LOG_COLUMNS = ("at", "grant", "consumer_code", "consumer_name", "actor_label", "resource_code", "resource_name",
                "provider_name", "mode", "purpose", "legal_basis", "subject_ref", "key_masked", "items", "result",
                "error_code", "latency_ms", "request_id", "call_id")
_LOG_SQL: dict[str, str] = {}
_ITEMS_ENCODER = AccessLog._meta.get_field("items").encoder  # type: ignore[union-attr]


def _log_sql(conn: BaseDatabaseWrapper) -> str:
    sql = _LOG_SQL.get(conn.vendor)
    if sql is None:
        sql = _LOG_SQL[conn.vendor] = (
            f"INSERT INTO {conn.ops.quote_name(AccessLog._meta.db_table)} "
            f"({', '.join(_col(AccessLog, n, conn) for n in _LOG_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_LOG_COLUMNS))})")
    return sql


def _write_log(*, at: datetime, grant: GrantView | None, consumer_code: str, consumer_name: str,
               resource: Resource | None, resource_code: str, mode: str, purpose: str, legal_basis: str,
               subject_ref: str, key_masked: str, items: list[str], result: str, error_code: str, started: float,
               call_id: str, conn: BaseDatabaseWrapper | None = None, cursor: Any = None,
               at_param: Any = None) -> None:
    """Append one access-log row: a plain INSERT (the gateway's hot path). Dates, UUIDs and JSON are
    adapted exactly as the model's fields adapt them (DateTimeField, UUIDField, JSONField →
    connection.ops), so the row is what AccessLog.objects.create would have written."""
    conn = conn or connections[DEFAULT_DB_ALIAS]
    actor = context.current_actor()
    params = [
        at_param if at_param is not None else conn.ops.adapt_datetimefield_value(at),
        _uuid_param(grant.pk, conn) if grant else None, consumer_code[:40], consumer_name[:100], actor.label[:120],
        resource_code[:40], resource.name if resource else "", resource.provider_name if resource else "", str(mode),
        purpose[:200], legal_basis[:200], subject_ref, key_masked[:20], conn.ops.adapt_json_value(items, _ITEMS_ENCODER),
        str(result), error_code[:60], round((time.perf_counter() - started) * 1000, 3), context.request_id()[:40],
        _uuid_param(uuid.UUID(call_id), conn),
    ]
    if cursor is None:
        with conn.cursor() as own:
            own.execute(_log_sql(conn), params)
    else:
        cursor.execute(_log_sql(conn), params)


def gateway_call(*, resource_code: str, key: str = "", purpose: str, consumer_code: str | None = None,
                 consumer_name: str = "", client_id: str | None = None, items: list[str] | None = None,
                 questions: dict[str, Any] | None = None, legal_basis: str = "", subject_ref: str = "",
                 mode: str = AccessLog.Mode.LOOKUP, now: datetime | None = None) -> CallResult:
    """One gateway call. The consumer is a department (`consumer_code`, e.g. a staff member's body) or
    a system holding credentials (`client_id`). Only granted items, masked per the grant; 核验
    (`questions`: item → expected value) answers yes/no and discloses nothing else. Every call —
    served, refused or failed — writes exactly one access-log row; refusals raise GatewayError.

    A served call is counted (daily quota and per-minute rate, shared by all processes), logged and
    audited in one transaction: the count, the log row and the audit record commit together or not
    at all."""
    started = time.perf_counter()
    now = now or timezone.now()
    call_id = str(uuid.uuid4())
    purpose = (purpose or "").strip()
    resource = _resource(resource_code)
    conn = connections[DEFAULT_DB_ALIAS]
    grant: GrantView | None = None
    key_masked, requested = "", list(items or [])
    if questions:
        mode = AccessLog.Mode.VERIFY
        requested = list(questions)
    at_param = conn.ops.adapt_datetimefield_value(now)
    log_kw: dict[str, Any] = dict(at=now, resource=resource, resource_code=resource_code, mode=mode, purpose=purpose,
                                  started=started, call_id=call_id, conn=conn, at_param=at_param)

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
    asked = requested
    record: dict[str, Any] | None = None
    fetched, use_cache = False, True
    day = timezone.localdate(now)
    with conn.cursor() as cursor:
        while True:
            grant, cached = _active_grant(resource=resource, consumer_code=consumer_code, client_id=client_id,
                                          now=now, conn=conn, cursor=cursor, use_cache=use_cache)
            if grant is None:
                raise refuse(PermissionDenied("exchange.no_grant",
                                              "没有有效的共享授权（未申请、未批准、已过期或已撤销），不能调用该资源", None))
            requested = asked or list(grant.items)
            not_granted = [i for i in requested if i not in grant.items]
            if not_granted and cached:  # a newer grant may cover them: decide on a fresh read
                use_cache = False
                continue
            if not_granted:
                raise refuse(PermissionDenied("exchange.item_not_granted",
                                              f"以下信息项未获授权：{'、'.join(not_granted)}", "items"))
            if not fetched:
                provider = provider_for(resource)
                if not isinstance(provider, TableProvider):
                    # A remote system: refuse before calling it when a limit is already reached (a read;
                    # the authoritative count is the conditional UPDATE made with the log row).
                    spent = _limit_reached(_usage_row(cursor, conn, _uuid_param(grant.pk, conn),
                                                      conn.ops.adapt_datefield_value(day)), grant, _minute_of(now))
                    if spent and cached:
                        use_cache = False
                        continue
                    if spent:
                        raise refuse(_limit_error(spent))
                record = _fetch(provider, key=key, subject_ref=subject_ref, cursor=cursor, refuse=refuse)
                fetched = True
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
            with transaction.atomic(using=conn.alias):
                spent = _count_call(cursor, conn, grant, day, now, at_param=at_param)
                if not spent:
                    _write_log(grant=grant, consumer_code=grant.consumer_code, consumer_name=grant.consumer_name,
                               legal_basis=legal_basis or grant.legal_basis, subject_ref=subject_ref,
                               key_masked=key_masked, items=requested,
                               result=AccessLog.Result.OK if record is not None else AccessLog.Result.NOT_FOUND,
                               error_code="", cursor=cursor, **log_kw)
                    if record is not None and subject_ref:
                        audit_append(action="exchange.lookup_read" if not questions else "exchange.verify_read",
                                     object_type="exchange_call", object_id=call_id, subject_ref=subject_ref,
                                     detail={"purpose": purpose, "fields": requested, "resource": resource.name,
                                             "consumer": grant.consumer_name,
                                             "legal_basis": legal_basis or grant.legal_basis})
            if spent and cached:  # the grant changed (or its limits) since it was cached: count on a fresh read
                use_cache = False
                continue
            break
    if spent == GRANT_CHANGED:  # revoked, expired or edited while the call was served: nothing disclosed
        raise refuse(PermissionDenied("exchange.no_grant", "共享授权已撤销或已变更，本次调用未予提供", None))
    if spent:  # nothing was disclosed; the refusal is logged like any other
        raise refuse(_limit_error(spent))
    return result


def _fetch(provider: Provider, *, key: str, subject_ref: str, cursor: Any, refuse: Any) -> dict[str, Any] | None:
    """The record from the resource's provider (a registry table or a department system)."""
    try:
        if subject_ref and isinstance(provider, TableProvider):
            return provider.fetch_subject(subject_ref)
        if subject_ref:
            raise ProviderUnavailable("exchange.prefill_needs_key", "该资源只能按证件号查询", None)
        if isinstance(provider, TableProvider):
            return provider.fetch(key, cursor=cursor)
        return provider.fetch(key)
    except ProviderUnavailable as exc:
        raise refuse(exc, AccessLog.Result.ERROR) from None


def _limit_error(code: str) -> RateLimited:
    if code == QUOTA_EXCEEDED:
        return RateLimited(QUOTA_EXCEEDED, "今日调用次数已达配额上限", None)
    return RateLimited(RATE_LIMITED, "调用过于频繁，请稍后再试（每分钟上限）", None)


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


# The data user (the department that made the call) answers first; unanswered after this many working
# days (the kernel calendar) the objection goes to the data bureau (数据局) for supervision.
OBJECTION_ANSWER_WORKING_DAYS = 5
OBJECTION_PENDING = (Objection.Status.OPEN, Objection.Status.ESCALATED)


def objection_due_on(raised_on: date) -> date:
    return add_working_days(raised_on, OBJECTION_ANSWER_WORKING_DAYS).due


@transaction.atomic
def objection_raise(*, subject_ref: str, access: AccessLog, reason: str, now: datetime | None = None) -> Objection:
    """The person (or enterprise) an access was about disputes it. The department that made the call
    answers within OBJECTION_ANSWER_WORKING_DAYS working days; the data bureau sees every objection and
    takes over the ones left unanswered (objections_escalate_due)."""
    if access.subject_ref != subject_ref:
        raise PermissionDenied("exchange.not_your_data", "只能对涉及本人数据的调用提出异议", None)
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationFailed("exchange.reason_required", "请填写异议理由（不超过500字）", "reason")
    if Objection.objects.filter(access=access, status__in=OBJECTION_PENDING).exists():
        raise Conflict("exchange.objection_pending", "您对这次调用的异议正在处理中", None)
    now = now or timezone.now()
    obj = Objection.objects.create(access=access, subject_ref=subject_ref, reason=reason,
                                   due_on=objection_due_on(timezone.localdate(now)))
    audit_record(action="exchange.objection_raised", object_type="exchange_objection", object_id=str(obj.pk),
                 subject_ref=subject_ref, detail={"access": access.pk, "consumer": access.consumer_name,
                                                  "due_on": obj.due_on.isoformat() if obj.due_on else None})
    events.publish("exchange.objection_raised", source="exchange", subject=str(obj.pk),
                   data={"access": access.pk, "consumer": access.consumer_code, "resource": access.resource_code})
    return obj


def objection_may_answer(objection: Objection, *, org_code: str, is_bureau: bool) -> bool:
    """The data bureau answers any objection; the department that made the call, its own."""
    return is_bureau or (bool(org_code) and objection.access.consumer_code == org_code)


@transaction.atomic
def objection_answer(*, objection: Objection, response: str, answered_by: str = BUREAU_SHORT_NAME,
                     now: datetime | None = None) -> Objection:
    response = (response or "").strip()
    if not response:
        raise ValidationFailed("exchange.response_required", "请填写答复", "response")
    now = now or timezone.now()
    updated = Objection.objects.filter(pk=objection.pk, status__in=OBJECTION_PENDING).update(
        status=Objection.Status.ANSWERED, response=response[:500], answered_at=now, answered_by=answered_by[:100])
    if not updated:
        raise Conflict("exchange.objection_closed", "该异议已答复", None)
    objection.refresh_from_db()
    audit_record(action="exchange.objection_answered", object_type="exchange_objection", object_id=str(objection.pk),
                 subject_ref=objection.subject_ref, detail={"response": response[:500], "by": answered_by[:100],
                                                            "escalated": objection.escalated_at is not None})
    return objection


def objections_escalate_due(*, now: datetime | None = None) -> list[Objection]:
    """Send to the data bureau every objection still unanswered after its answer period
    (OBJECTION_ANSWER_WORKING_DAYS working days, by the kernel calendar): status 已提交数据局督办, an
    audit record and the event `exchange.objection_escalated`. Idempotent; run it daily or more often
    (`yiwang manage exchange_escalate`, or `--loop` beside the events worker)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    escalated: list[Objection] = []
    # Objections raised before due dates were kept get theirs from the day they were raised.
    for obj in Objection.objects.filter(status=Objection.Status.OPEN, due_on__isnull=True):
        Objection.objects.filter(pk=obj.pk, due_on__isnull=True).update(
            due_on=objection_due_on(timezone.localdate(obj.created_at)))
    due = Objection.objects.select_related("access").filter(status=Objection.Status.OPEN, due_on__lt=today)
    for obj in due.order_by("due_on", "created_at"):
        with transaction.atomic():
            if not Objection.objects.filter(pk=obj.pk, status=Objection.Status.OPEN).update(
                    status=Objection.Status.ESCALATED, escalated_at=now):
                continue  # answered (or escalated by another worker) meanwhile
            obj.status, obj.escalated_at = Objection.Status.ESCALATED, now
            audit_record(action="exchange.objection_escalated", object_type="exchange_objection",
                         object_id=str(obj.pk), subject_ref=obj.subject_ref,
                         detail={"access": obj.access_id, "consumer": obj.access.consumer_name,
                                 "due_on": obj.due_on.isoformat() if obj.due_on else None})
            events.publish("exchange.objection_escalated", source="exchange", subject=str(obj.pk), data={
                "access": obj.access_id, "consumer": obj.access.consumer_code, "resource": obj.access.resource_code,
                "raised_at": obj.created_at.isoformat(), "due_on": obj.due_on.isoformat() if obj.due_on else None,
                "to": BUREAU_SHORT_NAME})
        escalated.append(obj)
    return escalated


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
