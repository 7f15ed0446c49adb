"""Kernel tables: audit log, event outbox, webhook subscriptions and deliveries, holiday calendar."""

from __future__ import annotations

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("审计日志只能追加，不能修改")

    def delete(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("审计日志只能追加，不能删除")


class AuditEntry(models.Model):
    """One thing someone did (or read), written by a service. Never updated, never deleted."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(_("操作人ID"), null=True, blank=True)
    actor_label = models.CharField(_("操作人"), max_length=120)
    on_behalf_of = models.CharField(_("代表"), max_length=80, blank=True)
    action = models.CharField(_("动作"), max_length=80, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=60)
    object_id = models.CharField(_("对象"), max_length=80)
    # The person whose personal data was involved, for "谁查看了我的信息".
    subject_ref = models.CharField(_("数据主体"), max_length=80, blank=True, db_index=True)
    request_id = models.CharField(_("请求号"), max_length=64, blank=True)
    # DjangoJSONEncoder: dates, UUIDs and Decimals may be passed as they are (they come back as strings).
    detail = models.JSONField(_("详情"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计日志")
        indexes = [models.Index(fields=["subject_ref", "-at"])]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not self._state.adding:
            raise RuntimeError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("审计日志只能追加，不能删除")


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change it describes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("事件类型"), max_length=80, db_index=True)
    source = models.CharField(_("来源"), max_length=80)
    subject = models.CharField(_("对象"), max_length=120, blank=True)
    data = models.JSONField(_("数据"), default=dict, encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField(_("发生时间"), auto_now_add=True, db_index=True)
    dispatched_at = models.DateTimeField(_("分发时间"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("领域事件")
        verbose_name_plural = _("领域事件发件箱")
        ordering = ["occurred_at"]


class WebhookSubscription(models.Model):
    """A department system that wants events by HTTP POST (CloudEvents, HMAC-SHA256 signed)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("订阅方"), max_length=120)
    url = models.URLField(_("回调地址"))
    secret = models.CharField(_("签名密钥"), max_length=128)
    event_types = models.JSONField(
        _("事件类型"), default=list, help_text=_("空列表表示全部；支持前缀如 case.*")
    )
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("事件订阅")
        verbose_name_plural = _("事件订阅")

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        if not self.event_types:
            return True
        for pattern in self.event_types:
            if pattern == event_type or (pattern.endswith(".*") and event_type.startswith(pattern[:-1])):
                return True
        return False


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待投递")
        DELIVERED = "delivered", _("已投递")
        FAILED = "failed", _("已放弃")

    id = models.BigAutoField(primary_key=True)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("事件投递")
        verbose_name_plural = _("事件投递")
        constraints = [models.UniqueConstraint(fields=["subscription", "event"], name="uniq_delivery")]


class Holiday(models.Model):
    """One day that differs from the Monday–Friday rule: a statutory day off or a 调休 working weekend day."""

    class Kind(models.TextChoices):
        OFF = "off", _("法定节假日（休息）")
        WORKDAY = "workday", _("调休上班")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=40, blank=True)
    source = models.CharField(
        _("来源"),
        max_length=40,
        default="admin",
        help_text=_("chinese-calendar 表示由该包导入；后台录入的记录重新导入时不会被覆盖"),
    )

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class CalendarYear(models.Model):
    """A year whose official arrangement is in the Holiday table. Years not listed use the fallback."""

    year = models.PositiveIntegerField(_("年份"), primary_key=True)
    confirmed = models.BooleanField(_("已按国务院通知确认"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("日历年份")
        verbose_name_plural = _("日历年份")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)
