"""办件: cases, their steps' work items, the clock, the history, materials and the 秒批 rules.

The workflow state is relational rows (ADR 0004): a case row holds its status and current step,
work items hold who must act, clock intervals say who owned each stretch of time, and case events
are the append-only history that the timeline, the figures and the XES export read.
Catalogue items and departments are referred to by code (catalog and identity are lower tiers, but
cases keep their own denormalised copy so a case reads the same after the catalogue changes).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkflowDefinition(models.Model):
    """One version of an item's workflow, as data (see workflow.Definition for the shape)."""

    item_code = models.CharField(_("事项编码"), max_length=40)
    version = models.PositiveIntegerField(_("版本号"))
    definition = models.JSONField(_("流程定义"))
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("流程定义")
        verbose_name_plural = _("流程定义")
        constraints = [models.UniqueConstraint(fields=["item_code", "version"], name="cases_definition_unique")]
        ordering = ["item_code", "-version"]

    def __str__(self) -> str:
        return f"{self.item_code} v{self.version}"


class AutoApprovalRule(models.Model):
    """秒批: declarative conditions over form and verified data that decide at once (rules.py)."""

    item_code = models.CharField(_("事项编码"), max_length=40)
    version = models.PositiveIntegerField(_("版本号"))
    name = models.CharField(_("规则名称"), max_length=100)
    conditions = models.JSONField(_("条件"))
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("秒批规则")
        verbose_name_plural = _("秒批规则")
        constraints = [models.UniqueConstraint(fields=["item_code", "version"], name="cases_rule_unique")]

    def __str__(self) -> str:
        return f"{self.item_code} 秒批 v{self.version}"


class CaseNumberCounter(models.Model):
    """Per-day sequence behind the 办件编号 (one row per day, bumped inside the submitting transaction)."""

    day = models.CharField(max_length=8, primary_key=True)
    last = models.PositiveIntegerField(default=0)


class Case(models.Model):
    class Kind(models.TextChoices):
        ITEM = "item", _("单事项")
        BUNDLE = "bundle", _("一件事")
        SUB = "sub", _("一件事子件")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待受理")
        IN_PROGRESS = "in_progress", _("办理中")
        CORRECTIONS = "corrections", _("待补正")
        SUSPENDED = "suspended", _("已挂起")
        COMPLETED = "completed", _("已办结")
        NOT_ACCEPTED = "not_accepted", _("不予受理")
        WITHDRAWN = "withdrawn", _("已撤回")
        REVOKED = "revoked", _("已撤销")
        TERMINATED = "terminated", _("已终止")

    class Outcome(models.TextChoices):
        NONE = "", _("无")
        APPROVED = "approved", _("准予")
        DENIED = "denied", _("不予")
        PARTIAL = "partial", _("部分准予")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("办件编号"), max_length=32, unique=True, null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices, default=Kind.ITEM)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    item_code = models.CharField(_("事项编码"), max_length=40, blank=True)
    item_version_id = models.UUIDField(_("事项版本"), null=True, blank=True)
    bundle_code = models.CharField(_("一件事编码"), max_length=40, blank=True)
    title = models.CharField(_("名称"), max_length=200)
    handling_type = models.CharField(_("办件类型"), max_length=4, blank=True)
    department_code = models.CharField(_("承办部门编码"), max_length=18, blank=True, db_index=True)
    department_name = models.CharField(_("承办部门"), max_length=100, blank=True)
    definition = models.ForeignKey(WorkflowDefinition, on_delete=models.PROTECT, null=True, blank=True)

    applicant_ref = models.CharField(_("申请主体"), max_length=60)  # person:<uuid> / enterprise:<uuid>
    applicant_name = models.CharField(_("申请人"), max_length=120)
    applicant_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="cases")
    channel = models.CharField(_("申请渠道"), max_length=8, default="网上")
    answers = models.JSONField(_("情形选择"), default=dict, blank=True)
    form = models.JSONField(_("表单"), default=dict, blank=True)
    prefill_sources = models.JSONField(_("预填来源"), default=dict, blank=True)

    status = models.CharField(_("状态"), max_length=14, choices=Status.choices, default=Status.DRAFT)
    step_code = models.CharField(_("当前环节"), max_length=40, blank=True)
    step_name = models.CharField(_("当前环节名称"), max_length=60, blank=True)
    outcome = models.CharField(_("办理结果"), max_length=10, choices=Outcome.choices, default="", blank=True)
    outcome_reason = models.TextField(_("结果说明"), blank=True)
    auto_rule = models.CharField(_("秒批规则"), max_length=80, blank=True)
    visits = models.PositiveSmallIntegerField(_("跑动次数"), default=0)
    corrections_count = models.PositiveSmallIntegerField(_("补正次数"), default=0)
    returns_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)

    legal_limit_days = models.PositiveIntegerField(_("法定时限（工作日）"), null=True, blank=True)
    promised_limit_days = models.PositiveIntegerField(_("承诺时限（工作日）"), null=True, blank=True)
    legal_due = models.DateField(_("法定办结日期"), null=True, blank=True)
    promised_due = models.DateField(_("承诺办结日期"), null=True, blank=True)
    paused_days = models.PositiveIntegerField(_("停表工作日"), default=0)
    clock_owner = models.CharField(_("计时归属"), max_length=12, blank=True)
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    # Engine memory that is not a column: corrected steps (一次性告知), the status to resume, the
    # previous step (拿回). Written only by services.
    engine_state = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    row_version = models.PositiveIntegerField(default=0)  # optimistic concurrency for transitions

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        indexes = [
            models.Index(fields=["applicant_ref", "-created_at"], name="cases_applicant_recent"),
            models.Index(fields=["department_code", "status", "promised_due"], name="cases_dept_status_due"),
            models.Index(fields=["status", "promised_due"], name="cases_status_due"),
            models.Index(fields=["item_code", "status"], name="cases_item_status"),
        ]

    def __str__(self) -> str:
        return f"{self.number or '草稿'} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


OPEN_STATUSES = frozenset({Case.Status.SUBMITTED, Case.Status.IN_PROGRESS, Case.Status.CORRECTIONS,
                           Case.Status.SUSPENDED})
FINAL_STATUSES = frozenset({Case.Status.COMPLETED, Case.Status.NOT_ACCEPTED, Case.Status.WITHDRAWN,
                            Case.Status.REVOKED, Case.Status.TERMINATED})


class WorkItem(models.Model):
    """One person's or one department's share of a step: what shows in a 待办 inbox."""

    class Status(models.TextChoices):
        OPEN = "open", _("待办")
        WAITING = "waiting", _("等待申请人")  # 补正 outstanding; the task resumes when answered
        DONE = "done", _("已办")
        CANCELLED = "cancelled", _("已取消")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="work_items")
    step_code = models.CharField(_("环节"), max_length=40)
    step_name = models.CharField(_("环节名称"), max_length=60)
    step_kind = models.CharField(_("环节类型"), max_length=12)
    department_code = models.CharField(_("部门编码"), max_length=18)
    department_name = models.CharField(_("部门"), max_length=100, blank=True)
    role = models.CharField(_("角色"), max_length=40)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="work_items")
    delegated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")  # 委派: the task returns to this user when done
    sequence = models.PositiveSmallIntegerField(default=0)  # order within a sequential 会签
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    action = models.CharField(_("处理动作"), max_length=24, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    opened_at = models.DateTimeField(_("到达时间"))
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    due = models.DateField(_("承诺办结日期"), null=True, blank=True)  # copy of the case's, for inbox sorting
    row_version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("待办事项")
        verbose_name_plural = _("待办事项")
        indexes = [
            models.Index(fields=["department_code", "role", "status", "due"], name="cases_inbox"),
            models.Index(fields=["assignee", "status", "due"], name="cases_inbox_mine"),
            models.Index(fields=["done_by", "-done_at"], name="cases_done_by"),
            models.Index(fields=["case", "status"], name="cases_item_case_status"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.step_name} {self.get_status_display()}"


class CarbonCopy(models.Model):
    """抄送: a read-only notice of a case to another department or person."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="copies")
    department_code = models.CharField(max_length=18, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    step_code = models.CharField(max_length=40, blank=True)
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)


class CaseEvent(models.Model):
    """The append-only history of a case: the timeline, figures and the XES export read it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(_("时间"))
    type = models.CharField(_("事件"), max_length=32)  # submitted, accepted, corrections_requested, …
    step_code = models.CharField(max_length=40, blank=True)
    step_name = models.CharField(max_length=60, blank=True)
    department_code = models.CharField(max_length=18, blank=True)
    department_name = models.CharField(max_length=100, blank=True)
    actor_label = models.CharField(max_length=120, blank=True)
    actor_id = models.IntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="cases_event_case_at"),
                   models.Index(fields=["type", "at"], name="cases_event_type_at")]


class ClockInterval(models.Model):
    """A stretch of a case's time and who owned it — analytics never blame a department for the
    applicant's wait (补正) or a suspension."""

    class Owner(models.TextChoices):
        DEPARTMENT = "department", _("部门办理")
        APPLICANT = "applicant", _("申请人补正")
        SUSPENDED = "suspended", _("挂起")
        EXTERNAL = "external", _("外部环节")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clock")
    owner = models.CharField(max_length=12, choices=Owner.choices)
    department_code = models.CharField(max_length=18, blank=True)
    step_code = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["case", "ended_at"], name="cases_clock_open")]


class CorrectionRequest(models.Model):
    """补正: every missing point listed at once (一次性告知); the legal clock stops until answered."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="corrections")
    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="+")
    step_code = models.CharField(max_length=40)
    points = models.JSONField(_("补正事项"))  # [{"field"|"material": name, "reason": text}]
    requested_at = models.DateTimeField()
    requested_by_label = models.CharField(max_length=120)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.JSONField(default=dict, blank=True)


class Material(models.Model):
    """A material of a case: an upload, an e-certificate from the wallet, or shared data."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("上传")
        CERTIFICATE = "certificate", _("电子证照")
        SHARED = "shared", _("共享数据")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    name = models.CharField(_("材料名称"), max_length=200)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    file = models.FileField(upload_to="cases/%Y/%m/", blank=True)
    filename = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    certificate_identifier = models.CharField(max_length=120, blank=True)
    resource_code = models.CharField(max_length=40, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at"]


class IdempotencyKey(models.Model):
    """Idempotency-Key of a submission: a retry returns the first case instead of making another."""

    key = models.CharField(max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    request_hash = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="cases_idempotency_unique")]


class Notification(models.Model):
    """What the notification port sent (the local adapter keeps it for the dev outbox page)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    channel = models.CharField(max_length=12, default="站内信")
    title = models.CharField(max_length=120)
    body = models.TextField()
    at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "-at"], name="cases_notification_user")]
