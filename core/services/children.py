"""Registering and updating children."""

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import enums, events, models
from core.errors import ValidationFailed
from core.events import DomainEvent, publish
from core.graphql.global_ids import decode_global_id, encode_global_id
from core.graphql.inputs import RegisterChildInput, UpdateChildInput
from core.identity import Caller
from core.resident_id import Sex
from core.services import validation as check
from core.services.patch import camel, changed_fields

MAX_REGISTRATION_AGE = 18


def _child_id(key: Any) -> str:
    return encode_global_id("Child", key)


def _check_health(
    health: enums.HealthStatus,
    category: enums.DisabilityCategory | None,
    grade: int | None,
    field_prefix: str,
) -> None:
    if health is enums.HealthStatus.DISABLED:
        if category is None:
            raise ValidationFailed(
                "a disabled child needs a disability category",
                field=f"{field_prefix}disabilityCategory",
            )
        if grade is None or not 1 <= grade <= 4:
            raise ValidationFailed(
                "a disability grade runs from 1 to 4", field=f"{field_prefix}disabilityGrade"
            )
    elif category is not None or grade is not None:
        raise ValidationFailed(
            "disability details need health DISABLED", field=f"{field_prefix}disabilityCategory"
        )


def _check_birth_date(birth_date: date, field: str) -> None:
    check.not_in_future(birth_date, field)
    today = date.today()
    if (today.year - birth_date.year) > MAX_REGISTRATION_AGE:
        raise ValidationFailed(
            f"children are registered until they turn {MAX_REGISTRATION_AGE}", field=field
        )


async def register_child(
    session: AsyncSession, caller: Caller, data: RegisterChildInput
) -> models.Child:
    name = check.required_text(data.name, "input.name", max_length=100)
    parsed = check.resident_id(data.id_number, "input.idNumber")
    check.agrees_with_id_number(
        parsed, birth_date=data.birth_date, sex=data.sex, id_field="input.idNumber"
    )
    birth_date = data.birth_date or (parsed.birth_date if parsed else None)
    sex = data.sex or (parsed.sex if parsed else None)
    if birth_date is None:
        raise ValidationFailed("needed when there is no ID number", field="input.birthDate")
    if sex is None:
        raise ValidationFailed("needed when there is no ID number", field="input.sex")
    _check_birth_date(birth_date, "input.birthDate")
    _check_health(data.health, data.disability_category, data.disability_grade, "input.")
    household = await check.existing_region(
        session, data.household_region_code, "input.householdRegionCode"
    )
    residence = await check.existing_region(
        session, data.residence_region_code, "input.residenceRegionCode"
    )
    if parsed is not None:
        await check.unique_id_number(
            session, models.Child, parsed.number, "input.idNumber", existing_global_id=_child_id
        )
    child = models.Child(
        name=name,
        id_number=parsed.number if parsed else None,
        sex=sex,
        birth_date=birth_date,
        household_region_code=household,
        residence_region_code=residence,
        address=check.optional_text(data.address, "input.address", max_length=300),
        schooling=data.schooling,
        boarding=data.boarding,
        health=data.health,
        disability_category=data.disability_category,
        disability_grade=data.disability_grade,
        illness=check.optional_text(data.illness, "input.illness", max_length=200),
        difficulty_categories=sorted({c.value for c in data.difficulty_categories}),
        guardianship_type=data.guardianship_type,
        family_income_sources=sorted({s.value for s in data.family_income_sources}),
        assistance_received=sorted({a.value for a in data.assistance_received}),
    )
    session.add(child)
    await session.flush()
    await session.refresh(child)  # server defaults and the derived left-behind status
    await publish(session, DomainEvent(events.CHILD_REGISTERED, child.id, caller.user_id))
    return child


_NOT_NULLABLE = {
    "name",
    "sex",
    "birth_date",
    "household_region_code",
    "residence_region_code",
    "schooling",
    "boarding",
    "health",
    "difficulty_categories",
    "family_income_sources",
    "assistance_received",
    "status",
}
_ENUM_LISTS = {"difficulty_categories", "family_income_sources", "assistance_received"}


async def update_child(
    session: AsyncSession, caller: Caller, data: UpdateChildInput
) -> models.Child:
    key = decode_global_id(data.id, "Child", field="input.id")
    child = await check.visible_child(session, key, "input.id", for_update=True)
    check.check_version(child, data.version, "child")

    changes = changed_fields(data, not_nullable=_NOT_NULLABLE)

    if "name" in changes:
        changes["name"] = check.required_text(changes["name"], "input.name", max_length=100)
    for text_field, limit in (("address", 300), ("illness", 200)):
        if text_field in changes:
            changes[text_field] = check.optional_text(
                changes[text_field], f"input.{camel(text_field)}", max_length=limit
            )
    for list_field in _ENUM_LISTS & changes.keys():
        changes[list_field] = sorted({member.value for member in changes[list_field]})
    for region_field in ("household_region_code", "residence_region_code"):
        if region_field in changes:
            await check.existing_region(
                session, changes[region_field], f"input.{camel(region_field)}"
            )

    id_number = changes.get("id_number", child.id_number)
    parsed = check.resident_id(id_number, "input.idNumber")
    birth_date: date = changes.get("birth_date", child.birth_date)
    sex: Sex = changes.get("sex", child.sex)
    # A newly added ID number must agree with the birth date and sex on record (or with those
    # given in the same update): it never silently rewrites them.
    check.agrees_with_id_number(parsed, birth_date=birth_date, sex=sex, id_field="input.idNumber")
    if "id_number" in changes:
        changes["id_number"] = parsed.number if parsed else None
        if parsed is not None:
            await check.unique_id_number(
                session,
                models.Child,
                parsed.number,
                "input.idNumber",
                existing_global_id=_child_id,
                exclude_id=child.id,
            )
    _check_birth_date(birth_date, "input.birthDate")
    _check_health(
        changes.get("health", child.health),
        changes.get("disability_category", child.disability_category),
        changes.get("disability_grade", child.disability_grade),
        "input.",
    )
    for name, value in changes.items():
        setattr(child, name, value)
    await session.flush()
    await session.refresh(child)
    changed = {"changed": sorted(changes), "schooling": child.schooling.value}
    await publish(session, DomainEvent(events.CHILD_UPDATED, child.id, caller.user_id, changed))
    return child
