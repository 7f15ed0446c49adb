"""Property tests for the 身份证号 (GB 11643), 统一社会信用代码 (GB 32100) and mobile validators."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from yiwang.kernel.validators import (
    ID_CHECK,
    PROVINCE_CODES,
    USCC_ALPHABET,
    USCC_REGISTRARS,
    id_check_char,
    id_number_birth_date,
    id_number_gender,
    make_credit_code,
    make_id_number,
    uscc_check_char,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)

TODAY = date(2026, 11, 23)

regions = st.builds(
    lambda province, rest: province + rest,
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.from_regex(r"\A(0[1-9]|[1-9][0-9])[0-9]{2}\Z"),
)
id_numbers = st.builds(
    make_id_number, regions, st.dates(min_value=date(1900, 1, 1), max_value=TODAY), st.integers(0, 999)
)
credit_codes = st.builds(
    make_credit_code,
    st.sampled_from(USCC_REGISTRARS),
    st.sampled_from(USCC_ALPHABET),
    st.from_regex(r"\A[0-9]{6}\Z"),
    st.text(USCC_ALPHABET, min_size=9, max_size=9),
)
mobiles = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
# Anything at all, plus near-misses that reach the deeper checks.
junk = st.one_of(
    st.text(max_size=25),
    st.text("0123456789Xx -+", min_size=15, max_size=22),
    st.text(USCC_ALPHABET + "IOSVZ ", min_size=16, max_size=20),
)


def _ref_id_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 written out from the standard: weights 2^(17-i) mod 11."""
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    return "10X98765432"[total % 11]


@settings(max_examples=300, deadline=None)
@given(id_numbers)
def test_every_generated_id_number_validates(value: str) -> None:
    assert validate_id_number(value, today=TODAY) == value
    assert validate_id_number(value.lower(), today=TODAY) == value
    assert value[-1] == _ref_id_check(value[:17])
    # MOD 11-2 property: the check character makes the weighted sum over all 18 ≡ 1 (mod 11).
    digits = [10 if c == "X" else int(c) for c in value]
    assert sum(d * pow(2, 17 - i, 11) for i, d in enumerate(digits)) % 11 == 1


@settings(max_examples=300, deadline=None)
@given(id_numbers, st.integers(0, 17), st.sampled_from("0123456789XA "))
def test_any_single_character_change_of_an_id_number_is_rejected(value: str, pos: int, char: str) -> None:
    changed = value[:pos] + char + value[pos + 1 :]
    assume(changed.strip().upper() != value)
    with pytest.raises(ValueError):
        validate_id_number(changed, today=TODAY)


@settings(max_examples=300, deadline=None)
@given(credit_codes)
def test_every_generated_credit_code_validates(value: str) -> None:
    assert validate_credit_code(value) == value
    assert validate_credit_code(f" {value.lower()} ") == value
    # MOD 31: the weighted sum over all 18 (the check character with weight 1) is ≡ 0 (mod 31).
    weights = [pow(3, i, 31) for i in range(17)]
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(value[:17], weights, strict=True))
    assert (total + USCC_ALPHABET.index(value[17])) % 31 == 0


@settings(max_examples=300, deadline=None)
@given(credit_codes, st.integers(0, 17), st.sampled_from(USCC_ALPHABET + "IOSVZ*"))
def test_any_single_character_change_of_a_credit_code_is_rejected(value: str, pos: int, char: str) -> None:
    changed = value[:pos] + char + value[pos + 1 :]
    assume(changed != value)
    with pytest.raises(ValueError):
        validate_credit_code(changed)


@settings(max_examples=200, deadline=None)
@given(mobiles)
def test_every_generated_mobile_validates(value: str) -> None:
    assert validate_mobile(value) == value
    assert validate_mobile(f"+86 {value[:3]}-{value[3:7]}-{value[7:]}") == value


@settings(max_examples=500, deadline=None)
@given(junk)
def test_random_strings_never_crash(value: str) -> None:
    for validator in (validate_id_number, validate_credit_code, validate_mobile):
        try:
            result = validator(value)
        except ValueError as exc:
            assert str(exc)  # always says why, in Chinese
            continue
        # Whatever is accepted is a normalised ASCII value of the right shape.
        assert result.isascii() and result == result.strip()
        if validator is validate_id_number:
            assert len(result) == 18 and result[-1] == id_check_char(result[:17])
        elif validator is validate_credit_code:
            assert len(result) == 18 and result[-1] == uscc_check_char(result[:17])
        else:
            assert len(result) == 11 and result.isdigit()


@pytest.mark.parametrize("value", [None, 110105, b"11010519491231002X", ["x"]])
def test_non_strings_give_value_error(value: object) -> None:
    for validator in (validate_id_number, validate_credit_code, validate_mobile):
        with pytest.raises(ValueError):
            validator(value)  # type: ignore[arg-type]


def test_unicode_digits_are_not_digits() -> None:
    fullwidth = "１１０１０５１９４９１２３１００２X"
    arabic_indic = "".join(chr(0x0660 + int(c)) for c in "11010519491231002") + "X"
    for value in (fullwidth, arabic_indic):
        with pytest.raises(ValueError):
            validate_id_number(value)
    with pytest.raises(ValueError):
        validate_mobile("１３８０００００００１")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("11010519491231002X\n1", "18位"),
        ("1101051949123100AX", "前17位"),
        ("110000194912310021", "地址码"),
        ("11010518991231002X", "出生日期不合理"),
        ("110105203001010021", "出生日期不合理"),
        ("110105194913010021", "出生日期不存在"),
    ],
)
def test_id_number_errors_say_why(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_id_number(value, today=TODAY)


def test_id_number_helpers_and_outside_mainland_prefixes() -> None:
    assert id_number_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert id_number_gender("11010519491231002X") == "F"
    assert id_number_gender(make_id_number("330106", date(1990, 2, 28), 123)) == "M"
    for prefix in ("810000", "820000", "830000"):  # 港澳台居民居住证
        assert validate_id_number(make_id_number(prefix, date(1990, 1, 1), 11), today=TODAY)
    assert set(ID_CHECK) == set("0123456789X")


def test_credit_code_errors_say_why() -> None:
    with pytest.raises(ValueError, match="18位"):
        validate_credit_code("91350100M000100Y4")
    with pytest.raises(ValueError, match="登记管理部门"):
        validate_credit_code(make_credit_code("9", "1", "350100", "M000100Y4").replace("9", "B", 1))
    with pytest.raises(ValueError, match="行政区划"):
        validate_credit_code(make_credit_code("9", "1", "3501A0", "M000100Y4"))
    with pytest.raises(ValueError, match="手机号"):
        validate_mobile("12800000001")
