"""The XES export: parsed back with xml.etree and checked against IEEE 1849-2016's required structure
(pm4py, which would read it back, pulls in pandas, scipy, matplotlib and cvxopt — too heavy for a dev
dependency — so the structure is checked here)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from django.test import Client

from yiwang.cases import xes
from yiwang.cases.models import Case

from .conftest import World
from .figures_history import BIRTH, MOVE, History, build_history

NS = {"x": xes.XES_NS}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")
TRANSITIONS = {"schedule", "assign", "reassign", "start", "complete", "suspend", "resume", "withdraw",
               "ate_abort", "pi_abort", "autoskip", "manualskip"}
ATTR_TAGS = {"string", "date", "int", "float", "boolean", "id", "list", "container"}


@pytest.fixture
def history(world: World) -> History:
    return build_history(world)


def _attrs(el: ET.Element) -> dict[str, tuple[str, str]]:
    return {a.get("key", ""): (a.tag.split("}")[1], a.get("value", "")) for a in el
            if a.tag.split("}")[1] in ATTR_TAGS}


def test_log_structure_follows_the_standard(history: History) -> None:
    root = ET.fromstring(xes.write())
    assert root.tag == f"{{{xes.XES_NS}}}log" and root.get("xes.version") == "1849-2016"
    exts = {e.get("prefix"): (e.get("name"), e.get("uri")) for e in root.findall("x:extension", NS)}
    assert exts == {"concept": ("Concept", "http://www.xes-standard.org/concept.xesext"),
                    "time": ("Time", "http://www.xes-standard.org/time.xesext"),
                    "lifecycle": ("Lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
                    "org": ("Organizational", "http://www.xes-standard.org/org.xesext")}
    scopes = {g.get("scope") for g in root.findall("x:global", NS)}
    assert scopes == {"trace", "event"}
    assert all(c.get("name") and c.get("keys") for c in root.findall("x:classifier", NS))
    # Element order: extensions, globals, classifiers, then log attributes, then traces.
    tags = [c.tag.split("}")[1] for c in root]
    assert tags.index("extension") < tags.index("global") < tags.index("classifier") < tags.index("trace")
    traces = root.findall("x:trace", NS)
    numbers = {t_attrs["concept:name"][1] for t_attrs in (_attrs(t) for t in traces)}
    assert numbers == set(Case.objects.exclude(number__isnull=True).values_list("number", flat=True))
    for trace in traces:
        ta = _attrs(trace)
        assert ta["concept:name"][0] == "string" and ta["item"][1] in (MOVE, BIRTH) and ta["department"][1]
        events = trace.findall("x:event", NS)
        assert events
        stamps = []
        for ev in events:
            ea = _attrs(ev)
            assert ea["concept:name"][0] == "string" and ea["concept:name"][1]
            assert ea["time:timestamp"][0] == "date" and ISO.match(ea["time:timestamp"][1])
            assert ea["lifecycle:transition"][1] in TRANSITIONS
            assert ea["org:group"][1]
            stamps.append(ea["time:timestamp"][1])
        assert stamps == sorted(stamps)  # events in time order within a trace (same offset)


def test_trace_content_of_a_case(history: History) -> None:
    root = ET.fromstring(xes.write())
    trace = next(t for t in root.findall("x:trace", NS) if _attrs(t)["concept:name"][1] == history.a.number)
    events = [_attrs(e) for e in trace.findall("x:event", NS)]
    names = [e["concept:name"][1] for e in events]
    assert names[0] == "受理·提交申请" and names[-1] == "决定·办结"
    assert "审查·要求补正" in names and "审查·补正完成" in names
    # The 审查 work item claimed Wed 13:00 and done 14:00: a start/complete pair of the step.
    review = [e for e in events if e["concept:name"][1] == "审查"]
    assert [e["lifecycle:transition"][1] for e in review] == ["start", "complete"]
    assert review[0]["time:timestamp"][1] == "2026-11-18T13:00:00.000+08:00"
    assert events[0]["org:resource"][1] == "申请人"


def test_applicant_is_never_named_and_filters_apply(history: History) -> None:
    text = xes.write()
    assert "张伟" not in text
    only_birth = ET.fromstring(xes.write(xes.XesFilter(item_code=BIRTH)))
    assert len(only_birth.findall("x:trace", NS)) == 1
    tuesday = ET.fromstring(xes.write(xes.XesFilter(since=date(2026, 11, 17), until=date(2026, 11, 17))))
    assert {_attrs(t)["concept:name"][1] for t in tuesday.findall("x:trace", NS)} == {history.b.number,
                                                                                       history.c.number}
    assert not ET.fromstring(xes.write(xes.XesFilter(since=date(2027, 1, 1)))).findall("x:trace", NS)


def test_stream_comes_in_batches(history: History) -> None:
    chunks = list(xes.stream(batch=1))
    assert len(chunks) == 2 + 4  # header, one chunk per case, footer
    assert ET.fromstring("".join(chunks)).tag.endswith("log")


def test_download_permissions(world: World, history: History) -> None:
    assert Client().get("/cases/figures/xes").status_code == 302
    c = Client()
    c.force_login(world.zhang.user)
    assert c.get("/cases/figures/xes").status_code == 403
    assert c.get("/api/v1/cases/figures/xes").status_code == 403
    head = Client()
    head.force_login(world.heads["公安局"])
    r = head.get("/cases/figures/xes?from=2026-11-16&to=2026-11-20")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    root = ET.fromstring(b"".join(r.streaming_content))
    # a supervisor's export is limited to their own department
    assert len(root.findall("x:trace", NS)) == 3
    bad = head.get("/api/v1/cases/figures/xes?from=yesterday")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "from"
    assert head.get("/api/v1/cases/figures/xes?item=" + MOVE).status_code == 200
