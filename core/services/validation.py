"""Checks shared by the write services."""

import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import models
from core.errors import Conflict, NotFound, ValidationFailed
from core.region_codes import is_region_code
from core.resident_id import InvalidResidentId, ResidentId, Sex, parse_resident_id

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def required_text(value: str, field: str, *, max_length: int) -> str:
    text = value.strip()
    if not text:
        raise ValidationFailed("must not be empty", field=field)
    if len(text) > max_length:
        raise ValidationFailed(f"must be at most {max_length} characters", field=field)
    return text


def optional_text(value: str | None, field: str, *, max_length: int) -> str | None:
    if value is None or not value.strip():
        return None
    return required_text(value, field, max_length=max_length)


def resident_id(value: str | None, field: str) -> ResidentId | None:
    if value is None or not value.strip():
        return None
    try:
        return parse_resident_id(value)
    except InvalidResidentId as error:
        raise ValidationFailed(f"is not a valid resident ID number: {error}", field=field) from None


def not_in_future(value: date | None, field: str) -> None:
    if value is not None and value > date.today():
        raise ValidationFailed("must not be in the future", field=field)


def agrees_with_id_number(
    parsed: ResidentId | None,
    *,
    birth_date: date | None,
    sex: Sex | None,
    id_field: str,
) -> None:
    if parsed is None:
        return
    if birth_date is not None and birth_date != parsed.birth_date:
        raise ValidationFailed(
            "the birth date disagrees with the one the ID number encodes", field=id_field
        )
    if sex is not None and sex is not parsed.sex:
        raise ValidationFailed(
            "the sex disagrees with the one the ID number encodes", field=id_field
        )


def phone_number(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    phone = value.strip().replace(" ", "")
    if not (_MOBILE.match(phone) or _LANDLINE.match(phone)):
        raise ValidationFailed(
            "must be an 11-digit mobile number or a landline with area code", field=field
        )
    return phone


async def visible_child(
    session: AsyncSession, key: Any, field: str, *, for_update: bool = False
) -> models.Child:
    """The child, if it exists and the request's row scope includes it; NOT_FOUND otherwise
    (the same answer either way, so that a write cannot probe for children out of scope)."""
    statement = select(models.Child).where(models.Child.id == key)
    condition = session.info.get("child_scope")
    if condition is not None:
        statement = statement.where(condition)
    if for_update:
        statement = statement.with_for_update(of=models.Child)
    child = await session.scalar(statement)
    if child is None:
        raise NotFound("no Child with this ID", field=field)
    return child


async def existing_region(session: AsyncSession, code: str, field: str) -> str:
    if not is_region_code(code):
        raise ValidationFailed("a region code has 6, 9 or 12 digits", field=field)
    if await session.get(models.Region, code) is None:
        raise ValidationFailed("no region has this code", field=field)
    return code


async def unique_id_number(
    session: AsyncSession,
    model: type[models.Child] | type[models.Guardian],
    id_number: str,
    field: str,
    *,
    existing_global_id: Any,
    exclude_id: Any = None,
) -> None:
    """CONFLICT naming the record that already holds this ID number."""
    statement = select(model.id).where(model.id_number == id_number)
    if exclude_id is not None:
        statement = statement.where(model.id != exclude_id)
    holder = await session.scalar(statement)
    if holder is not None:
        raise Conflict(
            f"a {model.__name__} with this ID number is already registered",
            field=field,
            existingId=existing_global_id(holder),
        )


def check_version(row: Any, version: int, type_name: str) -> None:
    if row.version != version:
        raise Conflict(
            f"this {type_name} was changed by someone else since you read it; "
            "read it again and reapply your change",
            field="input.version",
            currentVersion=row.version,
        )
