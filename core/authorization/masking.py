"""Masked values for `read_masked`: enough to recognise a record, not to identify a child."""

from collections.abc import Callable
from typing import Any

from core.resident_id import mask_resident_id

Masker = Callable[[Any], Any]


def mask_name(value: str) -> str:
    """张三丰 → 张**: the surname only."""
    return value[:1] + "*" * (len(value) - 1) if value else value


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_id_number(value: str) -> str:
    return mask_resident_id(value) if len(value) > 10 else "*" * len(value)


def mask_text(value: str) -> str:
    """Free text (an address, a note): its first two characters."""
    return value[:2] + "…" if value else value


def mask_value(field_name: str, value: Any) -> Any:
    """A masked form of `value`; None for values that have no safe partial form."""
    if value is None:
        return None
    if not isinstance(value, str):
        # A masked relation is traversed: the related record's own field decisions apply.
        # Other values (dates, numbers) have no safe partial form.
        return (
            value
            if isinstance(value, list) or hasattr(value, "__strawberry_definition__")
            else None
        )
    lowered = field_name.lower()
    if "idnumber" in lowered:
        return mask_id_number(value)
    if "phone" in lowered:
        return mask_phone(value)
    if lowered.endswith("name"):
        return mask_name(value)
    return mask_text(value)
