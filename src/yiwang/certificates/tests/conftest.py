"""A small city: the issuing departments, their approvers, 张伟 and 陈静 (married), 李娜 and her company."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.test import Client

from yiwang.certificates import catalogue, services
from yiwang.certificates.models import Certificate, CertificateType
from yiwang.identity import services as identity
from yiwang.identity.models import Enterprise, Organisation, Person, Region, Staff, User
from yiwang.kernel.validators import make_credit_code, make_id_number
from yiwang.ledger import services as ledger

PASSWORD = "test-pass-2026"
ZHANG_ID = make_id_number("330106", date(1993, 5, 12), 101)
CHEN_ID = make_id_number("330106", date(1995, 11, 30), 108)
LI_ID = make_id_number("330106", date(1988, 9, 21), 204)
ENT_CODE = make_credit_code("9", "1", "990102", "MA7QH0C1X")


@dataclass
class City:
    orgs: dict[str, Organisation]
    types: dict[str, CertificateType]
    zhang: Person
    chen: Person
    li: Person
    enterprise: Enterprise
    police: Staff   # approver, 公安局
    market: Staff   # approver, 市场监管局


@pytest.fixture
def city(db: None) -> City:
    identity.ensure_roles([("approver", "审批人员", True), ("supervisor", "科室负责人", True)])
    region = Region.objects.create(code="990100000000", name="示范市", level=Region.Level.CITY)
    orgs: dict[str, Organisation] = {}
    for n, (short, full) in enumerate([("公安局", "示范市公安局"), ("民政局", "示范市民政局"),
                                       ("市场监管局", "示范市市场监督管理局"), ("人社局", "示范市人力资源和社会保障局"),
                                       ("卫健委", "示范市卫生健康委员会"), ("不动产登记中心", "示范市不动产登记中心")]):
        orgs[short] = Organisation.objects.create(code=make_credit_code("1", "1", "990100", f"MB{n:07d}"), name=full,
                                                  short_name=short, kind=Organisation.Kind.DEPARTMENT, region=region)
    types = catalogue.install({s: o.code for s, o in orgs.items()})
    zhang = identity.person_register(real_name="张伟", id_number=ZHANG_ID, phone="13800000001", password=PASSWORD)
    chen = identity.person_register(real_name="陈静", id_number=CHEN_ID, phone="13800000005", password=PASSWORD)
    li = identity.person_register(real_name="李娜", id_number=LI_ID, phone="13800000003", password=PASSWORD)
    ent = identity.enterprise_register(credit_code=ENT_CODE, name="示范市青禾餐饮有限公司", legal_rep=li, region=region,
                                       address="示范市中心区人民路88号", established_on=date(2026, 3, 18),
                                       business_scope="餐饮服务")
    police = identity.staff_create(username="liuyang", display_name="刘洋", organisation=orgs["公安局"],
                                   employee_no="SF1", roles=["approver"], password=PASSWORD)
    market = identity.staff_create(username="scjg", display_name="市场监管审批", organisation=orgs["市场监管局"],
                                   employee_no="SF2", roles=["approver"], password=PASSWORD)
    ledger.ensure_defaults()
    return City(orgs, types, zhang, chen, li, ent, police, market)


def logged_in(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def issue_hukou(city: City, person: Person | None = None, **kw: Any) -> Certificate:
    person = person or city.zhang
    content = {"KZ_HZXM": "张伟", "KZ_HB": "家庭户", "KZ_ZZ": "示范市中心区人民路12号", "KZ_XM": person.real_name,
               "KZ_YHZGX": "户主", "KZ_XB": "男", "KZ_CSRQ": "1993-05-12"}
    return services.certificate_issue(type_code=city.types["居民户口簿"].code, issuer_code=city.orgs["公安局"].code,
                                      holder_name=person.real_name, holder_code=ZHANG_ID,
                                      holder_code_type="公民身份号码", subject_ref=kw.pop("subject_ref", person.subject_ref),
                                      content=content, **kw)


def issue_licence(city: City) -> Certificate:
    content = {"KZ_MC": "示范市青禾餐饮有限公司", "KZ_LX": "有限责任公司", "KZ_FDDBR": "李娜", "KZ_ZCZB": "50万元",
               "KZ_CLRQ": "2026-03-18", "KZ_ZS": "示范市中心区人民路88号", "KZ_JYFW": "餐饮服务"}
    return services.certificate_issue(type_code=city.types["营业执照"].code, issuer_code=city.orgs["市场监管局"].code,
                                      holder_name=city.enterprise.name, holder_code=ENT_CODE,
                                      holder_code_type="统一社会信用代码", subject_ref=city.enterprise.subject_ref,
                                      content=content)
