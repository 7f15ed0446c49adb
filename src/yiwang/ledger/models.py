"""Ledger tables: logs, their append-only entries, checkpoints, signing keys, witnesses and their state.

Entries are never updated or deleted by the application (the query set refuses); `ledger audit`
recomputes every tree from these rows and compares it with the signed checkpoints, so a row changed,
removed, inserted or reordered behind the application's back is found.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("账本条目只能追加，不能修改")

    def delete(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("账本条目只能追加，不能删除")


class Log(models.Model):
    """One transparency log (one sequencer): e.g. certificates, decisions, audit."""

    class Hash(models.TextChoices):
        SHA256 = "sha256", "SHA-256"
        SM3 = "sm3", "SM3"

    name = models.SlugField(_("名称"), max_length=40, unique=True)
    title = models.CharField(_("说明"), max_length=80, blank=True)
    origin = models.CharField(_("检查点来源标识"), max_length=120, unique=True)
    hash = models.CharField(_("树哈希"), max_length=8, choices=Hash.choices, default=Hash.SHA256)
    size = models.BigIntegerField(_("已排序条目数"), default=0)
    epoch = models.UUIDField(default=uuid.uuid4, editable=False)  # tells in-process caches apart
    quorum = models.PositiveSmallIntegerField(_("见证法定数"), default=2)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("可信账本")
        verbose_name_plural = _("可信账本")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Entry(models.Model):
    """One leaf: a salted digest, never personal data. Index is the position in the tree."""

    id = models.BigAutoField(primary_key=True)
    log = models.ForeignKey(Log, on_delete=models.PROTECT, related_name="entries")
    index = models.BigIntegerField(_("序号"))
    kind = models.CharField(_("类型"), max_length=40)
    leaf_input = models.BinaryField(_("叶子内容"))
    leaf_hash = models.BinaryField(_("叶子哈希"))
    # Private to the platform (never served): the salt of the salted digest and what it anchors,
    # e.g. a certificate number, so the owning module can find its entry and build a proof bundle.
    salt = models.BinaryField(_("盐值"), blank=True, default=b"")
    ref = models.CharField(_("业务对象"), max_length=120, blank=True, db_index=True)
    created_at = models.DateTimeField(_("写入时间"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("账本条目")
        verbose_name_plural = _("账本条目")
        constraints = [models.UniqueConstraint(fields=["log", "index"], name="ledger_entry_log_index")]


class Checkpoint(models.Model):
    """A signed tree head (C2SP checkpoint note), published once a quorum of witnesses cosigned."""

    log = models.ForeignKey(Log, on_delete=models.PROTECT, related_name="checkpoints")
    size = models.BigIntegerField(_("树大小"))
    root = models.BinaryField(_("根哈希"))
    note = models.TextField(_("签名检查点"))
    cosigners = models.JSONField(_("联署见证方"), default=list)
    published = models.BooleanField(_("已发布"), default=False, db_index=True)
    created_at = models.DateTimeField(_("签署时间"), default=timezone.now)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("检查点")
        verbose_name_plural = _("检查点")
        ordering = ["log", "size"]
        constraints = [models.UniqueConstraint(fields=["log", "size"], name="ledger_checkpoint_log_size")]


class SigningKey(models.Model):
    """A key of the log or of a witness. Demo: generated on first use, secret SM4-encrypted at rest.
    Production: the secret lives in an HSM / certified crypto module; only `public` is stored here."""

    purpose = models.CharField(_("用途"), max_length=80, unique=True)  # e.g. "log:certificates:ed25519"
    algorithm = models.CharField(_("算法"), max_length=16)  # ed25519 | sm2 | cosignature
    name = models.CharField(_("密钥名"), max_length=120)
    public = models.BinaryField(_("公钥"))
    secret = models.TextField(_("私钥（加密）"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")


class Witness(models.Model):
    """A department's witness (c2sp.org/tlog-witness), run in-process for the demo."""

    slug = models.SlugField(_("标识"), max_length=40, unique=True)
    name = models.CharField(_("见证方密钥名"), max_length=120, unique=True)
    department = models.CharField(_("部门"), max_length=60)
    key = models.OneToOneField(SigningKey, on_delete=models.PROTECT, related_name="witness")
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("见证方")
        verbose_name_plural = _("见证方")
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.department}（{self.name}）"


class WitnessState(models.Model):
    """The latest checkpoint a witness cosigned for one origin. Updated atomically with the check."""

    witness = models.ForeignKey(Witness, on_delete=models.CASCADE, related_name="states")
    origin = models.CharField(max_length=120)
    size = models.BigIntegerField(default=0)
    root = models.BinaryField()
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("见证状态")
        verbose_name_plural = _("见证状态")
        constraints = [models.UniqueConstraint(fields=["witness", "origin"], name="ledger_witness_origin")]


class WitnessEvidence(models.Model):
    """A log-signed request the witness refused because it contradicts what it cosigned (split view,
    inconsistent checkpoint): portable proof of log misbehaviour. Kept forever."""

    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="evidence")
    origin = models.CharField(max_length=120)
    status = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300)
    request_body = models.TextField()
    stored_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("见证证据")
        verbose_name_plural = _("见证证据")
        ordering = ["-created_at"]
