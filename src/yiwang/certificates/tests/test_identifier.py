import pytest

from yiwang.certificates.identifier import IdentifierError, build, mod37_36_check, parse

REAL = [
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
    "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
]


@pytest.mark.parametrize("text", REAL)
def test_real_identifiers_validate(text: str) -> None:
    parsed = parse(text)
    assert str(parsed) == text
    assert str(build(parsed.type_code, parsed.issuer_code, parsed.serial, parsed.version)) == text


@pytest.mark.parametrize("text", REAL)
def test_a_changed_character_fails(text: str) -> None:
    head, check = text[:-1], text[-1]
    for wrong in "0U7":
        if wrong != check:
            with pytest.raises(IdentifierError) as exc:
                parse(head + wrong)
            assert exc.value.part == "check"
    # a changed serial digit with the old check character
    changed = text.replace(".001.", ".002.") if ".001." in text else text.replace(".002.", ".003.")
    with pytest.raises(IdentifierError):
        parse(changed)


def test_every_single_substitution_is_caught() -> None:
    data = "11100000000013338W01111430000006122244L20230000403001"
    check = mod37_36_check(data)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for i, ch in enumerate(data):
        for other in alphabet:
            if other != ch:
                assert mod37_36_check(data[:i] + other + data[i + 1:]) != check


def test_bad_format() -> None:
    for text in ["", "1.2.156.3005.2.X", "2.2.156.3005.2.11100000000013338W011.11430000006122244L.1.001.U",
                 "1.2.156.3005.2.11100000000013338W011.11430000006122244L.2023.01.U"]:
        with pytest.raises(IdentifierError):
            parse(text)
