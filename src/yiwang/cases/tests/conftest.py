"""A small 示范市 for case tests: the demo's departments and catalogue, the one-window centre, a
window clerk, approvers and a head in each department, and 张伟 (the applicant)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from yiwang.cases import rules, services
from yiwang.demo import catalog_data
from yiwang.demo.city import DEPARTMENTS
from yiwang.identity import services as identity
from yiwang.identity.models import Organisation, Person, Region, Staff, User
from yiwang.kernel.validators import make_credit_code, make_id_number

PASSWORD = "test-pass-2026"
ZHANG_ID = make_id_number("330106", date(1993, 5, 12), 101)
MOTHER_ID = make_id_number("330106", date(1995, 11, 30), 108)


@dataclass
class World:
    orgs: dict[str, Organisation]
    zhang: Person
    clerk: User  # 政务服务中心 window clerk
    approvers: dict[str, User] = field(default_factory=dict)  # by department short name
    heads: dict[str, User] = field(default_factory=dict)
    clerks: dict[str, User] = field(default_factory=dict)

    @property
    def applicant(self) -> services.Applicant:
        return services.Applicant(ref=self.zhang.subject_ref, name=self.zhang.real_name, user=self.zhang.user)


@pytest.fixture(autouse=True)
def _fresh_caches() -> Any:
    services.forget_definitions()
    rules.forget()
    yield
    services.forget_definitions()
    rules.forget()


@pytest.fixture
def world(db: None) -> World:
    identity.ensure_roles([("window_clerk", "窗口受理人员", True), ("approver", "审批人员", False),
                           ("supervisor", "科室负责人", True)])
    city = Region.objects.create(code="990100000000", name="示范市", level=Region.Level.CITY)
    orgs: dict[str, Organisation] = {}
    for n, (short, full) in enumerate(DEPARTMENTS):
        orgs[short] = Organisation.objects.create(code=make_credit_code("1", "1", "990100", f"MC{n:07d}"), name=full,
                                                  short_name=short, kind=Organisation.Kind.DEPARTMENT, region=city)
    orgs["政务服务中心"] = Organisation.objects.create(
        code=make_credit_code("1", "2", "990100", "MD0000001"), name="示范市政务服务中心", short_name="政务服务中心",
        kind=Organisation.Kind.SERVICE_CENTER, region=city)
    catalog_data.build(1)
    zhang = identity.person_register(real_name="张伟", id_number=ZHANG_ID, phone="13800000001", password=PASSWORD)
    clerk = identity.staff_create(username="chenchen", display_name="陈晨", organisation=orgs["政务服务中心"],
                                  employee_no="SF0", roles=["window_clerk"], password=PASSWORD).user
    w = World(orgs=orgs, zhang=zhang, clerk=clerk)
    for n, short in enumerate(orgs):
        head: Staff = identity.staff_create(username=f"head{n}", display_name=f"{short}科长", organisation=orgs[short],
                                            employee_no=f"SH{n}", roles=["supervisor", "approver"], password=PASSWORD)
        w.heads[short] = head.user
        w.approvers[short] = identity.staff_create(
            username=f"appr{n}", display_name=f"{short}审批员", organisation=orgs[short], employee_no=f"SA{n}",
            roles=["approver"], password=PASSWORD, supervisor=head).user
        w.clerks[short] = identity.staff_create(
            username=f"clerk{n}", display_name=f"{short}窗口", organisation=orgs[short], employee_no=f"SC{n}",
            roles=["window_clerk"], password=PASSWORD, supervisor=head).user
    return w


def birth_form(**over: Any) -> dict[str, Any]:
    form = {"child_name": "张小满", "child_sex": "女", "child_birth_date": "2026-11-20", "mother_name": "陈静",
            "mother_id_number": MOTHER_ID, "father_name": "张伟", "father_id_number": ZHANG_ID,
            "phone": "13800000001", "hukou_follow": "随父", "delivery": "邮寄", "birth_hospital": "示范市妇幼保健院", "address": "示范市中心区人民路1号",
            "household_number": "330106001", "applicant_name": "张伟", "applicant_id_number": ZHANG_ID,
            "bank_account": "6222020200112233445", "bank_name": "中国工商银行示范市分行"}
    form.update(over)
    return form
