"""The federation's writes: adding a rehabilitation service (康复服务) for a disabled child."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import ID

from caregraph_disabled_persons.models import RehabilitationService, RehabilitationServiceKind
from core.plugin_api import (
    Caller,
    DomainEvent,
    ValidationFailed,
    decode_global_id,
    enums,
    models,
    not_found,
    publish,
    validation,
)

SERVICE_ADDED = "disabled_persons.rehabilitation_service_added"
NOTE_MAX_LENGTH = 2000


async def add_rehabilitation_service(
    session: AsyncSession,
    caller: Caller,
    *,
    child_id: ID,
    service: RehabilitationServiceKind,
    provider_organization_id: ID | None,
    started_on: date,
    ended_on: date | None,
    subsidy_yuan: int | None,
    note: str | None,
) -> RehabilitationService:
    """Check the whole input, then write the service. A child outside the caller's row scope is
    NOT_FOUND, as one that does not exist."""
    child_key = decode_global_id(child_id, "Child", field="input.childId")
    validation.not_in_future(started_on, "input.startedOn")
    validation.not_in_future(ended_on, "input.endedOn")
    if ended_on is not None and ended_on < started_on:
        raise ValidationFailed("must not be before startedOn", field="input.endedOn")
    if subsidy_yuan is not None and subsidy_yuan < 0:
        raise ValidationFailed("must not be negative", field="input.subsidyYuan")
    text = validation.optional_text(note, "input.note", max_length=NOTE_MAX_LENGTH)
    provider_key = None
    if provider_organization_id is not None:
        provider_key = decode_global_id(
            provider_organization_id, "Organization", field="input.providerOrganizationId"
        )

    child = await validation.visible_child(session, child_key, "input.childId")
    if child.health is not enums.HealthStatus.DISABLED:
        raise ValidationFailed(
            "only a child recorded as disabled receives rehabilitation services",
            field="input.childId",
        )
    if started_on < child.birth_date:
        raise ValidationFailed("is before the child's birth", field="input.startedOn")
    if provider_key is not None and await session.get(models.Organization, provider_key) is None:
        raise not_found("Organization", "input.providerOrganizationId")

    row = RehabilitationService(
        child_id=child_key,
        service=service,
        provider_organization_id=provider_key,
        started_on=started_on,
        ended_on=ended_on,
        subsidy_yuan=subsidy_yuan,
        note=text,
    )
    session.add(row)
    await session.flush()
    data = {"child_id": child_key, "service": service.value}
    await publish(session, DomainEvent(SERVICE_ADDED, row.id, caller.user_id, data))
    return row
