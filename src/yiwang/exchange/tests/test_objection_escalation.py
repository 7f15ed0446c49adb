"""Objections (数据使用异议): the department that made the call answers within 5 working days (kernel
calendar); left unanswered they are escalated to the data bureau (status, audit record, event), shown
as such on the bureau's workbench and to the person on 谁用了我的数据."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from yiwang.exchange import services
from yiwang.exchange.models import AccessLog, Objection
from yiwang.kernel.calendar import add_working_days
from yiwang.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from yiwang.kernel.models import AuditEntry, OutboxEvent

from .conftest import ZHANG_ID, City, grant_for, logged_in

pytestmark = pytest.mark.django_db


def _access(city: City) -> AccessLog:
    grant_for(city, "A0103001", ["xm", "hyzk"])
    org = city.orgs["公安局"]
    res = services.gateway_call(resource_code="A0103001", key=ZHANG_ID, purpose="办理户口登记", consumer_code=org.code,
                                consumer_name=org.name)
    return AccessLog.objects.get(call_id=res.call_id)


def _after_due(obj: Objection) -> datetime:
    assert obj.due_on is not None
    return timezone.make_aware(datetime.combine(obj.due_on + timedelta(days=1), datetime.min.time()).replace(hour=9))


def test_raise_sets_the_due_date_in_working_days(city: City) -> None:
    access = _access(city)
    obj = services.objection_raise(subject_ref=city.zhang.subject_ref, access=access, reason="我没有办理户口登记")
    assert obj.due_on == add_working_days(timezone.localdate(), services.OBJECTION_ANSWER_WORKING_DAYS).due
    assert obj.status == Objection.Status.OPEN
    with pytest.raises(Conflict):
        services.objection_raise(subject_ref=city.zhang.subject_ref, access=access, reason="再次提出")
    with pytest.raises(PermissionDenied):
        services.objection_raise(subject_ref=city.chen.subject_ref, access=access, reason="不是我的数据")
    with pytest.raises(ValidationFailed):
        services.objection_raise(subject_ref=city.zhang.subject_ref, access=access, reason="  ")


def test_escalated_only_after_the_due_date_once_with_event_and_audit(city: City) -> None:
    access = _access(city)
    obj = services.objection_raise(subject_ref=city.zhang.subject_ref, access=access, reason="我没有办理户口登记")
    assert obj.due_on is not None
    on_due_day = timezone.make_aware(datetime.combine(obj.due_on, datetime.min.time()).replace(hour=17))
    assert services.objections_escalate_due(now=on_due_day) == []
    later = _after_due(obj)
    escalated = services.objections_escalate_due(now=later)
    assert [o.pk for o in escalated] == [obj.pk]
    obj.refresh_from_db()
    assert obj.status == Objection.Status.ESCALATED and obj.escalated_at == later
    event = OutboxEvent.objects.get(type="exchange.objection_escalated")
    assert event.subject == str(obj.pk) and event.data["consumer"] == access.consumer_code
    assert event.data["to"] == "数据局" and event.data["due_on"] == obj.due_on.isoformat()
    assert AuditEntry.objects.filter(action="exchange.objection_escalated", subject_ref=city.zhang.subject_ref).exists()
    # Idempotent.
    assert services.objections_escalate_due(now=later + timedelta(days=3)) == []
    assert OutboxEvent.objects.filter(type="exchange.objection_escalated").count() == 1
    # The bureau answers it; a second answer is refused.
    services.objection_answer(objection=obj, response="经核实为出生一件事办件", answered_by="数据局")
    obj.refresh_from_db()
    assert obj.status == Objection.Status.ANSWERED and obj.answered_by == "数据局"
    with pytest.raises(Conflict):
        services.objection_answer(objection=obj, response="again")
    with pytest.raises(ValidationFailed):
        services.objection_answer(objection=obj, response=" ")


def test_answered_in_time_is_not_escalated_and_old_rows_get_a_due_date(city: City) -> None:
    access = _access(city)
    answered = services.objection_raise(subject_ref=city.zhang.subject_ref, access=access, reason="a")
    services.objection_answer(objection=answered, response="已核实", answered_by="示范市公安局")
    legacy = Objection.objects.create(access=access, subject_ref=city.zhang.subject_ref, reason="b")  # no due date
    assert legacy.due_on is None
    assert services.objections_escalate_due(now=timezone.now()) == []
    legacy.refresh_from_db()
    assert legacy.due_on == add_working_days(timezone.localdate(legacy.created_at),
                                             services.OBJECTION_ANSWER_WORKING_DAYS).due
    escalated = services.objections_escalate_due(now=_after_due(legacy))
    assert [o.pk for o in escalated] == [legacy.pk]
    assert Objection.objects.get(pk=answered.pk).status == Objection.Status.ANSWERED


def test_command_escalates(city: City) -> None:
    access = _access(city)
    obj = services.objection_raise(subject_ref=city.zhang.subject_ref, access=access, reason="我没有办理户口登记")
    out = StringIO()
    call_command("exchange_escalate", "--now", _after_due(obj).isoformat(), stdout=out)
    assert "本轮提交督办 1 件" in out.getvalue()
    assert Objection.objects.get(pk=obj.pk).status == Objection.Status.ESCALATED
    with pytest.raises(CommandError):
        call_command("exchange_escalate", "--now", "not-a-date", stdout=StringIO())


def test_pages_show_who_answers_and_the_escalation(city: City) -> None:
    access = _access(city)
    zhang = logged_in(city.zhang.user)
    r = zhang.post(f"/exchange/my-data/{access.pk}/objection/", {"reason": "我没有办理户口登记"})
    assert r.status_code == 302
    obj = Objection.objects.get()
    mine = zhang.get("/exchange/my-data/").content.decode()
    assert 'data-objection-status="open"' in mine and "逾期自动提交数据局督办" in mine
    # The department that made the call (公安局, 刘洋) sees it on its workbench; another department cannot answer.
    police = logged_in(city.liuyang.user)
    assert f'data-objection="{obj.pk}"' in police.get("/exchange/workbench/?tab=objections").content.decode()
    other = logged_in(city.minzheng.user)
    assert f'data-objection="{obj.pk}"' not in other.get("/exchange/workbench/?tab=objections").content.decode()
    assert other.post(f"/exchange/objections/{obj.pk}/answer/", {"response": "x"}).status_code == 404
    # Past the due date it goes to the bureau: flagged there and shown to 张伟.
    services.objections_escalate_due(now=_after_due(obj))
    bureau = logged_in(city.wugang.user).get("/exchange/workbench/?tab=objections").content.decode()
    assert f'data-objection="{obj.pk}" data-objection-status="escalated"' in bureau
    assert 'data-escalated="true"' in bureau
    mine = zhang.get("/exchange/my-data/").content.decode()
    assert 'data-objection-status="escalated"' in mine and "提交数据局督办" in mine
    api = zhang.get("/api/v1/exchange/my-data").json()
    assert [a["objection_status"] for a in api if a["id"] == access.pk] == ["escalated"]
    # 公安局 still answers (late); the person sees who answered.
    police.post(f"/exchange/objections/{obj.pk}/answer/", {"response": "经核实为出生一件事办件"})
    obj.refresh_from_db()
    assert obj.status == Objection.Status.ANSWERED and obj.answered_by == city.orgs["公安局"].name
    assert f"{city.orgs['公安局'].name}：经核实为出生一件事办件" in zhang.get("/exchange/my-data/").content.decode()
