"""数据共享交换: the resource catalogue (政务信息资源目录) with versioned metadata and graded data items,
the base registries held inside yiwang, sharing requests and approvals, grants, the gateway's
access log, objections raised by the people the data is about, and daily digests of the log.

No foreign keys to identity: people and enterprises are referenced by `subject_ref`
("person:<uuid>" / "enterprise:<uuid>"), departments by their 统一社会信用代码 and name.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class ShareType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件共享")
    CONDITIONAL = "conditional", _("有条件共享")
    NONE = "none", _("不予共享")


class OpenType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件开放")
    CONDITIONAL = "conditional", _("有条件开放")
    NONE = "none", _("不予开放")


class Grade(models.TextChoices):
    GENERAL = "general", _("一般数据")
    IMPORTANT = "important", _("重要数据")
    CORE = "core", _("核心数据")


class PersonalClass(models.TextChoices):
    NONE = "none", _("非个人信息")
    PERSONAL = "personal", _("个人信息")
    SENSITIVE = "sensitive", _("敏感个人信息")


class MaskRule(models.TextChoices):
    NONE = "none", _("不脱敏")
    NAME = "name", _("姓名脱敏（保留姓）")
    ID_NUMBER = "id_number", _("证件号脱敏（前6后4）")
    PHONE = "phone", _("手机号脱敏（前3后4）")
    MIDDLE = "middle", _("保留首尾")
    YEAR = "year", _("日期仅保留年份")
    HIDDEN = "hidden", _("完全隐藏")


class Resource(models.Model):
    """One catalogue entry (信息资源). Every published change bumps `version` and keeps a snapshot."""

    class KeyType(models.TextChoices):
        ID_NUMBER = "id_number", _("公民身份号码")
        CREDIT_CODE = "credit_code", _("统一社会信用代码")

    class Adapter(models.TextChoices):
        TABLE = "table", _("平台内基础库")
        HTTP = "http", _("部门系统接口")
        FILE = "file", _("文件导入")

    class Category(models.TextChoices):
        BASE = "base", _("基础信息资源")
        THEME = "theme", _("主题信息资源")
        DEPARTMENT = "department", _("部门信息资源")

    class Status(models.TextChoices):
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤销")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("资源代码"), max_length=40, unique=True)
    name = models.CharField(_("资源名称"), max_length=120)
    category = models.CharField(_("目录类型"), max_length=12, choices=Category.choices, default=Category.BASE)
    classification = models.CharField(_("信息资源分类"), max_length=80, blank=True,
                                      help_text=_("类/项/目/细目，如 基础信息资源/人口/户籍"))
    provider_code = models.CharField(_("提供方代码"), max_length=18, db_index=True)
    provider_name = models.CharField(_("提供方"), max_length=100)
    summary = models.TextField(_("摘要"), blank=True)
    format = models.CharField(_("资源格式"), max_length=40, default="数据库/接口")
    key_type = models.CharField(_("查询主键"), max_length=12, choices=KeyType.choices, default=KeyType.ID_NUMBER)
    share_type = models.CharField(_("共享类型"), max_length=14, choices=ShareType.choices)
    share_condition = models.TextField(_("共享条件/不予共享依据"), blank=True)
    share_method = models.CharField(_("共享方式"), max_length=40, default="接口查询、核验")
    open_type = models.CharField(_("开放类型"), max_length=14, choices=OpenType.choices, default=OpenType.NONE)
    update_cycle = models.CharField(_("更新周期"), max_length=20, default="实时")
    published_on = models.DateField(_("发布日期"))
    related_codes = models.JSONField(_("关联资源代码"), default=list, blank=True)
    adapter = models.CharField(_("数据来源"), max_length=8, choices=Adapter.choices, default=Adapter.TABLE)
    adapter_config = models.JSONField(_("来源配置"), default=dict, blank=True,
                                      help_text=_('如 {"registry": "population"} 或 {"url": "http://..."}'))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("信息资源")
        verbose_name_plural = _("政务信息资源目录")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DataItem(models.Model):
    """信息项 with its type, grade (GB/T 43697) and personal-information class (GB/T 35273)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("信息项代码"), max_length=40)
    name = models.CharField(_("信息项名称"), max_length=60)
    data_type = models.CharField(_("数据类型"), max_length=20, default="字符型")
    grade = models.CharField(_("分级"), max_length=10, choices=Grade.choices, default=Grade.GENERAL)
    personal = models.CharField(_("个人信息类别"), max_length=10, choices=PersonalClass.choices,
                                default=PersonalClass.NONE)
    default_mask = models.CharField(_("默认脱敏规则"), max_length=10, choices=MaskRule.choices, default=MaskRule.NONE)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("信息项")
        verbose_name_plural = _("信息项")
        ordering = ["resource", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["resource", "code"], name="exchange_item_unique_code")]

    def __str__(self) -> str:
        return self.name


class ResourceVersion(models.Model):
    """A frozen copy of a resource's metadata and items at each published version."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resource", "-version"]
        constraints = [models.UniqueConstraint(fields=["resource", "version"], name="exchange_version_unique")]


class RegistryRecord(models.Model):
    """A row of a base registry held inside yiwang (人口库, 法人库 …). The record's fields are kept as
    SM4-encrypted JSON; the key (身份证号 / 信用代码) only as a blind index and a masked copy."""

    registry = models.CharField(_("基础库"), max_length=30)
    key_index = models.CharField(_("主键盲索引"), max_length=64)
    key_masked = models.CharField(_("主键（脱敏）"), max_length=20)
    subject_ref = models.CharField(_("数据主体"), max_length=60, blank=True, db_index=True)
    data_enc = models.TextField(_("记录（密文）"))
    source = models.CharField(_("来源"), max_length=60, default="demo")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("基础库记录")
        verbose_name_plural = _("基础库记录")
        constraints = [models.UniqueConstraint(fields=["registry", "key_index"], name="exchange_registry_unique_key")]


class ShareRequest(models.Model):
    """A consuming department asks for a resource: items, purpose, legal basis, period."""

    class Status(models.TextChoices):
        PROVIDER_REVIEW = "provider_review", _("待提供方审核")
        BUREAU_REVIEW = "bureau_review", _("待数据局审核")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未通过")
        REFUSED = "refused", _("不予共享")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("申请编号"), max_length=24, unique=True)
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="requests")
    consumer_code = models.CharField(_("申请部门代码"), max_length=18, db_index=True)
    consumer_name = models.CharField(_("申请部门"), max_length=100)
    items = models.JSONField(_("申请信息项"), default=list)
    purpose = models.CharField(_("用途"), max_length=200)
    legal_basis = models.CharField(_("法律依据"), max_length=200)
    valid_from = models.DateField(_("使用开始"))
    valid_until = models.DateField(_("使用截止"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    reason = models.CharField(_("不予共享/驳回理由"), max_length=300, blank=True)
    due_on = models.DateField(_("答复期限"), null=True, blank=True)
    requested_by = models.CharField(_("申请人"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("申请时间"))
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("共享申请")
        verbose_name_plural = _("共享申请")
        ordering = ["-created_at"]


class Approval(models.Model):
    class Stage(models.TextChoices):
        PROVIDER = "provider", _("提供方审核")
        BUREAU = "bureau", _("数据局审核")
        AUTO = "auto", _("系统自动")

    request = models.ForeignKey(ShareRequest, on_delete=models.CASCADE, related_name="approvals")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    approved = models.BooleanField()
    comment = models.CharField(max_length=300, blank=True)
    by_label = models.CharField(max_length=120)
    by_org = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]


class Grant(models.Model):
    """What a consumer may read: the resource, the items, how each is masked, for what and until when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.OneToOneField(ShareRequest, on_delete=models.PROTECT, related_name="grant", null=True,
                                   blank=True)
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="grants")
    consumer_code = models.CharField(max_length=40, db_index=True)
    consumer_name = models.CharField(max_length=100)
    items = models.JSONField(default=list)
    masking = models.JSONField(default=dict, help_text=_("信息项代码 → 脱敏规则"))
    purpose = models.CharField(max_length=200)
    legal_basis = models.CharField(max_length=200)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)
    client_id = models.CharField(_("接入客户端"), max_length=100, blank=True, db_index=True)
    rate_per_minute = models.PositiveIntegerField(_("每分钟调用上限"), default=600)
    daily_quota = models.PositiveIntegerField(_("每日调用配额"), default=20000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("共享授权")
        verbose_name_plural = _("共享授权")
        ordering = ["-created_at"]


class GrantUsage(models.Model):
    """Calls per grant per day (the daily quota) and in the current minute (the rate limit): one row,
    counted by one conditional UPDATE in the transaction that writes the call's access-log row, so
    every process (gunicorn workers, commands) shares the same counts."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    calls = models.PositiveIntegerField(default=0)
    minute = models.BigIntegerField(default=0, help_text=_("当前计数的分钟（Unix 时间 // 60）"))
    minute_calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grant", "day"], name="exchange_usage_unique_day")]


class AccessLog(models.Model):
    """Every gateway call, successful or not: who, for what, under which basis, about whom, which items."""

    class Mode(models.TextChoices):
        LOOKUP = "lookup", _("查询")
        VERIFY = "verify", _("核验")
        PREFILL = "prefill", _("表单预填")

    class Result(models.TextChoices):
        OK = "ok", _("成功")
        NOT_FOUND = "not_found", _("无记录")
        REFUSED = "refused", _("拒绝")
        ERROR = "error", _("提供方异常")

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, null=True, blank=True, related_name="calls")
    consumer_code = models.CharField(max_length=40)
    consumer_name = models.CharField(max_length=100)
    actor_label = models.CharField(max_length=120, blank=True)
    resource_code = models.CharField(max_length=40)
    resource_name = models.CharField(max_length=120, blank=True)
    provider_name = models.CharField(max_length=100, blank=True)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.LOOKUP)
    purpose = models.CharField(max_length=200)
    legal_basis = models.CharField(max_length=200, blank=True)
    subject_ref = models.CharField(max_length=60, blank=True, db_index=True)
    key_masked = models.CharField(max_length=20, blank=True)
    items = models.JSONField(default=list)
    result = models.CharField(max_length=10, choices=Result.choices)
    error_code = models.CharField(max_length=60, blank=True)
    latency_ms = models.FloatField(default=0)
    request_id = models.CharField(max_length=40, blank=True)
    call_id = models.UUIDField(default=uuid.uuid4, unique=True)

    class Meta:
        verbose_name = _("共享调用日志")
        verbose_name_plural = _("共享调用日志")
        ordering = ["-at", "-id"]


class Objection(models.Model):
    """A person or enterprise disputes an access to their data. The department that made the call
    answers by `due_on` (working days); left unanswered it is escalated to the data bureau."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        ESCALATED = "escalated", _("逾期未答复，已提交数据局督办")
        ANSWERED = "answered", _("已答复")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    access = models.ForeignKey(AccessLog, on_delete=models.PROTECT, related_name="objections")
    subject_ref = models.CharField(max_length=60, db_index=True)
    reason = models.CharField(_("异议理由"), max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    response = models.CharField(max_length=500, blank=True)
    answered_by = models.CharField(_("答复单位"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    due_on = models.DateField(_("答复期限"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("提交数据局督办时间"), null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("数据使用异议")
        verbose_name_plural = _("数据使用异议")
        ordering = ["-created_at"]


class Digest(models.Model):
    """The day's access log summarised and chained (SM3), for the trust ledger."""

    day = models.DateField(unique=True)
    calls = models.PositiveIntegerField()
    summary = models.JSONField(default=dict)
    digest = models.CharField(max_length=64)
    ledger_ref = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]
