from datetime import date

import pytest

from yiwang.kernel.validators import (
    make_credit_code,
    make_id_number,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)


def test_known_valid_identifiers():
    assert validate_id_number("11010519491231002x") == "11010519491231002X"
    assert validate_credit_code("91350100m000100y43") == "91350100M000100Y43"
    assert validate_mobile("+86 138-0000-0001") == "13800000001"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("11010519491231002", "18位"),
        ("110105194912310021", "校验位"),
        ("110105194902300021", "出生日期"),
        ("990105194912310021", "地址码"),
    ],
)
def test_bad_id_numbers_say_why(value, message):
    with pytest.raises(ValueError, match=message):
        validate_id_number(value)


def test_bad_credit_codes_say_why():
    with pytest.raises(ValueError, match="校验位"):
        validate_credit_code("91350100M000100Y44")
    with pytest.raises(ValueError, match="不允许的字符"):
        validate_credit_code("91350100M000100IO3")


def test_builders_make_valid_numbers():
    assert validate_id_number(make_id_number("330106", date(1990, 2, 28), 123))
    assert validate_credit_code(make_credit_code("9", "1", "990102", "MA7QH0C1X"))
