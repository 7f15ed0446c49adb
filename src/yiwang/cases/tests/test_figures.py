"""Case figures on a constructed history (figures_history.build_history), and the pure helpers."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.test import Client

from yiwang.cases import figures
from yiwang.cases.figures import ItemRow, step_stats, working_time_days
from yiwang.cases.models import Material
from yiwang.identity import services as identity

from .conftest import PASSWORD, World
from .figures_history import BIRTH, MOVE, TODAY, TZ, History, build_history, t


def _weekdays(d: date) -> bool:
    return d.weekday() < 5


# --- pure helpers ----------------------------------------------------------------------------------


def test_working_time_counts_only_working_days_pro_rata() -> None:
    fri_noon = datetime(2026, 11, 20, 12, tzinfo=TZ)
    assert working_time_days(fri_noon, fri_noon + timedelta(hours=6), _weekdays) == pytest.approx(0.25)
    # Friday 12:00 → Monday 12:00: half of Friday and half of Monday; the weekend is free.
    assert working_time_days(fri_noon, fri_noon + timedelta(days=3), _weekdays) == pytest.approx(1.0)
    assert working_time_days(fri_noon, fri_noon, _weekdays) == 0.0
    assert working_time_days(fri_noon, fri_noon - timedelta(hours=1), _weekdays) == 0.0


def test_step_stats_waiting_working_and_unchanged() -> None:
    rows = [ItemRow(i, "approve", "", t(16, 9), t(16, 10), t(16, 12)) for i in range(5)]
    s = step_stats(rows, set())
    assert s["wait_hours"] == 1.0 and s["work_hours"] == 2.0 and s["always_unchanged"] is True
    assert step_stats(rows[:4], set())["always_unchanged"] is False  # too little evidence
    assert step_stats(rows, {0})["always_unchanged"] is False  # a 补正 at the step
    assert step_stats(rows, {0})["correction_rate"] == 20.0
    commented = [*rows[:4], ItemRow(9, "approve", "请注意核对", t(16, 9), None, t(16, 11))]
    s2 = step_stats(commented, set())
    assert s2["always_unchanged"] is False and s2["claimed"] == 4 and s2["elapsed_hours"] == pytest.approx(2.8)
    returned = [*rows[:4], ItemRow(7, "return", "退回", t(16, 9), None, t(16, 11))]
    assert step_stats(returned, set())["return_rate"] == 20.0


def test_paused_stretches_are_taken_out_of_step_times() -> None:
    row = ItemRow(1, "approve", "", t(16, 10), t(18, 13), t(18, 14), paused=((t(16, 12), t(18, 12)),))
    s = step_stats([row], set())
    assert s["wait_hours"] == 3.0 and s["work_hours"] == 1.0 and s["elapsed_hours"] == 4.0
    assert figures.hours_outside(t(16, 10), t(16, 11), ((t(16, 12), t(16, 13)),)) == 1.0


def test_pct_and_windows() -> None:
    assert figures.pct(1, 3) == 33.3 and figures.pct(1, 0) is None
    w = figures.window(7, TODAY)
    assert w.since.date() == date(2026, 11, 14) and w.until.date() == date(2026, 11, 21)
    assert figures.window(12345, TODAY).days == 30


# --- on a constructed history ---------------------------------------------------------------------


@pytest.fixture
def history(world: World) -> History:
    return build_history(world)


def test_case_figures_on_constructed_history(history: History) -> None:
    f = figures.case_figures(days=7, today=TODAY)
    assert f["ended"] == 4
    assert f["instant"] == 1 and f["instant_share"] == 25.0  # B only
    assert f["zero_visits"] == 3 and f["zero_visit_share"] == 75.0  # B came to the window
    # Department clock only: A = Mon 09–12 + Wed 12–16 (7 h), its two days of 补正 are not charged;
    # B = 30 min; D = Wed 09:00 → Thu 10:00 (25 h). C (不予受理) is not timed.
    a_days, b_days, d_days = 7 / 24, 0.5 / 24, 25 / 24
    assert f["timed"] == 3
    assert f["avg_days_used"] == pytest.approx(round((a_days + b_days + d_days) / 3, 2))
    promised = [history.a.promised_limit_days, history.b.promised_limit_days, history.d.promised_limit_days]
    assert f["avg_days_promised"] == pytest.approx(round(sum(promised) / 3, 2))
    police = next(d for d in f["per_department"] if d["code"] == history.a.department_code)
    assert police["ended"] == 3 and police["instant_share"] == 0.0 and police["timed"] == 2
    assert police["avg_days_used"] == pytest.approx(round((a_days + d_days) / 2, 2))


def test_step_figures_on_constructed_history(history: History) -> None:
    f = figures.case_figures(days=7, today=TODAY)
    steps = {(s["item_code"], s["step_code"]): s for s in f["steps"]}
    accept = steps[(MOVE, "accept")]
    assert accept["items"] == 3 and accept["claimed"] == 1  # A (claimed), C (不予受理), D
    assert accept["wait_hours"] == 0.5 and accept["work_hours"] == 0.5
    review = steps[(MOVE, "review")]
    assert review["cases"] == 2 and review["corrections"] == 1 and review["correction_rate"] == 50.0
    # A's 审查 opened Mon 10:00 and was claimed Wed 13:00: 51 h, less the 48 h of 补正 = 3 h waiting.
    assert review["claimed"] == 1 and review["wait_hours"] == 3.0 and review["work_hours"] == 1.0
    decide = steps[(MOVE, "decide")]
    assert decide["items"] == 3 and decide["returns"] == 1 and decide["return_rate"] == 33.3
    assert not any(s["always_unchanged"] for s in f["steps"])  # fewer than 5 items each
    loose = {(s["item_code"], s["step_code"]): s for s in figures.step_figures(
        case_ids=[history.b.pk, history.d.pk], min_evidence=1)}
    assert loose[(BIRTH, "accept")]["always_unchanged"] and loose[(BIRTH, "decide")]["always_unchanged"]
    assert not loose[(MOVE, "decide")]["always_unchanged"]  # D's 决定 returned once
    assert loose[(MOVE, "review")]["always_unchanged"]  # D's 审查 passed twice without comment


def test_materials_without_upload(history: History) -> None:
    m = figures.materials_figures()
    rows = list(Material.objects.values_list("source", flat=True))
    assert m["total"] == len(rows) and m["upload"] == rows.count("upload") >= 1
    assert m["without_upload"] == rows.count("certificate") + rows.count("shared") >= 1
    assert m["without_upload_share"] == round(100 * m["without_upload"] / m["total"], 1)
    only_birth = figures.materials_figures(item_code=BIRTH)
    assert only_birth["upload"] == 1
    assert figures.materials_figures(days=7, today=date(2026, 12, 31))["total"] == 0


def test_department_and_item_filters(history: History) -> None:
    health = figures.case_figures(days=7, today=TODAY, department_code=history.b.department_code)
    assert health["ended"] == 1 and health["instant_share"] == 100.0
    move = figures.case_figures(days=7, today=TODAY, item_code=MOVE)
    assert move["ended"] == 3
    assert figures.case_figures(days=7, today=date(2026, 12, 31))["ended"] == 0


# --- pages and API -------------------------------------------------------------------------------


def _login(user: object) -> Client:
    c = Client()
    c.force_login(user)  # type: ignore[arg-type]
    return c


def _leader(world: World) -> object:
    identity.ensure_roles([("leader", "领导", False), ("auditor", "监察审计人员", False)])
    return identity.staff_create(username="leader1", display_name="郑局长", organisation=world.orgs["数据局"],
                                 employee_no="SL1", roles=["leader"], password=PASSWORD).user


def test_figures_page_permissions_and_scope(world: World, history: History) -> None:
    assert Client().get("/cases/figures/").status_code == 302
    assert _login(world.zhang.user).get("/cases/figures/").status_code == 403
    assert _login(world.clerk).get("/cases/figures/").status_code == 403
    leader = _login(_leader(world))
    page = leader.get("/cases/figures/?days=90")
    assert page.status_code == 200 and "cf-chart-data" in page.content.decode()
    head = _login(world.heads["卫健委"])  # a supervisor sees only their department, whatever they ask
    api = head.get(f"/api/v1/cases/figures?days=90&department={history.a.department_code}")
    assert api.status_code == 200 and api.json()["department"] == history.b.department_code
    assert _login(world.zhang.user).get("/api/v1/cases/figures").json()["error"]["code"] == "cases.figures_forbidden"
    assert Client().get("/api/v1/cases/figures").status_code == 401


def test_materials_fragment_is_public_and_on_the_catalogue_page(world: World, history: History) -> None:
    frag = Client().get("/cases/figures/materials/")
    assert frag.status_code == 200 and 'id="materials-without-upload"' in frag.content.decode()
    catalogue = Client().get("/catalog/figures/").content.decode()
    assert 'hx-get="/cases/figures/materials/"' in catalogue
