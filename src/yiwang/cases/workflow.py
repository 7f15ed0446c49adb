"""The workflow rules, in pure Python (no Django): definitions, case state, and what each action does.

`apply(definition, state, command)` returns the next state and the effects that the service layer
turns into rows (open or close work items, move the clock, record events). Keeping the rules here
lets the property tests drive thousands of random action sequences without a database, and keeps
every transition in one place that the service applies inside one transaction.

Step kinds:
    intake    受理 (accept / not_accept / request_corrections)
    task      one department's work (approve / return / request_corrections …)
    all       会签: parallel (or sequential) across participants, every one must agree
    any       或签: the first agreement carries the step
    vote      票签: agree votes / participants ≥ ratio carries the step, once the result is certain
    decision  决定: approve (准予) or deny (不予, reasons required); ends the case as 办结
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

STEP_KINDS = ("intake", "task", "all", "any", "vote", "decision")
MULTI_KINDS = ("all", "any", "vote")

# Case statuses (mirrors models.Case.Status without importing Django).
DRAFT, SUBMITTED, IN_PROGRESS, CORRECTIONS, SUSPENDED = "draft", "submitted", "in_progress", "corrections", "suspended"
COMPLETED, NOT_ACCEPTED, WITHDRAWN, REVOKED, TERMINATED = (
    "completed", "not_accepted", "withdrawn", "revoked", "terminated")
FINAL = frozenset({COMPLETED, NOT_ACCEPTED, WITHDRAWN, REVOKED, TERMINATED})
ACTIVE = frozenset({SUBMITTED, IN_PROGRESS})

# Clock owners.
DEPARTMENT, APPLICANT, SUSPENDED_CLOCK = "department", "applicant", "suspended"

# Actions a member of staff takes on a work item, and the case-level ones.
TASK_ACTIONS = ("accept", "not_accept", "request_corrections", "approve", "agree", "disagree", "return",
                "decide_approve", "decide_deny", "transfer", "add_signer", "remove_signer")
CASE_ACTIONS = ("submit", "withdraw", "answer_corrections", "suspend", "resume", "terminate", "revoke", "recall",
                "auto_approve")


class WorkflowError(Exception):
    """An action that the rules refuse; `code` is stable, the message is for people."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class StepDef:
    code: str
    name: str
    kind: str
    role: str = "approver"
    department: str = ""  # "" = the case's own department
    participants: tuple[str, ...] = ()  # departments of a multi-sign step
    sequential: bool = False  # 顺序会签
    ratio: float = 0.5  # 票签: share of agree votes needed
    next: str = ""  # the following step; "" only after a decision
    reject_to: str = ""  # where a failed multi-sign step goes; "" = the previous step
    cc: tuple[str, ...] = ()  # 抄送 departments when the step opens

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "name": self.name, "kind": self.kind, "role": self.role}
        for key in ("department", "next", "reject_to"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.participants:
            data["participants"] = list(self.participants)
        if self.sequential:
            data["sequential"] = True
        if self.kind == "vote":
            data["ratio"] = self.ratio
        if self.cc:
            data["cc"] = list(self.cc)
        return data


@dataclass(frozen=True)
class Definition:
    steps: tuple[StepDef, ...]

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Definition:
        try:
            steps = tuple(
                StepDef(code=str(s["code"]), name=str(s["name"]), kind=str(s["kind"]), role=str(s.get("role", "approver")),
                        department=str(s.get("department", "")),
                        participants=tuple(str(p) for p in s.get("participants", [])),
                        sequential=bool(s.get("sequential", False)), ratio=float(s.get("ratio", 0.5)),
                        next=str(s.get("next", "")), reject_to=str(s.get("reject_to", "")),
                        cc=tuple(str(c) for c in s.get("cc", [])))
                for s in data["steps"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WorkflowError("workflow.definition_invalid", f"流程定义格式错误：{exc}", "steps") from exc
        definition = cls(steps)
        definition.validate()
        return definition

    def to_data(self) -> dict[str, Any]:
        return {"steps": [s.to_data() for s in self.steps]}

    def validate(self) -> None:
        if not self.steps:
            raise WorkflowError("workflow.definition_invalid", "流程至少需要一个环节", "steps")
        codes = [s.code for s in self.steps]
        if len(set(codes)) != len(codes):
            raise WorkflowError("workflow.definition_invalid", "环节编码重复", "steps")
        for s in self.steps:
            if s.kind not in STEP_KINDS:
                raise WorkflowError("workflow.definition_invalid", f"未知的环节类型：{s.kind}", "steps")
            if s.kind == "decision":
                if s.next:
                    raise WorkflowError("workflow.definition_invalid", "决定环节之后不能再有环节", "steps")
            elif not s.next or s.next not in codes:
                raise WorkflowError("workflow.definition_invalid", f"环节“{s.name}”的下一环节不存在", "steps")
            if s.kind in MULTI_KINDS and not s.participants:
                raise WorkflowError("workflow.definition_invalid", f"会签环节“{s.name}”没有参与部门", "steps")
            if s.kind == "vote" and not 0 < s.ratio <= 1:
                raise WorkflowError("workflow.definition_invalid", "票签通过比例应在 0 到 1 之间", "steps")
            if s.reject_to and s.reject_to not in codes:
                raise WorkflowError("workflow.definition_invalid", f"环节“{s.name}”的退回环节不存在", "steps")
        if self.steps[0].kind == "decision" and len(self.steps) > 1:
            raise WorkflowError("workflow.definition_invalid", "第一个环节不能是决定", "steps")
        # Every path forward must reach a decision, without loops (returns go backwards only).
        index = {c: i for i, c in enumerate(codes)}
        for s in self.steps:
            if s.next and index[s.next] <= index[s.code]:
                raise WorkflowError("workflow.definition_invalid", "下一环节必须在当前环节之后", "steps")
            if s.reject_to and index[s.reject_to] >= index[s.code]:
                raise WorkflowError("workflow.definition_invalid", "退回环节必须在当前环节之前", "steps")
        if not any(s.kind == "decision" for s in self.steps):
            raise WorkflowError("workflow.definition_invalid", "流程必须包含决定环节", "steps")

    def step(self, code: str) -> StepDef:
        for s in self.steps:
            if s.code == code:
                return s
        raise WorkflowError("workflow.step_unknown", f"环节不存在：{code}", "step")

    @property
    def first(self) -> StepDef:
        return self.steps[0]

    def earlier(self, code: str) -> list[StepDef]:
        """Steps a case can be returned to from `code`: those on the path before it."""
        path: list[StepDef] = []
        current: StepDef | None = self.first
        while current is not None and current.code != code:
            path.append(current)
            current = self.step(current.next) if current.next else None
        return path


@dataclass(frozen=True)
class Task:
    key: str
    step: str
    department: str
    role: str
    status: str = "open"  # open / waiting / done / cancelled
    vote: str = ""  # agree / disagree for multi-sign, the action for others
    sequence: int = 0


@dataclass(frozen=True)
class State:
    status: str = DRAFT
    step: str = ""
    tasks: tuple[Task, ...] = ()
    outcome: str = ""
    corrected_steps: frozenset[str] = frozenset()  # 一次性告知: one correction request per step
    resume_status: str = ""  # status to go back to after 补正 or 挂起
    previous_step: str = ""  # for 拿回 (recall)
    stale_tasks: frozenset[str] = frozenset()  # tasks of an earlier visit of a step (their votes no longer count)

    def open_tasks(self, step: str | None = None) -> list[Task]:
        return [t for t in self.tasks if t.status in ("open", "waiting") and (step is None or t.step == step)]

    def task(self, key: str) -> Task:
        for t in self.tasks:
            if t.key == key:
                return t
        raise WorkflowError("case.task_unknown", "待办事项不存在", "task")


@dataclass(frozen=True)
class Command:
    action: str
    task: str = ""  # the work item acted on (staff actions)
    target: str = ""  # return target step, new department (transfer), signer department
    reason: str = ""
    points: tuple[str, ...] = ()  # 补正 points


@dataclass(frozen=True)
class Effect:
    """One thing the service must write. kind: open_task, close_task, cancel_task, wait_task,
    resume_task, move_task, clock, event, final."""

    kind: str
    task: str = ""
    step: str = ""
    department: str = ""
    role: str = ""
    sequence: int = 0
    value: str = ""


@dataclass
class Result:
    state: State
    effects: list[Effect] = field(default_factory=list)


_counter = itertools.count()


def _default_key() -> str:
    return f"t{next(_counter)}"


def _department(step: StepDef, case_department: str) -> str:
    return step.department or case_department


def _open_step(defn: Definition, step: StepDef, case_department: str, new_key: Callable[[], str],
               tasks: list[Task], effects: list[Effect]) -> None:
    if step.kind in MULTI_KINDS:
        participants = list(step.participants)
        if step.sequential:
            participants = participants[:1]
        for seq, dept in enumerate(participants):
            key = new_key()
            tasks.append(Task(key, step.code, dept, step.role, sequence=seq))
            effects.append(Effect("open_task", task=key, step=step.code, department=dept, role=step.role,
                                  sequence=seq))
    else:
        key = new_key()
        dept = _department(step, case_department)
        tasks.append(Task(key, step.code, dept, step.role))
        effects.append(Effect("open_task", task=key, step=step.code, department=dept, role=step.role))
    for dept in step.cc:
        effects.append(Effect("event", step=step.code, department=dept, value="cc"))


def _close_step_tasks(tasks: list[Task], step: str, effects: list[Effect], keep: str = "") -> None:
    for i, t in enumerate(tasks):
        if t.step == step and t.status in ("open", "waiting") and t.key != keep:
            tasks[i] = replace(t, status="cancelled")
            effects.append(Effect("cancel_task", task=t.key))


def _finish_task(tasks: list[Task], key: str, vote: str, effects: list[Effect]) -> None:
    for i, t in enumerate(tasks):
        if t.key == key:
            tasks[i] = replace(t, status="done", vote=vote)
            effects.append(Effect("close_task", task=key, value=vote))
            return


def _revisit(state: State, tasks: list[Task], step: str) -> frozenset[str]:
    """Entering a step again (after a return): its earlier tasks and votes no longer count."""
    return state.stale_tasks | {t.key for t in tasks if t.step == step}


def _advance(defn: Definition, state: State, tasks: list[Task], effects: list[Effect], case_department: str,
             new_key: Callable[[], str]) -> State:
    step = defn.step(state.step)
    _close_step_tasks(tasks, step.code, effects)
    nxt = defn.step(step.next)
    stale = _revisit(state, tasks, nxt.code)
    _open_step(defn, nxt, case_department, new_key, tasks, effects)
    effects.append(Effect("event", step=nxt.code, value="step_entered"))
    return replace(state, status=IN_PROGRESS, step=nxt.code, tasks=tuple(tasks), previous_step=step.code,
                   stale_tasks=stale)


def _go_back(defn: Definition, state: State, target: str, tasks: list[Task], effects: list[Effect],
             case_department: str, new_key: Callable[[], str]) -> State:
    _close_step_tasks(tasks, state.step, effects)
    back = defn.step(target)
    stale = _revisit(state, tasks, back.code)
    _open_step(defn, back, case_department, new_key, tasks, effects)
    effects.append(Effect("event", step=back.code, value="returned"))
    return replace(state, step=back.code, tasks=tuple(tasks), previous_step="", stale_tasks=stale)


def _final(state: State, status: str, outcome: str, tasks: list[Task], effects: list[Effect]) -> State:
    for i, t in enumerate(tasks):
        if t.status in ("open", "waiting"):
            tasks[i] = replace(t, status="cancelled")
            effects.append(Effect("cancel_task", task=t.key))
    effects.append(Effect("clock", value=""))
    effects.append(Effect("final", value=status, step=outcome))
    return replace(state, status=status, outcome=outcome, tasks=tuple(tasks), resume_status="")


def _multi_result(step: StepDef, tasks: list[Task], stale: frozenset[str] = frozenset()) -> str:
    """'pass', 'fail' or '' (undecided) for a multi-sign step, from its tasks' votes in this visit."""
    mine = [t for t in tasks if t.step == step.code and t.status != "cancelled" and t.key not in stale]
    votes = [t.vote for t in mine if t.status == "done"]
    pending = sum(1 for t in mine if t.status in ("open", "waiting"))
    if step.sequential:
        pending += len(step.participants) - len(mine)  # participants not yet reached
    agree, disagree = votes.count("agree"), votes.count("disagree")
    total = agree + disagree + pending
    if step.kind == "all":
        if disagree:
            return "fail"
        return "pass" if pending == 0 else ""
    if step.kind == "any":
        if agree:
            return "pass"
        return "fail" if pending == 0 else ""
    needed = step.ratio * total
    if agree >= needed and agree > 0:
        return "pass"
    if agree + pending < needed:
        return "fail"
    return "" if pending else ("pass" if agree >= needed else "fail")


def _require(cond: bool, code: str, message: str, fld: str | None = None) -> None:
    if not cond:
        raise WorkflowError(code, message, fld)


def apply(defn: Definition, state: State, cmd: Command, *, case_department: str,
          new_key: Callable[[], str] = _default_key) -> Result:
    """The next state after `cmd`, or WorkflowError. Never mutates `state`."""
    tasks = list(state.tasks)
    effects: list[Effect] = []
    a = cmd.action
    _require(state.status not in FINAL, "case.closed", "办件已结束，不能再办理")

    if a == "submit":
        _require(state.status == DRAFT, "case.not_draft", "办件已提交")
        first = defn.first
        _open_step(defn, first, case_department, new_key, tasks, effects)
        effects += [Effect("clock", value=DEPARTMENT), Effect("event", step=first.code, value="submitted")]
        return Result(replace(state, status=SUBMITTED, step=first.code, tasks=tuple(tasks)), effects)

    _require(state.status != DRAFT, "case.draft", "办件尚未提交")

    if a == "auto_approve":  # 秒批: the rules decided; no person acts
        _require(state.status == SUBMITTED, "case.not_submitted", "只有刚提交的办件可以秒批")
        for i, t in enumerate(tasks):
            if t.status in ("open", "waiting"):
                tasks[i] = replace(t, status="done", vote="auto")
                effects.append(Effect("close_task", task=t.key, value="auto"))
        effects += [Effect("event", value="accepted"), Effect("event", value="decided")]
        decision = next(s for s in defn.steps if s.kind == "decision")
        return Result(_final(replace(state, step=decision.code), COMPLETED, "approved", tasks, effects), effects)

    if a == "withdraw":
        _require(state.status == SUBMITTED, "case.already_accepted", "办件已受理，不能撤回；如需撤销请联系承办部门")
        effects.append(Effect("event", value="withdrawn"))
        return Result(_final(state, WITHDRAWN, "", tasks, effects), effects)

    if a == "answer_corrections":
        _require(state.status == CORRECTIONS, "case.no_corrections", "办件没有待补正的事项")
        for i, t in enumerate(tasks):
            if t.status == "waiting":
                tasks[i] = replace(t, status="open")
                effects.append(Effect("resume_task", task=t.key))
        effects += [Effect("clock", value=DEPARTMENT), Effect("event", step=state.step, value="corrected")]
        return Result(replace(state, status=state.resume_status or IN_PROGRESS, tasks=tuple(tasks),
                              resume_status=""), effects)

    if a == "suspend":
        _require(state.status in ACTIVE, "case.not_active", "只有办理中的办件可以挂起")
        _require(bool(cmd.reason.strip()), "case.reason_required", "请填写挂起原因", "reason")
        effects += [Effect("clock", value=SUSPENDED_CLOCK), Effect("event", step=state.step, value="suspended")]
        return Result(replace(state, status=SUSPENDED, resume_status=state.status), effects)

    if a == "resume":
        _require(state.status == SUSPENDED, "case.not_suspended", "办件未挂起")
        effects += [Effect("clock", value=DEPARTMENT), Effect("event", step=state.step, value="resumed")]
        return Result(replace(state, status=state.resume_status or IN_PROGRESS, resume_status=""), effects)

    if a in ("terminate", "revoke"):
        _require(bool(cmd.reason.strip()), "case.reason_required", "请填写原因", "reason")
        effects.append(Effect("event", step=state.step, value="terminated" if a == "terminate" else "revoked"))
        return Result(_final(state, TERMINATED if a == "terminate" else REVOKED, "", tasks, effects), effects)

    if a == "recall":  # 拿回: the previous step takes the case back while nobody has touched it yet
        _require(state.status == IN_PROGRESS and bool(state.previous_step), "case.recall_unavailable",
                 "当前环节不能拿回")
        current = state.open_tasks(state.step)
        _require(bool(current) and all(t.status == "open" for t in current)
                 and not [t for t in tasks if t.step == state.step and t.status == "done" and t.key not in state.stale_tasks],
                 "case.recall_too_late", "下一环节已开始办理，不能拿回")
        return Result(_go_back(defn, state, state.previous_step, tasks, effects, case_department, new_key), effects)

    # Everything below acts on one open work item of the current step.
    _require(a in TASK_ACTIONS, "case.action_unknown", f"不支持的操作：{a}", "action")
    task = state.task(cmd.task)
    _require(task.status == "open", "case.task_not_open", "该待办已处理或正在等待申请人补正")
    _require(task.step == state.step, "case.task_stale", "该待办不属于当前环节")
    _require(state.status in ACTIVE, "case.not_active", "办件当前状态不能办理（待补正或已挂起）")
    step = defn.step(state.step)

    if a == "transfer":  # 转办: the same step, another department (or person — handled by the service)
        _require(bool(cmd.target), "case.target_required", "请选择转办对象", "target")
        effects.append(Effect("move_task", task=task.key, department=cmd.target))
        tasks = [replace(t, department=cmd.target) if t.key == task.key else t for t in tasks]
        effects.append(Effect("event", step=step.code, value="transferred", department=cmd.target))
        return Result(replace(state, tasks=tuple(tasks)), effects)

    if a == "request_corrections":
        _require(step.kind in ("intake", "task", "decision"), "case.corrections_not_here", "会签环节不能要求补正")
        _require(step.code not in state.corrected_steps, "case.corrections_once",
                 "本环节已经一次性告知过补正事项，不能再次要求补正", "points")
        _require(bool(cmd.points) and all(p.strip() for p in cmd.points), "case.points_required",
                 "请一次性列明全部需要补正的内容", "points")
        tasks = [replace(t, status="waiting") if t.key == task.key else t for t in tasks]
        effects += [Effect("wait_task", task=task.key), Effect("clock", value=APPLICANT),
                    Effect("event", step=step.code, value="corrections_requested")]
        return Result(replace(state, status=CORRECTIONS, tasks=tuple(tasks), resume_status=state.status,
                              corrected_steps=state.corrected_steps | {step.code}), effects)

    if a in ("add_signer", "remove_signer"):
        _require(step.kind in MULTI_KINDS, "case.not_multisign", "只有会签、或签、票签环节可以加签或减签")
        if a == "add_signer":
            _require(bool(cmd.target), "case.target_required", "请选择加签部门", "target")
            _require(not any(t.department == cmd.target and t.step == step.code and t.status != "cancelled"
                             and t.key not in state.stale_tasks for t in tasks),
                     "case.signer_exists", "该部门已在会签中", "target")
            key = new_key()
            seq = max((t.sequence for t in tasks if t.step == step.code), default=0) + 1
            tasks.append(Task(key, step.code, cmd.target, step.role, sequence=seq))
            effects += [Effect("open_task", task=key, step=step.code, department=cmd.target, role=step.role,
                               sequence=seq), Effect("event", step=step.code, value="signer_added",
                                                     department=cmd.target)]
            return Result(replace(state, tasks=tuple(tasks)), effects)
        victim = next((t for t in tasks if t.step == step.code and t.department == cmd.target
                       and t.status == "open" and t.key != task.key), None)
        _require(victim is not None, "case.signer_unknown", "该部门没有未处理的会签待办", "target")
        assert victim is not None
        tasks = [replace(t, status="cancelled") if t.key == victim.key else t for t in tasks]
        effects += [Effect("cancel_task", task=victim.key),
                    Effect("event", step=step.code, value="signer_removed", department=cmd.target)]
        return Result(_settle_multi(defn, replace(state, tasks=tuple(tasks)), step, list(tasks), effects,
                                    case_department, new_key), effects)

    if a == "return":  # 退回 / 驳回 to an earlier step
        earlier = [s.code for s in defn.earlier(step.code)]
        target = cmd.target or (earlier[-1] if earlier else "")
        _require(target in earlier, "case.return_target", "只能退回到之前的环节", "target")
        _require(bool(cmd.reason.strip()), "case.reason_required", "请填写退回原因", "reason")
        _finish_task(tasks, task.key, "return", effects)
        return Result(_go_back(defn, state, target, tasks, effects, case_department, new_key), effects)

    if step.kind == "intake":
        if a == "accept":
            _finish_task(tasks, task.key, "accept", effects)
            effects.append(Effect("event", step=step.code, value="accepted"))
            return Result(_advance(defn, state, tasks, effects, case_department, new_key), effects)
        if a == "not_accept":
            _require(bool(cmd.reason.strip()), "case.reason_required", "不予受理必须说明理由", "reason")
            _finish_task(tasks, task.key, "not_accept", effects)
            effects.append(Effect("event", step=step.code, value="not_accepted"))
            return Result(_final(state, NOT_ACCEPTED, "", tasks, effects), effects)
        raise WorkflowError("case.action_not_allowed", "受理环节只能受理、不予受理或要求补正", "action")

    if step.kind == "task":
        _require(a == "approve", "case.action_not_allowed", "审查环节只能通过、退回、转办或要求补正", "action")
        _finish_task(tasks, task.key, "approve", effects)
        return Result(_advance(defn, state, tasks, effects, case_department, new_key), effects)

    if step.kind == "decision":
        _require(a in ("decide_approve", "decide_deny"), "case.action_not_allowed", "决定环节只能准予或不予", "action")
        if a == "decide_deny":
            _require(bool(cmd.reason.strip()), "case.reason_required", "不予许可必须说明理由并告知救济途径", "reason")
        _finish_task(tasks, task.key, a, effects)
        outcome = "approved" if a == "decide_approve" else "denied"
        effects.append(Effect("event", step=step.code, value="decided"))
        return Result(_final(state, COMPLETED, outcome, tasks, effects), effects)

    # 会签 / 或签 / 票签
    _require(a in ("agree", "disagree"), "case.action_not_allowed", "会签环节只能同意或不同意", "action")
    if a == "disagree":
        _require(bool(cmd.reason.strip()), "case.reason_required", "不同意时请填写意见", "reason")
    _finish_task(tasks, task.key, a, effects)
    effects.append(Effect("event", step=step.code, value="signed", department=task.department))
    return Result(_settle_multi(defn, replace(state, tasks=tuple(tasks)), step, tasks, effects, case_department,
                                new_key), effects)


def _settle_multi(defn: Definition, state: State, step: StepDef, tasks: list[Task], effects: list[Effect],
                  case_department: str, new_key: Callable[[], str]) -> State:
    result = _multi_result(step, tasks, state.stale_tasks)
    if result == "pass":
        return _advance(defn, state, tasks, effects, case_department, new_key)
    if result == "fail":
        target = step.reject_to or (defn.earlier(step.code)[-1].code if defn.earlier(step.code) else "")
        if not target:
            raise WorkflowError("workflow.definition_invalid", "会签未通过但没有可退回的环节")
        effects.append(Effect("event", step=step.code, value="sign_failed"))
        return _go_back(defn, state, target, tasks, effects, case_department, new_key)
    if step.sequential and not state.open_tasks(step.code):
        reached = {t.department for t in tasks
                   if t.step == step.code and t.status != "cancelled" and t.key not in state.stale_tasks}
        upcoming = [d for d in step.participants if d not in reached]
        if upcoming:
            key = new_key()
            seq = max((t.sequence for t in tasks if t.step == step.code), default=0) + 1
            tasks.append(Task(key, step.code, upcoming[0], step.role, sequence=seq))
            effects.append(Effect("open_task", task=key, step=step.code, department=upcoming[0], role=step.role,
                                  sequence=seq))
    return replace(state, tasks=tuple(tasks))


def available(defn: Definition, state: State) -> list[Command]:
    """Commands worth trying in `state` (the property tests draw from these)."""
    if state.status in FINAL:
        return []
    if state.status == DRAFT:
        return [Command("submit")]
    out: list[Command] = []
    if state.status == SUBMITTED:
        out += [Command("withdraw"), Command("auto_approve")]
    if state.status == CORRECTIONS:
        out.append(Command("answer_corrections"))
    if state.status == SUSPENDED:
        out.append(Command("resume"))
    if state.status in ACTIVE:
        out += [Command("suspend", reason="等待外部鉴定"), Command("terminate", reason="申请人死亡"),
                Command("recall")]
        step = defn.step(state.step)
        for t in state.open_tasks(state.step):
            if t.status != "open":
                continue
            out += [Command(a, task=t.key, reason="理由", points=("缺少材料",)) for a in _step_actions(step)]
            for e in defn.earlier(step.code):
                out.append(Command("return", task=t.key, target=e.code, reason="需重新审查"))
            if step.kind in MULTI_KINDS:
                out += [Command("add_signer", task=t.key, target="D-extra"),
                        Command("remove_signer", task=t.key, target=_other_signer(state, t))]
    return out


def _other_signer(state: State, task: Task) -> str:
    for t in state.open_tasks(task.step):
        if t.key != task.key:
            return t.department
    return ""


def _step_actions(step: StepDef) -> Iterable[str]:
    return {
        "intake": ("accept", "not_accept", "request_corrections"),
        "task": ("approve", "request_corrections", "transfer"),
        "decision": ("decide_approve", "decide_deny", "request_corrections"),
    }.get(step.kind, ("agree", "disagree"))


def default_definition(*, handling_type: str, department: str = "", intake_department: str = "") -> Definition:
    """The flow an item gets until its department publishes its own: 即办件 受理→决定,
    承诺件 受理→审查→决定 (the catalogue's 办理流程 describes the same)."""
    intake = StepDef("accept", "受理", "intake", role="window_clerk", department=intake_department,
                     next="review" if handling_type != "即办件" else "decide")
    review = StepDef("review", "审查", "task", role="approver", department=department, next="decide")
    decide = StepDef("decide", "决定", "decision", role="supervisor" if handling_type != "即办件" else "approver",
                     department=department)
    steps = (intake, decide) if handling_type == "即办件" else (intake, review, decide)
    return Definition(steps)
