"""Registering guardians and linking them to children (监护关系)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import events, models
from core.errors import Conflict, ValidationFailed
from core.events import DomainEvent, publish
from core.graphql.global_ids import decode_global_id, encode_global_id, not_found
from core.graphql.inputs import LinkGuardianInput, RegisterGuardianInput, UpdateGuardianshipInput
from core.identity import Caller
from core.services import validation as check
from core.services.patch import changed_fields


def _guardian_id(key: Any) -> str:
    return encode_global_id("Guardian", key)


async def register_guardian(
    session: AsyncSession, caller: Caller, data: RegisterGuardianInput
) -> models.Guardian:
    name = check.required_text(data.name, "input.name", max_length=100)
    parsed = check.resident_id(data.id_number, "input.idNumber")
    check.agrees_with_id_number(parsed, birth_date=None, sex=data.sex, id_field="input.idNumber")
    phone = check.phone_number(data.phone, "input.phone")
    if parsed is not None:
        await check.unique_id_number(
            session,
            models.Guardian,
            parsed.number,
            "input.idNumber",
            existing_global_id=_guardian_id,
        )
    guardian = models.Guardian(
        name=name,
        id_number=parsed.number if parsed else None,
        sex=data.sex or (parsed.sex if parsed else None),
        phone=phone,
    )
    session.add(guardian)
    await session.flush()
    return guardian


def _check_work_away(works_away: bool, destination: str | None, since: Any) -> None:
    check.not_in_future(since, "input.worksAwaySince")
    if not works_away and (destination or since):
        raise ValidationFailed(
            "a work destination or date needs worksAway true", field="input.workDestination"
        )


async def link_guardian(
    session: AsyncSession, caller: Caller, data: LinkGuardianInput
) -> models.Guardianship:
    child_key = decode_global_id(data.child_id, "Child", field="input.childId")
    guardian_key = decode_global_id(data.guardian_id, "Guardian", field="input.guardianId")
    await check.visible_child(session, child_key, "input.childId")
    if await session.get(models.Guardian, guardian_key) is None:
        raise not_found("Guardian", "input.guardianId")
    destination = check.optional_text(
        data.work_destination, "input.workDestination", max_length=200
    )
    _check_work_away(data.works_away, destination, data.works_away_since)
    existing = await session.scalar(
        select(models.Guardianship.id).where(
            models.Guardianship.child_id == child_key,
            models.Guardianship.guardian_id == guardian_key,
        )
    )
    if existing is not None:
        raise Conflict(
            "this guardian is already linked to this child; update that guardianship instead",
            field="input.guardianId",
            existingId=encode_global_id("Guardianship", existing),
        )
    link = models.Guardianship(
        child_id=child_key,
        guardian_id=guardian_key,
        relationship=data.relationship,
        kind=data.kind,
        lives_with_child=data.lives_with_child,
        works_away=data.works_away,
        work_destination=destination,
        works_away_since=data.works_away_since,
        capacity=data.capacity,
    )
    session.add(link)
    await session.flush()
    await _announce(session, caller, link)
    return link


_NOT_NULLABLE = {"relationship", "kind", "lives_with_child", "works_away", "capacity"}


async def update_guardianship(
    session: AsyncSession, caller: Caller, data: UpdateGuardianshipInput
) -> models.Guardianship:
    key = decode_global_id(data.id, "Guardianship", field="input.id")
    link = await session.get(models.Guardianship, key, with_for_update=True)
    if link is None:
        raise not_found("Guardianship", "input.id")
    await check.visible_child(session, link.child_id, "input.id")
    check.check_version(link, data.version, "guardianship")
    changes = changed_fields(data, not_nullable=_NOT_NULLABLE)
    if "work_destination" in changes:
        changes["work_destination"] = check.optional_text(
            changes["work_destination"], "input.workDestination", max_length=200
        )
    if changes.get("works_away") is False:
        # Coming home ends the work-away facts unless the caller restates them.
        changes.setdefault("work_destination", None)
        changes.setdefault("works_away_since", None)
    _check_work_away(
        changes.get("works_away", link.works_away),
        changes.get("work_destination", link.work_destination),
        changes.get("works_away_since", link.works_away_since),
    )
    for name, value in changes.items():
        setattr(link, name, value)
    await session.flush()
    await _announce(session, caller, link)
    return link


async def _announce(session: AsyncSession, caller: Caller, link: models.Guardianship) -> None:
    data = {"child_id": link.child_id, "guardian_id": link.guardian_id}
    event = DomainEvent(events.GUARDIANSHIP_CHANGED, link.id, caller.user_id, data)
    await publish(session, event)
