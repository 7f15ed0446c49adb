"""统一身份认证: users, people, enterprises, the six-level region and organisation tree, staff and
roles, delegation (帮办代办), enterprise mandates, one-time codes and the local SMS outbox."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.kernel.masking import mask_id_number, mask_phone


class User(AbstractUser):
    """A login. Citizens and enterprise operators link a Person; civil servants link a Staff."""

    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("个人")
        STAFF = "staff", _("工作人员")
        ADMIN = "admin", _("系统管理员")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.CITIZEN)
    display_name = models.CharField(_("姓名"), max_length=60, blank=True)
    elderly_mode = models.BooleanField(_("长者模式"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    def role_names(self) -> set[str]:
        """Role codes, cached on the instance for the request."""
        cached = getattr(self, "_role_cache", None)
        if cached is not None:
            return cached
        roles: set[str] = set()
        if self.kind == self.Kind.CITIZEN:
            roles.add("citizen")
        if self.kind == self.Kind.ADMIN or self.is_superuser:
            roles.update({"admin", "staff"})
        staff = Staff.objects.filter(user_id=self.pk).first() if self.pk else None
        if staff is not None and staff.active:
            roles.add("staff")
            roles.update(staff.roles.values_list("code", flat=True))
        self._role_cache = roles
        return roles


class Region(models.Model):
    """行政区划 and grid: 省/市/县区/乡镇街道/村社区/网格 (levels 1–6)."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省")
        CITY = 2, _("市")
        COUNTY = 3, _("县区")
        TOWNSHIP = 4, _("乡镇街道")
        VILLAGE = 5, _("村社区")
        GRID = 6, _("网格")

    code = models.CharField(_("区划代码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")

    class Meta:
        verbose_name = _("区划与网格")
        verbose_name_plural = _("区划与网格")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A government body: a department (委办局), a service centre, a street office, a grid station."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("人民政府")
        DEPARTMENT = "department", _("职能部门")
        SERVICE_CENTER = "service_center", _("政务服务中心")
        STREET_OFFICE = "street_office", _("街道办事处")
        COMMUNITY = "community", _("社区居委会")
        GRID = "grid", _("网格工作站")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.DEPARTMENT)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="organisations")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构与部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    code = models.CharField(_("角色代码"), max_length=40, unique=True)
    name = models.CharField(_("角色名称"), max_length=60)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    # Whether holders see personal data unmasked (e.g. 窗口受理 needs the full 身份证号).
    sees_personal_data = models.BooleanField(_("可查看完整个人信息"), default=False)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")

    def __str__(self) -> str:
        return self.name


class Staff(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="staff")
    employee_no = models.CharField(_("工号"), max_length=20, unique=True)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    roles = models.ManyToManyField(Role, blank=True, related_name="staff")
    supervisor = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)
    active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation.short_name or self.organisation.name}"


class Person(models.Model):
    """A natural person. 身份证号 and phone are stored SM4-GCM encrypted with a blind index."""

    class Assurance(models.IntegerChoices):
        L1 = 1, _("一级：自行注册")
        L2 = 2, _("二级：手机号核验")
        L3 = 3, _("三级：实名核验（公安人口库比对）")
        L4 = 4, _("四级：现场核验")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="person")
    real_name = models.CharField(_("姓名"), max_length=60)
    id_number_enc = models.TextField(_("身份证号（密文）"))
    id_number_index = models.CharField(_("身份证号盲索引"), max_length=64, unique=True)
    id_number_masked = models.CharField(_("身份证号（脱敏）"), max_length=18)
    phone_enc = models.TextField(_("手机号（密文）"), blank=True)
    phone_index = models.CharField(_("手机号盲索引"), max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("手机号（脱敏）"), max_length=11, blank=True)
    gender = models.CharField(_("性别"), max_length=1, choices=[("M", "男"), ("F", "女")])
    birth_date = models.DateField(_("出生日期"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="residents")
    assurance_level = models.PositiveSmallIntegerField(
        _("实名等级"), choices=Assurance.choices, default=Assurance.L1
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("自然人")
        verbose_name_plural = _("自然人")

    def __str__(self) -> str:
        return f"{self.real_name}（{self.id_number_masked}）"

    @property
    def subject_ref(self) -> str:
        return f"person:{self.pk}"

    @staticmethod
    def masked_id(value: str) -> str:
        return mask_id_number(value)

    @staticmethod
    def masked_phone(value: str) -> str:
        return mask_phone(value)


class Enterprise(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=40, default="有限责任公司")
    legal_rep = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="represented")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True)
    address = models.CharField(_("住所"), max_length=200, blank=True)
    registered_capital = models.DecimalField(_("注册资本（万元）"), max_digits=14, decimal_places=2, default=0)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    business_scope = models.TextField(_("经营范围"), blank=True)

    class Meta:
        verbose_name = _("法人（企业）")
        verbose_name_plural = _("法人（企业）")

    def __str__(self) -> str:
        return self.name

    @property
    def subject_ref(self) -> str:
        return f"enterprise:{self.pk}"


class EnterpriseMandate(models.Model):
    """The legal representative grants an employee the right to act for the enterprise."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="mandates")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="mandates")
    scopes = models.JSONField(_("授权范围"), default=list)
    valid_from = models.DateTimeField(_("生效时间"))
    valid_until = models.DateTimeField(_("失效时间"))
    granted_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="mandates_granted")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("企业授权经办人")
        verbose_name_plural = _("企业授权经办人")


class Delegation(models.Model):
    """帮办代办: a person authorises another person or a staff member for a scope and period."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    principal = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="delegations_given")
    agent = models.ForeignKey(User, on_delete=models.CASCADE, related_name="delegations_received")
    scopes = models.JSONField(_("授权范围"), default=list, help_text=_('如 ["cases:apply", "certificates:view"]'))
    valid_from = models.DateTimeField(_("生效时间"))
    valid_until = models.DateTimeField(_("失效时间"))
    reason = models.CharField(_("事由"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("帮办代办授权")
        verbose_name_plural = _("帮办代办授权")


class OneTimeCode(models.Model):
    """A login or verification code sent by SMS. Only a hash of the code is kept."""

    phone_index = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(max_length=20, default="login")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")


class SmsMessage(models.Model):
    """The local SMS adapter's outbox, shown on a developer page in demo mode only."""

    to_masked = models.CharField(max_length=11)
    to_index = models.CharField(max_length=64, db_index=True)
    body = models.CharField(max_length=300)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("短信（本地发件箱）")
        verbose_name_plural = _("短信（本地发件箱）")
        ordering = ["-sent_at"]


class LoginAttempt(models.Model):
    """Failed and successful logins per account key and client address, for throttling."""

    key = models.CharField(max_length=64, db_index=True)
    address = models.CharField(max_length=64, blank=True)
    success = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("登录尝试")
        verbose_name_plural = _("登录尝试")


class ClientPolicy(models.Model):
    """Which scopes an OAuth client (django-oauth-toolkit Application) may be granted, and which body
    runs it. A client without a policy gets only the OpenID Connect scopes."""

    application = models.OneToOneField(settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE,
                                       related_name="yiwang_policy")
    allowed_scopes = models.JSONField(_("可授予的权限范围"), default=list)
    organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="oauth_clients")
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("接入应用权限")
        verbose_name_plural = _("接入应用权限")

    def __str__(self) -> str:
        return f"{self.application_id}: {' '.join(self.allowed_scopes)}"
