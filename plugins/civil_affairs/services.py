"""Civil affairs' writes: recording and reviewing census visits, and putting the latest visit
on the timeline of a case opened about the child."""

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import ID

from core.plugin_api import (
    SYSTEM,
    Caller,
    DomainEvent,
    ValidationFailed,
    decode_global_id,
    encode_global_id,
    enums,
    models,
    not_found,
    publish,
    validation,
)
from plugins.civil_affairs.models import CensusVisit

VISIT_RECORDED = "civil_affairs.census_visit_recorded"
VISIT_REVIEWED = "civil_affairs.census_visit_reviewed"
VISIT_DUE_AFTER = timedelta(days=90)
PLATFORM_USER = SYSTEM.user_id


async def record_census_visit(
    session: AsyncSession,
    caller: Caller,
    *,
    child_id: ID,
    visited_on: date,
    visitor_name: str,
    met_with: str,
    guardianship_type_observed: enums.GuardianshipType | None,
    changes_noted: str | None,
) -> CensusVisit:
    child_key = decode_global_id(child_id, "Child", field="input.childId")
    child = await validation.visible_child(session, child_key, "input.childId")
    validation.not_in_future(visited_on, "input.visitedOn")
    if visited_on < child.birth_date:
        raise ValidationFailed("is before the child's birth", field="input.visitedOn")
    visit = CensusVisit(
        child_id=child_key,
        visited_on=visited_on,
        visitor_name=validation.required_text(visitor_name, "input.visitorName", max_length=100),
        met_with=validation.required_text(met_with, "input.metWith", max_length=1000),
        guardianship_type_observed=guardianship_type_observed,
        changes_noted=validation.optional_text(
            changes_noted, "input.changesNoted", max_length=4000
        ),
    )
    session.add(visit)
    await session.flush()
    await session.refresh(visit)
    observed = guardianship_type_observed.value if guardianship_type_observed else None
    data = {"child_id": child_key, "guardianship_type_observed": observed}
    await publish(session, DomainEvent(VISIT_RECORDED, visit.id, caller.user_id, data))
    return visit


async def review_census_visit(
    session: AsyncSession, caller: Caller, *, visit_id: ID, version: int
) -> CensusVisit:
    key = decode_global_id(visit_id, "CensusVisit", field="input.id")
    visit = await session.get(CensusVisit, key)
    if visit is None:
        raise not_found("CensusVisit", "input.id")
    validation.check_version(visit, version, "CensusVisit")
    if visit.reviewed_on is not None:
        raise ValidationFailed("the visit is already reviewed", field="input.id")
    visit.reviewed_by = caller.user_id
    visit.reviewed_on = date.today()
    await session.flush()
    data = {"child_id": visit.child_id}
    await publish(session, DomainEvent(VISIT_REVIEWED, visit.id, caller.user_id, data))
    return visit


def _latest_visit_note(visit: CensusVisit, today: date) -> str:
    observed = (
        visit.guardianship_type_observed.value if visit.guardianship_type_observed else "not noted"
    )
    parts = [
        f"Latest census visit (摸底排查走访) {encode_global_id('CensusVisit', visit.id)} "
        f"on {visit.visited_on.isoformat()}: guardianship observed {observed}",
        "changes were noted" if visit.changes_noted else "no changes noted",
        "reviewed" if visit.reviewed_on else "not yet reviewed",
    ]
    if today - visit.visited_on > VISIT_DUE_AFTER:
        parts.append(f"more than {VISIT_DUE_AFTER.days} days ago: a new home visit is due")
    return "; ".join(parts) + "."


async def note_latest_visit_on_case(session: AsyncSession, event: DomainEvent) -> None:
    """A case opened about a child the village has visited starts with what that visit found,
    so the caseworker knows whom to ask; children never visited get no entry."""
    child_id = event.data.get("child_id")
    if child_id is None:
        return
    visit = await session.scalar(
        select(CensusVisit)
        .where(CensusVisit.child_id == uuid.UUID(str(child_id)))
        .order_by(
            CensusVisit.visited_on.desc(), CensusVisit.created_at.desc(), CensusVisit.id.desc()
        )
        .limit(1)
    )
    if visit is None:
        return
    session.add(
        models.CaseEvent(
            case_id=uuid.UUID(str(event.record_id)),
            kind=enums.CaseEventKind.NOTE,
            actor_user_id=PLATFORM_USER,
            actor_department="civil_affairs",
            organization_id=None,
            note=_latest_visit_note(visit, date.today()),
        )
    )
    await session.flush()
