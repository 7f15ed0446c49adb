from __future__ import annotations

from datetime import date
from typing import Any

from ninja import Schema


class IssueIn(Schema):
    type_code: str
    issuer_code: str
    holder_name: str
    holder_code: str
    holder_code_type: str = "公民身份号码"
    subject_ref: str
    content: dict[str, Any]
    number: str = ""
    valid_from: date | None = None
    valid_until: date | None = None


class IssuedOut(Schema):
    identifier: str
    name: str
    number: str
    issuer_name: str
    issuer_code: str
    issued_on: date
    valid_from: date
    valid_until: date | None
    payload_digest: str
    signature_ed25519: str
    signature_sm2: str
    verify_url: str


class LedgerOut(Schema):
    log: str
    origin: str
    index: int
    size: int
    checkpoint_size: int | None
    in_checkpoint: bool
    matches: bool
    revoke_index: int | None


class VerifyOut(Schema):
    identifier: str
    status: str
    label: str
    reasons: list[str]
    name: str | None = None
    issuer_name: str | None = None
    issuer_code: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    signatures: dict[str, bool]
    ledger: LedgerOut | None = None
