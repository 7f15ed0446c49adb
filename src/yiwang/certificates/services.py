"""Writes for 电子证照: issue (sign with Ed25519 and SM2, anchor in the ledger), suspend, revoke, verify."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.certificates import identifier as ident
from yiwang.certificates.models import Certificate, CertificateType, IssuerKey
from yiwang.identity import selectors as identity_selectors
from yiwang.kernel.audit import audit_record
from yiwang.kernel.crypto import decrypt_field, encrypt_field
from yiwang.kernel.crypto.hashing import sm3
from yiwang.kernel.crypto.signing import Ed25519Signer, Ed25519Verifier, Sm2Signer, Sm2Verifier
from yiwang.kernel.errors import Conflict, DomainError, NotFound, ValidationFailed
from yiwang.kernel.events import publish
from yiwang.kernel.masking import mask_id_number
from yiwang.ledger import selectors as ledger_selectors
from yiwang.ledger import services as ledger_services

SOURCE = "yiwang.certificates"
LEDGER_LOG = "certificates"
REVOKE_SUFFIX = "#revoke"
_SUBJECT_RE = re.compile(r"^(person|enterprise):[0-9a-f-]{36}$")


# --- types -----------------------------------------------------------------------------------------


def certificate_type_ensure(*, code: str, name: str, holder_kind: str, fields: list[dict[str, Any]],
                            defining_authority: str = "", issuer_short_name: str = "",
                            validity_years: int = 0) -> CertificateType:
    code = code.strip().upper()
    if not re.match(r"^[0-9A-Z]{18}\d{3}$", code):
        raise ValidationFailed("certificate.bad_type_code", "证照类型代码应为 18 位统一社会信用代码加 3 位数字", "code")
    for f in fields:
        if not isinstance(f, dict) or not f.get("key") or not f.get("label"):
            raise ValidationFailed("certificate.bad_fields", "照面字段需要 key 和 label", "fields")
    ctype, _ = CertificateType.objects.update_or_create(code=code, defaults={
        "name": name, "holder_kind": holder_kind, "fields": fields, "defining_authority": defining_authority,
        "issuer_short_name": issuer_short_name, "validity_years": validity_years})
    return ctype


# --- canonical payload and signatures ----------------------------------------------------------------


def payload_of(cert: Certificate) -> dict[str, Any]:
    """What is signed: the GB/T 36903 metadata and the 照面 content."""
    return {
        "identifier": cert.identifier, "type_code": cert.type.code, "name": cert.name, "number": cert.number,
        "issuer_name": cert.issuer_name, "issuer_code": cert.issuer_code,
        "holder_name": cert.holder_name, "holder_code": decrypt_field(cert.holder_code_enc),
        "holder_code_type": cert.holder_code_type,
        "issued_on": cert.issued_on.isoformat(), "valid_from": cert.valid_from.isoformat(),
        "valid_until": cert.valid_until.isoformat() if cert.valid_until else "", "content": cert.content,
    }


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _issuer_keys(issuer_code: str) -> tuple[IssuerKey, Ed25519Signer, IssuerKey, Sm2Signer]:
    keys = {k.algorithm: k for k in IssuerKey.objects.filter(issuer_code=issuer_code)}
    if "ed25519" not in keys:
        ed = Ed25519Signer.generate()
        keys["ed25519"] = IssuerKey.objects.create(issuer_code=issuer_code, algorithm="ed25519",
                                                   public_key=ed.public_key_bytes().hex(),
                                                   private_key_enc=encrypt_field(ed.seed().hex()))
    if "sm2" not in keys:
        sm = Sm2Signer.generate()
        keys["sm2"] = IssuerKey.objects.create(issuer_code=issuer_code, algorithm="sm2",
                                               public_key=sm.public_key_bytes().hex(),
                                               private_key_enc=encrypt_field(sm.private_key.hex()))
    ed_signer = Ed25519Signer.from_seed(bytes.fromhex(decrypt_field(keys["ed25519"].private_key_enc)))
    sm_signer = Sm2Signer.from_private_key(bytes.fromhex(decrypt_field(keys["sm2"].private_key_enc)))
    return keys["ed25519"], ed_signer, keys["sm2"], sm_signer


# --- issue -----------------------------------------------------------------------------------------


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _validate_content(ctype: CertificateType, content: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(content, dict):
        raise ValidationFailed("certificate.bad_content", "照面信息应为对象", "content")
    known = {f["key"]: f for f in ctype.fields}
    for key in content:
        if key not in known:
            raise ValidationFailed("certificate.unknown_field", f"{ctype.name}没有照面字段 {key}", f"content.{key}")
    for key, f in known.items():
        value = content.get(key)
        if f.get("required") and (value is None or str(value).strip() == ""):
            raise ValidationFailed("certificate.field_missing", f"缺少照面字段：{f['label']}", f"content.{key}")
    return {k: (str(v).strip() if not isinstance(v, (int, float, bool, list, dict)) else v) for k, v in content.items()}


def certificate_issue(*, type_code: str, issuer_code: str, holder_name: str, holder_code: str,
                      holder_code_type: str, subject_ref: str, content: dict[str, Any], number: str = "",
                      issued_on: date | None = None, valid_from: date | None = None,
                      valid_until: date | None = None, version: str = "001") -> Certificate:
    """Issue a certificate: validate, assign the 证照标识, sign, audit and anchor it in the ledger
    (the ledger's handler of `certificate.issued` appends the salted digest after commit)."""
    ctype = CertificateType.objects.filter(code=type_code.strip().upper()).first()
    if ctype is None:
        raise ValidationFailed("certificate.unknown_type", f"未知的证照类型代码：{type_code}", "type_code")
    issuer = identity_selectors.departments().filter(code=issuer_code.strip().upper()).first()
    if issuer is None:
        raise ValidationFailed("certificate.unknown_issuer", f"未知的颁发机构代码：{issuer_code}", "issuer_code")
    if not _SUBJECT_RE.match(subject_ref) or not subject_ref.startswith(ctype.holder_kind + ":"):
        raise ValidationFailed("certificate.bad_subject",
                               f"{ctype.name}的持证主体应为{ctype.get_holder_kind_display()}", "subject_ref")
    if not holder_name.strip() or not holder_code.strip():
        raise ValidationFailed("certificate.holder_missing", "缺少持证主体名称或代码", "holder_name")
    content = _validate_content(ctype, content)
    issued_on = issued_on or timezone.localdate()
    valid_from = valid_from or issued_on
    if valid_until is None and ctype.validity_years:
        valid_until = _add_years(valid_from, ctype.validity_years) - timedelta(days=1)
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed("certificate.bad_validity", "有效期截止日期早于起始日期", "valid_until")
    ed_key, ed, sm_key, sm = _issuer_keys(issuer.code)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return _issue_once(ctype, issuer.code, issuer.name, holder_name.strip(), holder_code.strip(),
                                   holder_code_type, subject_ref, content, number, issued_on, valid_from,
                                   valid_until, version, ed_key, ed, sm_key, sm)
        except IntegrityError:  # a concurrent issue took the serial; take the next one
            continue
    raise Conflict("certificate.serial_busy", "证照流水号分配冲突，请重试")


def _mask(code: str) -> str:
    if len(code) == 18 and code[:17].isdigit():
        return mask_id_number(code)
    return code


def _issue_once(ctype: CertificateType, issuer_code: str, issuer_name: str, holder_name: str, holder_code: str,
                holder_code_type: str, subject_ref: str, content: dict[str, Any], number: str, issued_on: date,
                valid_from: date, valid_until: date | None, version: str, ed_key: IssuerKey, ed: Ed25519Signer,
                sm_key: IssuerKey, sm: Sm2Signer) -> Certificate:
    prefix = f"{issued_on.year}"
    last = (Certificate.objects.filter(identifier__startswith=f"{ident.ROOT}.{ctype.code}.{issuer_code}.{prefix}")
            .order_by("-identifier").values_list("identifier", flat=True).first())
    taken = int(ident.parse(last).serial[4:]) if last else 0
    serial = f"{prefix}{taken + 1:07d}"
    identifier = str(ident.build(ctype.code, issuer_code, serial, version))
    cert = Certificate(identifier=identifier, type=ctype, name=ctype.name, number=number or serial,
                       issuer_name=issuer_name, issuer_code=issuer_code, holder_name=holder_name,
                       holder_code_enc=encrypt_field(holder_code), holder_code_masked=_mask(holder_code),
                       holder_code_type=holder_code_type, subject_ref=subject_ref,
                       issued_on=issued_on, valid_from=valid_from, valid_until=valid_until, content=content,
                       key_ed25519=ed_key, key_sm2=sm_key)
    message = canonical(payload_of(cert))
    cert.payload_digest = hashlib.sha256(message).hexdigest()
    cert.signature_ed25519 = ed.sign(message).hex()
    cert.signature_sm2 = sm.sign(message).hex()
    cert.ledger_salt = os.urandom(16).hex()
    cert.full_clean(exclude=["key_ed25519", "key_sm2", "type"])
    cert.save(force_insert=True)
    audit_record(action="certificate.issue", object_type="certificate", object_id=identifier,
                 subject_ref=subject_ref, detail={"type": ctype.code, "issuer": issuer_code, "number": cert.number})
    publish("certificate.issued", source=SOURCE, subject=identifier,
            data={"digest": cert.payload_digest, "salt": cert.ledger_salt, "type_code": ctype.code,
                  "issuer_code": issuer_code})
    return cert


# --- status changes --------------------------------------------------------------------------------


def _get(identifier: str) -> Certificate:
    cert = Certificate.objects.select_related("type").filter(identifier=identifier.strip().upper()).first()
    if cert is None:
        raise NotFound("certificate.not_found", "没有该证照", "identifier")
    return cert


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("certificate.reason_required", "请填写原因", "reason")
    return reason[:200]


@transaction.atomic
def certificate_revoke(*, identifier: str, reason: str) -> Certificate:
    """注销/撤销: final. Anchored in the ledger (`certificate.revoked`)."""
    reason = _reason(reason)
    cert = _get(identifier)
    if cert.status == Certificate.Status.REVOKED:
        raise Conflict("certificate.already_revoked", "该证照已撤销", "identifier")
    now = timezone.now()
    cert.status, cert.status_reason, cert.status_changed_at = Certificate.Status.REVOKED, reason, now
    cert.revoke_salt = os.urandom(16).hex()
    cert.revoke_digest = hashlib.sha256(canonical({"identifier": cert.identifier, "action": "revoke",
                                                   "reason": reason, "at": now.isoformat()})).hexdigest()
    cert.save(update_fields=["status", "status_reason", "status_changed_at", "revoke_salt", "revoke_digest"])
    audit_record(action="certificate.revoke", object_type="certificate", object_id=cert.identifier,
                 subject_ref=cert.subject_ref, detail={"reason": reason})
    publish("certificate.revoked", source=SOURCE, subject=cert.identifier + REVOKE_SUFFIX,
            data={"digest": cert.revoke_digest, "salt": cert.revoke_salt, "identifier": cert.identifier})
    return cert


@transaction.atomic
def certificate_suspend(*, identifier: str, reason: str) -> Certificate:
    """暂停使用 (e.g. while a dispute is examined); `certificate_reinstate` lifts it."""
    reason = _reason(reason)
    cert = _get(identifier)
    if cert.status != Certificate.Status.ISSUED:
        raise Conflict("certificate.not_active", f"该证照{cert.get_status_display()}，不能暂停", "identifier")
    cert.status, cert.status_reason, cert.status_changed_at = Certificate.Status.SUSPENDED, reason, timezone.now()
    cert.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit_record(action="certificate.suspend", object_type="certificate", object_id=cert.identifier,
                 subject_ref=cert.subject_ref, detail={"reason": reason})
    publish("certificate.suspended", source=SOURCE, subject=cert.identifier, data={"reason": reason})
    return cert


@transaction.atomic
def certificate_reinstate(*, identifier: str, reason: str) -> Certificate:
    reason = _reason(reason)
    cert = _get(identifier)
    if cert.status != Certificate.Status.SUSPENDED:
        raise Conflict("certificate.not_suspended", "该证照未处于暂停状态", "identifier")
    cert.status, cert.status_reason, cert.status_changed_at = Certificate.Status.ISSUED, "", timezone.now()
    cert.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit_record(action="certificate.reinstate", object_type="certificate", object_id=cert.identifier,
                 subject_ref=cert.subject_ref, detail={"reason": reason})
    return cert


# --- verify ----------------------------------------------------------------------------------------

STATUS_LABELS = {"valid": "有效", "revoked": "已撤销", "suspended": "已暂停", "expired": "已过期",
                 "tampered": "被篡改", "unknown": "查无此证"}


@dataclass
class LedgerProof:
    log: str
    origin: str
    index: int
    size: int
    checkpoint_size: int | None
    matches: bool
    revoke_index: int | None = None

    @property
    def in_checkpoint(self) -> bool:
        return self.checkpoint_size is not None and self.checkpoint_size > self.index


@dataclass
class Verification:
    identifier: str
    status: str
    reasons: list[str] = field(default_factory=list)
    certificate: Certificate | None = None
    ledger: LedgerProof | None = None
    signatures: dict[str, bool] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


def _leaf_matches(leaf_input: bytes, salt_hex: str, digest_hex: str, hash_name: str, kind: str) -> bool:
    """The leaf format of docs/modules/ledger.md: `yiwang.ledger/v1 <kind> <ms> <b64 salted digest>\\n`."""
    try:
        prefix, leaf_kind, _ms, b64 = leaf_input.decode("ascii").rstrip("\n").split(" ")
        salted = base64.b64decode(b64, validate=True)
        data = b"yiwang.ledger/salted\x00" + bytes.fromhex(salt_hex) + bytes.fromhex(digest_hex)
    except ValueError:
        return False
    expected = sm3(data) if hash_name == "sm3" else hashlib.sha256(data).digest()
    return prefix == "yiwang.ledger/v1" and leaf_kind == kind and salted == expected


def _ledger_proof(cert: Certificate, digest_hex: str) -> LedgerProof | None:
    entry = ledger_selectors.entry_for_ref(LEDGER_LOG, cert.identifier)
    if entry is None:
        return None
    log = ledger_services.get_log(LEDGER_LOG)
    cp = ledger_selectors.latest_checkpoint(log)
    proof = LedgerProof(log.name, log.origin, entry.index, log.size, cp.size if cp else None,
                        _leaf_matches(bytes(entry.leaf_input), cert.ledger_salt, digest_hex, log.hash,
                                      "certificate.issue"))
    if cert.revoke_salt:
        rev = ledger_selectors.entry_for_ref(LEDGER_LOG, cert.identifier + REVOKE_SUFFIX)
        if rev is not None and _leaf_matches(bytes(rev.leaf_input), cert.revoke_salt, cert.revoke_digest, log.hash,
                                             "certificate.revoke"):
            proof.revoke_index = rev.index
    return proof


def certificate_verify(identifier: str | None = None, *, presented: dict[str, Any] | None = None,
                       today: date | None = None) -> Verification:
    """Check a certificate by its identifier, or a presented payload (what a holder shows) against the
    issuer's signatures, the register's status and the ledger entry."""
    if presented is not None:
        identifier = str(presented.get("identifier", ""))
    try:
        parsed = ident.parse(identifier or "")
    except ident.IdentifierError as exc:
        raise ValidationFailed("certificate.bad_identifier", str(exc), "identifier") from None
    ident_text = str(parsed)
    cert = Certificate.objects.select_related("type", "key_ed25519", "key_sm2").filter(identifier=ident_text).first()
    if cert is None:
        return Verification(ident_text, "unknown", ["证照库中没有该证照标识"])
    result = Verification(ident_text, "valid", certificate=cert)
    stored = canonical(payload_of(cert))
    message = canonical(presented) if presented is not None else stored
    digest_hex = hashlib.sha256(message).hexdigest()
    ed_ok = Ed25519Verifier(bytes.fromhex(cert.key_ed25519.public_key)).verify(
        message, bytes.fromhex(cert.signature_ed25519))
    sm_ok = Sm2Verifier(bytes.fromhex(cert.key_sm2.public_key)).verify(message, bytes.fromhex(cert.signature_sm2))
    result.signatures = {"ed25519": ed_ok, "sm2": sm_ok}
    tampered: list[str] = []
    if not ed_ok:
        tampered.append("颁发机构的 Ed25519 签名验证失败")
    if not sm_ok:
        tampered.append("颁发机构的 SM2 签名验证失败")
    if presented is not None and message != stored:
        tampered.append("出示的内容与证照库记录不一致")
    try:
        result.ledger = _ledger_proof(cert, digest_hex)
    except DomainError:
        result.ledger = None
    if result.ledger is None:
        result.reasons.append("可信账本中尚未找到签发记录（可能正在上链）")
    elif not result.ledger.matches:
        tampered.append("可信账本中的签发记录与证照内容不符")
    if tampered:
        result.status = "tampered"
        result.reasons = tampered + result.reasons
        return result
    today = today or timezone.localdate()
    if cert.status == Certificate.Status.REVOKED:
        result.status = "revoked"
        result.reasons.insert(0, f"已于 {timezone.localtime(cert.status_changed_at):%Y-%m-%d} 撤销：{cert.status_reason}"
                              if cert.status_changed_at else f"已撤销：{cert.status_reason}")
    elif cert.status == Certificate.Status.SUSPENDED:
        result.status = "suspended"
        result.reasons.insert(0, f"已暂停使用：{cert.status_reason}")
    elif cert.valid_until is not None and cert.valid_until < today:
        result.status = "expired"
        result.reasons.insert(0, f"有效期已于 {cert.valid_until:%Y-%m-%d} 截止")
    elif cert.valid_from > today:
        result.status = "expired"
        result.reasons.insert(0, f"有效期自 {cert.valid_from:%Y-%m-%d} 起，尚未生效")
    else:
        result.reasons.insert(0, "签名有效，证照状态正常")
    return result
