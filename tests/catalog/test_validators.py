"""Tests for catalog.validators: real identifiers pass, every error kind is named precisely."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask
from flask_babel import Babel
from hypothesis import assume, given
from hypothesis import strategies as st

from catalog import validators as v

# Codes of real organisations as published; each was checked against GB 32100 by hand.
REAL_CREDIT_CODES = [
    "91350100M000100Y43",  # the example most often cited for the algorithm (a Fuzhou company)
    "914403001922038216",  # Huawei Technologies Co., Ltd. (华为技术有限公司)
    "91110108551385082Q",  # Xiaomi Technology Co., Ltd. (小米科技有限责任公司)
    "91440300708461136T",  # published for a Tencent company in Shenzhen
    # Numbers found online and listed in python-stdnum's test data; their organisation codes
    # contain letters, which GB 11714 values as A=10 ... Z=35 (not by GB 32100 alphabet index).
    "91310115MA1K3BTP2B",
    "91340600MA2PBM9HXD",
    "92340603MA2PBMYMX1",
    "91620105L015101280",
    "9144030071526726XG",
]
VALID = "91350100M000100Y43"


@pytest.fixture
def zh_cn_app(tmp_path: Path) -> Iterator[Flask]:
    """A bare Flask + Babel app whose zh_CN catalogue translates one validator message."""
    catalog = Catalog(locale="zh_CN")
    catalog.add(
        "A credit code must be exactly 18 characters long; you entered %(count)s.",
        "统一社会信用代码必须是 18 位，您输入了 %(count)s 位。",
    )
    # Babel parses "zh_CN" as zh_Hans_CN, whose gettext fallbacks are zh_Hans_CN and zh only.
    (tmp_path / "zh" / "LC_MESSAGES").mkdir(parents=True)
    with (tmp_path / "zh" / "LC_MESSAGES" / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(tmp_path)
    Babel(app, locale_selector=lambda: "zh_CN")
    with app.app_context():
        yield app


def test_messages_render_in_english_without_an_app_context() -> None:
    with pytest.raises(v.CreditCodeLengthError) as caught:
        v.validate_credit_code("12345")
    assert str(caught.value) == "A credit code must be exactly 18 characters long; you entered 5."


def test_messages_are_translated_when_rendered_in_the_active_locale(zh_cn_app: Flask) -> None:
    with pytest.raises(v.CreditCodeLengthError) as caught:
        v.validate_credit_code("12345")
    assert str(caught.value) == "统一社会信用代码必须是 18 位，您输入了 5 位。"
    assert str(caught.value.message) == str(caught.value)


def test_errors_are_value_errors_with_code_params_and_message() -> None:
    with pytest.raises(ValueError) as caught:
        v.validate_credit_code("9135010OM000100Y43")
    error = caught.value
    assert isinstance(error, v.CatalogValueError)
    assert error.code == "credit_code.character"
    assert error.params == {"position": 8, "char": "O", "suggestion": "0"}
    assert str(error) == str(error.message)


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_accepts_real_credit_codes(code: str) -> None:
    assert v.validate_credit_code(code) == code


def test_normalises_spaces_case_full_width_and_invisible_characters() -> None:
    assert v.validate_credit_code(" 9135 0100 m000 100y 43\t") == VALID
    assert v.validate_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == VALID
    assert v.validate_credit_code("\u200b91350100M000100Y43\ufeff") == VALID


@pytest.mark.parametrize("value, count", [("", 0), (VALID[:17], 17), (VALID + "1", 19)])
def test_rejects_credit_code_with_wrong_length(value: str, count: int) -> None:
    with pytest.raises(v.CreditCodeLengthError) as caught:
        v.validate_credit_code(value)
    assert caught.value.code == "credit_code.length"
    assert caught.value.params == {"count": count}
    assert f"you entered {count}" in str(caught.value)


@pytest.mark.parametrize("char", ["Z", "S", "V", "-", "*"])
def test_rejects_credit_code_with_disallowed_character(char: str) -> None:
    with pytest.raises(v.CreditCodeCharacterError) as caught:
        v.validate_credit_code(VALID[:11] + char + VALID[12:])
    assert caught.value.code == "credit_code.character"
    assert caught.value.params == {"position": 12, "char": char}
    assert str(caught.value) == f'Character 12 ("{char}") is not allowed in a credit code.'


@pytest.mark.parametrize("char, digit", [("O", "0"), ("I", "1")])
def test_suggests_the_digit_for_a_lookalike_letter(char: str, digit: str) -> None:
    with pytest.raises(v.CreditCodeLookalikeError) as caught:
        v.validate_credit_code(VALID[:9] + char + VALID[10:])
    assert caught.value.code == "credit_code.character"
    assert f'Character 10 ("{char}")' in str(caught.value)
    assert f'did you mean "{digit}"?' in str(caught.value)


def test_names_an_unprintable_character_by_its_code_point() -> None:
    with pytest.raises(v.CreditCodeCharacterError) as caught:
        v.validate_credit_code(VALID[:4] + "\x07" + VALID[5:])
    assert 'Character 5 ("U+0007")' in str(caught.value)


def test_rejects_credit_code_with_letter_in_region_code() -> None:
    with pytest.raises(v.CreditCodeRegionError) as caught:
        v.validate_credit_code("9135A100M000100Y43")
    assert caught.value.code == "credit_code.region"
    assert caught.value.params == {"region": "35A100", "position": 5, "char": "A"}
    assert 'character 5 is "A"' in str(caught.value)


def test_rejects_credit_code_with_wrong_org_code_check_digit() -> None:
    with pytest.raises(v.CreditCodeOrgCheckDigitError) as caught:
        v.validate_credit_code("91350100M000100Y53")
    assert caught.value.code == "credit_code.org_check_digit"
    assert caught.value.params == {"org_code": "M000100Y5", "expected": "4", "actual": "5"}
    assert 'character 17 should be "4", not "5"' in str(caught.value)


def test_rejects_credit_code_with_wrong_check_digit() -> None:
    with pytest.raises(v.CreditCodeCheckDigitError) as caught:
        v.validate_credit_code("91350100M000100Y44")
    assert caught.value.code == "credit_code.check_digit"
    assert caught.value.params == {"expected": "3", "actual": "4"}
    assert 'should be "3", not "4"' in str(caught.value)


def test_rejects_mock_codes_that_only_look_plausible() -> None:
    # Circulating "examples" attributed to big companies that fail both check digits.
    for fake in ("91110000800088421P", "9133010057462616XH"):
        with pytest.raises(v.CreditCodeError):
            v.validate_credit_code(fake)


def test_org_code_check_digit_uses_latin_letter_values() -> None:
    # With GB 32100 alphabet indices (J=18 ... Y=30) the check would be "8", not "X".
    assert v.compute_org_code_check_digit("MA2PBM9H") == "X"
    assert v.compute_org_code_check_digit("19220382") == "1"


@pytest.mark.parametrize("body", ["", "91350100M000100Y", "91350100M000100Y43", "91350100M00010OY4"])
def test_credit_code_check_digit_helper_refuses_malformed_bodies(body: str) -> None:
    with pytest.raises(v.CheckDigitBodyError) as caught:
        v.compute_credit_code_check_digit(body)
    assert caught.value.code == "check_digit.body"


@pytest.mark.parametrize("body", ["", "1234567", "123456789", "1234567a", "12345-78"])
def test_org_code_check_digit_helper_refuses_malformed_bodies(body: str) -> None:
    with pytest.raises(v.CheckDigitBodyError):
        v.compute_org_code_check_digit(body)


_alphabet = st.sampled_from(v.CREDIT_CODE_ALPHABET)
_digit = st.sampled_from("0123456789")


@st.composite
def valid_credit_codes(draw: st.DrawFn) -> str:
    """Random well-formed codes: digit region, correct organisation and final check digits."""
    head = "".join(draw(st.lists(_alphabet, min_size=2, max_size=2)))
    region = "".join(draw(st.lists(_digit, min_size=6, max_size=6)))
    org_body = "".join(draw(st.lists(_alphabet, min_size=8, max_size=8)))
    first17 = head + region + org_body + v.compute_org_code_check_digit(org_body)
    return first17 + v.compute_credit_code_check_digit(first17)


@given(valid_credit_codes())
def test_generated_credit_codes_validate(code: str) -> None:
    assert v.validate_credit_code(code) == code


@given(valid_credit_codes(), st.integers(min_value=0, max_value=17), _alphabet)
def test_any_single_character_change_is_detected(code: str, index: int, char: str) -> None:
    changed = code[:index] + char + code[index + 1 :]
    assume(changed != code)
    with pytest.raises(v.CreditCodeError):
        v.validate_credit_code(changed)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("4006381333931", "04006381333931"),  # EAN-13 on a Stabilo pen, the classic example
        ("5901234123457", "05901234123457"),  # EAN-13 shown in GS1 and Wikipedia examples
        ("9780306406157", "09780306406157"),  # ISBN-13 / Bookland EAN
        ("036000291452", "00036000291452"),  # UPC-A (GTIN-12)
        ("96385074", "00000096385074"),  # EAN-8
        ("10614141000415", "10614141000415"),  # GTIN-14 with GS1's example prefix 0614141
        (" 4 006381 333931 ", "04006381333931"),
        ("４００６３８１３３３９３１", "04006381333931"),
    ],
)
def test_accepts_valid_gtins_and_pads_them_to_14_digits(value: str, expected: str) -> None:
    assert v.validate_gtin14(value) == expected


def test_rejects_gtin_with_wrong_check_digit() -> None:
    with pytest.raises(v.GtinCheckDigitError) as caught:
        v.validate_gtin14("4006381333932")
    assert caught.value.code == "gtin.check_digit"
    assert caught.value.params == {"expected": "1", "actual": "2"}
    assert "should be 1, not 2" in str(caught.value)


@pytest.mark.parametrize("value, position, char", [("40063813339a1", 12, "a"), ("4006-381333931", 5, "-")])
def test_rejects_gtin_with_non_digits(value: str, position: int, char: str) -> None:
    with pytest.raises(v.GtinCharacterError) as caught:
        v.validate_gtin14(value)
    assert caught.value.code == "gtin.character"
    assert caught.value.params == {"position": position, "char": char}
    assert f'character {position} is "{char}"' in str(caught.value)


@pytest.mark.parametrize("value", ["", "1234567", "123456789", "12345678901", "400638133393100"])
def test_rejects_gtin_with_wrong_length(value: str) -> None:
    with pytest.raises(v.GtinLengthError) as caught:
        v.validate_gtin14(value)
    assert caught.value.code == "gtin.length"
    assert f"you entered {len(value)}" in str(caught.value)


@pytest.mark.parametrize("body", ["", "123456", "12345678901234", "12345a7", "١٢٣٤٥٦٧"])
def test_gtin_check_digit_helper_refuses_malformed_bodies(body: str) -> None:
    with pytest.raises(v.CheckDigitBodyError):
        v.compute_gtin_check_digit(body)


@given(st.sampled_from([7, 11, 12, 13]).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))
def test_computed_gtin_check_digit_validates(body: str) -> None:
    gtin = body + v.compute_gtin_check_digit(body)
    assert v.validate_gtin14(gtin) == gtin.rjust(14, "0")


@given(st.text("0123456789", min_size=13, max_size=13), st.integers(0, 13), _digit)
def test_any_single_gtin_digit_change_is_detected(body: str, index: int, digit: str) -> None:
    gtin = body + v.compute_gtin_check_digit(body)
    changed = gtin[:index] + digit + gtin[index + 1 :]
    assume(changed != gtin)
    with pytest.raises(v.GtinError):
        v.validate_gtin14(changed)


@pytest.mark.parametrize(
    "value",
    [
        *("13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "+8613812345678"),
        *("86 13812345678", "0086 138-1234-5678", "１３８１２３４５６７８"),
    ],
)
def test_accepts_mainland_mobile_numbers(value: str) -> None:
    assert v.validate_cn_mobile(value) == "13812345678"


def test_rejects_foreign_mobile_number() -> None:
    with pytest.raises(v.MobileCountryCodeError) as caught:
        v.validate_cn_mobile("+852 9123 4567")
    assert caught.value.code == "mobile.country_code"
    assert "(+86)" in str(caught.value)


def test_rejects_mobile_number_with_letters() -> None:
    with pytest.raises(v.MobileCharacterError) as caught:
        v.validate_cn_mobile("138 1234 567x")
    assert caught.value.code == "mobile.character"
    assert caught.value.params == {"char": "x"}


@pytest.mark.parametrize("value, count", [("1381234567", 10), ("138123456789", 12), ("", 0)])
def test_rejects_mobile_number_with_wrong_length(value: str, count: int) -> None:
    with pytest.raises(v.MobileLengthError) as caught:
        v.validate_cn_mobile(value)
    assert caught.value.code == "mobile.length"
    assert f"you entered {count}" in str(caught.value)


@pytest.mark.parametrize("value, prefix", [("12812345678", "12"), ("02187654321", "02")])
def test_rejects_number_that_is_not_a_mobile_number(value: str, prefix: str) -> None:
    with pytest.raises(v.MobilePrefixError) as caught:
        v.validate_cn_mobile(value)
    assert caught.value.code == "mobile.prefix"
    assert f"not {prefix}" in str(caught.value)
