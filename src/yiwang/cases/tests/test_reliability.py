"""Reliability under concurrency and crashes, on a database that several connections really share.

pytest-django's SQLite test database lives in memory and belongs to one process, so these tests run
their work in subprocesses (this module doubles as the worker: `python -m
yiwang.cases.tests.test_reliability <command> <args>`) against a temporary SQLite file (WAL, as in
production) or, when DATABASE_URL names PostgreSQL, a temporary database on that server:

(a) concurrent retries of one submission with the same Idempotency-Key make exactly one case;
(b) two members of staff acting on the same work item at once: exactly one wins, the other gets Conflict;
(c) a worker killed (SIGKILL) in the middle of a transition leaves the case in its old step — work
    items, case row, history and clock all consistent — and the transition can then be done again.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

MODULE = "yiwang.cases.tests.test_reliability"
ITEM = "QR03004000"  # 市内户口迁移: 受理 (政务服务中心) → 审查 (公安局 approver) → 决定


# --- the parent side ---------------------------------------------------------------------------------


class SharedDb:
    def __init__(self, env: dict[str, str]):
        self.env = env

    def run(self, *args: str, timeout: float = 300) -> Any:
        proc = subprocess.run([sys.executable, "-m", MODULE, *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", MODULE, *args], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def shared_db() -> Iterator[SharedDb]:
    home = tempfile.mkdtemp(prefix="yiwang-reliability-")
    env = {**os.environ, "YIWANG_HOME": home, "YIWANG_FAST_HASHER": "1", "DJANGO_SETTINGS_MODULE": "yiwang.settings",
           "YIWANG_LOG_LEVEL": "ERROR", "PYTHONUNBUFFERED": "1"}
    url = os.environ.get("DATABASE_URL", "")
    dbname = ""
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        dbname = f"yiwang_reliability_{secrets.token_hex(4)}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + dbname
    else:
        env.pop("DATABASE_URL", None)
    db = SharedDb(env)
    try:
        db.run("setup", timeout=600)
        yield db
    finally:
        if dbname:
            import psycopg

            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        shutil.rmtree(home, ignore_errors=True)


def test_concurrent_retries_with_one_idempotency_key_make_one_case(shared_db: SharedDb) -> None:
    out = shared_db.run("idempotent", "8")
    assert out["errors"] == [], out["errors"]
    assert len(out["ids"]) == 8 and len(set(out["ids"])) == 1
    assert out["cases_with_key"] == 1 and out["keys"] == 1
    # The same key from another process afterwards still answers the same case.
    again = shared_db.run("idempotent", "2", out["key"])
    assert set(again["ids"]) == set(out["ids"]) and again["cases_with_key"] == 1


def test_two_staff_acting_on_one_item_at_once_one_wins(shared_db: SharedDb) -> None:
    out = shared_db.run("race")
    outcomes = out["outcomes"]
    assert len(outcomes) == 2 and outcomes.count("ok") == 1, outcomes
    assert [o for o in outcomes if o != "ok"][0] in ("conflict:case.task_not_open", "conflict:case.conflict"), outcomes
    assert out["step"] == "decide" and out["done_items"] == 1 and out["open_items"] == 1
    assert out["returns"] == 0


def test_a_worker_killed_in_the_middle_of_a_transition_leaves_the_old_step(shared_db: SharedDb) -> None:
    case_id = shared_db.run("prepare")["case"]
    marker = Path(shared_db.env["YIWANG_HOME"]) / f"paused-{secrets.token_hex(3)}"
    worker = shared_db.start("act", case_id, str(marker))
    deadline = time.time() + 120
    while not marker.exists():
        assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
        assert time.time() < deadline, "the worker never reached the middle of the transition"
        time.sleep(0.05)
    assert json.loads(marker.read_text())["rows_written"] > 0  # it really was half-way through
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    state = shared_db.run("inspect", case_id)
    assert state["consistent"], state
    assert state["step"] == "accept" and state["status"] == "submitted"
    assert state["event_types"] == ["submitted"]
    # The same transition then runs to the end: the new step, equally consistent.
    shared_db.run("act", case_id, "")
    state = shared_db.run("inspect", case_id)
    assert state["consistent"], state
    assert state["step"] == "review" and state["status"] == "in_progress"
    assert state["event_types"] == ["submitted", "accepted"]


# --- the worker side ---------------------------------------------------------------------------------


def _django() -> None:
    import django

    django.setup()


def _world() -> dict[str, Any]:
    from yiwang.identity.models import Person, User

    zhang = Person.objects.get(real_name="张伟")
    return {"zhang": zhang, "clerk": User.objects.get(username="chenchen"),
            "approvers": [User.objects.get(username="appr-a"), User.objects.get(username="appr-b")]}


def _applicant(zhang: Any) -> Any:
    from yiwang.cases import services

    return services.Applicant(ref=zhang.subject_ref, name=zhang.real_name, user=zhang.user)


def _form() -> dict[str, str]:
    from .conftest import ZHANG_ID

    return {"applicant_name": "张伟", "applicant_id_number": ZHANG_ID, "phone": "13800000001",
            "new_address": "示范市东湖区湖滨街道幸福社区3栋201"}


def cmd_setup() -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from yiwang.demo import catalog_data
    from yiwang.demo.city import DEPARTMENTS
    from yiwang.identity import services as identity
    from yiwang.identity.models import Organisation, Region
    from yiwang.kernel.context import Actor, acting_as
    from yiwang.kernel.validators import make_credit_code

    from .conftest import PASSWORD, ZHANG_ID

    with acting_as(Actor(label="reliability setup")):
        identity.ensure_roles([("window_clerk", "窗口受理人员", True), ("approver", "审批人员", False),
                               ("supervisor", "科室负责人", True)])
        city = Region.objects.create(code="990100000000", name="示范市", level=Region.Level.CITY)
        orgs = {short: Organisation.objects.create(code=make_credit_code("1", "1", "990100", f"MC{n:07d}"), name=full,
                                                   short_name=short, kind=Organisation.Kind.DEPARTMENT, region=city)
                for n, (short, full) in enumerate(DEPARTMENTS)}
        centre = Organisation.objects.create(code=make_credit_code("1", "2", "990100", "MD0000001"), name="示范市政务服务中心",
                                             short_name="政务服务中心", kind=Organisation.Kind.SERVICE_CENTER, region=city)
        catalog_data.build(1)
        identity.person_register(real_name="张伟", id_number=ZHANG_ID, phone="13800000001", password=PASSWORD)
        identity.staff_create(username="chenchen", display_name="陈晨", organisation=centre, employee_no="S0",
                              roles=["window_clerk"], password=PASSWORD)
        for n, name in enumerate(("appr-a", "appr-b")):
            identity.staff_create(username=name, display_name=f"审批员{n}", organisation=orgs["公安局"],
                                  employee_no=f"S{n + 1}", roles=["approver"], password=PASSWORD)
    return {"ok": True}


def _threads(n: int, fn: Any) -> list[Any]:
    from django.db import connection

    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def body(i: int) -> None:
        try:
            barrier.wait()
            results[i] = ("ok", fn(i))
        except Exception as exc:  # collected for the parent to judge
            results[i] = ("error", f"{type(exc).__name__}:{getattr(exc, 'code', '')}:{exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def cmd_idempotent(n: str, key: str = "") -> dict[str, Any]:
    from yiwang.cases import services
    from yiwang.cases.models import Case, IdempotencyKey
    from yiwang.kernel.context import Actor, acting_as

    w = _world()
    key = key or f"retry-{secrets.token_hex(6)}"
    applicant, form = _applicant(w["zhang"]), _form()

    def submit(_i: int) -> str:
        with acting_as(Actor(user_id=w["zhang"].user_id, label="张伟")):
            return str(services.case_submit(applicant=applicant, item_code=ITEM, form=form, idempotency_key=key).pk)

    results = _threads(int(n), submit)
    ids = [r[1] for r in results if r and r[0] == "ok"]
    keys = IdempotencyKey.objects.filter(key=key)
    return {"key": key, "ids": ids, "errors": [r[1] for r in results if not r or r[0] != "ok"],
            "keys": keys.count(), "cases_with_key": Case.objects.filter(pk__in=keys.values("case")).count()}


def cmd_race() -> dict[str, Any]:
    from yiwang.cases import services
    from yiwang.cases.models import Case, WorkItem
    from yiwang.kernel.context import Actor, acting_as
    from yiwang.kernel.errors import Conflict

    w = _world()
    case = services.case_submit(applicant=_applicant(w["zhang"]), item_code=ITEM, form=_form())
    intake = WorkItem.objects.get(case=case, status="open")
    services.task_act(work_item_id=intake.pk, user=w["clerk"], action="accept")
    review = WorkItem.objects.get(case=case, status="open")

    def act(i: int) -> str:
        user = w["approvers"][i]
        with acting_as(Actor(user_id=user.pk, label=user.username)):
            try:
                services.task_act(work_item_id=review.pk, user=user, action="approve",
                                  comment=f"审查通过（{user.username}）")
            except Conflict as exc:
                return f"conflict:{exc.code}"
        return "ok"

    results = _threads(2, act)
    fresh = Case.objects.get(pk=case.pk)
    return {"outcomes": [r[1] if r and r[0] == "ok" else str(r) for r in results], "step": fresh.step_code,
            "done_items": WorkItem.objects.filter(case=case, step_code="review", status="done").count(),
            "open_items": WorkItem.objects.filter(case=case, status="open").count(), "returns": fresh.returns_count}


def cmd_prepare() -> dict[str, Any]:
    from yiwang.cases import services

    w = _world()
    case = services.case_submit(applicant=_applicant(w["zhang"]), item_code=ITEM, form=_form())
    return {"case": str(case.pk)}


def cmd_act(case_id: str, marker: str) -> dict[str, Any]:
    """Accept the case at the window. With a marker path, stop inside the transaction that writes
    the planned transition, before its last two writes (the case row and the audit entry), once the
    work items, clock and history rows are written; tell the parent through the marker file and wait
    to be killed."""
    from django.db import connection

    from yiwang.cases import services
    from yiwang.cases.models import WorkItem
    from yiwang.kernel import planned
    from yiwang.kernel.context import Actor, acting_as

    w = _world()
    if marker:
        def pausing_apply(plan: Any) -> None:
            assert connection.in_atomic_block
            for n, step in enumerate(plan.steps):
                if n == len(plan.steps) - 2:
                    written = WorkItem.objects.filter(case_id=case_id, step_code="review").count()  # seen in the transaction
                    Path(marker + ".tmp").write_text(json.dumps({"rows_written": written}))
                    os.replace(marker + ".tmp", marker)  # the parent never reads a half-written marker
                    time.sleep(600)
                step()

        planned.Plan.apply = pausing_apply  # type: ignore[method-assign]
    item = WorkItem.objects.get(case_id=case_id, status="open")
    with acting_as(Actor(user_id=w["clerk"].pk, label="陈晨")):
        case = services.task_act(work_item_id=item.pk, user=w["clerk"], action="accept")
    return {"step": case.step_code}


def cmd_inspect(case_id: str) -> dict[str, Any]:
    from yiwang.cases.models import Case, CaseEvent, ClockInterval, WorkItem
    from yiwang.kernel.models import OutboxEvent

    case = Case.objects.get(pk=case_id)
    items = list(WorkItem.objects.filter(case=case))
    open_items = [w for w in items if w.status in ("open", "waiting")]
    clocks = list(ClockInterval.objects.filter(case=case).order_by("started_at", "id"))
    open_clocks = [c for c in clocks if c.ended_at is None]
    events = list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("type", flat=True))
    outbox = OutboxEvent.objects.filter(subject=case.number).count()
    checks = {
        "one_open_item": len(open_items) == 1,
        "open_item_in_current_step": all(w.step_code == case.step_code for w in open_items),
        "one_open_clock": len(open_clocks) == 1 and open_clocks[0].owner == case.clock_owner,
        "clock_in_current_step": bool(open_clocks) and open_clocks[0].step_code == case.step_code,
        "done_items_match_history": sum(1 for w in items if w.status == "done") == len(events) - 1,
        "accepted_iff_past_intake": ("accepted" in events) == (case.step_code != "accept") == (case.accepted_at is not None),
        "outbox_matches_history": outbox == len(events),
    }
    return {"consistent": all(checks.values()), "checks": checks, "step": case.step_code, "status": case.status,
            "event_types": events, "items": [(w.step_code, w.status) for w in items]}


if __name__ == "__main__":
    _django()
    command, *rest = sys.argv[1:]
    print(json.dumps(globals()[f"cmd_{command}"](*rest), ensure_ascii=False))
