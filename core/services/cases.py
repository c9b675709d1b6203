"""Opening protection cases and writing their timeline."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import enums, events, models
from core.errors import NotFound, ValidationFailed
from core.events import DomainEvent, publish
from core.graphql.global_ids import decode_global_id, not_found
from core.graphql.inputs import AddCaseEventInput, OpenCaseInput
from core.identity import Caller
from core.services import validation as check

CALLER_EVENT_KINDS = {enums.CaseEventKind.NOTE, enums.CaseEventKind.VISIT}


async def _acting_organization(
    session: AsyncSession, caller: Caller, given: str | None, field: str
) -> models.Organization:
    """The organisation named in the input, else the caller's own."""
    if given is not None:
        key = decode_global_id(given, "Organization", field=field)
    elif caller.organization_id is not None:
        try:
            key = uuid.UUID(caller.organization_id)
        except ValueError:
            raise ValidationFailed("the caller's organisation is unknown", field=field) from None
    else:
        raise ValidationFailed("name the organisation acting", field=field)
    organization = await session.get(models.Organization, key)
    if organization is None:
        raise not_found("Organization", field)
    return organization


def _event(
    case_id: uuid.UUID,
    kind: enums.CaseEventKind,
    caller: Caller,
    organization_id: uuid.UUID | None,
    note: str,
) -> models.CaseEvent:
    return models.CaseEvent(
        case_id=case_id,
        kind=kind,
        actor_user_id=caller.user_id,
        actor_department=caller.department,
        organization_id=organization_id,
        note=note,
    )


async def open_case(session: AsyncSession, caller: Caller, data: OpenCaseInput) -> models.Case:
    child_key = decode_global_id(data.child_id, "Child", field="input.childId")
    await check.visible_child(session, child_key, "input.childId")
    summary = check.required_text(data.summary, "input.summary", max_length=4000)
    opener = await _acting_organization(
        session, caller, data.organization_id, "input.organizationId"
    )
    assigned_keys: list[uuid.UUID] = []
    for index, global_id in enumerate(data.assigned_organization_ids):
        field = f"input.assignedOrganizationIds.{index}"
        key = decode_global_id(global_id, "Organization", field=field)
        if key != opener.id and key not in assigned_keys:
            assigned_keys.append(key)
    assignees = {
        organization.id: organization
        for organization in await session.scalars(
            select(models.Organization).where(models.Organization.id.in_(assigned_keys))
        )
    }
    for index, key in enumerate(assigned_keys):
        if key not in assignees:
            raise not_found("Organization", f"input.assignedOrganizationIds.{index}")

    case = models.Case(
        child_id=child_key,
        kind=data.kind,
        status=enums.CaseStatus.OPEN,
        risk_level=data.risk_level,
        summary=summary,
        opened_by_organization_id=opener.id,
    )
    session.add(case)
    await session.flush()
    session.add(_event(case.id, enums.CaseEventKind.OPENED, caller, opener.id, summary))
    for key in assigned_keys:
        session.add(models.CaseAssignment(case_id=case.id, organization_id=key))
        note = f"assigned to {assignees[key].name}"
        session.add(_event(case.id, enums.CaseEventKind.ASSIGNED, caller, opener.id, note))
    await session.flush()
    await session.refresh(case)
    details = {"child_id": child_key, "kind": case.kind.value}
    await publish(session, DomainEvent(events.CASE_OPENED, case.id, caller.user_id, details))
    return case


async def add_case_event(
    session: AsyncSession, caller: Caller, data: AddCaseEventInput
) -> models.CaseEvent:
    case_key = decode_global_id(data.case_id, "Case", field="input.caseId")
    case = await session.get(models.Case, case_key)
    if case is None:
        raise not_found("Case", "input.caseId")
    try:
        await check.visible_child(session, case.child_id, "input.caseId")
    except NotFound:
        raise not_found("Case", "input.caseId") from None
    if data.kind not in CALLER_EVENT_KINDS:
        raise ValidationFailed(
            "only NOTE and VISIT entries are written directly; the platform records the others",
            field="input.kind",
        )
    if case.status is enums.CaseStatus.CLOSED:
        raise ValidationFailed("the case is closed", field="input.caseId")
    note = check.required_text(data.note, "input.note", max_length=4000)
    organization = await _acting_organization(
        session, caller, data.organization_id, "input.organizationId"
    )
    event = _event(case.id, data.kind, caller, organization.id, note)
    session.add(event)
    await session.flush()
    await session.refresh(event)
    details = {"case_id": case.id, "kind": event.kind.value}
    await publish(session, DomainEvent(events.CASE_EVENT_ADDED, event.id, caller.user_id, details))
    return event
