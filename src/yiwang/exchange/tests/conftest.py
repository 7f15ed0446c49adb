"""Fixtures: a small city with the departments that provide and consume data, staff with the roles
that decide, two citizens (张伟 and 陈静, married), the standard catalogue and their registry rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from yiwang.exchange import services
from yiwang.exchange.models import Grant, Resource
from yiwang.exchange.providers import registry_put, reset_breakers
from yiwang.exchange.standard import install
from yiwang.identity import services as identity
from yiwang.identity.auth import forget_all_tokens
from yiwang.identity.models import Enterprise, Organisation, Person, Region, Staff, User
from yiwang.kernel.masking import mask_id_number
from yiwang.kernel.validators import make_credit_code, make_id_number

PASSWORD = "test-pass-2026"
ZHANG_ID = make_id_number("330106", date(1993, 5, 12), 101)
CHEN_ID = make_id_number("330106", date(1995, 11, 30), 108)
ENT_CODE = make_credit_code("9", "1", "990102", "MA7QH0C1X")


@dataclass
class City:
    orgs: dict[str, Organisation]
    zhang: Person
    chen: Person
    enterprise: Enterprise
    liuyang: Staff   # approver, 公安局 (consumer)
    minzheng: Staff  # approver, 民政局 (provider of 婚姻登记)
    wugang: Staff    # data officer, 数据局
    resources: dict[str, Resource]


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    forget_all_tokens()
    reset_breakers()
    services.forget_resources()
    services.forget_grants()
    yield
    forget_all_tokens()
    reset_breakers()
    services.forget_resources()
    services.forget_grants()


@pytest.fixture
def city(db: None) -> City:
    identity.ensure_roles([("approver", "审批人员", True), ("data_officer", "数据专员", False),
                           ("window_clerk", "窗口受理人员", True), ("supervisor", "科室负责人", True)])
    province = Region.objects.create(code="990000000000", name="示范省", level=Region.Level.PROVINCE)
    region = Region.objects.create(code="990100000000", name="示范市", level=Region.Level.CITY, parent=province)
    orgs: dict[str, Organisation] = {}
    for n, (short, full) in enumerate([("公安局", "示范市公安局"), ("民政局", "示范市民政局"), ("医保局", "示范市医疗保障局"),
                                       ("数据局", "示范市政务服务和数据管理局"), ("人社局", "示范市人力资源和社会保障局"),
                                       ("市场监管局", "示范市市场监督管理局"), ("税务局", "国家税务总局示范市税务局"),
                                       ("住建局", "示范市住房和城乡建设局"), ("交通运输局", "示范市交通运输局")]):
        orgs[short] = Organisation.objects.create(code=make_credit_code("1", "1", "990100", f"MB{n:07d}"), name=full,
                                                  short_name=short, kind=Organisation.Kind.DEPARTMENT, region=region)
    zhang = identity.person_register(real_name="张伟", id_number=ZHANG_ID, phone="13800000001", password=PASSWORD,
                                     region=region)
    chen = identity.person_register(real_name="陈静", id_number=CHEN_ID, phone="13800000005", password=PASSWORD)
    ent = identity.enterprise_register(credit_code=ENT_CODE, name="示范市青禾餐饮有限公司", legal_rep=zhang, region=region,
                                       address="示范市中心区人民路88号", established_on=date(2026, 3, 18),
                                       business_scope="餐饮服务")
    liuyang = identity.staff_create(username="liuyang", display_name="刘洋", organisation=orgs["公安局"],
                                    employee_no="SF1", roles=["approver"], password=PASSWORD)
    minzheng = identity.staff_create(username="mz", display_name="民政审批", organisation=orgs["民政局"],
                                     employee_no="SF2", roles=["approver"], password=PASSWORD)
    wugang = identity.staff_create(username="wugang", display_name="吴刚", organisation=orgs["数据局"],
                                   employee_no="SF3", roles=["data_officer"], password=PASSWORD)
    resources = install({s: (o.code, o.name) for s, o in orgs.items()})
    for p, idn, other, other_id in ((zhang, ZHANG_ID, "陈静", CHEN_ID), (chen, CHEN_ID, "张伟", ZHANG_ID)):
        registry_put(registry="population", key=idn, key_masked=mask_id_number(idn), subject_ref=p.subject_ref,
                     data={"xm": p.real_name, "xb": "男" if p.gender == "M" else "女", "csrq": p.birth_date.isoformat(),
                           "mz": "汉族", "sfzh": idn, "hjdz": "示范市中心区人民路街道幸福社区幸福里3栋2单元501室",
                           "hh": "12345678", "yhzgx": "户主" if p == zhang else "配偶", "hzxm": "张伟"})
        registry_put(registry="marriage", key=idn, key_masked=mask_id_number(idn), subject_ref=p.subject_ref,
                     data={"xm": p.real_name, "hyzk": "已婚", "poxm": other, "posfzh": other_id, "djrq": "2022-05-20",
                           "djjg": "示范市民政局婚姻登记处"})
        registry_put(registry="medical_insurance", key=idn, key_masked=mask_id_number(idn), subject_ref=p.subject_ref,
                     data={"xm": p.real_name, "cbzt": "正常参保", "xz": "职工基本医疗保险", "cbrq": "2016-01-01"})
    registry_put(registry="legal_entity", key=ENT_CODE, key_masked=ENT_CODE, subject_ref=ent.subject_ref,
                 data={"qymc": ent.name, "qylx": "有限责任公司", "fddbr": "张伟", "zczb": "50", "clrq": "2026-03-18",
                       "zs": ent.address, "jyfw": "餐饮服务", "djzt": "存续", "jyyc": "未列入"})
    return City(orgs, zhang, chen, ent, liuyang, minzheng, wugang, resources)


def logged_in(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def grant_for(city: City, code: str, items: list[str], *, consumer: str = "公安局", days: int = 30,
              masking: dict[str, str] | None = None) -> Grant:
    org = city.orgs[consumer]
    return services.grant_create(resource=city.resources[code], consumer_code=org.code, consumer_name=org.name,
                                 items=items, purpose="测试用途", legal_basis="测试依据", masking=masking,
                                 valid_until=timezone.now() + timedelta(days=days))
