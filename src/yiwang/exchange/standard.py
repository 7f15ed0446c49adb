"""The demo city's catalogue of shared resources (政务信息资源目录), used by the demo, the benchmark and
the tests. Codes: A = 基础信息资源, B = 主题, C = 部门; then 项 (2), 目 (2), 顺序 (3).

Each base registry (人口库, 法人库, 社保参保, 纳税信用, 不动产登记, 婚姻登记 …) is one `registry` of
RegistryRecord rows; several resources may read the same registry (different item subsets).
"""

from __future__ import annotations

from datetime import date
from typing import Any

P, S, N = "personal", "sensitive", "none"

# (code, name, provider short name, registry, key type, share type, condition, category, classification,
#  update cycle, summary, items [(code, name, type, grade, personal, default mask)])
RESOURCES: list[dict[str, Any]] = [
    {"code": "A0101001", "name": "人口基本信息", "provider": "公安局", "registry": "population", "key": "id_number",
     "share": "unconditional", "condition": "", "classification": "基础信息资源/人口/基本信息",
     "summary": "常住人口的姓名、性别、出生日期、民族、公民身份号码，来源于人口基础信息库。",
     "items": [("xm", "姓名", "字符型", "general", P, "none"), ("xb", "性别", "字符型", "general", P, "none"),
               ("csrq", "出生日期", "日期型", "general", P, "none"), ("mz", "民族", "字符型", "general", S, "none"),
               ("sfzh", "公民身份号码", "字符型", "important", S, "id_number")]},
    {"code": "A0101002", "name": "户籍信息", "provider": "公安局", "registry": "population", "key": "id_number",
     "share": "conditional", "condition": "仅限依法办理户籍、社会保障、教育、婚姻登记等政务服务事项使用；须说明办件事由。",
     "classification": "基础信息资源/人口/户籍", "summary": "户籍地址、户号、与户主关系、户主姓名。",
     "items": [("xm", "姓名", "字符型", "general", P, "none"), ("hjdz", "户籍地址", "字符型", "general", P, "none"),
               ("hh", "户号", "字符型", "general", P, "none"), ("yhzgx", "与户主关系", "字符型", "general", P, "none"),
               ("hzxm", "户主姓名", "字符型", "general", P, "name")]},
    {"code": "A0101009", "name": "违法犯罪记录", "provider": "公安局", "registry": "criminal", "key": "id_number",
     "share": "none", "condition": "《中华人民共和国刑事诉讼法》第二百八十六条及《公安机关办理犯罪记录查询工作规定》："
     "犯罪记录仅由公安机关按规定出具查询结果，不通过共享平台提供。",
     "classification": "基础信息资源/人口/违法犯罪", "summary": "违法犯罪记录。",
     "items": [("ajlb", "案件类别", "字符型", "core", S, "hidden"), ("clrq", "处理日期", "日期型", "core", S, "hidden")]},
    {"code": "A0103001", "name": "婚姻登记信息", "provider": "民政局", "registry": "marriage", "key": "id_number",
     "share": "conditional", "condition": "用于依法办理需核实婚姻状况的事项（户口登记、不动产登记、社会救助等）。",
     "classification": "基础信息资源/人口/婚姻", "summary": "婚姻状况、配偶、登记日期与登记机关。",
     "items": [("xm", "姓名", "字符型", "general", P, "none"), ("hyzk", "婚姻状况", "字符型", "important", S, "none"),
               ("poxm", "配偶姓名", "字符型", "general", P, "none"),
               ("posfzh", "配偶公民身份号码", "字符型", "important", S, "id_number"),
               ("djrq", "登记日期", "日期型", "general", P, "none"), ("djjg", "登记机关", "字符型", "general", N, "none")]},
    {"code": "A0103002", "name": "社会救助对象信息", "provider": "民政局", "registry": "assistance", "key": "id_number",
     "share": "conditional", "condition": "用于社会救助、医疗救助、教育资助的审核，须经提供方同意。",
     "classification": "主题信息资源/社会救助", "summary": "最低生活保障、特困供养等救助对象。",
     "items": [("xm", "姓名", "字符型", "general", P, "none"), ("jzlb", "救助类别", "字符型", "important", S, "none")]},
    {"code": "A0104001", "name": "社会保险参保信息", "provider": "人社局", "registry": "social_insurance",
     "key": "id_number", "share": "conditional", "condition": "用于就业、社会保障、人才服务事项的办理与核验。",
     "classification": "基础信息资源/人口/社会保障", "summary": "养老、失业、工伤保险的参保状态、险种、参保单位。",
     "items": [("xm", "姓名", "字符型", "general", P, "none"), ("cbzt", "参保状态", "字符型", "general", P, "none"),
               ("xz", "参保险种", "字符型", "general", P, "none"), ("dwmc", "参保单位", "字符型", "general", P, "none"),
               ("cbrq", "首次参保日期", "日期型", "general", P, "none"),
               ("jfjs", "缴费基数（元）", "数值型", "important", S, "hidden")]},
    {"code": "A0104002", "name": "基本医疗保险参保信息", "provider": "医保局", "registry": "medical_insurance",
     "key": "id_number", "share": "unconditional", "condition": "",
     "classification": "基础信息资源/人口/医疗保障", "summary": "职工医保、城乡居民医保的参保状态与险种。",
     "items": [("xm", "姓名", "字符型", "general", P, "none"), ("cbzt", "参保状态", "字符型", "general", P, "none"),
               ("xz", "险种", "字符型", "general", P, "none"), ("cbrq", "参保日期", "日期型", "general", P, "none")]},
    {"code": "A0104003", "name": "医保就诊结算明细", "provider": "医保局", "registry": "medical_claims",
     "key": "id_number", "share": "none",
     "condition": "《中华人民共和国个人信息保护法》第二十八条（医疗健康为敏感个人信息）及《医疗保障基金使用监督管理条例》"
     "第二十四条：就诊明细不予共享，可通过核验方式确认参保状态。",
     "classification": "部门信息资源/医疗保障/结算", "summary": "定点医疗机构就诊与费用结算明细。",
     "items": [("jzjg", "就诊机构", "字符型", "important", S, "hidden"), ("fy", "费用", "数值型", "important", S, "hidden")]},
    {"code": "A0105001", "name": "不动产权属信息", "provider": "不动产登记中心", "registry": "real_estate",
     "key": "id_number", "share": "conditional",
     "condition": "用于依法办理户籍、住房保障、税收征管、司法协助等事项；不得用于其他目的。",
     "classification": "基础信息资源/自然资源和空间地理/不动产", "summary": "不动产权证号、坐落、面积、用途、登记日期。",
     "items": [("qlr", "权利人", "字符型", "general", P, "none"), ("bdcqzh", "不动产权证号", "字符型", "general", P, "none"),
               ("zl", "坐落", "字符型", "important", S, "middle"), ("mj", "建筑面积（㎡）", "数值型", "general", P, "none"),
               ("yt", "用途", "字符型", "general", N, "none"), ("djrq", "登记日期", "日期型", "general", P, "none")]},
    {"code": "A0105002", "name": "不动产抵押信息", "provider": "不动产登记中心", "registry": "real_estate",
     "key": "id_number", "share": "conditional", "condition": "用于金融监管、司法协助，须经提供方审核。",
     "classification": "基础信息资源/自然资源和空间地理/不动产", "summary": "不动产的抵押状况。",
     "items": [("bdcqzh", "不动产权证号", "字符型", "general", P, "none"),
               ("dyzk", "抵押状况", "字符型", "important", S, "none")]},
    {"code": "A0201001", "name": "企业登记信息", "provider": "市场监管局", "registry": "legal_entity",
     "key": "credit_code", "share": "unconditional", "condition": "",
     "classification": "基础信息资源/法人/登记", "summary": "企业名称、类型、法定代表人、注册资本、成立日期、住所、经营范围、登记状态。",
     "items": [("qymc", "企业名称", "字符型", "general", N, "none"), ("qylx", "企业类型", "字符型", "general", N, "none"),
               ("fddbr", "法定代表人", "字符型", "general", P, "none"),
               ("zczb", "注册资本（万元）", "数值型", "general", N, "none"),
               ("clrq", "成立日期", "日期型", "general", N, "none"), ("zs", "住所", "字符型", "general", N, "none"),
               ("jyfw", "经营范围", "字符型", "general", N, "none"), ("djzt", "登记状态", "字符型", "general", N, "none")]},
    {"code": "A0201002", "name": "企业经营异常名录", "provider": "市场监管局", "registry": "legal_entity",
     "key": "credit_code", "share": "unconditional", "condition": "",
     "classification": "基础信息资源/社会信用/经营异常", "summary": "是否列入经营异常名录。",
     "items": [("qymc", "企业名称", "字符型", "general", N, "none"), ("jyyc", "经营异常状态", "字符型", "general", N, "none")]},
    {"code": "A0202001", "name": "纳税信用等级", "provider": "税务局", "registry": "tax_credit", "key": "credit_code",
     "share": "conditional", "condition": "用于惠企政策兑现、招标投标、评优评先的信用核查。",
     "classification": "基础信息资源/社会信用/纳税信用", "summary": "纳税信用等级（A/B/M/C/D）及评定年度。",
     "items": [("qymc", "纳税人名称", "字符型", "general", N, "none"), ("nsxydj", "纳税信用等级", "字符型", "general", N, "none"),
               ("pdnd", "评定年度", "字符型", "general", N, "none")]},
    {"code": "A0202002", "name": "纳税申报明细", "provider": "税务局", "registry": "tax_detail", "key": "credit_code",
     "share": "none", "condition": "《中华人民共和国税收征收管理法》第八条：税务机关应当依法为纳税人的情况保密；"
     "申报明细不予共享，可申请纳税信用等级。",
     "classification": "部门信息资源/税务/申报", "summary": "纳税申报与缴款明细。",
     "items": [("ynse", "应纳税额", "数值型", "important", N, "hidden")]},
    {"code": "A0106001", "name": "出生医学证明信息", "provider": "卫健委", "registry": "birth", "key": "id_number",
     "share": "conditional", "condition": "用于出生一件事（户口登记、医保参保、社保卡申领）；以母亲公民身份号码查询。",
     "classification": "主题信息资源/出生一件事", "summary": "出生医学证明编号、新生儿姓名、出生日期、母亲姓名。",
     "items": [("zmbh", "出生医学证明编号", "字符型", "general", P, "none"),
               ("xsexm", "新生儿姓名", "字符型", "general", P, "none"), ("csrq", "出生日期", "日期型", "general", P, "none"),
               ("mqxm", "母亲姓名", "字符型", "general", P, "none")]},
    {"code": "B0101001", "name": "食品经营许可信息", "provider": "市场监管局", "registry": "food_license",
     "key": "credit_code", "share": "unconditional", "condition": "", "category": "theme",
     "classification": "主题信息资源/市场准入/许可", "summary": "食品经营许可证编号、经营者名称、有效期。",
     "items": [("xkzbh", "许可证编号", "字符型", "general", N, "none"), ("jyzmc", "经营者名称", "字符型", "general", N, "none"),
               ("yxq", "有效期至", "日期型", "general", N, "none")]},
    {"code": "C0301001", "name": "住房公积金缴存信息", "provider": "住建局", "registry": "", "key": "id_number",
     "share": "conditional", "condition": "用于住房保障与购房资格审核；经公积金中心系统接口实时查询。",
     "category": "department", "adapter": "http",
     "adapter_config": {"url": "http://127.0.0.1:18081/gjj/records", "timeout_s": 2.0, "retries": 1},
     "classification": "部门信息资源/住房/公积金", "summary": "公积金缴存状态、缴存基数（由住建局公积金系统实时提供）。",
     "items": [("xm", "姓名", "字符型", "general", P, "none"), ("jczt", "缴存状态", "字符型", "general", P, "none"),
               ("jcjs", "缴存基数（元）", "数值型", "important", S, "hidden")]},
    {"code": "C0401001", "name": "学籍信息", "provider": "教育局", "registry": "school", "key": "id_number",
     "share": "conditional", "condition": "用于入学、资助、转学事项，须经教育局审核。", "category": "department",
     "classification": "部门信息资源/教育/学籍", "summary": "在读学校、年级、学籍状态。",
     "items": [("xm", "姓名", "字符型", "general", P, "none"), ("xx", "学校", "字符型", "general", P, "none"),
               ("nj", "年级", "字符型", "general", P, "none")]},
]

UPDATE_CYCLES = {"unconditional": "实时", "conditional": "每日", "none": "每月"}


def install(providers: dict[str, tuple[str, str]], *, published_on: date | None = None) -> dict[str, Any]:
    """Create (or revise) every resource above. `providers` maps a department's short name to its
    (统一社会信用代码, full name); resources whose provider is missing are skipped."""
    from yiwang.exchange import services

    out: dict[str, Any] = {}
    for spec in RESOURCES:
        if spec["provider"] not in providers:
            continue
        code, name = providers[spec["provider"]]
        adapter = spec.get("adapter", "table")
        out[spec["code"]] = services.resource_save(
            code=spec["code"], name=spec["name"], provider_code=code, provider_name=name, share_type=spec["share"],
            published_on=published_on or date(2026, 1, 15),
            items=[{"code": c, "name": n, "data_type": t, "grade": g, "personal": p, "default_mask": m}
                   for c, n, t, g, p, m in spec["items"]],
            share_condition=spec["condition"], category=spec.get("category", "base"),
            classification=spec["classification"], summary=spec["summary"], key_type=spec["key"],
            update_cycle=UPDATE_CYCLES[spec["share"]], adapter=adapter,
            adapter_config=spec.get("adapter_config", {"registry": spec["registry"]}),
            format="接口（JSON）" if adapter == "http" else "数据库/接口（JSON）",
            share_method="接口查询、核验", open_type="none",
        )
    return out
