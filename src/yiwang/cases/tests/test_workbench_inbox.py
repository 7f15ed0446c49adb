"""The inbox selector: keyset pages in (due, opened_at, id) order over the cases_inbox index, the
supervisor's queue, SLA lights in working days, and the 超期督办 command."""

from __future__ import annotations

import io
from datetime import date, timedelta

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiwang.cases import selectors, services
from yiwang.cases.models import Case, CaseEvent, Notification, WorkItem
from yiwang.kernel.calendar import add_working_days

from .conftest import World
from .test_workbench_views import accepted, move, open_item


def _page_all(world: World, user: object, tab: str = "todo", size: int = 4) -> list[WorkItem]:
    ctx = selectors.staff_context(user)
    assert ctx is not None
    out: list[WorkItem] = []
    cursor = ""
    for _ in range(50):
        rows, cursor_next = selectors.inbox_page(department_code=ctx.department_code, roles=ctx.roles,
                                                 user_id=ctx.user.pk, tab=tab, cursor=cursor, size=size)
        out += [r.item for r in rows if r.item is not None]
        if not cursor_next:
            break
        cursor = cursor_next
    return out


def test_keyset_pages_follow_due_then_arrival_and_put_undated_items_last(world: World) -> None:
    cases = [move(world) for _ in range(9)]
    items = [open_item(c) for c in cases]
    today = date(2026, 11, 23)
    # Mixed due dates (some equal, some missing) to exercise every branch of the cursor.
    dues = [today + timedelta(days=d) if d is not None else None for d in (3, 1, None, 1, 2, None, 3, 1, 2)]
    for w, due in zip(items, dues, strict=True):
        WorkItem.objects.filter(pk=w.pk).update(due=due)
    services_claimed = items[4]
    WorkItem.objects.filter(pk=services_claimed.pk).update(assignee=world.clerk)  # mine: still listed
    WorkItem.objects.filter(pk=items[5].pk).update(assignee=world.clerks["政务服务中心"])  # someone else's: not
    seen = _page_all(world, world.clerk, size=2)
    expected = sorted((w for i, w in enumerate(items) if i != 5),
                      key=lambda w: (dues[items.index(w)] is None, dues[items.index(w)] or date.max,
                                     w.opened_at, str(w.pk)))
    assert [w.pk for w in seen] == [w.pk for w in expected]
    assert seen[-1].due is None and seen[0].due == today + timedelta(days=1)


def test_overdue_tab_and_supervisor_queue(world: World) -> None:
    late, fine = accepted(world), accepted(world)
    WorkItem.objects.filter(case=late, status="open").update(due=date(2020, 1, 2))
    police = world.approvers["公安局"]
    assert [w.case_id for w in _page_all(world, police, tab="overdue")] == [late.pk]
    assert {w.case_id for w in _page_all(world, police)} == {late.pk, fine.pk}
    # The head (supervisor + approver) also sees the department's other roles' unclaimed items.
    WorkItem.objects.filter(case=fine, status="open").update(role="archivist")
    assert {w.case_id for w in _page_all(world, world.heads["公安局"])} == {late.pk}  # no flow asks for it yet
    services.definition_save(item_code="QR03004000", definition={"steps": [
        {"code": "accept", "name": "受理", "kind": "intake", "role": "window_clerk", "next": "file"},
        {"code": "file", "name": "归档审查", "kind": "task", "role": "archivist", "next": "decide"},
        {"code": "decide", "name": "决定", "kind": "decision", "role": "supervisor"}]})
    assert {w.case_id for w in _page_all(world, world.heads["公安局"])} == {late.pk, fine.pk}
    assert {w.case_id for w in _page_all(world, police)} == {late.pk}


def test_done_and_cc_tabs_page_newest_first(world: World) -> None:
    for _ in range(5):
        accepted(world)
    done = _page_all(world, world.clerk, tab="done", size=2)
    assert len(done) == 5 and [w.done_at for w in done] == sorted((w.done_at for w in done), reverse=True)


def test_the_todo_queue_queries_walk_the_cases_inbox_index(world: World) -> None:
    for _ in range(3):
        accepted(world)
    ctx = selectors.staff_context(world.approvers["公安局"])
    assert ctx is not None
    with CaptureQueriesContext(connection) as captured:
        rows, _ = selectors.inbox_page(department_code=ctx.department_code, roles=ctx.roles, user_id=ctx.user.pk,
                                       tab="todo")
    assert len(rows) == 3
    queue = [q["sql"] for q in captured.captured_queries if '"role" =' in q["sql"]]
    assert queue
    for sql in queue:  # each queue query is an equality prefix of the index, then its order
        assert all(f'"{col}" =' in sql for col in ("department_code", "role", "status")), sql
        assert "LIMIT " in sql and "ORDER BY" in sql, sql
    if connection.vendor != "sqlite":
        return  # PostgreSQL plans a table this small by cost; the bench shows its plans at scale
    with connection.cursor() as cur:
        for sql in queue:
            cur.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " ".join(str(r[-1]) for r in cur.fetchall())
            assert "cases_inbox" in plan and "SCAN" not in plan.replace("SCAN cases_case", ""), plan


def test_sla_lights_in_working_days(world: World) -> None:
    case = accepted(world)
    case.refresh_from_db()
    start = date(2026, 11, 23)
    Case.objects.filter(pk=case.pk).update(promised_limit_days=10, paused_days=0,
                                           promised_due=add_working_days(start, 10).due)
    case.refresh_from_db()
    assert selectors.sla_of(case, start).light == "green"
    assert selectors.sla_of(case, add_working_days(start, 7).due).light == "green"  # 70 % used
    assert selectors.sla_of(case, add_working_days(start, 8).due).light == "yellow"  # 80 % used
    assert selectors.sla_of(case, add_working_days(start, 8).due).remaining == 2
    assert selectors.sla_of(case, case.promised_due).light == "yellow"
    late = selectors.sla_of(case, case.promised_due + timedelta(days=7))
    assert late.light == "red" and late.overdue_days >= 4 and late.label.startswith("超期")
    Case.objects.filter(pk=case.pk).update(status="suspended")
    case.refresh_from_db()
    assert selectors.sla_of(case, start).light == "paused"


def test_escalation_command_is_idempotent(world: World) -> None:
    case = accepted(world)
    Case.objects.filter(pk=case.pk).update(promised_due=date(2020, 1, 2))
    out = io.StringIO()
    call_command("cases_escalate", stdout=out)
    assert "1 件" in out.getvalue()
    case.refresh_from_db()
    assert case.escalated_at is not None
    assert CaseEvent.objects.filter(case=case, type="escalated").count() == 1
    assert Notification.objects.filter(user=world.heads["公安局"], case=case, title="超期督办").exists()
    out = io.StringIO()
    call_command("cases_escalate", stdout=out)
    assert "0 件" in out.getvalue()


def test_escalation_command_with_a_date_and_a_bad_date(world: World) -> None:
    case = accepted(world)
    case.refresh_from_db()
    out = io.StringIO()
    call_command("cases_escalate", "--today", case.promised_due.isoformat(), stdout=out)
    assert "0 件" in out.getvalue()
    call_command("cases_escalate", "--today", (case.promised_due + timedelta(days=1)).isoformat(), stdout=out)
    assert "1 件" in out.getvalue()
    import pytest
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("cases_escalate", "--today", "yesterday")
