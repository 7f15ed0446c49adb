"""Property tests of the pure workflow rules: random definitions, random command sequences drawn
from `workflow.available`, and the invariants that must hold after every accepted command."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.cases import workflow as wf

DEPARTMENTS = ("D1", "D2", "D3", "D4")
# The package conftest has an autouse (function-scoped) cache fixture; these tests need no database.
HEALTH = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]


@st.composite
def definitions(draw: st.DrawFn) -> wf.Definition:
    """intake (or a task) → 0–3 task/all/any/vote steps → decision, with optional reject targets."""
    middle_kinds = draw(st.lists(st.sampled_from(["task", "all", "any", "vote"]), min_size=0, max_size=3))
    first_kind = draw(st.sampled_from(["intake", "intake", "task"]))
    kinds = [first_kind, *middle_kinds, "decision"]
    steps: list[wf.StepDef] = []
    for i, kind in enumerate(kinds):
        code = f"s{i}"
        nxt = f"s{i + 1}" if kind != "decision" else ""
        participants: tuple[str, ...] = ()
        sequential, ratio = False, 0.5
        if kind in wf.MULTI_KINDS:
            participants = tuple(draw(st.lists(st.sampled_from(DEPARTMENTS), min_size=1, max_size=3, unique=True)))
            sequential = kind == "all" and draw(st.booleans())
            ratio = draw(st.sampled_from([0.34, 0.5, 0.67, 1.0]))
        reject_to = ""
        if kind in wf.MULTI_KINDS and i > 0 and draw(st.booleans()):
            reject_to = f"s{draw(st.integers(0, i - 1))}"
        steps.append(wf.StepDef(code=code, name=f"环节{i}", kind=kind, role="approver" if kind != "intake" else
                                "window_clerk", department=draw(st.sampled_from(("", *DEPARTMENTS))),
                                participants=participants, sequential=sequential, ratio=ratio, next=nxt,
                                reject_to=reject_to))
    definition = wf.Definition(tuple(steps))
    definition.validate()
    return definition


def _keys() -> Callable[[], str]:
    counter = itertools.count()
    return lambda: f"k{next(counter)}"


def _clock_owner_for(status: str) -> str:
    return {wf.SUBMITTED: wf.DEPARTMENT, wf.IN_PROGRESS: wf.DEPARTMENT, wf.CORRECTIONS: wf.APPLICANT,
            wf.SUSPENDED: wf.SUSPENDED_CLOCK}.get(status, "")


def _check_state(defn: wf.Definition, state: wf.State) -> None:
    open_tasks = state.open_tasks()
    keys = [t.key for t in state.tasks]
    assert len(keys) == len(set(keys)), "task keys are unique"
    if state.status in wf.FINAL:
        assert not open_tasks, "a finished case has no open or waiting work"
        assert wf.available(defn, state) == []
        return
    assert state.step in {s.code for s in defn.steps}
    # A case is never in two steps: everything still open belongs to the current step.
    assert all(t.step == state.step for t in open_tasks), (state.step, open_tasks)
    # A running case never loses its tasks.
    assert open_tasks, f"{state.status} case at {state.step} without open work"
    if state.status in wf.ACTIVE:
        assert any(t.status == "open" for t in open_tasks)
    if state.status == wf.CORRECTIONS:
        assert any(t.status == "waiting" for t in open_tasks)
        assert state.resume_status in wf.ACTIVE
    else:
        assert not any(t.status == "waiting" for t in open_tasks)
    if state.status == wf.SUSPENDED:
        assert state.resume_status in wf.ACTIVE
    assert state.outcome == ""
    step = defn.step(state.step)
    if step.kind not in wf.MULTI_KINDS:
        assert len(open_tasks) == 1, "a single-handler step has exactly one task"


@settings(max_examples=150, deadline=None, suppress_health_check=HEALTH)
@given(defn=definitions(), data=st.data())
def test_random_command_sequences_keep_the_invariants(defn: wf.Definition, data: st.DataObject) -> None:
    new_key = _keys()
    state = wf.State()
    result = wf.apply(defn, state, wf.Command("submit"), case_department="D0", new_key=new_key)
    state = result.state
    owner = wf.DEPARTMENT
    assert [e.value for e in result.effects if e.kind == "clock"] == [wf.DEPARTMENT]
    _check_state(defn, state)
    corrections_at: Counter[str] = Counter()
    finals = 0
    for _ in range(40):
        commands = wf.available(defn, state)
        if not commands:
            break
        cmd = data.draw(st.sampled_from(commands))
        before = state
        try:
            result = wf.apply(defn, state, cmd, case_department="D0", new_key=new_key)
        except wf.WorkflowError as err:
            assert err.code and err.message
            assert state == before  # a refused command changes nothing
            continue
        state = result.state
        # The clock: every switch goes somewhere new, and it belongs to whoever must act now.
        for eff in result.effects:
            if eff.kind == "clock":
                assert eff.value != owner, f"clock switched to {eff.value!r} twice"
                owner = eff.value
        assert owner == _clock_owner_for(state.status), (state.status, owner)
        if cmd.action == "request_corrections":
            corrections_at[before.step] += 1
            assert corrections_at[before.step] == 1, "补正 only once per step"
            assert state.status == wf.CORRECTIONS
        if cmd.action == "withdraw":
            assert before.status == wf.SUBMITTED and state.status == wf.WITHDRAWN
        if cmd.action == "auto_approve":
            assert before.status == wf.SUBMITTED and state.outcome == "approved"
        if cmd.action == "answer_corrections":
            assert state.status == before.resume_status
        # Effects match the state: opened tasks exist and are open, closed ones are done.
        by_key = {t.key: t for t in state.tasks}
        for eff in result.effects:
            if eff.kind == "open_task":
                assert eff.task in by_key and eff.task not in {t.key for t in before.tasks}
            elif eff.kind == "close_task":
                assert by_key[eff.task].status == "done"
            elif eff.kind == "cancel_task":
                assert by_key[eff.task].status == "cancelled"
        finals += sum(1 for e in result.effects if e.kind == "final")
        if state.status in wf.FINAL:
            assert finals == 1
            if state.status == wf.COMPLETED:
                assert state.outcome in ("approved", "denied")
            # Nothing applies afterwards.
            for late in [wf.Command("resume"), wf.Command("withdraw"), wf.Command("terminate", reason="x"),
                         *[wf.Command(a, task=t.key, reason="x") for t in state.tasks for a in ("accept", "approve")]]:
                try:
                    wf.apply(defn, state, late, case_department="D0", new_key=new_key)
                except wf.WorkflowError as err:
                    assert err.code == "case.closed"
                else:
                    raise AssertionError(f"{late.action} applied to a {state.status} case")
        else:
            assert finals == 0
        _check_state(defn, state)


@settings(max_examples=60, deadline=None, suppress_health_check=HEALTH)
@given(defn=definitions(), data=st.data())
def test_staff_only_path_reaches_exactly_one_decision(defn: wf.Definition, data: st.DataObject) -> None:
    """Always agreeing / approving / accepting finishes the case as 准予 in a bounded number of steps."""
    new_key = _keys()
    state = wf.apply(defn, wf.State(), wf.Command("submit"), case_department="D0", new_key=new_key).state
    positive = {"accept", "approve", "agree", "decide_approve"}
    for _ in range(50):
        if state.status in wf.FINAL:
            break
        commands = [c for c in wf.available(defn, state) if c.action in positive]
        assert commands, f"no way forward at {state.step}"
        state = wf.apply(defn, state, data.draw(st.sampled_from(commands)), case_department="D0",
                         new_key=new_key).state
    assert state.status == wf.COMPLETED and state.outcome == "approved"
    assert state.step == next(s.code for s in defn.steps if s.kind == "decision")


@settings(max_examples=60, deadline=None, suppress_health_check=HEALTH)
@given(defn=definitions())
def test_definitions_survive_a_round_trip(defn: wf.Definition) -> None:
    again = wf.Definition.from_data(defn.to_data())
    assert again.to_data() == defn.to_data()
    assert [s.code for s in again.steps] == [s.code for s in defn.steps]
