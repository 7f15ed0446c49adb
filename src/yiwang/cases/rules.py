"""秒批: declarative rules over the form and verified data that decide at once, without a person.

A rule is a list of conditions, all of which must hold:
    {"fact": "form.child_birth_date", "op": "within_days", "value": 30, "label": "出生 30 日内申请"}
Facts: `form.<field>` (what the applicant typed, already validated) and `verified.<name>` (what the
platform checked: e.g. `verified.cert:出生医学证明` when a wallet certificate stood in for it).
Operators: eq, ne, in, not_in, gte, lte, exists, within_days (a date no more than N days ago).
Evaluation is pure; `matching_rule` reads the active rule version of an item (cached).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from yiwang.kernel.errors import ValidationFailed

OPERATORS = ("eq", "ne", "in", "not_in", "gte", "lte", "exists", "within_days")


def validate(conditions: Sequence[Mapping[str, Any]]) -> None:
    if not conditions:
        raise ValidationFailed("case.rule_empty", "秒批规则至少需要一个条件", "conditions")
    for c in conditions:
        fact, op = str(c.get("fact", "")), str(c.get("op", ""))
        if not (fact.startswith("form.") or fact.startswith("verified.")):
            raise ValidationFailed("case.rule_fact", f"未知的事实：{fact}（应以 form. 或 verified. 开头）", "conditions")
        if op not in OPERATORS:
            raise ValidationFailed("case.rule_op", f"未知的运算：{op}", "conditions")
        if op in ("in", "not_in") and not isinstance(c.get("value"), list):
            raise ValidationFailed("case.rule_value", f"{op} 的取值应为列表", "conditions")
        if op == "within_days" and not isinstance(c.get("value"), int):
            raise ValidationFailed("case.rule_value", "within_days 的取值应为天数", "conditions")


def _number(v: Any) -> Decimal | None:
    try:
        return Decimal(str(v))
    except (InvalidOperation, ValueError):
        return None


def holds(condition: Mapping[str, Any], facts: Mapping[str, Any], today: date) -> bool:
    value = facts.get(condition["fact"])
    op, want = condition["op"], condition.get("value")
    if op == "exists":
        return value not in (None, "", False)
    if value is None:
        return False
    if op == "eq":
        return str(value) == str(want)
    if op == "ne":
        return str(value) != str(want)
    if op == "in":
        return str(value) in [str(w) for w in want or []]
    if op == "not_in":
        return str(value) not in [str(w) for w in want or []]
    if op in ("gte", "lte"):
        a, b = _number(value), _number(want)
        if a is None or b is None:
            return False
        return a >= b if op == "gte" else a <= b
    if op == "within_days":
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            return False
        return today - timedelta(days=int(want)) <= day <= today
    return False


def evaluate(conditions: Sequence[Mapping[str, Any]], form: Mapping[str, Any], verified: Mapping[str, Any],
             today: date) -> tuple[bool, list[str]]:
    """Whether all conditions hold, and the labels of those that failed (for the record)."""
    facts = {f"form.{k}": v for k, v in form.items()} | {f"verified.{k}": v for k, v in verified.items()}
    failed = [str(c.get("label") or c["fact"]) for c in conditions if not holds(c, facts, today)]
    return not failed, failed


_cache: dict[str, Any] = {}


def forget() -> None:
    _cache.clear()


def active_rule(item_code: str) -> Any:
    if item_code not in _cache:
        from yiwang.cases.models import AutoApprovalRule

        _cache[item_code] = AutoApprovalRule.objects.filter(item_code=item_code, active=True).order_by("-version").first()
    return _cache[item_code]


def matching_rule(item_code: str, form: Mapping[str, Any], verified: Mapping[str, Any],
                  today: date | None = None) -> Any:
    """The item's active rule if the application satisfies it, else None."""
    from django.utils import timezone

    rule = active_rule(item_code)
    if rule is None:
        return None
    ok, _ = evaluate(rule.conditions, form, verified, today or timezone.localdate())
    return rule if ok else None
