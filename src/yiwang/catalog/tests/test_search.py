"""Unit tests of the catalogue search engine (pure: no database)."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.catalog.search import MAX_QUERY_CHARS, SearchDoc, SearchIndex, analyse_query, normalise
from yiwang.catalog.search_fixtures import demo_index


def keys(query: str, limit: int = 5) -> list[str]:
    return [k for k, _ in demo_index().search(query, limit)]


@pytest.mark.parametrize(
    ("query", "bundle"),
    [
        ("开公司", "bundle:YJS0002"),
        ("生孩子", "bundle:YJS0001"),
        ("宝宝出生了要办哪些手续", "bundle:YJS0001"),
        ("人走了要办什么手续", "bundle:YJS0005"),
        ("二手房交易", "bundle:YJS0004"),
        ("开饭店", "bundle:YJS0006"),
        ("关公司", "bundle:YJS0007"),
        ("退休一件事", "bundle:YJS0003"),
    ],
)
def test_event_like_queries_put_the_bundle_first(query: str, bundle: str) -> None:
    assert keys(query)[0] == bundle


def test_bundle_ranks_above_its_member_items() -> None:
    got = keys("开公司", 10)
    assert got[0] == "bundle:YJS0002"
    assert "item:XK01001000" in got   # 有限责任公司设立登记, a member, still listed


def test_item_specific_query_prefers_the_item_over_the_bundle() -> None:
    got = keys("出生医学证明")
    assert got[0] == "item:GG06001000"
    assert keys("刻章")[0] == "item:QT03007000"
    assert keys("出生登记")[0] == "item:QR03001000"    # name without its (…) qualifier matches exactly


def test_part_of_an_event_name_finds_the_bundle() -> None:
    assert keys("二手房")[0] == "bundle:YJS0004"


def test_synonyms_map_colloquial_forms() -> None:
    plan = analyse_query(demo_index(), "退休金怎么领")
    phrases = {e["phrase"] for e in plan["expansions"]}
    assert "养老保险待遇" in phrases
    assert keys("退休金怎么领")[0] in {"item:GF04002000", "bundle:YJS0003"}
    assert "转移登记" in {e["phrase"] for e in analyse_query(demo_index(), "过户")["expansions"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("csyjs", "bundle:YJS0001"),      # 出生一件事
        ("kbqy", "bundle:YJS0002"),       # 开办企业
        ("sbk", "item:GG04001000"),       # 社保卡
        ("shenfenzheng", "item:GG03002000"),
        ("shebaokashenling", "item:GG04001000"),   # two words of full pinyin run together
    ],
)
def test_pinyin_initials_and_full_pinyin(query: str, expected: str) -> None:
    assert keys(query)[0] == expected


@pytest.mark.parametrize(
    ("query", "fixed", "expected"),
    [
        ("营业执招", "营业执照", {"item:XK01001000", "item:XK01003000", "bundle:YJS0002"}),
        ("社保卡甲领", "申领", {"item:GG04001000"}),
        ("身分证补办", "身份证", {"item:GG03002000"}),
        ("出生医学证名", "出生医学证明", {"item:GG06001000"}),
    ],
)
def test_typos_are_corrected(query: str, fixed: str, expected: set[str]) -> None:
    plan = analyse_query(demo_index(), query)
    assert any(fixed in e["phrase"] for e in plan["expansions"]), plan
    assert set(keys(query)) & expected


def test_boundary_between_good_words_is_not_corrected() -> None:
    plan = analyse_query(demo_index(), "邻居吵架找人调解")
    assert not [e for e in plan["expansions"] if e["why"].startswith("纠错")]
    assert keys("邻居吵架找人调解")[0] == "item:GG14003000"


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "，。！？", "🙂🙂", "\x00"])
def test_empty_or_punctuation_only_query_returns_nothing(query: str) -> None:
    assert demo_index().search(query) == []


def test_nonsense_returns_little_and_low() -> None:
    for query in ("qzxjvk", "zzzzzzzz", "㐀㐁㐂㐃"):
        assert len(demo_index().search(query)) <= 3
    assert demo_index().search("开公司", limit=0) == []


def test_limit_and_order() -> None:
    hits = demo_index().search("社会保险", limit=7)
    assert 0 < len(hits) <= 7
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    assert len({k for k, _ in hits}) == len(hits)


def test_long_query_is_cut_and_fast() -> None:
    query = "我想问一下开公司需要准备什么材料，" * 400
    assert len(normalise(query)) == MAX_QUERY_CHARS
    start = time.perf_counter()
    hits = demo_index().search(query)
    assert time.perf_counter() - start < 0.5
    assert hits and hits[0][0] == "bundle:YJS0002"


def test_empty_and_tiny_indexes() -> None:
    assert SearchIndex.build([]).search("开公司") == []
    one = SearchIndex.build([SearchDoc(key="item:1", kind="item", code="1", name="营业执照办理", text="")])
    assert one.search("营业执照") == [("item:1", one.search("营业执照")[0][1])]
    assert one.search("yyzz")[0][0] == "item:1"


def test_search_is_deterministic() -> None:
    assert demo_index().search("我想开一家饭店需要办什么证") == demo_index().search("我想开一家饭店需要办什么证")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.integers(min_value=-1, max_value=50))
def test_any_text_never_raises(query: str, limit: int) -> None:
    hits = demo_index().search(query, limit)
    assert len(hits) <= max(limit, 0)
    for key, score in hits:
        assert isinstance(key, str) and isinstance(score, float)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("生孩子开公司退休金社保卡营业执照一件事abcxyz 的了吗"), max_size=40))
def test_domain_like_text_never_raises(query: str) -> None:
    demo_index().search(query, 10)
    analyse_query(demo_index(), query)
