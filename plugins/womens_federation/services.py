"""The women's federation's writes: recording a family contact (亲情联系); registering a women's
or children's home and recording its care services; recording a family-education guidance
session; pairing a surrogate mother with a child and ending the pairing."""

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import ID

from core.plugin_api import (
    Caller,
    Conflict,
    DomainEvent,
    NotFound,
    ValidationFailed,
    decode_global_id,
    encode_global_id,
    models,
    not_found,
    publish,
    validation,
)
from plugins.womens_federation.models import (
    MAX_MINUTES,
    CareHome,
    CareHomeKind,
    CareService,
    CareServiceKind,
    CareServiceParticipant,
    ContactChannel,
    FamilyContact,
    GuidanceSession,
    GuidanceSessionAttendee,
    SurrogateMother,
)
from plugins.womens_federation.scopes import home_in_callers_region, in_callers_region

CONTACT_RECORDED = "womens_federation.family_contact_recorded"
HOME_REGISTERED = "womens_federation.care_home_registered"
SERVICE_RECORDED = "womens_federation.care_service_recorded"
SESSION_RECORDED = "womens_federation.guidance_session_recorded"
SURROGATE_PAIRED = "womens_federation.surrogate_mother_paired"
SURROGATE_ENDED = "womens_federation.surrogate_mother_pairing_ended"
MAX_PARTICIPANTS = 200


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


async def _region_in_callers_region(session: AsyncSession, caller: Caller, code: str) -> bool:
    found = await session.scalar(
        select(models.Region.code).where(
            models.Region.code == code, in_callers_region(models.Region.code, caller)
        )
    )
    return found is not None


async def register_care_home(
    session: AsyncSession,
    caller: Caller,
    *,
    organization_id: ID | None,
    name: str | None,
    kind: CareHomeKind,
    region_code: str | None,
) -> CareHome:
    """A home is a registered organisation (its name and region by default), or a name and a
    region; either way in the caller's region, once."""
    home_name = validation.optional_text(name, "input.name", max_length=200)
    given_region = region_code.strip() if region_code and region_code.strip() else None
    organization_key = None
    if organization_id is not None:
        organization_key = decode_global_id(
            organization_id, "Organization", field="input.organizationId"
        )
        organization = await session.get(models.Organization, organization_key)
        if organization is None:
            raise not_found("Organization", "input.organizationId")
        if given_region is not None and given_region != organization.region_code:
            raise ValidationFailed(
                "the organisation is in another region; leave the region out",
                field="input.regionCode",
            )
        region = organization.region_code
        home_name = home_name or organization.name
        region_field = "input.organizationId"
    else:
        if home_name is None:
            raise ValidationFailed("name the home, or give its organisation", field="input.name")
        if given_region is None:
            raise ValidationFailed(
                "give the home's region, or its organisation", field="input.regionCode"
            )
        region = await validation.existing_region(session, given_region, "input.regionCode")
        region_field = "input.regionCode"
    if not await _region_in_callers_region(session, caller, region):
        raise ValidationFailed("is outside your region", field=region_field)
    if organization_key is not None:
        taken = await session.scalar(
            select(CareHome.id).where(CareHome.organization_id == organization_key)
        )
        if taken is not None:
            raise Conflict(
                "this organisation is already registered as a home",
                field="input.organizationId",
                existingId=encode_global_id("CareHome", taken),
            )
    existing = await session.scalar(
        select(CareHome.id).where(CareHome.region_code == region, CareHome.name == home_name)
    )
    if existing is not None:
        raise Conflict(
            "a home of this name is already registered in this region",
            field="input.name",
            existingId=encode_global_id("CareHome", existing),
        )
    home = CareHome(
        name=home_name,
        kind=kind,
        region_code=region,
        organization_id=organization_key,
        registered_by_user_id=caller.user_id,
    )
    session.add(home)
    await session.flush()
    data = {"kind": kind.value, "region_code": region, "organization_id": organization_key}
    await publish(session, DomainEvent(HOME_REGISTERED, home.id, caller.user_id, data))
    return home


async def _visible_home(session: AsyncSession, caller: Caller, home_id: ID) -> CareHome:
    """The home, if it is in the caller's region; NOT_FOUND otherwise, as for a missing one."""
    key = decode_global_id(home_id, "CareHome", field="input.homeId")
    home = await session.scalar(
        select(CareHome).where(CareHome.id == key, home_in_callers_region(caller))
    )
    if home is None:
        raise not_found("CareHome", "input.homeId")
    return home


def _distinct_keys(ids: Sequence[ID], type_name: str, field: str) -> list[uuid.UUID]:
    if not ids:
        raise ValidationFailed("name at least one", field=field)
    if len(ids) > MAX_PARTICIPANTS:
        raise ValidationFailed(
            f"at most {MAX_PARTICIPANTS} at a time", field=field, maximum=MAX_PARTICIPANTS
        )
    keys = [decode_global_id(value, type_name, field=field) for value in ids]
    return list(dict.fromkeys(keys))


async def record_care_service(
    session: AsyncSession,
    caller: Caller,
    *,
    home_id: ID,
    provided_on: date,
    kind: CareServiceKind,
    child_ids: Sequence[ID],
    description: str | None,
) -> CareService:
    home = await _visible_home(session, caller, home_id)
    validation.not_in_future(provided_on, "input.providedOn")
    child_keys = _distinct_keys(child_ids, "Child", "input.childIds")
    for key in child_keys:
        child = await validation.visible_child(session, key, "input.childIds")
        if provided_on < child.birth_date:
            raise ValidationFailed(
                "is before the birth of a child who took part", field="input.providedOn"
            )
    text = validation.optional_text(description, "input.description", max_length=4000)
    if kind is CareServiceKind.OTHER and text is None:
        raise ValidationFailed("describe a service of kind OTHER", field="input.description")
    service = CareService(
        home_id=home.id,
        provided_on=provided_on,
        kind=kind,
        description=text,
        recorded_by_user_id=caller.user_id,
    )
    session.add(service)
    await session.flush()
    session.add_all(CareServiceParticipant(service_id=service.id, child_id=k) for k in child_keys)
    await session.flush()
    data = {"home_id": home.id, "kind": kind.value, "child_ids": child_keys}
    await publish(session, DomainEvent(SERVICE_RECORDED, service.id, caller.user_id, data))
    return service


async def _linked_to_visible_child(session: AsyncSession, guardian_key: uuid.UUID) -> bool:
    children = await session.scalars(
        select(models.Guardianship.child_id)
        .where(models.Guardianship.guardian_id == guardian_key)
        .order_by(models.Guardianship.created_at)
    )
    for child_key in children.all():
        try:
            await validation.visible_child(session, child_key, "input.guardianIds")
        except NotFound:
            continue
        return True
    return False


async def record_guidance_session(
    session: AsyncSession,
    caller: Caller,
    *,
    home_id: ID,
    held_on: date,
    topic: str,
    guardian_ids: Sequence[ID],
    note: str | None,
) -> GuidanceSession:
    home = await _visible_home(session, caller, home_id)
    validation.not_in_future(held_on, "input.heldOn")
    session_topic = validation.required_text(topic, "input.topic", max_length=300)
    guardian_keys = _distinct_keys(guardian_ids, "Guardian", "input.guardianIds")
    for key in guardian_keys:
        # A guardian no visible child links to is as unknown as a missing one.
        if await session.get(models.Guardian, key) is None or not (
            await _linked_to_visible_child(session, key)
        ):
            raise not_found("Guardian", "input.guardianIds")
    guidance = GuidanceSession(
        home_id=home.id,
        held_on=held_on,
        topic=session_topic,
        note=validation.optional_text(note, "input.note", max_length=4000),
        recorded_by_user_id=caller.user_id,
    )
    session.add(guidance)
    await session.flush()
    session.add_all(
        GuidanceSessionAttendee(session_id=guidance.id, guardian_id=k) for k in guardian_keys
    )
    await session.flush()
    data = {"home_id": home.id, "guardian_ids": guardian_keys}
    await publish(session, DomainEvent(SESSION_RECORDED, guidance.id, caller.user_id, data))
    return guidance


async def pair_surrogate_mother(
    session: AsyncSession,
    caller: Caller,
    *,
    child_id: ID,
    name: str,
    phone: str,
    user_id: str | None,
    started_on: date,
) -> SurrogateMother:
    child_key = decode_global_id(child_id, "Child", field="input.childId")
    # locked, so that two pairings of one child cannot both pass the check below
    child = await validation.visible_child(session, child_key, "input.childId", for_update=True)
    volunteer_name = validation.required_text(name, "input.name", max_length=100)
    volunteer_phone = validation.phone_number(phone, "input.phone")
    if volunteer_phone is None:
        raise ValidationFailed("must not be empty", field="input.phone")
    volunteer_user = validation.optional_text(user_id, "input.userId", max_length=100)
    validation.not_in_future(started_on, "input.startedOn")
    if started_on < child.birth_date:
        raise ValidationFailed("is before the child's birth", field="input.startedOn")
    current = await session.scalar(
        select(SurrogateMother.id).where(
            SurrogateMother.child_id == child_key, SurrogateMother.ended_on.is_(None)
        )
    )
    if current is not None:
        raise Conflict(
            "the child already has a surrogate mother; end that pairing first",
            field="input.childId",
            existingId=encode_global_id("SurrogateMother", current),
        )
    pairing = SurrogateMother(
        child_id=child_key,
        name=volunteer_name,
        phone=volunteer_phone,
        user_id=volunteer_user,
        started_on=started_on,
        paired_by_user_id=caller.user_id,
    )
    session.add(pairing)
    await session.flush()
    data = {"child_id": child_key, "user_id": volunteer_user}
    await publish(session, DomainEvent(SURROGATE_PAIRED, pairing.id, caller.user_id, data))
    return pairing


async def end_surrogate_mother_pairing(
    session: AsyncSession,
    caller: Caller,
    *,
    pairing_id: ID,
    version: int,
    ended_on: date,
    end_reason: str | None,
) -> SurrogateMother:
    key = decode_global_id(pairing_id, "SurrogateMother", field="input.id")
    pairing = await session.get(SurrogateMother, key)
    if pairing is None:
        raise not_found("SurrogateMother", "input.id")
    try:
        await validation.visible_child(session, pairing.child_id, "input.id")
    except NotFound:
        raise not_found("SurrogateMother", "input.id") from None
    validation.check_version(pairing, version, "SurrogateMother")
    if pairing.ended_on is not None:
        raise ValidationFailed("the pairing has already ended", field="input.id")
    validation.not_in_future(ended_on, "input.endedOn")
    if ended_on < pairing.started_on:
        raise ValidationFailed("is before the pairing started", field="input.endedOn")
    pairing.ended_on = ended_on
    pairing.end_reason = validation.optional_text(end_reason, "input.endReason", max_length=1000)
    await session.flush()
    data = {"child_id": pairing.child_id}
    await publish(session, DomainEvent(SURROGATE_ENDED, pairing.id, caller.user_id, data))
    return pairing
