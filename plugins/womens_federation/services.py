"""The women's federation's writes: recording a family contact (亲情联系)."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import ID

from core.plugin_api import (
    Caller,
    DomainEvent,
    ValidationFailed,
    decode_global_id,
    models,
    not_found,
    publish,
    validation,
)
from plugins.womens_federation.models import MAX_MINUTES, ContactChannel, FamilyContact

CONTACT_RECORDED = "womens_federation.family_contact_recorded"


async def record_family_contact(
    session: AsyncSession,
    caller: Caller,
    *,
    child_id: ID,
    guardian_id: ID,
    contact_on: date,
    channel: ContactChannel,
    arranged_by_organization_id: ID | None,
    minutes: int | None,
    note: str | None,
) -> FamilyContact:
    child_key = decode_global_id(child_id, "Child", field="input.childId")
    guardian_key = decode_global_id(guardian_id, "Guardian", field="input.guardianId")
    await validation.visible_child(session, child_key, "input.childId")
    if await session.get(models.Guardian, guardian_key) is None:
        raise not_found("Guardian", "input.guardianId")
    linked = await session.scalar(
        select(models.Guardianship.id).where(
            models.Guardianship.child_id == child_key,
            models.Guardianship.guardian_id == guardian_key,
        )
    )
    if linked is None:
        raise ValidationFailed(
            "this guardian is not linked to the child; link them first",
            field="input.guardianId",
        )
    validation.not_in_future(contact_on, "input.contactOn")
    organization_key = None
    if arranged_by_organization_id is not None:
        organization_key = decode_global_id(
            arranged_by_organization_id, "Organization", field="input.arrangedByOrganizationId"
        )
        if await session.get(models.Organization, organization_key) is None:
            raise not_found("Organization", "input.arrangedByOrganizationId")
    if minutes is not None and not 0 <= minutes <= MAX_MINUTES:
        raise ValidationFailed(
            f"minutes run from 0 to {MAX_MINUTES}", field="input.minutes", maximum=MAX_MINUTES
        )
    contact = FamilyContact(
        child_id=child_key,
        guardian_id=guardian_key,
        contact_on=contact_on,
        channel=channel,
        arranged_by_organization_id=organization_key,
        minutes=minutes,
        note=validation.optional_text(note, "input.note", max_length=2000),
    )
    session.add(contact)
    await session.flush()
    data = {"child_id": child_key, "guardian_id": guardian_key, "channel": channel.value}
    await publish(session, DomainEvent(CONTACT_RECORDED, contact.id, caller.user_id, data))
    return contact
