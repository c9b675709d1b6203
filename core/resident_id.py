"""Resident ID numbers (居民身份证号码, GB 11643-1999).

18 characters: a 6-digit address code, an 8-digit birth date, a 3-digit sequence whose parity
gives the sex (odd = male), and a check character by ISO 7064 MOD 11-2.
"""

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class Sex(Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"


class InvalidResidentId(ValueError):
    """The reason is safe to show: it never repeats the number itself."""


@dataclass(frozen=True)
class ResidentId:
    number: str
    address_code: str
    birth_date: date
    sex: Sex


def check_character(first_17_digits: str) -> str:
    total = sum(
        int(digit) * weight for digit, weight in zip(first_17_digits, _WEIGHTS, strict=True)
    )
    return _CHECK_CHARACTERS[total % 11]


def normalize(number: str) -> str:
    return number.strip().upper()


def parse_resident_id(number: str) -> ResidentId:
    """Validate `number` and return what it encodes; raise InvalidResidentId otherwise."""
    number = normalize(number)
    if not _SHAPE.match(number):
        raise InvalidResidentId("must be 17 digits followed by a digit or X")
    try:
        birth_date = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidResidentId("encodes a birth date that does not exist") from None
    if check_character(number[:17]) != number[17]:
        raise InvalidResidentId("check character does not match (GB 11643)")
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return ResidentId(number=number, address_code=number[:6], birth_date=birth_date, sex=sex)


def make_resident_id(address_code: str, birth_date: date, sequence: int, sex: Sex) -> str:
    """Build a valid number (for synthetic data): `sequence` 0-499 picks the 3-digit order code."""
    order = sequence * 2 % 1000 + (1 if sex is Sex.MALE else 0)
    body = f"{address_code}{birth_date:%Y%m%d}{order:03d}"
    return body + check_character(body)


def mask_resident_id(number: str) -> str:
    """`512002********123X`: address code and the last four kept."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
