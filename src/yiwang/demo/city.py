"""示范市: regions, departments, roles, staff, citizens, enterprises — deterministic from a seed,
created through identity services."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from yiwang.identity import services as identity
from yiwang.identity.models import Organisation, Person, Region, Staff, User
from yiwang.kernel.validators import make_credit_code, make_id_number

from .personas import DEMO_PASSWORD

CITY_CODE = "990100"
DISTRICTS = ["中心区", "东湖区", "西山区", "南江区", "北城区", "高新区"]
STREET_SUFFIXES = [["人民路街道", "解放街道", "文昌街道"], ["湖滨街道", "东岸街道", "桃源镇"],
                   ["西山街道", "枫林街道", "石门镇"], ["江南街道", "南港街道", "白沙镇"],
                   ["北苑街道", "新城街道", "双桥镇"], ["科创街道", "智谷街道", "云栖街道"]]
COMMUNITY_NAMES = ["幸福", "和平", "阳光", "春晖", "翠竹", "锦绣", "长青", "友谊", "康乐"]

# (short name, full name, roles held by its staff)
DEPARTMENTS = [
    ("市场监管局", "示范市市场监督管理局"), ("税务局", "国家税务总局示范市税务局"), ("公安局", "示范市公安局"),
    ("人社局", "示范市人力资源和社会保障局"), ("医保局", "示范市医疗保障局"), ("卫健委", "示范市卫生健康委员会"),
    ("民政局", "示范市民政局"), ("住建局", "示范市住房和城乡建设局"), ("自然资源局", "示范市自然资源和规划局"),
    ("交通运输局", "示范市交通运输局"), ("生态环境局", "示范市生态环境局"), ("教育局", "示范市教育局"),
    ("数据局", "示范市政务服务和数据管理局"), ("司法局", "示范市司法局"), ("财政局", "示范市财政局"),
    ("商务局", "示范市商务局"), ("文旅局", "示范市文化广电旅游局"), ("不动产登记中心", "示范市不动产登记中心"),
]

ROLES = [
    ("window_clerk", "窗口受理人员", True), ("approver", "审批人员", False), ("supervisor", "科室负责人", True),
    ("hotline_operator", "12345话务员", False), ("data_officer", "数据专员", False), ("leader", "领导", False),
    ("catalog_manager", "事项目录管理员", False), ("auditor", "监察审计人员", False),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建华", "文博", "子涵", "浩然", "雨桐", "欣怡", "宇轩", "思远", "嘉怡",
         "志强", "海燕", "晓东", "丽华", "俊杰", "梓萱", "佳琪", "一鸣"]
# Real GB/T 2260 county codes for birthplaces (the 身份证 address code is where one was first registered).
BIRTH_REGIONS = ["110105", "310104", "330106", "440305", "510107", "420106", "320102", "370102", "410105", "430104",
                 "350102", "360102", "610113", "500103", "210102", "120101"]
ENTERPRISE_WORDS = ["青禾", "远航", "华信", "启明", "锦程", "盛达", "云帆", "恒瑞", "博远", "嘉禾", "新源", "鼎盛",
                    "同创", "宏图", "安泰", "星河", "丰年", "瑞丰", "卓越", "汇通", "明德", "春华", "银杏", "长风", "蓝海"]
ENTERPRISE_TRADES = [("餐饮", "餐饮服务；食品销售"), ("科技", "软件开发；信息技术咨询服务"),
                     ("商贸", "日用百货销售；五金产品零售"), ("建筑", "房屋建筑工程施工"), ("物流", "道路货物运输；仓储服务"),
                     ("文化传媒", "广告设计、代理；组织文化艺术交流活动"), ("医药", "药品零售；医疗器械经营")]
USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _body9(rng: random.Random) -> str:
    return "".join(rng.choice(USCC_BODY) for _ in range(9))


def build_regions() -> dict[str, Region]:
    province = Region.objects.create(code="990000000000", name="示范省", level=Region.Level.PROVINCE)
    city = Region.objects.create(code="990100000000", name="示范市", level=Region.Level.CITY, parent=province)
    out = {"province": province, "city": city}
    for d_i, district in enumerate(DISTRICTS, start=1):
        dcode = f"9901{d_i:02d}"
        d = Region.objects.create(code=f"{dcode}000000", name=district, level=Region.Level.COUNTY, parent=city)
        out[district] = d
        for s_i, street in enumerate(STREET_SUFFIXES[d_i - 1], start=1):
            s = Region.objects.create(code=f"{dcode}{s_i:03d}000", name=street, level=Region.Level.TOWNSHIP, parent=d)
            for c_i in range(1, 4):
                cname = COMMUNITY_NAMES[(d_i + s_i + c_i) % len(COMMUNITY_NAMES)] + ("社区" if "街道" in street else "村")
                c = Region.objects.create(code=f"{dcode}{s_i:03d}{c_i:03d}", name=cname,
                                          level=Region.Level.VILLAGE, parent=s)
                for g_i in range(1, 3):
                    Region.objects.create(code=f"{dcode}{s_i:03d}{c_i:03d}{g_i:02d}", name=f"{cname}第{g_i}网格",
                                          level=Region.Level.GRID, parent=c)
    return out


def build_organisations(rng: random.Random, regions: dict[str, Region]) -> dict[str, Organisation]:
    city = regions["city"]
    gov = Organisation.objects.create(code=make_credit_code("1", "1", CITY_CODE, _body9(rng)), name="示范市人民政府",
                                      short_name="市政府", kind=Organisation.Kind.GOVERNMENT, region=city)
    out = {"市政府": gov}
    for short, full in DEPARTMENTS:
        out[short] = Organisation.objects.create(code=make_credit_code("1", "1", CITY_CODE, _body9(rng)), name=full,
                                                 short_name=short, kind=Organisation.Kind.DEPARTMENT, region=city,
                                                 parent=gov)
    out["政务服务中心"] = Organisation.objects.create(
        code=make_credit_code("1", "2", CITY_CODE, _body9(rng)), name="示范市政务服务中心", short_name="政务服务中心",
        kind=Organisation.Kind.SERVICE_CENTER, region=city, parent=out["数据局"])
    out["12345热线"] = Organisation.objects.create(
        code=make_credit_code("1", "2", CITY_CODE, _body9(rng)), name="示范市12345政务服务便民热线中心",
        short_name="12345热线", kind=Organisation.Kind.SERVICE_CENTER, region=city, parent=out["数据局"])
    for district in DISTRICTS:
        out[district] = Organisation.objects.create(
            code=make_credit_code("1", "1", regions[district].code[:6], _body9(rng)), name=f"示范市{district}人民政府",
            short_name=district, kind=Organisation.Kind.GOVERNMENT, region=regions[district], parent=gov)
    return out


STAFF_PERSONAS = [
    ("chenchen", "陈晨", "政务服务中心", ["window_clerk"], "综合窗口受理员"),
    ("zhaoqiang", "赵强", "卫健委", ["approver"], "妇幼健康科科员"),
    ("liuyang", "刘洋", "公安局", ["approver"], "户政管理科民警"),
    ("sunmin", "孙敏", "医保局", ["approver"], "参保登记科科员"),
    ("zhoulei", "周磊", "12345热线", ["hotline_operator"], "话务员"),
    ("wugang", "吴刚", "数据局", ["data_officer"], "数据资源科科长"),
    ("hejing", "何静", "数据局", ["catalog_manager"], "政务服务科科员"),
    ("zhengjuzhang", "郑局长", "市政府", ["leader"], "副市长"),
]


def build_staff(rng: random.Random, orgs: dict[str, Organisation], pw_hash: str) -> int:
    count = 0
    for username, name, org, roles, title in STAFF_PERSONAS:
        identity.staff_create(username=username, display_name=name, organisation=orgs[org],
                              employee_no=f"SF{count + 1:05d}", roles=roles, password_hash=pw_hash, title=title)
        count += 1
    # Every department gets a head (supervisor), two approvers and a window clerk.
    for short, _full in [*DEPARTMENTS, ("政务服务中心", ""), ("12345热线", "")]:
        org = orgs[short]
        head = identity.staff_create(
            username=f"head-{org.code[-6:].lower()}", display_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            organisation=org, employee_no=f"SF{count + 1:05d}", roles=["supervisor", "approver"],
            password_hash=pw_hash, title="科长")
        count += 1
        for i, role in enumerate(["approver", "approver", "window_clerk"]):
            identity.staff_create(
                username=f"staff-{org.code[-6:].lower()}-{i}", display_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                organisation=org, employee_no=f"SF{count + 1:05d}", roles=[role], password_hash=pw_hash,
                title="科员", supervisor=head)
            count += 1
    Staff.objects.filter(user__username__in=["chenchen", "zhaoqiang", "liuyang", "sunmin"]).update()
    admin = User.objects.create(username="admin", display_name="系统管理员", kind=User.Kind.ADMIN, is_staff=True,
                                is_superuser=True, password=pw_hash)
    del admin
    return count + 1


def _grid_regions() -> list[Region]:
    return list(Region.objects.filter(level=Region.Level.VILLAGE).order_by("code"))


def build_people(rng: random.Random, pw_hash: str, n: int = 240) -> list[Person]:
    communities = _grid_regions()
    today = date(2026, 11, 1)
    people: list[Person] = []
    named = [
        ("张伟", "13800000001", date(1993, 5, 12), "M", Person.Assurance.L3),
        ("王秀英", "13800000002", date(1954, 3, 8), "F", Person.Assurance.L3),
        ("李娜", "13800000003", date(1988, 9, 21), "F", Person.Assurance.L3),
        ("王小明", "13800000004", date(2001, 7, 2), "M", Person.Assurance.L3),
        ("陈静", "13800000005", date(1995, 11, 30), "F", Person.Assurance.L3),  # 张伟's wife
    ]
    used: set[str] = set()
    for i, (name, phone, born, gender, level) in enumerate(named):
        seq = 100 + 2 * i + (1 if gender == "M" else 0)
        idn = make_id_number("330106", born, seq)
        used.add(idn)
        people.append(identity.person_register(real_name=name, id_number=idn, phone=phone, region=communities[i],
                                               password_hash=pw_hash, username=phone, assurance_level=level))
    while len(people) < n:
        born = today - timedelta(days=rng.randint(18 * 365, 85 * 365))
        male = rng.random() < 0.5
        seq = rng.randrange(0, 998, 2) + (1 if male else 0)
        idn = make_id_number(rng.choice(BIRTH_REGIONS), born, seq)
        if idn in used:
            continue
        used.add(idn)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        phone = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        people.append(identity.person_register(
            real_name=name, id_number=idn, phone=phone, region=rng.choice(communities),
            password_hash=pw_hash if len(people) % 4 == 0 else None, username=phone,
            assurance_level=rng.choice([Person.Assurance.L2, Person.Assurance.L3, Person.Assurance.L3])))
    return people


def build_enterprises(rng: random.Random, people: list[Person], n: int = 60) -> int:
    districts = list(Region.objects.filter(level=Region.Level.COUNTY).order_by("code"))
    lina = people[2]
    identity.enterprise_register(
        credit_code=make_credit_code("9", "1", "990102", "MA7QH0C1X"), name="示范市青禾餐饮有限公司",
        legal_rep=lina, region=districts[0], address="示范市中心区人民路88号", registered_capital=Decimal("50"),
        established_on=date(2026, 3, 18), business_scope="餐饮服务；食品销售（仅销售预包装食品）")
    made, names = 1, {"青禾餐饮"}
    while made < n:
        word = rng.choice(ENTERPRISE_WORDS)
        trade, scope = rng.choice(ENTERPRISE_TRADES)
        if word + trade in names:
            word = rng.choice(ENTERPRISE_WORDS) + rng.choice(ENTERPRISE_WORDS)
            if word + trade in names:
                continue
        names.add(word + trade)
        district = rng.choice(districts)
        identity.enterprise_register(
            credit_code=make_credit_code("9", "1", district.code[:6], "MA" + _body9(rng)[:7]),
            name=f"示范市{word}{trade}有限公司", legal_rep=rng.choice(people[5:]), region=district,
            address=f"示范市{district.name}{rng.choice(['建设路', '中山路', '滨江大道', '科技园路'])}{rng.randint(1, 300)}号",
            registered_capital=Decimal(rng.choice([10, 50, 100, 200, 500, 1000])),
            established_on=date(2026, 1, 1) - timedelta(days=rng.randint(30, 4000)), business_scope=scope)
        made += 1
    return made


def build_delegations(people: list[Person]) -> None:
    grandma, grandson = people[1], people[3]
    now = timezone.now()
    assert grandson.user is not None
    identity.delegation_grant(principal=grandma, agent=grandson.user, scopes=["cases:apply", "cases:view"],
                              valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=365),
                              reason="帮奶奶办理退休一件事")


def build_city(seed: int = 20261123) -> dict[str, int]:
    rng = random.Random(seed)
    identity.ensure_roles(ROLES)
    pw_hash = make_password(DEMO_PASSWORD)
    regions = build_regions()
    orgs = build_organisations(rng, regions)
    staff = build_staff(rng, orgs, pw_hash)
    people = build_people(rng, pw_hash)
    ents = build_enterprises(rng, people)
    build_delegations(people)
    return {"区划与网格": Region.objects.count(), "机构": len(orgs), "工作人员": staff, "自然人": len(people),
            "企业": ents}
