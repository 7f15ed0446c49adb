"""The back office's item form: plain text areas for lists (one per line) and JSON for the structured
elements, turned into a service payload. Validation of the elements themselves is the service's."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiwang.catalog import rules
from yiwang.catalog.models import ItemVersion

LINE_LIST_FIELDS = ("legal_basis", "conditions")
TAG_LIST_FIELDS = ("aliases", "keywords", "themes")
JSON_FIELDS = ("materials", "steps", "form_fields")


class ItemForm(forms.Form):
    code = forms.CharField(label=_("事项编码"), max_length=40)
    name = forms.CharField(label=_("事项名称"), max_length=200)
    item_type = forms.ChoiceField(label=_("事项类型"), choices=ItemVersion.ItemType.choices)
    department_code = forms.CharField(label=_("实施主体编码（统一社会信用代码）"), max_length=18, required=False)
    department_name = forms.CharField(label=_("实施主体"), max_length=100)
    department_short = forms.CharField(label=_("实施主体简称"), max_length=40, required=False)
    level = forms.ChoiceField(label=_("行使层级"), choices=[(v, v) for v in rules.LEVELS], initial="市级")
    power_source = forms.ChoiceField(label=_("权力来源"), choices=[("", "—")] + [(v, v) for v in rules.POWER_SOURCES],
                                     required=False)
    audience = forms.MultipleChoiceField(label=_("服务对象"), choices=[(v, v) for v in rules.SERVICE_OBJECTS],
                                         widget=forms.CheckboxSelectMultiple)
    handling_type = forms.ChoiceField(label=_("办件类型"), choices=ItemVersion.HandlingType.choices)
    channels = forms.MultipleChoiceField(label=_("办理形式"), choices=[(v, v) for v in rules.CHANNELS],
                                         widget=forms.CheckboxSelectMultiple)
    visits = forms.IntegerField(label=_("到办事现场次数"), min_value=0, max_value=9, initial=0)
    legal_limit_days = forms.IntegerField(label=_("法定办结时限（工作日，空为未规定）"), min_value=0, required=False)
    promised_limit_days = forms.IntegerField(label=_("承诺办结时限（工作日）"), min_value=0)
    fee = forms.DecimalField(label=_("收费金额（元）"), min_value=0, decimal_places=2, max_digits=12, initial=0)
    fee_basis = forms.CharField(label=_("收费依据"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    location = forms.CharField(label=_("办理地点"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    result_type = forms.ChoiceField(label=_("审批结果类型"), choices=[(v, v or "—") for v in rules.RESULT_TYPES],
                                    required=False)
    result_name = forms.CharField(label=_("审批结果名称"), max_length=200, required=False)
    result_certificate_type = forms.CharField(label=_("结果证照类型"), max_length=100, required=False)
    summary = forms.CharField(label=_("事项简介"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    aliases = forms.CharField(label=_("别名（用、分隔）"), required=False)
    keywords = forms.CharField(label=_("关键词（用、分隔）"), required=False)
    themes = forms.CharField(label=_("主题分类（用、分隔）"), required=False)
    legal_basis = forms.CharField(label=_("设定依据（每行一条）"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    conditions = forms.CharField(label=_("受理条件（每行一条）"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    materials = forms.CharField(label=_("申请材料（JSON）"), required=False, widget=forms.Textarea(attrs={"rows": 8}),
                                initial="[]")
    steps = forms.CharField(label=_("办理流程（JSON）"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
                            initial="[]")
    form_fields = forms.CharField(label=_("表单字段（JSON）"), required=False, widget=forms.Textarea(attrs={"rows": 8}),
                                  initial="[]")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in JSON_FIELDS:
            raw = (data.get(key) or "").strip() or "[]"
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                self.add_error(key, gettext("不是有效的JSON：第%(line)s行第%(column)s列")
                               % {"line": exc.lineno, "column": exc.colno})
                continue
            if not isinstance(value, list):
                self.add_error(key, gettext("应为JSON数组"))
                continue
            data[key] = value
        for key in LINE_LIST_FIELDS:
            data[key] = [s.strip() for s in (data.get(key) or "").splitlines() if s.strip()]
        for key in TAG_LIST_FIELDS:
            data[key] = [s.strip() for s in (data.get(key) or "").replace("，", "、").split("、") if s.strip()]
        return data

    def payload(self) -> dict[str, Any]:
        d = dict(self.cleaned_data)
        d["fee"] = str(d.get("fee") or "0.00")
        return d

    @classmethod
    def initial_from(cls, v: ItemVersion) -> dict[str, Any]:
        init: dict[str, Any] = {f: getattr(v, f) for f in cls.base_fields if f != "code" and hasattr(v, f)}
        init["code"] = v.item.code
        for key in JSON_FIELDS:
            init[key] = json.dumps(getattr(v, key), ensure_ascii=False, indent=1)
        for key in LINE_LIST_FIELDS:
            init[key] = "\n".join(getattr(v, key))
        for key in TAG_LIST_FIELDS:
            init[key] = "、".join(getattr(v, key))
        return init


class PublishForm(forms.Form):
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("导入文件（.csv 或 .xlsx）"))
    dry_run = forms.BooleanField(label=_("仅校验，不写入（试运行）"), required=False)


def _tags(value: str) -> list[str]:
    return [s.strip() for s in (value or "").replace("，", "、").replace(",", "、").split("、") if s.strip()]


class BundleForm(forms.Form):
    code = forms.CharField(label=_("一件事编码"), max_length=40)
    name = forms.CharField(label=_("名称"), max_length=100)
    lead_department = forms.CharField(label=_("牵头部门（简称、全称或统一社会信用代码）"), max_length=100)
    audience = forms.MultipleChoiceField(label=_("服务对象"), choices=[(v, v) for v in rules.SERVICE_OBJECTS],
                                         widget=forms.CheckboxSelectMultiple)
    summary = forms.CharField(label=_("简介"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    aliases = forms.CharField(label=_("别名（用、分隔）"), required=False)
    keywords = forms.CharField(label=_("关键词（用、分隔）"), required=False)
    themes = forms.CharField(label=_("主题（用、分隔）"), required=False)
    item_codes = forms.CharField(label=_("成员事项编码（用、分隔，按办理顺序）"))
    core_codes = forms.CharField(label=_("必办事项编码（用、分隔）"), required=False)
    questions = forms.CharField(label=_("情形问题（JSON）"), required=False, widget=forms.Textarea(attrs={"rows": 8}),
                                initial="[]")
    rules = forms.CharField(label=_("情形规则（JSON）"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
                            initial="[]")
    combined_limit_days = forms.IntegerField(label=_("承诺办结时限（工作日）"), min_value=0)
    legal_limit_days = forms.IntegerField(label=_("法定办结时限（工作日）"), min_value=0, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in ("questions", "rules"):
            try:
                value = json.loads((data.get(key) or "").strip() or "[]")
            except json.JSONDecodeError as exc:
                self.add_error(key, gettext("不是有效的JSON：第%(line)s行第%(column)s列")
                               % {"line": exc.lineno, "column": exc.colno})
                continue
            if not isinstance(value, list):
                self.add_error(key, gettext("应为JSON数组"))
                continue
            data[key] = value
        for key in ("aliases", "keywords", "themes", "item_codes", "core_codes"):
            data[key] = _tags(data.get(key) or "")
        return data

    @classmethod
    def initial_from(cls, b: Any) -> dict[str, Any]:
        init = {k: getattr(b, k) for k in ("code", "name", "audience", "summary", "combined_limit_days",
                                           "legal_limit_days")}
        init["lead_department"] = b.lead_department_short or b.lead_department_name
        for key in ("aliases", "keywords", "themes", "item_codes", "core_codes"):
            init[key] = "、".join(getattr(b, key))
        for key in ("questions", "rules"):
            init[key] = json.dumps(getattr(b, key), ensure_ascii=False, indent=1)
        return init
