"""Resident ID numbers (GB 11643): check character, birth date, sex, masking."""

from datetime import date

import pytest

from core.resident_id import (
    InvalidResidentId,
    Sex,
    check_character,
    make_resident_id,
    mask_resident_id,
    parse_resident_id,
)

# The standard's worked example: 11010519491231002X is a valid number of a woman born 1949-12-31.
STANDARD_EXAMPLE = "11010519491231002X"


def test_the_standards_example_is_valid() -> None:
    parsed = parse_resident_id(STANDARD_EXAMPLE)
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex is Sex.FEMALE
    assert parsed.address_code == "110105"


def test_lowercase_x_and_spaces_are_normalised() -> None:
    assert parse_resident_id(" 11010519491231002x ").number == STANDARD_EXAMPLE


def test_check_character_is_iso_7064_mod_11_2() -> None:
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "check character"),
        ("11010519491331002X", "birth date"),
        ("11010519490230002X", "birth date"),
        ("1101051949123100", "17 digits"),
        ("11010519491231002Y", "17 digits"),
        ("", "17 digits"),
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(number: str, reason: str) -> None:
    with pytest.raises(InvalidResidentId, match=reason) as caught:
        parse_resident_id(number)
    if number:
        assert number not in str(caught.value), "an error must not echo the number"


@pytest.mark.parametrize("sex", [Sex.MALE, Sex.FEMALE])
def test_made_numbers_round_trip(sex: Sex) -> None:
    number = make_resident_id("512021", date(2014, 2, 28), 123, sex)
    parsed = parse_resident_id(number)
    assert (parsed.birth_date, parsed.sex, parsed.address_code) == (
        date(2014, 2, 28),
        sex,
        "512021",
    )


def test_mask_keeps_address_code_and_last_four() -> None:
    assert mask_resident_id("51200220140228123X") == "512002********123X"
