from __future__ import annotations

from datetime import date, datetime
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


class UseIn(Schema):
    identifier: str = ""
    purpose: str = ""
    reference: str = ""
    operator: str = ""


class FieldOut(Schema):
    key: str
    label: str
    value: Any


class ShareOut(Schema):
    grantee_name: str
    purpose: str
    valid_until: date


class UseOut(Schema):
    at: datetime
    purpose: str
    user_label: str


class SharedOut(Schema):
    identifier: str
    name: str
    number: str
    status: str
    label: str
    reasons: list[str]
    holder_name: str
    holder_code: str
    holder_code_type: str
    fields: list[FieldOut]
    issuer_name: str
    issuer_code: str
    issued_on: date
    valid_from: date
    valid_until: date | None
    payload: dict[str, Any]
    payload_digest: str
    signature_sm2: str
    signature_ed25519: str
    public_key_sm2: str
    public_key_ed25519: str
    share: ShareOut
    use: UseOut
