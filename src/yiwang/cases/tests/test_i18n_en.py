"""The case pages in English (the set_language cookie): 我的办件, the applicant's case detail and 补正,
我的消息, the staff workbench (inbox, case page, 科室督办, workflow definitions) and the 办件 figures.

Page chrome (headings, labels, buttons, table headers, help and empty-state text) follows the visitor's
language; data (item titles, departments, step names, applicants, comments) is shown as stored.
"""

from __future__ import annotations

from typing import Any

from django.test import Client

from yiwang.cases import services
from yiwang.cases.models import Case, WorkItem
from yiwang.kernel.tests.pages import EN, ZH, check, client_in, page

from .conftest import World
from .figures_history import MOVE_FORM, History, build_history
from .test_figures import _leader

MOVE = "QR03004000"  # 市内户口迁移 (公安局): 受理 → 审查 → 决定


def _client(user: Any, language: str = EN) -> Client:
    return client_in(language, user)


def _submitted(world: World) -> Case:
    return services.case_submit(applicant=world.applicant, item_code=MOVE, form=dict(MOVE_FORM))


def _in_corrections(world: World) -> Case:
    case = _submitted(world)
    services.task_act(work_item_id=WorkItem.objects.get(case=case, status="open").pk, user=world.clerk,
                      action="accept")
    return services.task_act(work_item_id=WorkItem.objects.get(case=case, status="open").pk,
                             user=world.approvers["公安局"], action="request_corrections",
                             points=["迁入地址不完整，请补充门牌号"])


# --- the applicant -------------------------------------------------------------------------------------


def test_my_cases_in_english_and_by_default_in_chinese(world: World) -> None:
    history: History = build_history(world)
    case = _submitted(world)
    zhang = _client(world.zhang.user)
    html = page(zhang, "/cases/mine/")
    check(html, where="mine (open)",
           present=["<h1>My cases</h1>", 'aria-label="My services"', ">In progress</a>", ">Completed</a>",
                    ">Draft</a>", ">My messages</a>", ">One-stop bundles</a>", "Awaiting acceptance",
                    f"Case number {case.number}", "Current step: 受理", "working day(s) left", ">Messages</a>",
                    "市内户口迁移", "示范市公安局"],
           absent=["我的办件", "我的办事", "办理中", "已办结", "办件编号", "当前环节", "提交于", "还剩", "待受理",
                   "我的消息", "办一件事"])
    done = page(zhang, "/cases/mine/?tab=done")
    check(done, where="mine (done)",
           present=["Completed · Grant", "Not accepted", f"Case number {history.a.number}", "Submitted 2026-11-16"],
           absent=["已办结", "不予受理", "准予", "办件编号"])
    check(page(zhang, "/cases/mine/?tab=draft"), where="mine (draft)",
           present=["No drafts.", "Find a service"], absent=["没有草稿。", "去办事"])
    zh = page(_client(world.zhang.user, ZH), "/cases/mine/")
    check(zh, where="mine (zh)", present=["<h1>我的办件</h1>", "办理中", "办件编号", "当前环节：受理", "个工作日"],
           absent=["My cases", "In progress", "Case number"])


def test_case_detail_for_the_applicant_in_english(world: World) -> None:
    history = build_history(world)
    html = page(_client(world.zhang.user), f"/cases/mine/{history.a.number}/")
    check(html, where="case detail",
           present=["Case details", "<dt>Case number</dt>", "<dt>Handling department</dt>", "<dt>Accepted at</dt>",
                    "<dt>Promised completion date</dt>", "<dt>Statutory completion date</dt>",
                    "Completed · Grant", "Rate this service", "<h2>Progress</h2>", "<strong>Accept</strong>",
                    "<strong>Request corrections</strong>", "<strong>Corrections by applicant</strong>",
                    "<strong>Completed</strong>", "Case officer", "<h2>Corrections history</h2>",
                    "Corrections requested on 2026-11-16 12:00:", "Corrected on 2026-11-18 12:00",
                    "<h2>Application materials</h2>", "Verified through data sharing (人口库)",
                    "<h2>Application form</h2>", "市内户口迁移", "示范市公安局", "请补充迁入地址的门牌号"],
           absent=["办件详情", "承办部门", "承诺办结日期", "受理时间", "办理进度", "补正记录", "要求补正", "申请材料",
                   "数据共享核验", "评价本次服务", "经办人员", "已办结", "申请表"])


def test_corrections_page_and_open_case_in_english(world: World) -> None:
    case = _in_corrections(world)
    zhang = _client(world.zhang.user)
    detail = page(zhang, f"/cases/mine/{case.number}/")
    check(detail, where="case in corrections",
           present=["Awaiting corrections", "See the requested corrections and make them", "working day(s)"],
           absent=["待补正", "查看补正要求并补正", "个工作日"])
    check(page(zhang, "/cases/mine/"), where="mine (corrections)", present=[">Make corrections</a>"],
           absent=["去补正"])
    html = page(zhang, f"/cases/mine/{case.number}/corrections/")
    check(html, where="corrections",
           present=["<h1>Make corrections：市内户口迁移</h1>", "What needs correcting (all at once)",
                    "Requested by the handling department on", "Edit the application form", "Additional materials",
                    "Notes on the corrections", ">Submit corrections</button>", ">Back</a>",
                    "迁入地址不完整，请补充门牌号"],
           absent=["补正材料", "一次性告知", "由承办部门提出", "修改申请表", "补交材料", "提交补正", "返回"])


def test_my_messages_in_english(world: World) -> None:
    _submitted(world)
    html = page(_client(world.zhang.user), "/cases/notifications/")
    check(html, where="notifications",
           present=["<h1>My messages", "unread</span>", ">Mark all as read</button>", ">View case</a>",
                    ">Mark as read</button>"],
           absent=["<h1>我的消息", "条未读", "全部标为已读", "查看办件", "标为已读"])


# --- the staff workbench -------------------------------------------------------------------------------


def test_workbench_inbox_in_english(world: World) -> None:
    case = _submitted(world)
    html = page(_client(world.clerk), "/cases/workbench/")
    check(html, where="inbox",
           present=["<h1>Case workbench</h1>", ">My to-do list</a>", ">Workbench home</a>", ">To do</a>",
                    ">Done</a>", ">Overdue</a>", "Tick cases to handle them in a batch", "<th>Case number</th>",
                    "<th>Arrived at</th>", "<th>Time limit</th>", "Green light", ">Unclaimed</span>", case.number,
                    "市内户口迁移"],
           absent=["办件工作台", "我的待办", "工作台首页", ">待办</a>", "勾选办件后批量处理", "到达时间", "时限", "绿灯",
                   "待认领", "办件编号"])
    check(page(_client(world.clerk), "/cases/workbench/?tab=done"), where="inbox (done)",
           present=["<th>Handled at</th>", "Nothing done yet."], absent=["办理时间", "暂无已办。"])
    # Labels kept in Python (tabs, batch buttons, the SLA countdown, the action taken) are translated too.
    check(html, where="inbox labels", present=[">Copied to me</a>", "working day(s) left"],
           absent=["抄送我的", "批量认领", "批量受理", "批量通过", "剩余"])
    services.task_act(work_item_id=WorkItem.objects.get(case=case, status="open").pk, user=world.clerk,
                      action="accept")
    done = page(_client(world.clerk), "/cases/workbench/?tab=done")
    check(done, where="inbox (done, accepted)", present=[case.number, '<span class="tag ok">Accept</span>'],
           absent=['<span class="tag ok">受理</span>'])  # the step name next to it is data and stays


def test_workbench_case_page_in_english(world: World) -> None:
    case = _submitted(world)
    clerk = _client(world.clerk)
    html = page(clerk, f"/cases/workbench/case/{case.number}/")
    check(html, where="workbench case",
           present=["Case number <strong", "Single service item", "<h2>Case information</h2>",
                    "<dt>Current step</dt>", "<dt>Application channel</dt>", "<dt>Promised time limit</dt>",
                    "working day(s)", "<h2>Application form</h2>", "View full personal information (logged)",
                    "<h2>Case history</h2>", "<h3>Clock periods</h3>", "<th>Owner</th>", "Department handling",
                    "<h3>Work items</h3>", "<th>Handler</th>", ">Claim</button>", "<h2>Case actions</h2>",
                    "<summary>Urge</summary>", 'placeholder="Please handle this as soon as possible"',
                    "<summary>Copy to</summary>", "Or copy to (staff ID)", "网上", "市内户口迁移"],
           absent=["办件信息", "当前环节", "申请渠道", "承诺时限", "申请表单", "查看完整个人信息", "办理过程",
                   "计时区间", "待办记录", "办理人", ">认领<", "办件操作", "催办", "抄送", "请尽快办理", "部门办理"])
    clerk.post(f"/cases/workbench/item/{WorkItem.objects.get(case=case, status='open').pk}/claim/",
               {"version": WorkItem.objects.get(case=case, status="open").row_version})
    claimed = page(clerk, f"/cases/workbench/case/{case.number}/")
    check(claimed, where="workbench case (claimed)",
           present=[">Accept</button>", "<summary>Not accepted</summary>", "Reason (required)",
                    "<summary>Request corrections (all at once)</summary>",
                    "Everything that needs correcting (one point per line)",
                    "<summary>Reassign to a colleague / delegate</summary>", "Colleague's staff ID",
                    ">Reassign</button>", ">Delegate</button>", "Claimed"],
           absent=[">受理</button>", "不予受理", "理由（必填）", "一次性告知", "转办", "委派", "同事工号", "已认领"])


def test_supervision_definitions_and_figures_in_english(world: World) -> None:
    build_history(world)
    head = _client(world.heads["公安局"])
    department = page(head, "/cases/workbench/department/")
    check(department, where="department",
           present=["<h1>Section supervision · 示范市公安局</h1>", ">Run overdue supervision now</button>",
                    "<h2>Workload</h2>", "<caption>By handler</caption>", "<caption>By step</caption>",
                    "<h2>Overdue cases</h2>", "No overdue cases.", "<h2>Overdue supervision</h2>",
                    "No cases under supervision."],
           absent=["科室督办", "立即运行超期督办", "工作量", "按办理人", "超期办件", "暂无督办件。", "超期督办"])
    definitions = page(head, f"/cases/workbench/definitions/{MOVE}/")
    check(definitions, where="definitions",
           present=["<h1>Procedure · QR03004000</h1>", "Version 1", ">Current</span>", "<h2>Instant approval rule</h2>",
                    "No instant approval rules", "<h2>Publish a new version</h2>",
                    'Submit as JSON: {"steps": [{"code", "name", "kind": intake|task|all|any|vote|decision, '
                    '"role", "department", "participants", "next", "reject_to", "cc"}]}. Cases already in progress',
                    "Workflow definition (JSON)"],
           absent=["第 1 版", "现行", "秒批规则", "发布新版本", "以 JSON 提交", "流程定义"])
    zh = page(_client(world.heads["公安局"], ZH), f"/cases/workbench/definitions/{MOVE}/")
    assert ('以 JSON 提交：{"steps": [{"code", "name", "kind": intake|task|all|any|vote|decision, "role", '
            '"department", "participants", "next", "reject_to", "cc"}]}。正在办理的办件仍按原版本办理。') in zh

    figures = page(_client(_leader(world)), "/cases/figures/?days=90")
    check(figures, where="figures",
           present=["<h1>Case statistics</h1>", ">Period</label>", "Last 90 days", ">View</button>",
                    "Counted by completion date", "<h2>Cases completed</h2>", "<h2>Share of immediate cases</h2>",
                    "<h2>Share with zero visits</h2>", "<h2>Average time taken (department clock)</h2>",
                    "working days; promised on average", "<h2>Materials not submitted by applicants</h2>",
                    '<th scope="col">Immediate %</th>', '<th scope="col">Within promise %</th>',
                    '<th scope="col">Return rate %</th>', '<th scope="col">Correction rate %</th>',
                    "<h2>Steps that could be streamlined</h2>", "<h2>Material sources</h2>", "市内户口迁移"],
           absent=["办件统计", "时间范围", "近90天", "办结件数", "即办件", "零跑动", "平均用时", "材料免提交", "退回率",
                   "补正率", "可考虑精简的环节", "材料来源", "%%"])
