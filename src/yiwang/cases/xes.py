"""The case history as an IEEE 1849-2016 XES event log, for process-mining tools (ProM, Disco, pm4py).

One trace per case (concept:name = 办件编号, with the item code, title and department), one event per
CaseEvent (concept:name = step name · event in Chinese, time:timestamp with its UTC offset,
lifecycle:transition from the standard transactional model, org:resource = who acted, org:group =
the department), plus, for each finished work item, a `start` (when claimed) and `complete` (when
done) pair named after its step, so that the log has the activities of every step — a 审查 step that
passes leaves no CaseEvent of its own.

The log is written as a stream of text chunks: cases are read in keyset-ordered batches with their
events, so the whole log is never held in memory. The applicant is never named: their own actions
carry org:resource "申请人".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from xml.sax.saxutils import quoteattr

from django.db.models import Q
from django.utils import timezone

from yiwang.cases.models import Case, CaseEvent, WorkItem

XES_VERSION = "1849-2016"
XES_NS = "http://www.xes-standard.org/"
EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
)
BATCH = 200

EVENT_LABELS = {
    "submitted": "提交申请", "accepted": "受理", "not_accepted": "不予受理", "corrections_requested": "要求补正",
    "corrected": "补正完成", "decided": "作出决定", "completed": "办结", "withdrawn": "撤回", "suspended": "挂起",
    "resumed": "恢复办理", "terminated": "终止", "revoked": "撤销", "returned": "退回", "escalated": "超期督办",
    "transferred": "转办", "signed": "会签", "sign_failed": "会签未通过", "signer_added": "加签",
    "signer_removed": "减签", "delegated": "委派", "delegation_returned": "委派退回", "urged": "催办",
}
ACTION_LABELS = {
    "accept": "受理", "not_accept": "不予受理", "approve": "通过", "agree": "同意", "disagree": "不同意",
    "return": "退回", "decide_approve": "准予", "decide_deny": "不予", "auto": "秒批",
}
# lifecycle:transition per the standard transactional life cycle model.
TRANSITIONS = {
    "suspended": "suspend", "resumed": "resume", "withdrawn": "withdraw", "terminated": "pi_abort",
    "revoked": "pi_abort", "transferred": "reassign", "delegated": "reassign", "delegation_returned": "reassign",
    "submitted": "complete",
}


def activity(step_name: str, event_type: str) -> str:
    label = EVENT_LABELS.get(event_type, event_type)
    return f"{step_name}·{label}" if step_name and step_name != label else label


def xes_time(at: datetime) -> str:
    """xs:dateTime with milliseconds and the Asia/Shanghai offset, e.g. 2026-11-23T09:30:00.000+08:00."""
    return timezone.localtime(at).isoformat(timespec="milliseconds")


def _attr(kind: str, key: str, value: str) -> str:
    return f"<{kind} key={quoteattr(key)} value={quoteattr(value)}/>"


@dataclass(frozen=True)
class XesFilter:
    item_code: str = ""
    department_code: str = ""
    since: date | None = None  # submitted on or after (local date)
    until: date | None = None  # submitted on or before (local date)


def _cases(f: XesFilter) -> Any:
    qs = Case.objects.exclude(number__isnull=True).exclude(status=Case.Status.DRAFT).exclude(submitted_at__isnull=True)
    if f.item_code:
        qs = qs.filter(item_code=f.item_code)
    if f.department_code:
        qs = qs.filter(department_code=f.department_code)
    tz = timezone.get_current_timezone()
    if f.since is not None:
        qs = qs.filter(submitted_at__gte=datetime.combine(f.since, time.min, tzinfo=tz))
    if f.until is not None:
        qs = qs.filter(submitted_at__lt=datetime.combine(f.until + timedelta(days=1), time.min, tzinfo=tz))
    return qs


def header(f: XesFilter) -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n',
             f'<log xes.version="{XES_VERSION}" xes.features="nested-attributes" xmlns="{XES_NS}">\n']
    for name, prefix, uri in EXTENSIONS:
        parts.append(f'  <extension name="{name}" prefix="{prefix}" uri="{uri}"/>\n')
    parts.append('  <global scope="trace">' + _attr("string", "concept:name", "__INVALID__") + "</global>\n")
    parts.append('  <global scope="event">' + _attr("string", "concept:name", "__INVALID__")
                 + _attr("date", "time:timestamp", "1970-01-01T00:00:00.000+00:00")
                 + _attr("string", "lifecycle:transition", "complete") + "</global>\n")
    parts.append('  <classifier name="Activity" keys="concept:name"/>\n')
    parts.append('  <classifier name="Activity and transition" keys="concept:name lifecycle:transition"/>\n')
    parts.append('  <classifier name="Resource" keys="org:resource"/>\n')
    scope = "，".join(x for x in (f"事项 {f.item_code}" if f.item_code else "",
                                  f"部门 {f.department_code}" if f.department_code else "",
                                  f"自 {f.since}" if f.since else "", f"至 {f.until}" if f.until else "") if x)
    parts.append("  " + _attr("string", "concept:name", "一网通办办件日志" + (f"（{scope}）" if scope else "")) + "\n")
    parts.append("  " + _attr("string", "source", "yiwang cases.CaseEvent") + "\n")
    return "".join(parts)


def _event_xml(name: str, at: datetime, transition: str, resource: str, group: str, extra: dict[str, str]) -> str:
    attrs = [_attr("string", "concept:name", name), _attr("date", "time:timestamp", xes_time(at)),
             _attr("string", "lifecycle:transition", transition)]
    if resource:
        attrs.append(_attr("string", "org:resource", resource))
    if group:
        attrs.append(_attr("string", "org:group", group))
    attrs += [_attr("string", k, v) for k, v in extra.items() if v]
    return "    <event>" + "".join(attrs) + "</event>\n"


def _trace_xml(case: Case, events: list[CaseEvent], items: list[WorkItem]) -> str:
    rows: list[tuple[datetime, int, str]] = []
    for ev in events:
        resource = "申请人" if ev.actor_id is not None and ev.actor_id == case.applicant_user_id else ev.actor_label
        if ev.type == "submitted":
            resource = "申请人"
        rows.append((ev.at, 1, _event_xml(activity(ev.step_name, ev.type), ev.at, TRANSITIONS.get(ev.type, "complete"),
                                          resource, ev.department_name, {"event": ev.type})))
    for w in items:
        who = str(w.done_by) if w.done_by_id else ""
        if w.claimed_at is not None and w.done_at is not None and w.opened_at <= w.claimed_at <= w.done_at:
            rows.append((w.claimed_at, 2, _event_xml(w.step_name, w.claimed_at, "start", str(w.assignee or who),
                                                     w.department_name, {"step": w.step_code})))
        if w.done_at is not None:
            rows.append((w.done_at, 0, _event_xml(w.step_name, w.done_at, "complete",
                                                  "秒批规则" if w.action == "auto" else who, w.department_name,
                                                  {"step": w.step_code, "action": ACTION_LABELS.get(w.action, w.action)})))
    rows.sort(key=lambda r: (r[0], r[1]))  # same instant: a step completes, the case records it, the next starts
    head = ["  <trace>", _attr("string", "concept:name", case.number or str(case.pk)),
            _attr("string", "item", case.item_code or case.bundle_code), _attr("string", "title", case.title),
            _attr("string", "department", case.department_name), _attr("string", "department_code",
                                                                         case.department_code),
            _attr("string", "kind", case.kind), _attr("string", "status", case.status)]
    if case.outcome:
        head.append(_attr("string", "outcome", case.outcome))
    if case.parent_id and case.number and "-" in case.number:
        head.append(_attr("string", "parent", case.number.rsplit("-", 1)[0]))
    return "".join(head) + "\n" + "".join(r[2] for r in rows) + "  </trace>\n"


def stream(f: XesFilter | None = None, *, batch: int = BATCH) -> Iterator[str]:
    """The XES document as text chunks: header, one chunk per batch of traces, footer."""
    f = f or XesFilter()
    yield header(f)
    base = _cases(f).order_by("submitted_at", "id")
    last: tuple[datetime, Any] | None = None
    while True:
        qs = base
        if last is not None:
            qs = qs.filter(Q(submitted_at__gt=last[0]) | Q(submitted_at=last[0], id__gt=last[1]))
        cases = list(qs[:batch])
        if not cases:
            break
        ids = [c.pk for c in cases]
        events: dict[Any, list[CaseEvent]] = defaultdict(list)
        for ev in CaseEvent.objects.filter(case_id__in=ids).order_by("at", "id"):
            events[ev.case_id].append(ev)
        items: dict[Any, list[WorkItem]] = defaultdict(list)
        for w in WorkItem.objects.filter(case_id__in=ids, status=WorkItem.Status.DONE).select_related(
                "assignee", "done_by").order_by("opened_at"):
            items[w.case_id].append(w)
        yield "".join(_trace_xml(c, events[c.pk], items[c.pk]) for c in cases)
        last = (cases[-1].submitted_at, cases[-1].pk)
    yield "</log>\n"


def write(f: XesFilter | None = None) -> str:
    """The whole document as one string (tests and small exports)."""
    return "".join(stream(f))
