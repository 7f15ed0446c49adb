"""Writes for 电子证照: issue (sign with Ed25519 and SM2, anchor in the ledger), suspend, revoke, verify."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.certificates import identifier as ident
from yiwang.certificates.models import (
    Certificate,
    CertificateShare,
    CertificateType,
    CertificateUse,
    IssuerKey,
)
from yiwang.identity import selectors as identity_selectors
from yiwang.kernel import context
from yiwang.kernel.audit import audit_record
from yiwang.kernel.crypto import decrypt_field, encrypt_field
from yiwang.kernel.crypto.hashing import sm3
from yiwang.kernel.crypto.signing import Ed25519Signer, Ed25519Verifier, Sm2Signer, Sm2Verifier
from yiwang.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
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


# --- 授权用证 (holder-authorised use) and 用证记录 ------------------------------------------------------

SHARE_MAX_DAYS = 366
TOKEN_PREFIX = "ycs_"


def _share_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _checksum(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def share_max_until(cert: Certificate, today: date | None = None) -> date:
    """The latest end date a share of `cert` may have: a year ahead, and not past the certificate's 有效期."""
    limit = (today or timezone.localdate()) + timedelta(days=SHARE_MAX_DAYS)
    return min(limit, cert.valid_until) if cert.valid_until else limit


def _purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if len(purpose) < 2:
        raise ValidationFailed("certificate.purpose_required", "请填写用证事由", "purpose")
    return purpose[:200]


@transaction.atomic
def certificate_share_create(*, identifier: str, grantee_kind: str, purpose: str, valid_until: date,
                             granted_by: str, grantee_org_code: str = "", grantee_name: str = "",
                             today: date | None = None) -> tuple[CertificateShare, str]:
    """授权用证: the holder (checked by the caller) grants one certificate's use for `purpose` until
    `valid_until` (at most a year, not past the certificate's own validity) to a department by its USCC or
    to a named third party. Returns the share and its token (also kept encrypted for the holder)."""
    cert = _get(identifier)
    if cert.status != Certificate.Status.ISSUED:
        raise Conflict("certificate.not_active", f"该证照{cert.get_status_display()}，不能授权使用", "identifier")
    purpose = _purpose(purpose)
    today = today or timezone.localdate()
    if valid_until < today:
        raise ValidationFailed("certificate.share_bad_until", "授权截止日期不能早于今天", "valid_until")
    if valid_until > today + timedelta(days=SHARE_MAX_DAYS):
        raise ValidationFailed("certificate.share_bad_until", "授权期限最长一年", "valid_until")
    if cert.valid_until is not None and valid_until > cert.valid_until:
        raise ValidationFailed("certificate.share_bad_until",
                               f"授权截止日期不能晚于证照有效期（{cert.valid_until:%Y-%m-%d}）", "valid_until")
    org_code = ""
    if grantee_kind == CertificateShare.GranteeKind.DEPARTMENT:
        org = identity_selectors.departments().filter(code=grantee_org_code.strip().upper()).first()
        if org is None:
            raise ValidationFailed("certificate.unknown_grantee", "没有该部门", "grantee_org_code")
        org_code, grantee_name = org.code, org.name
    elif grantee_kind == CertificateShare.GranteeKind.PARTY:
        grantee_name = (grantee_name or "").strip()
        if len(grantee_name) < 2:
            raise ValidationFailed("certificate.grantee_required", "请填写被授权方名称", "grantee_name")
    else:
        raise ValidationFailed("certificate.bad_grantee_kind", "被授权方类型应为 department 或 party", "grantee_kind")
    token = _share_token()
    share = CertificateShare(certificate=cert, grantee_kind=grantee_kind, grantee_name=grantee_name[:120],
                             grantee_org_code=org_code, purpose=purpose, valid_until=valid_until,
                             token_checksum=_checksum(token), token_enc=encrypt_field(token),
                             granted_by=granted_by[:120])
    share.full_clean(exclude=["certificate"])
    share.save(force_insert=True)
    audit_record(action="certificate.share", object_type="certificate", object_id=cert.identifier,
                 subject_ref=cert.subject_ref, detail={"share": str(share.pk), "grantee": share.grantee_name,
                                                       "grantee_org_code": org_code, "purpose": purpose,
                                                       "valid_until": valid_until.isoformat()})
    return share, token


@transaction.atomic
def certificate_share_revoke(*, identifier: str, share_id: str) -> CertificateShare:
    """The holder withdraws a share; later uses are refused with `certificate.share_revoked`."""
    cert = _get(identifier)
    share = _share_of(cert, share_id)
    if share.revoked_at is not None:
        raise Conflict("certificate.share_revoked", "该授权已撤回", "share")
    share.revoked_at = timezone.now()
    share.save(update_fields=["revoked_at"])
    audit_record(action="certificate.share_revoke", object_type="certificate", object_id=cert.identifier,
                 subject_ref=cert.subject_ref, detail={"share": str(share.pk), "grantee": share.grantee_name})
    return share


def _share_of(cert: Certificate, share_id: str) -> CertificateShare:
    try:
        share = CertificateShare.objects.filter(certificate=cert, pk=share_id).first()
    except (ValueError, TypeError, DjangoValidationError):
        share = None
    if share is None:
        raise NotFound("certificate.share_not_found", "没有该授权", "share")
    return share


def share_token(share: CertificateShare) -> str:
    """The token, for the holder to show again."""
    return decrypt_field(share.token_enc)


def _refuse_unusable(share: CertificateShare, today: date) -> None:
    if share.revoked_at is not None:
        raise PermissionDenied("certificate.share_revoked",
                               f"持证人已于 {timezone.localtime(share.revoked_at):%Y-%m-%d} 撤回该授权", "token")
    if share.valid_until < today:
        raise PermissionDenied("certificate.share_expired", f"该授权已于 {share.valid_until:%Y-%m-%d} 到期", "token")
    cert = share.certificate
    if cert.status != Certificate.Status.ISSUED:
        raise PermissionDenied("certificate.not_usable",
                               f"该证照{cert.get_status_display()}：{cert.status_reason}", "identifier")


@dataclass
class SharedRead:
    """What a grantee receives: the signed payload (with the full 持证主体代码), the signatures and the
    verification, and the use recorded for the holder."""

    certificate: Certificate
    share: CertificateShare
    use: CertificateUse
    payload: dict[str, Any]
    verification: Verification


def _shared_read(share: CertificateShare, *, channel: str, user_label: str, org_code: str, org_name: str,
                 purpose: str, reference: str, actor: context.Actor | None) -> SharedRead:
    cert = share.certificate
    use = CertificateUse.objects.create(certificate=cert, share=share, channel=channel, user_label=user_label[:120],
                                        org_code=org_code, org_name=org_name[:120], purpose=purpose[:200],
                                        reference=reference[:60])
    payload = payload_of(cert)
    # The payload carries the holder's full 身份证号 / 信用代码: a personal-data read, shown to the holder.
    audit_record(action="certificate.share_read", object_type="certificate", object_id=cert.identifier,
                 subject_ref=cert.subject_ref, actor=actor,
                 detail={"share": str(share.pk), "grantee": share.grantee_name, "user": user_label,
                         "org_code": org_code, "purpose": purpose, "fields": ["holder_code", "content"]})
    return SharedRead(cert, share, use, payload, certificate_verify(cert.identifier))


@transaction.atomic
def certificate_use_by_token(*, token: str, identifier: str = "", purpose: str = "", reference: str = "",
                             operator: str = "", today: date | None = None) -> SharedRead:
    """A grantee presents the share token (and optionally the identifier it expects, and who operates):
    refused when the token is unknown, revoked or expired, or the certificate is no longer usable; else the
    use is recorded."""
    token = (token or "").strip()
    share = (CertificateShare.objects.select_related("certificate", "certificate__type")
             .filter(token_checksum=_checksum(token)).first() if token.startswith(TOKEN_PREFIX) else None)
    if share is None:
        raise PermissionDenied("certificate.share_invalid", "用证令牌无效", "token")
    if identifier and identifier.strip().upper() != share.certificate.identifier:
        raise PermissionDenied("certificate.share_mismatch", "用证令牌与证照标识不符", "identifier")
    _refuse_unusable(share, today or timezone.localdate())
    actor = context.current_actor()
    if actor.user_id is None:
        actor = context.Actor(user_id=None, label=f"用证令牌：{share.grantee_name}"[:120], roles=actor.roles)
    who = actor.label if actor.user_id else share.grantee_name
    operator = (operator or "").strip()[:40]
    return _shared_read(share, channel=CertificateUse.Channel.SHARE_TOKEN,
                        user_label=f"{who}（经办：{operator}）" if operator else who,
                        org_code=share.grantee_org_code, org_name=share.grantee_name,
                        purpose=(purpose or "").strip() or share.purpose, reference=reference, actor=actor)


@transaction.atomic
def certificate_use_by_department(*, identifier: str, org_code: str, org_name: str, user_label: str,
                                  purpose: str = "", reference: str = "", today: date | None = None) -> SharedRead:
    """Staff of a granted department read the certificate under the holder's live share to that department."""
    cert = _get(identifier)
    today = today or timezone.localdate()
    shares = list(CertificateShare.objects.select_related("certificate", "certificate__type")
                  .filter(certificate=cert, grantee_kind=CertificateShare.GranteeKind.DEPARTMENT,
                          grantee_org_code=org_code).order_by("-valid_until"))
    if not shares:
        raise PermissionDenied("certificate.not_shared", "持证人未授权本部门使用该证照", "identifier")
    live = [s for s in shares if s.revoked_at is None and s.valid_until >= today]
    share = live[0] if live else shares[0]
    _refuse_unusable(share, today)
    return _shared_read(share, channel=CertificateUse.Channel.DEPARTMENT, user_label=user_label, org_code=org_code,
                        org_name=org_name, purpose=(purpose or "").strip() or share.purpose, reference=reference,
                        actor=None)


@transaction.atomic
def certificate_use_record(*, identifier: str, user_label: str, org_code: str, org_name: str, purpose: str,
                           reference: str) -> None:
    """Record a use that the holder sees in 用证记录, e.g. the certificate reused as application material
    of a case (purpose "办件材料", reference the 办件编号). Called by higher tiers (cases)."""
    cert = _get(identifier)
    purpose = _purpose(purpose)
    CertificateUse.objects.create(certificate=cert, channel=CertificateUse.Channel.SERVICE,
                                  user_label=(user_label or "").strip()[:120] or "system", org_code=org_code[:18],
                                  org_name=org_name[:120], purpose=purpose, reference=(reference or "")[:60])
    audit_record(action="certificate.use", object_type="certificate", object_id=cert.identifier,
                 subject_ref=cert.subject_ref, detail={"org_code": org_code, "purpose": purpose,
                                                       "reference": reference})
