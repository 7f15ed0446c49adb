"""Providers behind adapters: a base-registry table inside yiwang, a department system's HTTP API
(timeouts, retries, a circuit breaker), and file import (CSV / Excel) into the registry table.

Every adapter answers `fetch(key) -> dict | None` with the record's fields (item code → value), or
raises ProviderUnavailable, which the gateway turns into a clear error for the consumer.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from yiwang.kernel.crypto import blind_index, decrypt_field, encrypt_field
from yiwang.kernel.errors import DomainError


class ProviderUnavailable(DomainError):
    status = 503


class Provider(Protocol):
    def fetch(self, key: str) -> dict[str, Any] | None: ...


# --- the registry table -------------------------------------------------------------------------


_FETCH_SQL: dict[str, str] = {}


class TableProvider:
    """A base registry held in `RegistryRecord` (encrypted JSON, blind-indexed key)."""

    def __init__(self, registry: str):
        self.registry = registry

    def fetch(self, key: str, *, cursor: Any = None) -> dict[str, Any] | None:
        """The record for `key`, or None. `cursor`: the caller's open cursor on the default database
        (the gateway passes its own)."""
        from django.db import connection

        # One indexed SELECT on (registry, key_index): the gateway's hot path, without ORM overhead.
        sql = _FETCH_SQL.get(connection.vendor)
        if sql is None:
            from yiwang.exchange.models import RegistryRecord

            qn = connection.ops.quote_name
            sql = _FETCH_SQL[connection.vendor] = (
                f"SELECT {qn('data_enc')}, {qn('subject_ref')} FROM {qn(RegistryRecord._meta.db_table)} "
                f"WHERE {qn('registry')} = %s AND {qn('key_index')} = %s")
        params = [self.registry, blind_index(key)]
        if cursor is None:
            with connection.cursor() as own:
                own.execute(sql, params)
                row = own.fetchone()
        else:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        data: dict[str, Any] = json.loads(decrypt_field(row[0]))
        data["_subject_ref"] = row[1]
        return data

    def fetch_subject(self, subject_ref: str) -> dict[str, Any] | None:
        from yiwang.exchange.models import RegistryRecord

        row = (RegistryRecord.objects.filter(registry=self.registry, subject_ref=subject_ref)
               .only("data_enc").first())
        return json.loads(decrypt_field(row.data_enc)) if row is not None else None


def registry_put(*, registry: str, key: str, key_masked: str, subject_ref: str, data: dict[str, Any],
                 source: str = "demo") -> None:
    """Insert or replace one registry record (encrypting it)."""
    from yiwang.exchange.models import RegistryRecord

    RegistryRecord.objects.update_or_create(
        registry=registry, key_index=blind_index(key),
        defaults={"key_masked": key_masked[:20], "subject_ref": subject_ref, "source": source[:60],
                  "data_enc": encrypt_field(json.dumps(data, ensure_ascii=False, default=str))},
    )


# --- circuit breaker ------------------------------------------------------------------------------


@dataclass
class CircuitBreaker:
    """Closed → (failures ≥ threshold) → open for `reset_after_s` → half-open: one trial call closes it
    on success or opens it again on failure."""

    threshold: int = 3
    reset_after_s: float = 30.0
    failures: int = 0
    opened_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if time.monotonic() - self.opened_at >= self.reset_after_s:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        return self.state != "open"

    def success(self) -> None:
        with self._lock:
            self.failures = 0
            self.opened_at = None

    def failure(self) -> None:
        with self._lock:
            self.failures += 1
            if self.failures >= self.threshold or self.opened_at is not None:
                self.opened_at = time.monotonic()


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(name: str, *, threshold: int = 3, reset_after_s: float = 30.0) -> CircuitBreaker:
    with _breakers_lock:
        b = _breakers.get(name)
        if b is None:
            b = _breakers[name] = CircuitBreaker(threshold=threshold, reset_after_s=reset_after_s)
        return b


def reset_breakers() -> None:
    with _breakers_lock:
        _breakers.clear()


# --- a department system's HTTP API ---------------------------------------------------------------


class HttpProvider:
    """GET {url}?key=<key> → 200 JSON object (the record), 404 (no record); anything else, a timeout or
    a refused connection is a failure, retried `retries` times, counted by the circuit breaker."""

    def __init__(self, *, name: str, url: str, timeout_s: float = 2.0, retries: int = 1,
                 breaker_threshold: int = 3, breaker_reset_s: float = 30.0, token: str = ""):
        self.name = name
        self.url = url
        self.timeout_s = timeout_s
        self.retries = retries
        self.token = token
        self.breaker = breaker_for(f"{name}|{url}", threshold=breaker_threshold, reset_after_s=breaker_reset_s)

    def fetch(self, key: str) -> dict[str, Any] | None:
        if not self.breaker.allow():
            raise ProviderUnavailable("exchange.provider_circuit_open",
                                      f"{self.name}接口暂不可用（熔断中），请稍后再试", None)
        last = ""
        for attempt in range(self.retries + 1):
            try:
                headers = {"Accept": "application/json"}
                if self.token:
                    headers["Authorization"] = f"Bearer {self.token}"
                r = requests.get(self.url, params={"key": key}, timeout=self.timeout_s, headers=headers,
                                 allow_redirects=False)
                if r.status_code == 404:
                    self.breaker.success()
                    return None
                if r.status_code == 200:
                    body = r.json()
                    if not isinstance(body, dict):
                        raise ValueError("answer is not a JSON object")
                    self.breaker.success()
                    return body
                last = f"HTTP {r.status_code}"
            except requests.Timeout:
                last = f"超时（{self.timeout_s:g} 秒）"
            except (requests.RequestException, ValueError) as exc:
                last = type(exc).__name__
            if attempt < self.retries:
                time.sleep(min(0.05 * (2 ** attempt), 0.5))
        self.breaker.failure()
        raise ProviderUnavailable("exchange.provider_unavailable", f"{self.name}接口调用失败：{last}", None)


# --- file import ---------------------------------------------------------------------------------


def read_rows(filename: str, content: bytes) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM, or GB18030) or an Excel (.xlsx) file, by header."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = wb.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h or "").strip() for h in rows[0]]
        return [{h: ("" if v is None else str(v)).strip() for h, v in zip(header, row, strict=False) if h}
                for row in rows[1:] if any(v not in (None, "") for v in row)]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainError("exchange.bad_file", "文件编码无法识别（请使用 UTF-8 或 GB18030）", "file")
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]
