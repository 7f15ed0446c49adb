"""好差评: a rating per ended case, and the rectification loop (整改 → 回访) that a 差评 opens.

A rating points at its case (a foreign key down the tiers) and keeps a denormalised copy of what the
figures group by (item, department, when the case ended), so that figures never join across apps.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

SCORE_LABELS = {5: _("非常满意"), 4: _("满意"), 3: _("基本满意"), 2: _("不满意"), 1: _("非常不满意")}
# The dimensions of the national 好差评 form (each 1–5, optional).
DIMENSIONS = {
    "efficiency": _("办事效率"),
    "attitude": _("服务态度"),
    "convenience": _("办事便捷"),
    "openness": _("政务公开"),
    "overall": _("整体满意"),
}
BAD_SCORES = (1, 2)  # 差评
GOOD_SCORES = (4, 5)  # 好评


class Rating(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="rating")
    case_number = models.CharField(_("办件编号"), max_length=32, db_index=True)
    case_title = models.CharField(_("事项名称"), max_length=200)
    item_code = models.CharField(_("事项编码"), max_length=40, blank=True)
    department_code = models.CharField(_("承办部门编码"), max_length=18, db_index=True)
    department_name = models.CharField(_("承办部门"), max_length=100, blank=True)
    applicant_ref = models.CharField(_("评价主体"), max_length=60)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("总体评价"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    dimensions = models.JSONField(_("分项评价"), default=dict, blank=True)
    comment = models.TextField(_("评价内容"), blank=True)
    channel = models.CharField(_("评价渠道"), max_length=8, default="网上")
    case_ended_at = models.DateTimeField(_("办结时间"))
    at = models.DateTimeField(_("评价时间"))

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        indexes = [models.Index(fields=["department_code", "at"], name="feedback_rating_dept_at"),
                   models.Index(fields=["item_code", "at"], name="feedback_rating_item_at")]
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5),
                                              name="feedback_rating_score_range")]

    def __str__(self) -> str:
        return f"{self.case_number} {self.score}"

    @property
    def score_label(self) -> str:
        return str(SCORE_LABELS.get(self.score, ""))

    @property
    def is_bad(self) -> bool:
        return self.score in BAD_SCORES


class Rectification(models.Model):
    """差评整改: the department records what it did, then calls the applicant back (回访)."""

    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        RECTIFIED = "rectified", _("已整改待回访")
        CLOSED = "closed", _("已办结")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="rectification")
    case_number = models.CharField(_("办件编号"), max_length=32)
    department_code = models.CharField(_("整改部门编码"), max_length=18, db_index=True)
    department_name = models.CharField(_("整改部门"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("交办时间"))
    deadline = models.DateField(_("整改期限"))
    action_taken = models.TextField(_("整改情况"), blank=True)
    rectified_at = models.DateTimeField(_("整改时间"), null=True, blank=True)
    rectified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    followup_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    followup_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    followup_contacted = models.BooleanField(_("已联系申请人"), null=True, blank=True)
    followup_result = models.TextField(_("回访情况"), blank=True)
    followup_satisfied = models.BooleanField(_("申请人是否满意"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    on_time = models.BooleanField(_("按期办结"), null=True, blank=True)

    class Meta:
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        indexes = [models.Index(fields=["department_code", "status", "deadline"], name="feedback_rect_inbox")]
        ordering = ["deadline", "opened_at"]

    def __str__(self) -> str:
        return f"{self.case_number} {self.get_status_display()}"
