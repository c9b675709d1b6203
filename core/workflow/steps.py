"""The case as a state machine. Every change to a case is a step: the step names the statuses
it may start from and where each leads, and writes one entry of the case's timeline.

Who may take a step is the policy's business: each step is taken through one mutation, and
`p, <department:role>, Mutation.<name>, execute` lines say who may call it. What a step needs
is this module's: a plan needs an assessment first (`ADOPT_PLAN` starts only from `ASSESSED`),
closing needs a request and the lead department's approval. A step the status does not allow is
INVALID_TRANSITION and changes nothing. Before a step changes anything it is announced as the
domain event `case.<step>`, so a plugin may refuse it (civil affairs refuses closure while a
plan's services are undelivered).
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import enums, events, models
from core.errors import InvalidTransition, NotFound, ValidationFailed
from core.events import DomainEvent, publish
from core.graphql.global_ids import not_found
from core.identity import Caller
from core.notifications import notify
from core.services import validation

Status = enums.CaseStatus
Kind = enums.CaseEventKind
ACTIVE = (Status.OPEN, Status.ASSESSED, Status.IN_PROGRESS)
CASE_ASSIGNED_TOPIC = "case.assigned"


@dataclass(frozen=True)
class Step:
    name: str
    title: str  # for messages: "an assessment"
    event_kind: enums.CaseEventKind
    transitions: Mapping[enums.CaseStatus, enums.CaseStatus] = field(default_factory=dict)

    @property
    def allowed_from(self) -> list[str]:
        return [status.value for status in self.transitions]


def _stay(*statuses: enums.CaseStatus) -> dict[enums.CaseStatus, enums.CaseStatus]:
    return {status: status for status in statuses}


NOTE = Step("note", "a note", Kind.NOTE, _stay(*ACTIVE, Status.CLOSURE_REQUESTED))
VISIT = Step("visit", "a visit", Kind.VISIT, _stay(*ACTIVE, Status.CLOSURE_REQUESTED))
ASSIGN = Step("assign", "an assignment", Kind.ASSIGNED, _stay(*ACTIVE))
ASSESS = Step(
    "assess",
    "an assessment",
    Kind.ASSESSMENT,
    {Status.OPEN: Status.ASSESSED, **_stay(Status.ASSESSED, Status.IN_PROGRESS)},
)
ADOPT_PLAN = Step(
    "adopt_plan",
    "an assistance plan",
    Kind.ASSISTANCE_PLAN,
    {Status.ASSESSED: Status.IN_PROGRESS, Status.IN_PROGRESS: Status.IN_PROGRESS},
)
FOLLOW_UP = Step("follow_up", "a follow-up", Kind.FOLLOW_UP, _stay(Status.IN_PROGRESS))
INTERVENE = Step(
    "intervene", "a guardianship intervention", Kind.GUARDIANSHIP_INTERVENTION, _stay(*ACTIVE)
)
REQUEST_CLOSURE = Step(
    "request_closure",
    "a closure request",
    Kind.CLOSURE_REQUESTED,
    {Status.ASSESSED: Status.CLOSURE_REQUESTED, Status.IN_PROGRESS: Status.CLOSURE_REQUESTED},
)
APPROVE_CLOSURE = Step(
    "approve_closure",
    "approving closure",
    Kind.CLOSURE_APPROVED,
    {Status.CLOSURE_REQUESTED: Status.CLOSED},
)
REJECT_CLOSURE = Step(
    "reject_closure",
    "rejecting closure",
    Kind.CLOSURE_REJECTED,
    {Status.CLOSURE_REQUESTED: Status.IN_PROGRESS},
)
STEPS = (
    NOTE,
    VISIT,
    ASSIGN,
    ASSESS,
    ADOPT_PLAN,
    FOLLOW_UP,
    INTERVENE,
    REQUEST_CLOSURE,
    APPROVE_CLOSURE,
    REJECT_CLOSURE,
)


@dataclass(frozen=True)
class TimelineEntry:
    """An entry to write into a case's timeline as it happened, e.g. the compulsory report and
    emergency measures that came before the case was opened."""

    kind: enums.CaseEventKind
    occurred_at: datetime
    actor_user_id: str
    actor_department: str | None
    organization_id: uuid.UUID | None
    note: str


def event_for(
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


async def acting_organization(
    session: AsyncSession, caller: Caller, given: uuid.UUID | None, field: str
) -> models.Organization:
    """The organisation named in the input, else the caller's own."""
    if given is None and caller.organization_id is not None:
        try:
            given = uuid.UUID(caller.organization_id)
        except ValueError:
            raise ValidationFailed("the caller's organisation is unknown", field=field) from None
    if given is None:
        raise ValidationFailed("name the organisation acting", field=field)
    organization = await session.get(models.Organization, given)
    if organization is None:
        raise not_found("Organization", field)
    return organization


async def case_for_step(
    session: AsyncSession, case_id: uuid.UUID, field: str = "input.caseId"
) -> models.Case:
    """The case, locked until the transaction ends so that steps on one case follow each
    other; NOT_FOUND when it does not exist or its child is outside the caller's scope."""
    case = await session.scalar(
        select(models.Case).where(models.Case.id == case_id).with_for_update()
    )
    if case is None:
        raise not_found("Case", field)
    try:
        await validation.visible_child(session, case.child_id, field)
    except NotFound:
        raise not_found("Case", field) from None
    return case


def check_step(case: models.Case, step: Step, field: str = "input.caseId") -> enums.CaseStatus:
    """The status `step` leads to from the case's; INVALID_TRANSITION when it may not start."""
    target = step.transitions.get(case.status)
    if target is None:
        raise InvalidTransition(
            f"{step.title} is not possible while the case is {case.status.value}",
            field=field,
            status=case.status.value,
            allowedFrom=step.allowed_from,
        )
    return target


async def take_step(
    session: AsyncSession,
    caller: Caller,
    case: models.Case,
    step: Step,
    *,
    note: str,
    organization_id: uuid.UUID | None,
    field: str = "input.caseId",
    details: Mapping[str, object] | None = None,
) -> models.CaseEvent:
    """Check that `step` may start from the case's status, let plugins refuse it, move the case
    and write the timeline entry. `case` comes from `case_for_step` (locked, in scope)."""
    target = check_step(case, step, field)
    data = {"status": case.status.value, "to": target.value, **(details or {})}
    await publish(session, DomainEvent(f"case.{step.name}", case.id, caller.user_id, data))
    if target is not case.status:
        case.status = target
    event = event_for(case.id, step.event_kind, caller, organization_id, note)
    session.add(event)
    await session.flush()
    return event


async def assign(
    session: AsyncSession,
    caller: Caller,
    case: models.Case,
    organizations: Iterable[models.Organization],
    *,
    by_organization_id: uuid.UUID | None,
    kind: enums.CaseEventKind = Kind.ASSIGNED,
    reason: str = "assigned",
) -> list[models.Organization]:
    """Assign the case to organisations that do not hold it yet; each is told by the
    `case.assigned` notification. Returns those newly assigned."""
    holders = set(
        await session.scalars(
            select(models.CaseAssignment.organization_id).where(
                models.CaseAssignment.case_id == case.id
            )
        )
    )
    holders.add(case.opened_by_organization_id)
    added: list[models.Organization] = []
    for organization in organizations:
        if organization.id in holders:
            continue
        holders.add(organization.id)
        added.append(organization)
        session.add(models.CaseAssignment(case_id=case.id, organization_id=organization.id))
        note = f"{reason}: {organization.name}"
        session.add(event_for(case.id, kind, caller, by_organization_id, note))
        await notify(
            session,
            CASE_ASSIGNED_TOPIC,
            {"case_id": str(case.id), "organization_id": str(organization.id), "reason": reason},
        )
    await session.flush()
    return added


async def open_case(
    session: AsyncSession,
    caller: Caller,
    *,
    child_id: uuid.UUID,
    kind: enums.CaseKind,
    summary: str,
    risk_level: enums.RiskLevel | None,
    opener: models.Organization,
    assignees: Sequence[models.Organization] = (),
    history: Sequence[TimelineEntry] = (),
    assignment_kind: enums.CaseEventKind = Kind.ASSIGNED,
    assignment_reason: str = "assigned",
) -> models.Case:
    """Open a case (立案) about a child: its timeline starts with `history` (what happened
    before, at the times it happened), then OPENED, then one entry per assignee. Announced as
    the domain event `case.opened`."""
    case = models.Case(
        child_id=child_id,
        kind=kind,
        status=Status.OPEN,
        risk_level=risk_level,
        summary=summary,
        opened_by_organization_id=opener.id,
    )
    session.add(case)
    await session.flush()
    for entry in history:
        session.add(
            models.CaseEvent(
                case_id=case.id,
                kind=entry.kind,
                occurred_at=entry.occurred_at,
                actor_user_id=entry.actor_user_id,
                actor_department=entry.actor_department,
                organization_id=entry.organization_id,
                note=entry.note,
            )
        )
    session.add(event_for(case.id, Kind.OPENED, caller, opener.id, summary))
    await session.flush()
    await assign(
        session,
        caller,
        case,
        assignees,
        by_organization_id=opener.id,
        kind=assignment_kind,
        reason=assignment_reason,
    )
    await session.refresh(case)
    details = {"child_id": child_id, "kind": kind.value, "opener_organization_id": opener.id}
    await publish(session, DomainEvent(events.CASE_OPENED, case.id, caller.user_id, details))
    return case
