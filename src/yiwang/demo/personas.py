"""The demo personas (DESIGN.md §6): one per role, listed on the login page in demo mode."""

from __future__ import annotations

DEMO_PASSWORD = "yiwang-demo-2026"

PERSONAS: list[dict[str, str]] = [
    {"username": "13800000001", "name": "张伟", "role": "市民 · 新手爸爸", "journey": "出生一件事；查看谁用了我的数据"},
    {"username": "13800000002", "name": "王秀英", "role": "市民 · 72岁长者", "journey": "长者模式；孙子帮办退休一件事"},
    {"username": "13800000003", "name": "李娜", "role": "企业法定代表人", "journey": "开办企业一件事；食品经营许可",
     "acting_for_enterprise": "1"},
    {"username": "chenchen", "name": "陈晨", "role": "窗口受理 · 政务服务中心", "journey": "受理、补正、一窗受理"},
    {"username": "zhaoqiang", "name": "赵强", "role": "审批 · 市卫健委", "journey": "出生医学证明；会签"},
    {"username": "liuyang", "name": "刘洋", "role": "审批 · 市公安局户政", "journey": "户口登记"},
    {"username": "sunmin", "name": "孙敏", "role": "审批 · 市医保局", "journey": "医保参保；差评整改"},
    {"username": "zhoulei", "name": "周磊", "role": "12345热线话务员", "journey": "受理与派单"},
    {"username": "wugang", "name": "吴刚", "role": "数据专员 · 市数据局", "journey": "资源目录、共享审批、数据质量"},
    {"username": "hejing", "name": "何静", "role": "事项目录管理员 · 市数据局", "journey": "编辑、发布、导入事项"},
    {"username": "zhengjuzhang", "name": "郑局长", "role": "领导 · 市政府", "journey": "一网统管驾驶舱"},
    {"username": "13800000004", "name": "王小明", "role": "市民 · 王秀英的孙子", "journey": "为奶奶帮办"},
]
