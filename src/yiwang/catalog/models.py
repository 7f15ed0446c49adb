"""事项目录: service items with immutable published versions, 一件事 bundles, import batches.

The implementing department is stored by code (USCC) and name, denormalised: identity is a sibling app
in the tiers, so no foreign key points to it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.kernel.errors import Conflict


class ServiceItem(models.Model):
    """The stable identity of one 事项 across its versions (keyed by the item code)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("事项编码"), max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ItemVersion(models.Model):
    """One version of an item's elements. Drafts are edited; published versions never change."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        SUPERSEDED = "superseded", _("已被替代")

    class ItemType(models.TextChoices):
        XK = "01", _("行政许可")
        CF = "02", _("行政处罚")
        QZ = "03", _("行政强制")
        ZS = "04", _("行政征收")
        GF = "05", _("行政给付")
        JC = "06", _("行政检查")
        QR = "07", _("行政确认")
        JL = "08", _("行政奖励")
        CJ = "09", _("行政裁决")
        QT = "10", _("其他行政权力")
        GG = "20", _("公共服务")

    class HandlingType(models.TextChoices):
        INSTANT = "即办件", _("即办件")
        PROMISE = "承诺件", _("承诺件")

    # Fields that make up the content; a published version refuses any change to them.
    CONTENT_FIELDS = (
        "name", "aliases", "keywords", "item_type", "department_code", "department_name", "department_short",
        "level", "power_source", "legal_basis", "audience", "handling_type", "themes", "conditions", "materials",
        "legal_limit_days", "promised_limit_days", "fee", "fee_basis", "channels", "visits", "location", "steps",
        "result_type", "result_name", "result_certificate_type", "form_fields", "summary", "effective_from",
        "source", "extra",
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    name = models.CharField(_("事项名称"), max_length=200)
    aliases = models.JSONField(_("别名"), default=list, blank=True)
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    item_type = models.CharField(_("事项类型"), max_length=2, choices=ItemType.choices)
    department_code = models.CharField(_("实施主体编码"), max_length=18, blank=True)
    department_name = models.CharField(_("实施主体"), max_length=100)
    department_short = models.CharField(_("实施主体简称"), max_length=40, blank=True)
    level = models.CharField(_("行使层级"), max_length=20, default="市级")
    power_source = models.CharField(_("权力来源"), max_length=20, blank=True)
    legal_basis = models.JSONField(_("设定依据"), default=list, blank=True)
    audience = models.JSONField(_("服务对象"), default=list)
    handling_type = models.CharField(_("办件类型"), max_length=4, choices=HandlingType.choices,
                                     default=HandlingType.PROMISE)
    themes = models.JSONField(_("主题分类"), default=list, blank=True)
    conditions = models.JSONField(_("受理条件"), default=list, blank=True)
    materials = models.JSONField(_("申请材料"), default=list, blank=True)
    legal_limit_days = models.PositiveIntegerField(_("法定办结时限（工作日）"), null=True, blank=True)
    promised_limit_days = models.PositiveIntegerField(_("承诺办结时限（工作日）"))
    fee = models.DecimalField(_("收费金额（元）"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    fee_basis = models.TextField(_("收费依据"), blank=True)
    channels = models.JSONField(_("办理形式"), default=list)
    visits = models.PositiveSmallIntegerField(_("到办事现场次数"), default=0)
    location = models.TextField(_("办理地点"), blank=True)
    steps = models.JSONField(_("办理流程"), default=list, blank=True)
    result_type = models.CharField(_("审批结果类型"), max_length=20, blank=True)
    result_name = models.CharField(_("审批结果名称"), max_length=200, blank=True)
    result_certificate_type = models.CharField(_("结果证照类型"), max_length=100, blank=True)
    form_fields = models.JSONField(_("表单字段"), default=list, blank=True)
    summary = models.TextField(_("事项简介"), blank=True)
    source = models.CharField(_("来源"), max_length=40, blank=True)
    extra = models.JSONField(_("其他要素"), default=dict, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("事项版本")
        verbose_name_plural = _("事项版本")
        ordering = ["item__code", "-version"]
        constraints = [models.UniqueConstraint(fields=["item", "version"], name="catalog_item_version_unique")]
        indexes = [models.Index(fields=["status", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.name}（v{self.version}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A version that has left draft is immutable: only its status and effective_to may move."""
        if not self._state.adding:
            stored = ItemVersion.objects.filter(pk=self.pk).first()
            if stored is not None and stored.status != self.Status.DRAFT:
                changed = [f for f in self.CONTENT_FIELDS if getattr(stored, f) != getattr(self, f)]
                if changed:
                    raise Conflict("catalog.version_immutable",
                                   f"已发布的事项版本不可修改（{', '.join(changed)}），请新建版本", changed[0])
        super().save(*args, **kwargs)

    @property
    def code(self) -> str:
        return self.item.code

    @property
    def item_type_name(self) -> str:
        return str(self.ItemType(self.item_type).label) if self.item_type in self.ItemType.values else self.item_type

    def content(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.CONTENT_FIELDS}


class Bundle(models.Model):
    """一件事: a life or business event grouping items across departments, with guided 情形."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("一件事编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    aliases = models.JSONField(_("别名"), default=list, blank=True)
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    lead_department_code = models.CharField(_("牵头部门编码"), max_length=18, blank=True)
    lead_department_name = models.CharField(_("牵头部门"), max_length=100)
    lead_department_short = models.CharField(_("牵头部门简称"), max_length=40, blank=True)
    audience = models.JSONField(_("服务对象"), default=list)
    themes = models.JSONField(_("主题"), default=list, blank=True)
    summary = models.TextField(_("简介"), blank=True)
    item_codes = models.JSONField(_("成员事项编码"), default=list)
    core_codes = models.JSONField(_("必办事项编码"), default=list)
    questions = models.JSONField(_("情形问题"), default=list, blank=True)
    rules = models.JSONField(_("情形规则"), default=list, blank=True)
    combined_limit_days = models.PositiveIntegerField(_("承诺办结时限（工作日）"))
    legal_limit_days = models.PositiveIntegerField(_("法定办结时限合计（工作日）"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ImportBatch(models.Model):
    """One import run: counts and every rejected row with its reason."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    filename = models.CharField(_("文件名"), max_length=200)
    file_format = models.CharField(_("格式"), max_length=20)
    dry_run = models.BooleanField(_("试运行"), default=False)
    total = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    rejections = models.JSONField(_("拒绝明细"), default=list)
    actor_label = models.CharField(max_length=120, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.filename} @ {self.at:%Y-%m-%d %H:%M}"
