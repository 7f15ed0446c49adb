"""The 好差评 pages in English (the set_language cookie): the applicant's rate page, the department's
差评整改 list and the figures. Chrome follows the visitor's language; data is shown as stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from yiwang.cases.tests.conftest import World
from yiwang.cases.tests.figures_history import History, build_history, t
from yiwang.feedback import services
from yiwang.feedback.models import Rectification
from yiwang.kernel.tests.pages import EN, ZH, check, client_in, page


@pytest.fixture
def history(world: World) -> History:
    return build_history(world)


def _client(user: Any, language: str = EN) -> Client:
    return client_in(language, user)


def test_rate_page_in_english_and_by_default_in_chinese(world: World, history: History) -> None:
    zhang = _client(world.zhang.user)
    form = page(zhang, f"/feedback/rate/{history.d.number}/")
    check(form, where="rate form",
           present=["Rate a case", "<h1>Service rating</h1>", "<dt>Case number</dt>", "<dt>Handling department</dt>",
                    "<dt>Status</dt>", "Completed（Grant）", "<legend>Overall rating</legend>", " Very satisfied</label>",
                    " Fairly satisfied</label>", " Very dissatisfied</label>", "<legend>Ratings by aspect (optional)",
                    ">Efficiency</label>", ">Service attitude</label>", ">Transparency</label>",
                    "5 · Very satisfied", "Comments and suggestions (required if you are dissatisfied)",
                    ">Submit rating</button>", "Dissatisfied ratings (1–2 points)", "市内户口迁移", "示范市公安局"],
           absent=["办件评价", "好差评", "办件编号", "承办部门", "办理状态", "总体评价", "非常满意", "基本满意", "分项评价",
                   "办事效率", "服务态度", "意见和建议", "提交评价", "整改并回访"])
    done = zhang.post(f"/feedback/rate/{history.d.number}/", {"score": "2", "comment": "退回理由不清楚"}, follow=True)
    html = done.content.decode()
    check(html, where="rated",
           present=["Thank you for your rating!", "<h2>Your rating</h2>", "Dissatisfied（2 points）", "Rated at",
                    "The handling department is acting on your feedback：Awaiting rectification",
                    "Rectification deadline", "退回理由不清楚"],
           absent=["感谢您的评价", "您的评价", "不满意", "评价时间", "承办部门正在处理您的意见", "待整改", "整改期限"])
    zh = page(_client(world.zhang.user, ZH), f"/feedback/rate/{history.d.number}/")
    check(zh, where="rated (zh)", present=["<h1>好差评</h1>", "您的评价", "不满意（2 分）", "待整改"],
           absent=["Your rating", "Dissatisfied"])


def test_not_ended_case_cannot_be_rated_says_so_in_english(world: World, history: History) -> None:
    from yiwang.cases import services as case_services
    from yiwang.cases.tests.figures_history import MOVE, MOVE_FORM

    case = case_services.case_submit(applicant=world.applicant, item_code=MOVE, form=dict(MOVE_FORM))
    html = page(_client(world.zhang.user), f"/feedback/rate/{case.number}/")
    check(html, where="rate (open case)", present=["You can rate a case once it is completed (or not accepted)."],
           absent=["办件办结（或不予受理）后才能评价。"])


def test_rectifications_page_in_english(world: World, history: History) -> None:
    services.rating_submit(case_number=history.d.number, user=world.zhang.user, score=1, comment="太慢",
                           now=t(19, 11))
    head = _client(world.heads["公安局"])
    html = page(head, "/feedback/rectifications/")
    check(html, where="rectifications",
           present=["<h1>Poor rating rectification</h1>", ">To do</a>", ">Completed</a>", ">Awaiting rectification</span>",
                    "<dt>Rating</dt>", "Very dissatisfied（1）", "<dt>Comments</dt>", "<dt>Rectification deadline</dt>",
                    ">Rectification measures</label>", ">Record rectification</button>", "张*", "太慢",
                    "市内户口迁移"],
           absent=["差评整改", ">待办<", "已办结", "待整改", "评价内容", "整改期限", "整改措施", "记录整改", "非常不满意"])
    rect = Rectification.objects.get()
    recorded = head.post(f"/feedback/rectifications/{rect.pk}/record/", {"action_taken": "已优化退回说明"}, follow=True)
    html = recorded.content.decode()
    check(html, where="rectified",
           present=["Rectification recorded. Please follow up with the applicant.", "Rectified, awaiting follow-up",
                    "<dt>Action taken</dt>", ">Update rectification</button>", "<legend>Follow-up</legend>",
                    " Applicant contacted</label>", " Could not be reached</label>", "Follow-up outcome",
                    "Applicant satisfied?", ">Still dissatisfied</option>", ">No answer given</option>",
                    ">Record follow-up and close</button>", "已优化退回说明"],
           absent=["整改情况已记录", "已整改待回访", "整改情况", "修改整改情况", "回访", "已联系申请人", "未能联系上",
                   "申请人是否满意", "仍不满意", "未表态"])
    closed = head.post(f"/feedback/rectifications/{rect.pk}/follow-up/",
                       {"contacted": "1", "result": "已回访", "satisfied": "1"}, follow=True).content.decode()
    check(closed, where="followed up", present=["Follow-up recorded; the rectification task is closed."],
           absent=["回访已记录"])
    listing = page(head, "/feedback/rectifications/?tab=closed")
    check(listing, where="closed tab", present=["<dt>Follow-up</dt>", " · Satisfied"], absent=["<dt>回访</dt>", " · 满意"])


def test_figures_page_in_english(world: World, history: History) -> None:
    zhang = world.zhang.user
    services.rating_submit(case_number=history.a.number, user=zhang, score=5, now=t(19, 9))
    services.rating_submit(case_number=history.d.number, user=zhang, score=2, comment="太慢", now=t(19, 11))
    html = page(_client(world.heads["公安局"]), "/feedback/figures/?days=90")
    check(html, where="figures",
           present=["<h1>Service rating statistics</h1>", ">Period</label>", "Last 90 days", ">View</button>",
                    "<h2>Rating rate</h2>", "cases completed", "<h2>Satisfaction rate (4–5 points)</h2>",
                    "Average ", " points", "<h2>Poor rating rate (1–2 points)</h2>", "poor ratings",
                    "<h2>On-time rectification rate</h2>", "Still open", "<h2>Rating distribution</h2>",
                    "<h2>Average score by aspect</h2>", "<h2>By department</h2>", "<h2>By service item</h2>",
                    '<th scope="col">Satisfaction rate</th>', '<th scope="col">Poor rating rate</th>',
                    "示范市公安局", "市内户口迁移"],
           absent=["好差评统计", "时间范围", "评价率", "满意率", "差评", "整改按期率", "件到期", "未办结", "评价分布",
                   "分项平均分", "各部门", "各事项", "平均分"])
