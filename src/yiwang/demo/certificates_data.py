"""Demo data for 电子证照: the certificate catalogue and certificates issued through the services —
张伟's 居民户口簿 and 结婚证 (with 陈静), 李娜's 示范市青禾餐饮有限公司 营业执照 and 食品经营许可证, and
about thirty more across 示范市's people and enterprises, including an expired, a suspended and a
revoked one. Deterministic from the seed. Also: the 卫健委 出生医学证明 system as an OAuth client allowed to
issue (`certificates:issue`, client id `shifan-wjw-birth`, secret in $YIWANG_HOME/oauth_clients.json), and
张伟 sharing his 户口簿 with 示范市商业银行 (授权用证) with one recorded use."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from yiwang.identity import selectors as identity_selectors
from yiwang.identity.models import Enterprise, Person
from yiwang.kernel.crypto import decrypt_field

TODAY = date(2026, 11, 20)
STREETS = ["人民路", "建设路", "中山路", "滨江大道", "科技园路", "解放路"]
ESTATES = ["幸福里", "和平苑", "阳光小区", "春晖花园"]


def _id(person: Person) -> str:
    return decrypt_field(person.id_number_enc)


def _address(rng: random.Random) -> str:
    return (f"示范市中心区{rng.choice(STREETS)}{rng.randint(1, 300)}号{rng.choice(ESTATES)}"
            f"{rng.randint(1, 30)}栋{rng.randint(101, 2802)}室")


def build(seed: int) -> dict[str, int]:
    from yiwang.certificates import catalogue, services

    rng = random.Random(seed ^ 0xC3A7)
    departments = {o.short_name: o for o in identity_selectors.departments()}
    types = catalogue.install({short: o.code for short, o in departments.items()})
    if not types:
        return {}
    code = {name: t.code for name, t in types.items()}
    issued: list[Any] = []

    def issue(type_name: str, holder: Person | Enterprise, content: dict[str, Any], issued_on: date,
              **kw: Any) -> Any:
        ctype = types.get(type_name)
        if ctype is None:
            return None
        issuer = departments[ctype.issuer_short_name]
        who: dict[str, Any]
        if isinstance(holder, Person):
            who = {"holder_name": holder.real_name, "holder_code": _id(holder), "holder_code_type": "公民身份号码"}
        else:
            who = {"holder_name": holder.name, "holder_code": holder.credit_code, "holder_code_type": "统一社会信用代码"}
        cert = services.certificate_issue(type_code=code[type_name], issuer_code=issuer.code,
                                          subject_ref=holder.subject_ref, content=content, issued_on=issued_on, **who,
                                          **kw)
        issued.append(cert)
        return cert

    def hukou(p: Person, head: Person, relation: str, address: str, issued_on: date) -> Any:
        return issue("居民户口簿", p, {
            "KZ_HZXM": head.real_name, "KZ_HB": "家庭户", "KZ_ZZ": address, "KZ_XM": p.real_name,
            "KZ_YHZGX": relation, "KZ_XB": p.get_gender_display(), "KZ_CSRQ": p.birth_date.isoformat(),
            "KZ_MZ": "汉族"}, issued_on)

    def marriage(p: Person, husband: Person, wife: Person, on: date) -> Any:
        return issue("结婚证", p, {"KZ_CZR": p.real_name, "KZ_DJRQ": on.isoformat(), "KZ_NFXM": husband.real_name,
                                  "KZ_NVFXM": wife.real_name, "KZ_DJJG": "示范市民政局婚姻登记处"}, on)

    def social_card(p: Person, on: date) -> Any:
        return issue("社会保障卡", p, {"KZ_XM": p.real_name, "KZ_KH": f"S{rng.randint(10_000_000, 99_999_999)}",
                                    "KZ_FKJG": "示范市人力资源和社会保障局"}, on)

    def licence(e: Enterprise, on: date) -> Any:
        return issue("营业执照", e, {
            "KZ_MC": e.name, "KZ_LX": e.kind, "KZ_FDDBR": e.legal_rep.real_name, "KZ_ZCZB": f"{e.registered_capital}万元",
            "KZ_CLRQ": (e.established_on or on).isoformat(), "KZ_ZS": e.address or "示范市", "KZ_JYFW": e.business_scope
            or "一般项目"}, on, number=e.credit_code)

    def food(e: Enterprise, on: date, **kw: Any) -> Any:
        return issue("食品经营许可证", e, {
            "KZ_JYZMC": e.name, "KZ_FDDBR": e.legal_rep.real_name, "KZ_ZS": e.address or "示范市",
            "KZ_JYCS": e.address or "示范市", "KZ_ZTYT": "餐饮服务经营者（小型餐馆）",
            "KZ_JYXM": "热食类食品制售；冷食类食品制售"}, on,
            number=f"JY2{e.credit_code[2:8]}{rng.randint(10_000_000, 99_999_999)}", **kw)

    zhang = identity_selectors.person_by_phone("13800000001")
    chen = identity_selectors.person_by_phone("13800000005")
    lina = identity_selectors.person_by_phone("13800000003")
    if zhang is not None and chen is not None:
        home = "示范市中心区人民路12号幸福里3栋1单元502室"
        hukou(zhang, zhang, "户主", home, date(2022, 6, 8))
        hukou(chen, zhang, "配偶", home, date(2022, 6, 8))
        marriage(zhang, zhang, chen, date(2022, 5, 20))
        marriage(chen, zhang, chen, date(2022, 5, 20))
        social_card(zhang, date(2019, 3, 15))
    if lina is not None:
        qinghe = next((e for e in identity_selectors.enterprises_for_person(lina) if "青禾" in e.name), None)
        if qinghe is not None:
            licence(qinghe, date(2026, 3, 18))
            food(qinghe, date(2026, 4, 9))
        social_card(lina, date(2019, 8, 1))

    # About thirty more across people and enterprises.
    named = {p.pk for p in (zhang, chen, lina) if p is not None}
    people = [p for p in Person.objects.order_by("created_at", "id_number_index")[:200] if p.pk not in named]
    rng.shuffle(people)
    for p in people[:12]:
        social_card(p, TODAY - timedelta(days=rng.randint(100, 3000)))
    for p in people[12:20]:
        hukou(p, p, "户主", _address(rng), TODAY - timedelta(days=rng.randint(200, 6000)))
    estates = []
    for p in people[20:26]:
        estates.append(issue("不动产权证书", p, {
            "KZ_QLR": p.real_name, "KZ_GYQK": rng.choice(["单独所有", "共同共有"]), "KZ_ZL": _address(rng),
            "KZ_BDCDYH": f"990102{rng.randint(100_000, 999_999)}GB{rng.randint(10_000, 99_999)}F{rng.randint(1, 9):08d}",
            "KZ_QLLX": "国有建设用地使用权/房屋所有权", "KZ_YT": "城镇住宅用地/住宅",
            "KZ_MJ": f"{rng.randint(60, 160)}.{rng.randint(10, 99)}平方米"}, TODAY - timedelta(days=rng.randint(30, 3000)),
            number=f"示（2026）示范市不动产权第{rng.randint(1_000_000, 9_999_999)}号"))
    enterprises = [e for e in Enterprise.objects.select_related("legal_rep").order_by("credit_code")
                   if "青禾" not in e.name]
    rng.shuffle(enterprises)
    for e in enterprises[:8]:
        licence(e, e.established_on or TODAY - timedelta(days=400))
    old_food = None
    for e in [e for e in enterprises[:8] if "餐饮" in e.name or "食品" in e.name][:2] or enterprises[:1]:
        old_food = food(e, date(2020, 5, 11), valid_until=date(2025, 5, 10))  # 已过期
    counts = {"revoked": 0, "suspended": 0}
    if estates and estates[0] is not None:
        services.certificate_revoke(identifier=estates[0].identifier, reason="不动产转移登记，原证书注销")
        counts["revoked"] += 1
    if len(estates) > 1 and estates[1] is not None:
        services.certificate_suspend(identifier=estates[1].identifier, reason="异议登记期间暂停使用")
        counts["suspended"] += 1
    del old_food
    shares = _shares(services, issued, zhang)
    clients = _issuer_client(departments.get("卫健委"))
    return {"证照类型": len(types), "电子证照": len([c for c in issued if c is not None]),
            "已撤销证照": counts["revoked"], "已暂停证照": counts["suspended"], "授权用证": shares,
            "证照签发应用": clients}


BIRTH_CLIENT_ID = "shifan-wjw-birth"


def _issuer_client(org: Any) -> int:
    """The 卫健委 birth-certificate system: a client-credentials client bound to its department that may
    issue (`certificates:issue`). Idempotent on the client id; the secret goes to oauth_clients.json."""
    from oauth2_provider.models import Application

    from yiwang.demo import oauth_clients
    from yiwang.identity import services as identity_services

    if org is None or Application.objects.filter(client_id=BIRTH_CLIENT_ID).exists():
        return 0
    app, secret = identity_services.client_register(
        name="卫健委出生医学证明系统", grant=Application.GRANT_CLIENT_CREDENTIALS, scopes=["certificates:issue"],
        client_id=BIRTH_CLIENT_ID, organisation=org, description="部门业务系统，以客户端凭证签发出生医学证明")
    oauth_clients._write_secrets({app.client_id: {"name": app.name, "client_secret": secret,
                                                  "scopes": "certificates:issue", "redirect_uri": ""}})
    return 1


def _shares(services: Any, issued: list[Any], zhang: Person | None) -> int:
    """张伟 lets 示范市商业银行 use his 户口簿 for a housing loan; the bank has used it once."""
    if zhang is None:
        return 0
    hukou = next((c for c in issued if c is not None and c.subject_ref == zhang.subject_ref
                  and c.name == "居民户口簿"), None)
    if hukou is None:
        return 0
    share, token = services.certificate_share_create(
        identifier=hukou.identifier, grantee_kind="party", grantee_name="示范市商业银行", purpose="办理个人住房贷款",
        valid_until=TODAY + timedelta(days=90), granted_by=zhang.real_name, today=TODAY)
    services.certificate_use_by_token(token=token, identifier=hukou.identifier, operator="信贷部 王敏",
                                      reference="贷款申请 HL2026-0042", today=TODAY)
    return 1
