"""Demo data for 数据共享交换: the catalogue (17 resources, all three sharing types), the six base
registries filled for 示范市's people and enterprises (人口库, 法人库, 社保参保, 医保参保, 纳税信用,
不动产登记, 婚姻登记 …), historical sharing requests in every state, grants (including the prefill
grants of the 一网通办 platform), and 30 days of gateway calls — so the bureau's figures and 张伟's
谁用了我的数据 page show something real. Deterministic from the seed; written through services."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from yiwang.exchange import services
from yiwang.exchange.providers import registry_put
from yiwang.exchange.standard import install
from yiwang.identity.models import Enterprise, Organisation, Person
from yiwang.kernel.context import Actor, acting_as
from yiwang.kernel.crypto import decrypt_field
from yiwang.kernel.masking import mask_id_number

ETHNICITIES = ["汉族"] * 18 + ["回族", "满族", "壮族", "苗族"]
EMPLOYER_FALLBACK = ["示范市第一人民医院", "示范市实验中学", "示范市公共交通集团有限公司", "示范市供电公司"]
_day = {"today": date(2026, 11, 20)}


def _today() -> date:
    return _day["today"]


def _age(born: date) -> int:
    return _today().year - born.year - ((_today().month, _today().day) < (born.month, born.day))


def _address(person: Person, rng: random.Random) -> str:
    region = person.region
    parts: list[str] = []
    while region is not None and region.level >= 3:
        parts.append(region.name)
        region = region.parent
    return "示范市" + "".join(reversed(parts)) + f"{rng.choice(['幸福里', '和平苑', '阳光小区', '春晖花园'])}" \
        f"{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(101, 2802)}室"


def build_registries(rng: random.Random) -> dict[str, int]:
    people = list(Person.objects.select_related("region__parent__parent").order_by("created_at", "id_number_index"))
    ids = {p.pk: decrypt_field(p.id_number_enc) for p in people}
    counts = {"population": 0, "social_insurance": 0, "medical_insurance": 0, "marriage": 0, "real_estate": 0,
              "legal_entity": 0, "tax_credit": 0, "food_license": 0, "assistance": 0}
    by_phone = {p.phone_masked: p for p in people}
    zhang = next((p for p in people if p.real_name == "张伟" and p.phone_masked == "138****0001"), None)
    chen = next((p for p in people if p.real_name == "陈静" and p.phone_masked == "138****0005"), None)
    del by_phone
    households: dict[Any, tuple[str, str, str]] = {}
    # Couples: 张伟 and 陈静, then random adults of opposite sex.
    couples: list[tuple[Person, Person, date]] = []
    if zhang is not None and chen is not None:
        couples.append((zhang, chen, date(2022, 5, 20)))
    singles = [p for p in people if p not in (zhang, chen) and _age(p.birth_date) >= 24]
    rng.shuffle(singles)
    men = [p for p in singles if p.gender == "M"]
    women = [p for p in singles if p.gender == "F"]
    for m, w in list(zip(men, women, strict=False))[: len(singles) // 5]:
        couples.append((m, w, date(rng.randint(1975, 2025), rng.randint(1, 12), rng.randint(1, 28))))
    spouse: dict[Any, tuple[Person, date]] = {}
    for a, b, when in couples:
        spouse[a.pk] = (b, when)
        spouse[b.pk] = (a, when)
    for p in people:
        if p.pk in households:
            continue
        address = _address(p, rng)
        number = f"{rng.randint(10_000_000, 99_999_999)}"
        households[p.pk] = (address, number, "户主")
        if p.pk in spouse:
            households[spouse[p.pk][0].pk] = (address, number, "配偶")
    for p in people:
        idn = ids[p.pk]
        address, number, relation = households[p.pk]
        head = p if relation == "户主" else spouse[p.pk][0]
        registry_put(registry="population", key=idn, key_masked=mask_id_number(idn), subject_ref=p.subject_ref,
                     data={"xm": p.real_name, "xb": "男" if p.gender == "M" else "女", "csrq": p.birth_date.isoformat(),
                           "mz": rng.choice(ETHNICITIES), "sfzh": idn, "hjdz": address, "hh": number,
                           "yhzgx": relation, "hzxm": head.real_name})
        counts["population"] += 1
        age = _age(p.birth_date)
        if p.pk in spouse:
            other, when = spouse[p.pk]
            registry_put(registry="marriage", key=idn, key_masked=mask_id_number(idn), subject_ref=p.subject_ref,
                         data={"xm": p.real_name, "hyzk": "已婚", "poxm": other.real_name, "posfzh": ids[other.pk],
                               "djrq": when.isoformat(), "djjg": "示范市民政局婚姻登记处"})
            counts["marriage"] += 1
        working = 18 <= age < (60 if p.gender == "M" else 55)
        if (working and (rng.random() < 0.85 or p is zhang)) or age >= 60:
            retired = not working
            registry_put(registry="social_insurance", key=idn, key_masked=mask_id_number(idn), subject_ref=p.subject_ref,
                         data={"xm": p.real_name, "cbzt": "正常参保" if not retired else "退休（领取养老金）",
                               "xz": "企业职工基本养老保险、失业保险、工伤保险" if not retired else "企业职工基本养老保险",
                               "dwmc": rng.choice(EMPLOYER_FALLBACK) if not retired else "示范市社会保险事业管理中心",
                               "cbrq": date(max(p.birth_date.year + 20, 1995), rng.randint(1, 12), 1).isoformat(),
                               "jfjs": rng.choice([4200, 5600, 6800, 8900, 12000])})
            counts["social_insurance"] += 1
        if rng.random() < 0.95 or p in (zhang, chen):
            employee = working and rng.random() < 0.8
            registry_put(registry="medical_insurance", key=idn, key_masked=mask_id_number(idn), subject_ref=p.subject_ref,
                         data={"xm": p.real_name, "cbzt": "正常参保", "xz": "职工基本医疗保险" if employee
                               else "城乡居民基本医疗保险", "cbrq": date(rng.randint(2008, 2024), 1, 1).isoformat()})
            counts["medical_insurance"] += 1
        if (age >= 28 and rng.random() < 0.3) or p is zhang:
            registry_put(registry="real_estate", key=idn, key_masked=mask_id_number(idn), subject_ref=p.subject_ref,
                         data={"qlr": p.real_name, "bdcqzh": f"示(2023)示范市不动产权第{rng.randint(1, 99999):07d}号",
                               "zl": address.split("栋")[0] + "栋", "mj": rng.choice([68.5, 89.2, 96.0, 118.7, 142.3]),
                               "yt": "住宅", "djrq": date(rng.randint(2010, 2025), rng.randint(1, 12), 1).isoformat(),
                               "dyzk": rng.choice(["无抵押", "抵押中（示范市商业银行）"])})
            counts["real_estate"] += 1
        if age >= 60 and rng.random() < 0.08:
            registry_put(registry="assistance", key=idn, key_masked=mask_id_number(idn), subject_ref=p.subject_ref,
                         data={"xm": p.real_name, "jzlb": rng.choice(["最低生活保障", "特困人员供养"])})
            counts["assistance"] += 1
    for e in Enterprise.objects.select_related("legal_rep").order_by("credit_code"):
        registry_put(registry="legal_entity", key=e.credit_code, key_masked=e.credit_code, subject_ref=e.subject_ref,
                     data={"qymc": e.name, "qylx": e.kind, "fddbr": e.legal_rep.real_name, "zczb": str(e.registered_capital),
                           "clrq": e.established_on.isoformat() if e.established_on else "", "zs": e.address,
                           "jyfw": e.business_scope, "djzt": "存续（在营、开业、在册）",
                           "jyyc": "未列入" if rng.random() < 0.93 else "列入（未按时公示年报）"})
        registry_put(registry="tax_credit", key=e.credit_code, key_masked=e.credit_code, subject_ref=e.subject_ref,
                     data={"qymc": e.name, "nsxydj": rng.choice("AAABBBBMC") if e.established_on and
                           e.established_on.year < 2025 else "M", "pdnd": "2025"})
        counts["legal_entity"] += 1
        counts["tax_credit"] += 1
        if "餐饮" in e.name:
            registry_put(registry="food_license", key=e.credit_code, key_masked=e.credit_code, subject_ref=e.subject_ref,
                         data={"xkzbh": f"JY1990100{rng.randint(10_000_000, 99_999_999)}", "jyzmc": e.name,
                               "yxq": date(2031, rng.randint(1, 12), 1).isoformat()})
            counts["food_license"] += 1
    return counts


def _at(day_offset: int, hour: int, minute: int) -> datetime:
    base = timezone.make_aware(datetime.combine(_today() - timedelta(days=day_offset), datetime.min.time()))
    return base + timedelta(hours=hour, minutes=minute)


# (consumer short name, resource code, items or None (all), purpose, legal basis, days ago, outcome)
HISTORY: list[tuple[str, str, list[str] | None, str, str, int, str]] = [
    ("医保局", "A0101001", None, "参保登记时核验参保人身份", "《中华人民共和国社会保险法》第五十八条", 58, "auto"),
    ("公安局", "A0103001", ["xm", "hyzk", "poxm", "djrq"], "办理出生一件事户口登记时核验父母婚姻状况",
     "《中华人民共和国户口登记条例》第七条", 57, "approved"),
    ("人社局", "A0101002", ["xm", "hjdz", "hh"], "办理社保卡申领与就业登记时核验户籍",
     "《中华人民共和国社会保险法》第五十八条", 55, "approved"),
    ("医保局", "A0101002", ["xm", "hjdz", "hh", "yhzgx"], "新生儿参加城乡居民医保时核验户籍",
     "《中华人民共和国社会保险法》第二十五条", 52, "approved"),
    ("市场监管局", "A0202001", None, "企业信用风险分类监管", "《企业信息公示暂行条例》第十八条", 50, "approved"),
    ("人社局", "A0201001", None, "就业补贴申领时核验用人单位", "《就业促进法》第十五条", 49, "auto"),
    ("住建局", "A0202002", None, "住房保障资格审核", "《公共租赁住房管理办法》", 45, "refused"),
    ("教育局", "A0105001", None, "学位申请时核验房产", "《中华人民共和国义务教育法》第十二条", 40, "rejected"),
    ("民政局", "A0104001", ["xm", "cbzt", "dwmc"], "最低生活保障家庭经济状况核对",
     "《社会救助暂行办法》第十一条", 33, "approved"),
    ("教育局", "A0101002", ["xm", "hjdz", "hh"], "义务教育入学登记时核验学生户籍",
     "《中华人民共和国义务教育法》第十二条", 6, "pending_provider"),
    ("税务局", "A0105001", ["qlr", "bdcqzh", "zl", "mj"], "个人所得税住房贷款利息专项扣除核验",
     "《中华人民共和国个人所得税法》第十五条", 9, "pending_bureau"),
    ("公安局", "A0104002", None, "户口登记后续办理医保参保提示", "《中华人民共和国社会保险法》第五十八条", 30, "auto"),
]

PREFILL_GRANTS = [("A0101001", None), ("A0101002", ["xm", "hjdz", "hh", "yhzgx"]),
                  ("A0103001", ["xm", "hyzk", "poxm", "djrq"]), ("A0104001", ["xm", "cbzt", "xz", "dwmc"]),
                  ("A0104002", None), ("A0201001", None), ("A0202001", None)]


def build_requests(orgs: dict[str, Organisation], resources: dict[str, Any]) -> dict[str, int]:
    bureau = orgs["数据局"]
    made = 0
    for short, code, items, purpose, basis, ago, outcome in HISTORY:
        consumer, res = orgs[short], resources[code]
        submitted = _at(ago, 9, 30)
        with acting_as(Actor(label=f"{consumer.short_name}数据专员")):
            req = services.request_submit(
                resource=res, consumer_code=consumer.code, consumer_name=consumer.name,
                items=items or list(res.items.values_list("code", flat=True)), purpose=purpose, legal_basis=basis,
                valid_from=submitted.date(), valid_until=_today() + timedelta(days=365),
                requested_by=f"{consumer.short_name}数据专员", now=submitted)
        made += 1
        provider_label = f"{res.provider_name}审批人员"
        if outcome in ("approved", "rejected", "pending_bureau"):
            services.request_decide(request=req, approve=outcome != "rejected", org_code=res.provider_code,
                                    is_bureau=False, by_label=provider_label, now=submitted + timedelta(days=3),
                                    comment="同意，限于申请用途使用" if outcome != "rejected"
                                    else "申请用途与共享条件不符：学位申请请由申请人提交不动产权证书")
        if outcome == "approved":
            services.request_decide(request=req, approve=True, org_code=bureau.code, is_bureau=True,
                                    by_label="吴刚", now=submitted + timedelta(days=5), comment="同意")
    until = timezone.make_aware(datetime.combine(_today() + timedelta(days=730), datetime.min.time()))
    for code, items in PREFILL_GRANTS:
        res = resources[code]
        services.grant_create(resource=res, consumer_code=services.PREFILL_CONSUMER_CODE,
                              consumer_name=services.PREFILL_CONSUMER_NAME,
                              items=items or list(res.items.values_list("code", flat=True)),
                              purpose="一网通办办件表单预填（申请人本人办理）", legal_basis="依申请人办理事项的设定依据",
                              valid_from=_at(60, 0, 0), valid_until=until)
    return {"共享申请": made, "预填授权": len(PREFILL_GRANTS)}


def build_calls(rng: random.Random, orgs: dict[str, Organisation]) -> int:
    """30 days of gateway calls by the consumers holding grants, including the calls 张伟 will see."""
    from yiwang.exchange.models import Grant
    from yiwang.exchange.services import GatewayError

    people = list(Person.objects.order_by("created_at", "id_number_index"))
    ids = [decrypt_field(p.id_number_enc) for p in people]
    ents = list(Enterprise.objects.order_by("credit_code").values_list("credit_code", flat=True))
    grants = [g for g in Grant.objects.select_related("resource").filter(revoked_at__isnull=True)
              if g.consumer_code != services.PREFILL_CONSUMER_CODE]
    zhang = next(p for p in people if p.real_name == "张伟" and p.phone_masked == "138****0001")
    zhang_id = ids[people.index(zhang)]
    calls = 0
    for ago in range(29, -1, -1):
        for _ in range(rng.randint(8, 20)):
            g = rng.choice(grants)
            if g.valid_from > _at(ago, 23, 0):
                continue
            key = rng.choice(ents) if g.resource.key_type == "credit_code" else rng.choice(ids)
            try:
                with acting_as(Actor(label=f"{g.consumer_name}业务系统")):
                    services.gateway_call(resource_code=g.resource.code, key=key, purpose=g.purpose,
                                          consumer_code=g.consumer_code, consumer_name=g.consumer_name,
                                          now=_at(ago, rng.randint(8, 17), rng.randint(0, 59)))
            except GatewayError:
                pass
            calls += 1
        if ago % 6 == 0:  # a department without a grant tries its luck: refused and logged
            try:
                services.gateway_call(resource_code="A0105001", key=rng.choice(ids), purpose="核实房产情况",
                                      consumer_code=orgs["交通运输局"].code, consumer_name=orgs["交通运输局"].name,
                                      now=_at(ago, 10, 5))
            except GatewayError:
                calls += 1
    # 张伟's story: his marriage and 户籍 were used for his daughter's 出生一件事, his insurance by 医保局.
    gongan, yibao = orgs["公安局"], orgs["医保局"]
    with acting_as(Actor(label="刘洋（市公安局户政）")):
        services.gateway_call(resource_code="A0103001", key=zhang_id, purpose="办理出生一件事户口登记时核验父母婚姻状况",
                              consumer_code=gongan.code, consumer_name=gongan.name, now=_at(4, 10, 12))
    with acting_as(Actor(label="孙敏（市医保局）")):
        services.gateway_call(resource_code="A0101002", key=zhang_id, purpose="新生儿参加城乡居民医保时核验户籍",
                              consumer_code=yibao.code, consumer_name=yibao.name, now=_at(3, 15, 40))
        services.gateway_call(resource_code="A0101001", key=zhang_id, purpose="参保登记时核验参保人身份",
                              consumer_code=yibao.code, consumer_name=yibao.name, now=_at(3, 15, 41))
    with acting_as(Actor(label="一网通办平台")):
        services.prefill_for(zhang, ["name", "household_address", "household_number", "marital_status", "spouse_name",
                                     "medical_insurance_status"],
                             legal_basis="《国务院关于加快推进政务服务“高效办成一件事”的指导意见》（出生一件事）",
                             purpose="出生一件事：预填父亲的户籍、婚姻与参保信息")
    return calls + 4


def build_objections(zhang_ref: str) -> int:
    """Two people object to a call on their data: one 20 days ago, left unanswered by the department
    and so escalated to 数据局 (shown flagged on the bureau's workbench), one yesterday, still open.
    张伟's own calls are left without objections (the browser path objects to one of them)."""
    from yiwang.exchange.models import AccessLog, Objection

    rows = (AccessLog.objects.filter(result=AccessLog.Result.OK, subject_ref__startswith="person:")
            .exclude(subject_ref=zhang_ref).exclude(consumer_code=services.PREFILL_CONSUMER_CODE).order_by("at", "id"))
    made = 0
    for ago, reason in ((20, "我近期没有在该部门办理任何业务，不清楚为何查询我的信息"), (1, "查询事由与我办理的事项不符，请说明")):
        access = rows.filter(at__lt=_at(ago, 8, 0)).last()
        if access is None:
            continue
        raised = _at(ago, 9, 15)
        with acting_as(Actor(label="数据主体（演示）")):
            obj = services.objection_raise(subject_ref=access.subject_ref, access=access, reason=reason, now=raised)
        Objection.objects.filter(pk=obj.pk).update(created_at=raised)
        made += 1
    with acting_as(Actor(label="异议督办定时任务")):
        services.objections_escalate_due()
    return made


def build(seed: int) -> dict[str, int]:
    rng = random.Random(seed + 7)
    _day["today"] = timezone.localdate()
    orgs = {o.short_name: o for o in Organisation.objects.all()}
    providers = {short: (o.code, o.name) for short, o in orgs.items() if o.kind == Organisation.Kind.DEPARTMENT}
    resources = install(providers)
    summary: dict[str, int] = {"共享资源": len(resources)}
    summary.update({f"基础库·{k}": v for k, v in build_registries(rng).items()})
    summary.update(build_requests(orgs, resources))
    summary["共享调用"] = build_calls(rng, orgs)
    zhang = Person.objects.filter(real_name="张伟", phone_masked="138****0001").first()
    summary["数据使用异议"] = build_objections(zhang.subject_ref if zhang is not None else "")
    for ago in range(1, 8):
        services.digest_publish(_today() - timedelta(days=ago))
    return summary
