"""Opening protection cases and writing notes and visits into their timeline, from the core's
mutations; the steps themselves are `core.workflow.steps`."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import enums, events, models
from core.errors import ValidationFailed
from core.events import DomainEvent, publish
from core.graphql.global_ids import decode_global_id, not_found
from core.graphql.inputs import AddCaseEventInput, OpenCaseInput
from core.identity import Caller
from core.services import validation as check
from core.workflow import steps

CALLER_STEPS = {enums.CaseEventKind.NOTE: steps.NOTE, enums.CaseEventKind.VISIT: steps.VISIT}


def _organization_key(given: str | None, field: str) -> uuid.UUID | None:
    return None if given is None else decode_global_id(given, "Organization", field=field)


async def open_case(session: AsyncSession, caller: Caller, data: OpenCaseInput) -> models.Case:
    child_key = decode_global_id(data.child_id, "Child", field="input.childId")
    await check.visible_child(session, child_key, "input.childId")
    summary = check.required_text(data.summary, "input.summary", max_length=4000)
    opener = await steps.acting_organization(
        session,
        caller,
        _organization_key(data.organization_id, "input.organizationId"),
        "input.organizationId",
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
    case = await steps.open_case(
        session,
        caller,
        child_id=child_key,
        kind=data.kind,
        summary=summary,
        risk_level=data.risk_level,
        opener=opener,
        assignees=[assignees[key] for key in assigned_keys],
    )
    return case


async def add_case_event(
    session: AsyncSession, caller: Caller, data: AddCaseEventInput
) -> models.CaseEvent:
    case_key = decode_global_id(data.case_id, "Case", field="input.caseId")
    case = await steps.case_for_step(session, case_key)
    step = CALLER_STEPS.get(data.kind)
    if step is None:
        raise ValidationFailed(
            "only NOTE and VISIT entries are written directly; the platform records the others",
            field="input.kind",
        )
    note = check.required_text(data.note, "input.note", max_length=4000)
    organization = await steps.acting_organization(
        session,
        caller,
        _organization_key(data.organization_id, "input.organizationId"),
        "input.organizationId",
    )
    event = await steps.take_step(
        session, caller, case, step, note=note, organization_id=organization.id
    )
    await session.refresh(event)
    details = {"case_id": case.id, "kind": event.kind.value}
    await publish(session, DomainEvent(events.CASE_EVENT_ADDED, event.id, caller.user_id, details))
    return event
