"""The staff workbench API: /api/v1/cases/workbench — inbox pages, claim, act, the staff view of a
case (masked) and case-level actions, with their structured 4xx errors."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from yiwang.cases.models import Case, WorkItem

from .conftest import ZHANG_ID, World
from .test_workbench_views import accepted, move, open_item

BASE = "/api/v1/cases/workbench"


def client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(c: Client, url: str, body: dict[str, Any]) -> Any:
    return c.post(url, json.dumps(body), content_type="application/json")


def error(r: Any) -> dict[str, Any]:
    return r.json()["error"]


def test_inbox_todo_envelope_and_keyset_pages(world: World) -> None:
    numbers = {move(world).number for _ in range(23)}
    c = client(world.clerk)
    first = c.get(f"{BASE}/inbox?tab=todo")
    assert first.status_code == 200
    page1 = first.json()
    assert len(page1["items"]) == 20 and page1["next"]
    row = page1["items"][0]
    assert row["applicant"] == "张*" and row["kind"] == "item" and row["claimed"] is False
    assert row["sla"]["light"] == "green" and row["sla"]["remaining_days"] > 0 and row["step_name"] == "受理"
    page2 = c.get(f"{BASE}/inbox?tab=todo&cursor={page1['next']}").json()
    assert len(page2["items"]) == 3 and page2["next"] is None
    seen = [r["number"] for r in page1["items"] + page2["items"]]
    assert len(set(seen)) == 23 and set(seen) == numbers


def test_inbox_bad_tab_and_cursor_are_422(world: World) -> None:
    c = client(world.clerk)
    r = c.get(f"{BASE}/inbox?tab=everything")
    assert r.status_code == 422 and error(r)["field"] == "tab"
    r = c.get(f"{BASE}/inbox?tab=todo&cursor=garbage!!")
    assert r.status_code == 422 and error(r)["field"] == "cursor"


def test_inbox_refuses_citizens_and_anonymous(world: World) -> None:
    assert Client().get(f"{BASE}/inbox").status_code == 401
    r = client(world.zhang.user).get(f"{BASE}/inbox")
    assert r.status_code == 403 and error(r)["code"] == "case.not_staff"


def test_claim_and_act_and_their_conflicts(world: World) -> None:
    case = move(world)
    item = open_item(case)
    clerk = client(world.clerk)
    r = post(clerk, f"{BASE}/items/{item.pk}/claim", {"version": item.row_version})
    assert r.status_code == 200 and r.json()["assignee"] == "陈晨" and r.json()["version"] == item.row_version + 1
    other = client(world.clerks["政务服务中心"])
    r = post(other, f"{BASE}/items/{item.pk}/claim", {})
    assert r.status_code == 409 and error(r)["code"] == "case.claimed_by_other"
    r = post(other, f"{BASE}/items/{item.pk}/act", {"action": "accept"})
    assert r.status_code == 409 and error(r)["code"] == "case.claimed_by_other"
    r = post(clerk, f"{BASE}/items/{item.pk}/act", {"action": "accept", "version": item.row_version})
    assert r.status_code == 409 and error(r)["code"] == "case.conflict"
    assert error(r)["message"] == "该待办刚被其他人处理，请刷新后重试"
    r = post(clerk, f"{BASE}/items/{item.pk}/act", {"action": "accept", "version": item.row_version + 1})
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["number"] == case.number and out["status"] == "in_progress" and out["promised_due"]
    r = post(clerk, f"{BASE}/items/{item.pk}/act", {"action": "accept"})
    assert r.status_code == 409 and error(r)["code"] == "case.task_not_open"


def test_wrong_department_is_403_and_reasons_are_422(world: World) -> None:
    case = accepted(world)
    item = open_item(case)
    r = post(client(world.approvers["卫健委"]), f"{BASE}/items/{item.pk}/act", {"action": "approve"})
    assert r.status_code == 403 and error(r)["code"] == "case.other_department"
    r = post(client(world.approvers["卫健委"]), f"{BASE}/items/{item.pk}/claim", {})
    assert r.status_code == 403
    police = client(world.approvers["公安局"])
    r = post(police, f"{BASE}/items/{item.pk}/act", {"action": "return", "target": "accept", "comment": ""})
    assert r.status_code == 422 and error(r)["field"] == "reason"
    r = post(police, f"{BASE}/items/{item.pk}/act", {"action": "decide_approve"})
    assert r.status_code == 422 and error(r)["field"] == "action"
    r = post(police, f"{BASE}/items/{item.pk}/act", {"action": "fly"})
    assert r.status_code == 422 and error(r)["field"] == "action"
    r = post(police, f"{BASE}/items/not-a-uuid/act", {"action": "approve"})
    assert r.status_code == 404


def test_staff_case_view_is_masked_and_limited_to_involved_departments(world: World) -> None:
    case = accepted(world)
    r = client(world.approvers["公安局"]).get(f"{BASE}/cases/{case.number}")
    assert r.status_code == 200
    body = r.json()
    assert ZHANG_ID not in r.content.decode() and "13800000001" not in r.content.decode()
    ids = {row["name"]: row for row in body["form"]}
    assert ids["applicant_id_number"]["masked"] is True and ids["applicant_id_number"]["value"].endswith(ZHANG_ID[-4:])
    assert body["applicant"] == "张*" and body["version"] == case.row_version
    assert [e["type"] for e in body["history"]][:2] == ["submitted", "accepted"]
    assert {c["owner"] for c in body["clock"]} == {"department"}
    assert any(w["status"] == "open" and w["step_code"] == "review" for w in body["work_items"])
    r = client(world.approvers["卫健委"]).get(f"{BASE}/cases/{case.number}")
    assert r.status_code == 403
    assert client(world.approvers["公安局"]).get(f"{BASE}/cases/99999").status_code == 404


def test_case_actions_suspend_resume_recall_and_errors(world: World) -> None:
    case = accepted(world)
    url = f"{BASE}/cases/{case.number}/action"
    head = client(world.heads["公安局"])
    r = post(head, url, {"action": "suspend", "reason": ""})
    assert r.status_code == 422 and error(r)["field"] == "reason"
    r = post(client(world.approvers["公安局"]), url, {"action": "suspend", "reason": "鉴定"})
    assert r.status_code == 403 and error(r)["code"] == "case.supervisor_only"
    r = post(head, url, {"action": "suspend", "reason": "鉴定", "version": case.row_version + 5})
    assert r.status_code == 409 and error(r)["code"] == "case.conflict"
    r = post(head, url, {"action": "suspend", "reason": "等待外部鉴定", "version": case.row_version})
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    r = post(head, url, {"action": "resume"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = post(head, url, {"action": "explode"})
    assert r.status_code == 422
    police = client(world.approvers["公安局"])
    post(police, f"{BASE}/items/{open_item(case).pk}/act", {"action": "approve"})
    r = post(police, url, {"action": "recall"})
    assert r.status_code == 200 and Case.objects.get(pk=case.pk).step_code == "review"


def test_bearer_token_of_a_staff_user(world: World) -> None:
    case = move(world)
    AccessToken.objects.create(user=world.clerk, token="staff-token-0123456789", scope="openid cases:write",
                               expires=timezone.now() + timedelta(hours=1))
    api = Client(HTTP_AUTHORIZATION="Bearer staff-token-0123456789")
    r = api.get(f"{BASE}/inbox?tab=todo")
    assert r.status_code == 200 and r.json()["items"][0]["number"] == case.number
    item = WorkItem.objects.get(case=case, status="open")
    r = api.post(f"{BASE}/items/{item.pk}/claim", "{}", content_type="application/json")
    assert r.status_code == 200
    AccessToken.objects.create(user=world.clerk, token="staff-token-readonly-1", scope="openid",
                               expires=timezone.now() + timedelta(hours=1))
    r = Client(HTTP_AUTHORIZATION="Bearer staff-token-readonly-1").post(
        f"{BASE}/items/{item.pk}/act", '{"action": "accept"}', content_type="application/json")
    assert r.status_code == 403


def test_claim_with_an_empty_body_and_odd_ids(world: World) -> None:
    case = move(world)
    item = open_item(case)
    c = client(world.clerk)
    r = c.post(f"{BASE}/items/{item.pk}/claim", "", content_type="application/json")
    assert r.status_code == 200 and r.json()["assignee"] == "陈晨"
    assert post(c, f"{BASE}/items/{'x' * 300}/claim", {}).status_code == 404
    assert c.get(f"{BASE}/cases/{'9' * 300}").status_code == 404


def test_crafted_cursors_are_422_never_500(world: World) -> None:
    import base64

    def enc(parts: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")

    c = client(world.clerk)
    bad = {
        "todo": [[0, "2026-13-45", "2026-11-23T10:00:00+00:00", "x"], [7, "", "2026-11-23T10:00:00", str(case_id())],
                 [0, "2026-11-23", "yesterday", str(case_id())], ["0"], {"a": 1}],
        "overdue": [[1, None, 5, None]],
        "done": [["not a date", "x"], ["2026-11-23T10:00:00", "not-a-uuid"], [1, 2, 3]],
        "cc": [["2026-11-23T10:00:00", "seven"], [None, None]],
    }
    for tab, cursors in bad.items():
        for parts in cursors:
            r = c.get(f"{BASE}/inbox?tab={tab}&cursor={enc(parts)}")
            assert r.status_code == 422, (tab, parts, r.content)
            assert error(r)["code"] == "case.bad_cursor"
    # A well-formed naive time is accepted (read as UTC).
    r = c.get(f"{BASE}/inbox?tab=done&cursor={enc(['2026-11-23T10:00:00', str(case_id())])}")
    assert r.status_code == 200


def case_id() -> object:
    import uuid

    return uuid.uuid4()
