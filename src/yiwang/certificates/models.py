"""电子证照: types (目录), certificates (GB/T 36903 metadata, GB/T 36904 identifier) and issuer keys."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class CertificateType(models.Model):
    """证照类型 (目录): the 21-character 证照类型代码 = the defining authority's USCC + 3 digits."""

    class HolderKind(models.TextChoices):
        PERSON = "person", _("自然人")
        ENTERPRISE = "enterprise", _("法人")

    code = models.CharField(_("证照类型代码"), max_length=21, unique=True)
    name = models.CharField(_("证照类型名称"), max_length=60, unique=True)
    holder_kind = models.CharField(_("持证主体类型"), max_length=12, choices=HolderKind.choices)
    defining_authority = models.CharField(_("定义机构"), max_length=100, blank=True)
    issuer_short_name = models.CharField(_("颁发部门（简称）"), max_length=40, blank=True)
    # [{"key": "KZ_XM", "label": "姓名", "required": true}, ...]
    fields = models.JSONField(_("照面字段"), default=list)
    validity_years = models.PositiveSmallIntegerField(_("默认有效期（年，0 为长期）"), default=0)

    class Meta:
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class IssuerKey(models.Model):
    """A department's signing key (demo: generated on first use; production: an HSM)."""

    issuer_code = models.CharField(_("颁发机构代码"), max_length=18)
    algorithm = models.CharField(_("算法"), max_length=10)  # ed25519 | sm2
    public_key = models.CharField(_("公钥（hex）"), max_length=200)
    private_key_enc = models.TextField(_("私钥（密文）"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("签发密钥")
        verbose_name_plural = _("签发密钥")
        constraints = [models.UniqueConstraint(fields=["issuer_code", "algorithm"], name="cert_issuer_key_unique")]


class Certificate(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", _("有效")
        SUSPENDED = "suspended", _("已暂停")
        REVOKED = "revoked", _("已撤销")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    identifier = models.CharField(_("证照标识"), max_length=120, unique=True)
    type = models.ForeignKey(CertificateType, on_delete=models.PROTECT, related_name="certificates")
    name = models.CharField(_("证照名称"), max_length=60)
    number = models.CharField(_("证照编号"), max_length=60)
    issuer_name = models.CharField(_("颁发机构"), max_length=100)
    issuer_code = models.CharField(_("颁发机构代码"), max_length=18, db_index=True)
    holder_name = models.CharField(_("持证主体"), max_length=120)
    holder_code_enc = models.TextField(_("持证主体代码（密文）"))
    holder_code_masked = models.CharField(_("持证主体代码（脱敏）"), max_length=40)
    holder_code_type = models.CharField(_("持证主体代码类型"), max_length=30)
    subject_ref = models.CharField(_("持证主体引用"), max_length=60, db_index=True)
    issued_on = models.DateField(_("颁发日期"))
    valid_from = models.DateField(_("有效期起始日期"))
    valid_until = models.DateField(_("有效期截止日期"), null=True, blank=True)
    content = models.JSONField(_("照面信息"), default=dict)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.ISSUED)
    status_reason = models.CharField(_("状态原因"), max_length=200, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    payload_digest = models.CharField(_("签名内容摘要（SHA-256）"), max_length=64)
    signature_ed25519 = models.CharField(max_length=128)
    signature_sm2 = models.CharField(max_length=128)
    key_ed25519 = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="+")
    key_sm2 = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="+")
    ledger_salt = models.CharField(_("账本盐值"), max_length=32)
    revoke_salt = models.CharField(max_length=32, blank=True)
    revoke_digest = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        ordering = ["-issued_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} {self.number}"


class CertificateShare(models.Model):
    """授权用证: the holder lets a department (by its USCC) or a named third party use one certificate for a
    stated purpose (useCause) until an end date. The grantee presents the share token (stored as a SHA-256
    checksum, and encrypted so that the holder can show it again), or is staff of the granted department."""

    class GranteeKind(models.TextChoices):
        DEPARTMENT = "department", _("政府部门")
        PARTY = "party", _("指定第三方")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="shares")
    grantee_kind = models.CharField(_("被授权方类型"), max_length=12, choices=GranteeKind.choices)
    grantee_name = models.CharField(_("被授权方"), max_length=120)
    grantee_org_code = models.CharField(_("被授权部门代码"), max_length=18, blank=True, db_index=True)
    purpose = models.CharField(_("用证事由"), max_length=200)
    valid_until = models.DateField(_("授权截止日期"))
    token_checksum = models.CharField(max_length=64, unique=True)
    token_enc = models.TextField(_("用证令牌（密文）"))
    granted_by = models.CharField(_("授权人"), max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("授权用证")
        verbose_name_plural = _("授权用证")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.certificate_id} → {self.grantee_name}"


class CertificateUse(models.Model):
    """用证记录: one use of a certificate (through a share, by a department's staff, or as application
    material of a case), shown to the holder."""

    class Channel(models.TextChoices):
        SHARE_TOKEN = "share_token", _("凭用证令牌")
        DEPARTMENT = "department", _("部门工作人员")
        SERVICE = "service", _("办件材料复用")

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="uses")
    share = models.ForeignKey(CertificateShare, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="uses")
    channel = models.CharField(_("用证方式"), max_length=12, choices=Channel.choices)
    at = models.DateTimeField(_("用证时间"), auto_now_add=True, db_index=True)
    user_label = models.CharField(_("用证人"), max_length=120)
    org_code = models.CharField(_("用证单位代码"), max_length=18, blank=True)
    org_name = models.CharField(_("用证单位"), max_length=120, blank=True)
    purpose = models.CharField(_("用证事由"), max_length=200)
    reference = models.CharField(_("关联业务"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("用证记录")
        verbose_name_plural = _("用证记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.certificate_id} @ {self.at:%Y-%m-%d %H:%M} {self.org_name or self.user_label}"
