"""好差评 services, figures, pages and API on the constructed case history."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from yiwang.cases import services as case_services
from yiwang.cases.tests.conftest import PASSWORD, World
from yiwang.cases.tests.figures_history import MOVE, MOVE_FORM, TODAY, History, build_history, t
from yiwang.feedback import selectors, services
from yiwang.feedback.models import Rating, Rectification
from yiwang.identity import services as identity
from yiwang.kernel.calendar import add_working_days
from yiwang.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.kernel.models import OutboxEvent


@pytest.fixture
def history(world: World) -> History:
    return build_history(world)


def _other_citizen() -> object:
    from datetime import date

    from yiwang.kernel.validators import make_id_number

    p = identity.person_register(real_name="李四", id_number=make_id_number("330106", date(1990, 1, 1), 11),
                                 phone="13800000009", password=PASSWORD)
    return p.user


def test_rating_once_only_by_the_applicant_only_when_ended(world: World, history: History) -> None:
    zhang = world.zhang.user
    with pytest.raises(NotFound):
        services.rating_submit(case_number=history.a.number, user=_other_citizen(), score=5)
    with pytest.raises(NotFound):
        services.rating_submit(case_number="nope", user=zhang, score=5)
    open_case = case_services.case_submit(applicant=world.applicant, item_code=MOVE, form=MOVE_FORM)
    with pytest.raises(ValidationFailed) as not_ended:
        services.rating_submit(case_number=open_case.number, user=zhang, score=5)
    assert not_ended.value.code == "feedback.case_not_ended"
    with pytest.raises(ValidationFailed):
        services.rating_submit(case_number=history.a.number, user=zhang, score=6)
    with pytest.raises(ValidationFailed):
        services.rating_submit(case_number=history.a.number, user=zhang, score=5, dimensions={"speed": 5})
    r = services.rating_submit(case_number=history.a.number, user=zhang, score=5,
                               dimensions={"efficiency": 5, "attitude": 4}, comment="很快", now=t(19, 9))
    assert r.case_ended_at == history.a.completed_at and not hasattr(r, "rectification_id")
    assert not Rectification.objects.exists()
    with pytest.raises(Conflict):
        services.rating_submit(case_number=history.a.number, user=zhang, score=4)
    # 不予受理 counts as ended: it can be rated, ended at the refusal.
    rc = services.rating_submit(case_number=history.c.number, user=zhang, score=4, now=t(19, 9))
    assert rc.case_ended_at == t(17, 10)
    assert OutboxEvent.objects.filter(type="feedback.rating_submitted").count() == 2


def test_bad_rating_opens_a_rectification_with_a_deadline(world: World, history: History) -> None:
    with pytest.raises(ValidationFailed) as no_reason:
        services.rating_submit(case_number=history.d.number, user=world.zhang.user, score=1)
    assert no_reason.value.field == "comment"
    r = services.rating_submit(case_number=history.d.number, user=world.zhang.user, score=1,
                               comment="被退回一次，耽误了时间", now=t(19, 11))
    rect = Rectification.objects.get(rating=r)
    assert rect.department_code == history.d.department_code and rect.status == "open"
    assert rect.deadline == add_working_days(t(19, 11).date(), 5).due
    assert OutboxEvent.objects.filter(type="feedback.rectification_opened", subject=history.d.number).exists()


def _bad(world: World, history: History) -> Rectification:
    r = services.rating_submit(case_number=history.d.number, user=world.zhang.user, score=2, comment="太慢",
                               now=t(19, 11))
    return Rectification.objects.get(rating=r)


def test_rectification_and_follow_up(world: World, history: History) -> None:
    rect = _bad(world, history)
    appr = world.approvers["公安局"]
    with pytest.raises(PermissionDenied):
        services.rectification_record(rectification_id=rect.pk, user=world.approvers["卫健委"], action_taken="已整改完毕")
    with pytest.raises(PermissionDenied):
        services.rectification_record(rectification_id=rect.pk, user=world.clerks["公安局"], action_taken="已整改完毕")
    with pytest.raises(ValidationFailed):
        services.rectification_follow_up(rectification_id=rect.pk, user=appr, contacted=True, result="满意",
                                         satisfied=True)
    with pytest.raises(ValidationFailed):
        services.rectification_record(rectification_id=rect.pk, user=appr, action_taken="好")
    rect = services.rectification_record(rectification_id=rect.pk, user=appr, action_taken="核对退回原因，优化审查要点",
                                         now=t(20, 9))
    assert rect.status == "rectified"
    with pytest.raises(ValidationFailed):
        services.rectification_follow_up(rectification_id=rect.pk, user=appr, contacted=False, result="未接听",
                                         satisfied=True)
    rect = services.rectification_follow_up(rectification_id=rect.pk, user=world.heads["公安局"], contacted=True,
                                            result="电话回访，申请人表示理解", satisfied=True, now=t(20, 10))
    assert rect.status == "closed" and rect.on_time is True and rect.followup_satisfied is True
    assert OutboxEvent.objects.filter(type="feedback.rectification_closed").count() == 1
    with pytest.raises(Conflict):
        services.rectification_record(rectification_id=rect.pk, user=appr, action_taken="再改一次看看")
    with pytest.raises(NotFound):
        services.rectification_record(rectification_id="not-a-uuid", user=appr, action_taken="再改一次看看")


def test_late_follow_up_is_not_on_time(world: World, history: History) -> None:
    rect = _bad(world, history)
    appr = world.approvers["公安局"]
    services.rectification_record(rectification_id=rect.pk, user=appr, action_taken="加强培训", now=t(30, 9))
    late = services.rectification_follow_up(rectification_id=rect.pk, user=appr, contacted=False,
                                            result="多次联系未接通", satisfied=None, now=t(30, 10))
    assert late.on_time is False


def test_figures_on_constructed_history(world: World, history: History) -> None:
    zhang = world.zhang.user
    services.rating_submit(case_number=history.a.number, user=zhang, score=5, dimensions={"overall": 5},
                           now=t(19, 9))
    services.rating_submit(case_number=history.b.number, user=zhang, score=4, dimensions={"overall": 3},
                           now=t(19, 9))
    bad = _bad(world, history)  # D: 2
    appr = world.approvers["公安局"]
    services.rectification_record(rectification_id=bad.pk, user=appr, action_taken="优化审查要点", now=t(20, 9))
    services.rectification_follow_up(rectification_id=bad.pk, user=appr, contacted=True, result="满意",
                                     satisfied=True, now=t(20, 10))
    f = selectors.figures(days=7, today=TODAY)
    total = f["total"]
    assert total["ended"] == 4 and total["rated"] == 3 and total["rating_rate"] == 75.0
    assert total["satisfaction"] == 66.7 and total["mean"] == pytest.approx(3.67)
    assert total["bad"] == 1 and total["bad_rate"] == 33.3
    assert total["rectifications_due"] == 1 and total["on_time_rate"] == 100.0
    assert f["dimensions"]["整体满意"] == 4.0
    police = next(d for d in f["per_department"] if d["code"] == history.a.department_code)
    assert police["ended"] == 3 and police["rated"] == 2 and police["bad_rate"] == 50.0
    move = next(i for i in f["per_item"] if i["code"] == MOVE)
    assert move["rated"] == 2
    assert selectors.figures(days=7, today=TODAY, department_code=history.b.department_code)["total"]["rated"] == 1
    d_dept = next(d for d in f["per_department"] if d["code"] == history.d.department_code)
    assert d_dept["rectifications"] == 1 and d_dept["rectified_on_time"] == 1 and d_dept["rectifications_open"] == 0
    others = [d for d in f["per_department"] if d["code"] != history.d.department_code]
    assert all(d["rectifications"] == 0 and d["on_time_rate"] is None for d in others)
    d_item = next(i for i in f["per_item"] if i["code"] == history.d.item_code)
    assert d_item["rectifications_due"] == 1 and d_item["bad"] == 1


def test_figures_take_the_same_few_queries_however_many_groups(world: World, history: History,
                                                               django_assert_max_num_queries: Any) -> None:
    """Per-department and per-item figures are grouped in the database, not queried group by group."""
    zhang = world.zhang.user
    for case, score in ((history.a, 5), (history.b, 4)):
        services.rating_submit(case_number=case.number, user=zhang, score=score, now=t(19, 9))
    _bad(world, history)
    with django_assert_max_num_queries(13):  # 13 aggregates, whatever the number of groups
        f = selectors.figures(days=7, today=TODAY)
    assert len(f["per_department"]) >= 2


def _client(user: object) -> Client:
    c = Client()
    c.force_login(user)  # type: ignore[arg-type]
    return c


def test_rate_page_and_rectification_page(world: World, history: History) -> None:
    zhang = _client(world.zhang.user)
    page = zhang.get(f"/feedback/rate/{history.d.number}/")
    assert page.status_code == 200 and 'id="rate-form"' in page.content.decode()
    assert _client(_other_citizen()).get(f"/feedback/rate/{history.d.number}/").status_code == 404
    bad = zhang.post(f"/feedback/rate/{history.d.number}/", {"score": "1"})
    assert bad.status_code == 422 and "feedback.comment_required" in bad.content.decode()
    ok = zhang.post(f"/feedback/rate/{history.d.number}/", {"score": "1", "comment": "退回理由不清楚",
                                                             "dim_attitude": "2"})
    assert ok.status_code == 302 and Rating.objects.get(case=history.d).dimensions == {"attitude": 2}
    again = zhang.get(f"/feedback/rate/{history.d.number}/").content.decode()
    assert 'id="my-rating"' in again and 'id="rectification-status"' in again
    head = _client(world.heads["公安局"])
    listing = head.get("/feedback/rectifications/").content.decode()
    assert history.d.number in listing and "张*" in listing and "张伟" not in listing
    rect = Rectification.objects.get()
    assert head.post(f"/feedback/rectifications/{rect.pk}/record/", {"action_taken": "已优化退回说明"}).status_code == 302
    head.post(f"/feedback/rectifications/{rect.pk}/follow-up/", {"contacted": "1", "result": "已回访", "satisfied": "1"})
    rect.refresh_from_db()
    assert rect.status == "closed" and rect.followup_satisfied is True
    assert _client(world.zhang.user).get("/feedback/rectifications/").status_code == 403
    assert _client(world.heads["卫健委"]).get("/feedback/rectifications/").content.decode().count(
        history.d.number) == 0


def test_api_ratings_and_figures(world: World, history: History) -> None:
    zhang = _client(world.zhang.user)
    assert Client().post("/api/v1/feedback/ratings", {"case": history.a.number, "score": 5},
                         content_type="application/json").status_code == 401
    r = zhang.post("/api/v1/feedback/ratings", {"case": history.a.number, "score": 5, "comment": "好"},
                   content_type="application/json")
    assert r.status_code == 201 and r.json()["score_label"] == "非常满意" and r.json()["rectification"] is None
    again = zhang.post("/api/v1/feedback/ratings", {"case": history.a.number, "score": 5},
                       content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "feedback.already_rated"
    bad = zhang.post("/api/v1/feedback/ratings", {"case": history.b.number, "score": 9},
                     content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "score"
    low = zhang.post("/api/v1/feedback/ratings", {"case": history.d.number, "score": 2, "comment": "慢"},
                     content_type="application/json")
    assert low.status_code == 201 and low.json()["rectification"]["status"] == "open"
    assert zhang.get(f"/api/v1/feedback/ratings/{history.a.number}").json()["score"] == 5
    head = _client(world.heads["公安局"])
    rows = head.get("/api/v1/feedback/rectifications").json()
    assert len(rows) == 1 and rows[0]["applicant"] == "张*"
    assert zhang.get("/api/v1/feedback/rectifications").status_code == 403
    assert zhang.get("/api/v1/feedback/figures").status_code == 403
    fig = head.get("/api/v1/feedback/figures?days=90")
    assert fig.status_code == 200 and fig.json()["department"] == history.a.department_code
    assert head.get("/feedback/figures/?days=90").status_code == 200
    assert zhang.get("/feedback/figures/").status_code == 403
