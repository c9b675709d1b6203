"""Civil affairs' part of the protection workflow, built on the core's case steps
(`core.plugin_api.steps`): the lead department assesses and assists (评估帮扶) and applies to the
court in a guardianship intervention (监护干预).

- Every case opened gets an assessment deadline (`civil_affairs.assessment`) for civil affairs
  of the child's residence region; recording an assessment (step ASSESS) completes it.
- An assistance plan (step ADOPT_PLAN, only after an assessment) lists services organisations
  deliver by a date: each item is a deadline (`civil_affairs.plan_item`) of its organisation,
  and the case is assigned to each organisation, which the `caseAssigned` subscription tells.
- Follow-ups (step FOLLOW_UP) record progress and complete items.
- Closure is refused while plan items are open or a court application is pending.
- An application to the court to revoke a guardian's status, and the court's decision (step
  INTERVENE), which revokes the guardianship and links the guardian the court designated.

Timeline notes and deadline descriptions never hold personal data: what the assessment found
in words, the goal and progress stay in this plugin's records, under its own policy lines.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import ID

from core.plugin_api import (
    Caller,
    Conflict,
    DomainEvent,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    deadlines,
    decode_global_id,
    encode_global_id,
    enums,
    events,
    models,
    not_found,
    publish,
    steps,
    validation,
)
from plugins.civil_affairs.models import (
    Assessment,
    AssessmentFinding,
    AssessmentParticipant,
    AssistancePlan,
    AssistanceService,
    CourtApplication,
    CourtApplicationStatus,
    CourtOutcome,
    FollowUp,
    PlanItem,
    RevocationGround,
)
from plugins.civil_affairs.services import note_latest_visit_on_case
from plugins.civil_affairs.settings import get_settings

DEPARTMENT = "civil_affairs"
ASSESSMENT_DEADLINE = "civil_affairs.assessment"
PLAN_ITEM_DEADLINE = "civil_affairs.plan_item"
ASSESSMENT_RECORDED = "civil_affairs.assessment_recorded"
PLAN_ADOPTED = "civil_affairs.assistance_plan_adopted"
FOLLOW_UP_RECORDED = "civil_affairs.follow_up_recorded"
COURT_APPLICATION_FILED = "civil_affairs.court_application_filed"
COURT_DECISION_RECORDED = "civil_affairs.court_decision_recorded"
# Plan items are due by the end of their day where the children live.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8))
MAX_NOTE = 4000
MAX_PLAN_ITEMS = 50
MAX_PARTICIPANTS = 50


@dataclass(frozen=True)
class Finding:
    """What an assessment found on one dimension, as given."""

    finding: AssessmentFinding
    note: str | None


@dataclass(frozen=True)
class PlanItemDraft:
    """One service of a plan, as given."""

    service: AssistanceService
    organization_id: ID
    due_on: date
    note: str | None


# --- event handlers ----------------------------------------------------------------------------


async def set_assessment_deadline(session: AsyncSession, event: DomainEvent) -> None:
    """Every case opened, by whichever department, is for civil affairs of the child's residence
    region to assess within the configured span."""
    case_id = uuid.UUID(str(event.record_id))
    child_id = uuid.UUID(str(event.data["child_id"]))
    region_code = await session.scalar(
        select(models.Child.residence_region_code).where(models.Child.id == child_id)
    )
    await deadlines.set_deadline(
        session,
        deadlines.Deadline(
            kind=ASSESSMENT_DEADLINE,
            record_type="Case",
            record_id=case_id,
            description="assess the child's safety, guardianship and health (评估)",
            due_at=datetime.now(UTC) + get_settings().assessment_deadline,
            case_id=case_id,
            child_id=child_id,
            department=DEPARTMENT,
            region_code=region_code,
        ),
    )


async def on_case_opened(session: AsyncSession, event: DomainEvent) -> None:
    """A new case starts with the latest census visit on its timeline and an assessment due."""
    await note_latest_visit_on_case(session, event)
    await set_assessment_deadline(session, event)


async def refuse_closure_while_work_is_open(session: AsyncSession, event: DomainEvent) -> None:
    """Published before a closure step changes anything: a case whose planned services are not
    all delivered, or whose court application is undecided, does not close (raising here
    aborts the whole mutation)."""
    case_id = uuid.UUID(str(event.record_id))
    open_items = await session.scalar(
        select(func.count())
        .select_from(PlanItem)
        .join(AssistancePlan, AssistancePlan.id == PlanItem.plan_id)
        .where(AssistancePlan.case_id == case_id, PlanItem.completed_on.is_(None))
    )
    pending = await session.scalar(
        select(func.count())
        .select_from(CourtApplication)
        .where(
            CourtApplication.case_id == case_id,
            CourtApplication.status == CourtApplicationStatus.PENDING,
        )
    )
    if open_items or pending:
        raise InvalidTransition(
            f"the case cannot close while work is open: {open_items} plan item(s) not "
            f"completed, {pending} court application(s) pending",
            field="input.caseId",
            status=event.data.get("status"),
            openPlanItems=open_items or 0,
            pendingCourtApplications=pending or 0,
        )


# --- helpers -----------------------------------------------------------------------------------


def _local_date(moment: datetime) -> date:
    """The day of `moment` on the clock `date.today()` reads, so the two compare fairly."""
    return moment.astimezone().date()


def _not_before_opening(day: date, case: models.Case, field: str) -> None:
    validation.not_in_future(day, field)
    if day < _local_date(case.opened_at):
        raise ValidationFailed("is before the case was opened", field=field)


async def _acting(session: AsyncSession, caller: Caller, given: ID | None) -> models.Organization:
    field = "input.organizationId"
    key = None if given is None else decode_global_id(given, "Organization", field=field)
    return await steps.acting_organization(session, caller, key, field)


async def _organizations(
    session: AsyncSession, given: Sequence[tuple[ID, str]]
) -> list[models.Organization]:
    """The organisations named, each with its input field, in order (repeats included), in one
    statement; NOT_FOUND at the first unknown one."""
    keys = [decode_global_id(value, "Organization", field=field) for value, field in given]
    found = {
        organization.id: organization
        for organization in await session.scalars(
            select(models.Organization).where(models.Organization.id.in_(keys))
        )
    }
    for key, (_, field) in zip(keys, given, strict=True):
        if key not in found:
            raise not_found("Organization", field)
    return [found[key] for key in keys]


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=CHINA_STANDARD_TIME)


async def _announce_guardianship(
    session: AsyncSession, caller: Caller, link: models.Guardianship
) -> None:
    """As the core announces a guardianship it changes."""
    data = {"child_id": link.child_id, "guardian_id": link.guardian_id}
    await publish(session, DomainEvent(events.GUARDIANSHIP_CHANGED, link.id, caller.user_id, data))


# --- assessment (评估) ---------------------------------------------------------------------------


async def record_assessment(
    session: AsyncSession,
    caller: Caller,
    *,
    case_id: ID,
    safety: Finding,
    guardianship: Finding,
    health: Finding,
    risk_level: enums.RiskLevel,
    assessed_on: date,
    participant_organization_ids: Sequence[ID],
    organization_id: ID | None,
) -> tuple[Assessment, models.Case]:
    case = await steps.case_for_step(
        session, decode_global_id(case_id, "Case", field="input.caseId")
    )
    _not_before_opening(assessed_on, case, "input.assessedOn")
    findings = {"safety": safety, "guardianship": guardianship, "health": health}
    notes = {
        name: validation.optional_text(finding.note, f"input.{name}.note", max_length=MAX_NOTE)
        for name, finding in findings.items()
    }
    field = "input.participantOrganizationIds"
    if len(participant_organization_ids) > MAX_PARTICIPANTS:
        raise ValidationFailed(f"at most {MAX_PARTICIPANTS} organisations", field=field)
    named = await _organizations(
        session,
        [(value, f"{field}.{index}") for index, value in enumerate(participant_organization_ids)],
    )
    participants = list(dict.fromkeys(named))
    acting = await _acting(session, caller, organization_id)
    summary = f"risk {risk_level.value}; " + ", ".join(
        f"{name} {finding.finding.value}" for name, finding in findings.items()
    )
    await steps.take_step(
        session, caller, case, steps.ASSESS, note=summary, organization_id=acting.id
    )
    case.risk_level = risk_level
    assessment = Assessment(
        case_id=case.id,
        child_id=case.child_id,
        assessed_on=assessed_on,
        safety_finding=safety.finding,
        safety_note=notes["safety"],
        guardianship_finding=guardianship.finding,
        guardianship_note=notes["guardianship"],
        health_finding=health.finding,
        health_note=notes["health"],
        risk_level=risk_level,
        organization_id=acting.id,
        assessed_by=caller.user_id,
    )
    session.add(assessment)
    await session.flush()
    session.add_all(
        AssessmentParticipant(assessment_id=assessment.id, organization_id=organization.id)
        for organization in participants
    )
    await deadlines.complete(session, ASSESSMENT_DEADLINE, case.id)
    await session.flush()
    await session.refresh(assessment)
    data = {"child_id": case.child_id, "case_id": case.id, "risk_level": risk_level.value}
    await publish(session, DomainEvent(ASSESSMENT_RECORDED, assessment.id, caller.user_id, data))
    return assessment, case


# --- assistance plans (帮扶计划) and follow-ups (跟踪回访) ----------------------------------------


async def adopt_assistance_plan(
    session: AsyncSession,
    caller: Caller,
    *,
    case_id: ID,
    goal: str,
    items: Sequence[PlanItemDraft],
    organization_id: ID | None,
) -> tuple[AssistancePlan, models.Case]:
    """Only after an assessment: the core's ADOPT_PLAN step starts from ASSESSED (or
    IN_PROGRESS, for a further plan) and refuses an OPEN case by itself."""
    case = await steps.case_for_step(
        session, decode_global_id(case_id, "Case", field="input.caseId")
    )
    goal_text = validation.required_text(goal, "input.goal", max_length=MAX_NOTE)
    if not items:
        raise ValidationFailed("a plan has at least one item", field="input.items")
    if len(items) > MAX_PLAN_ITEMS:
        raise ValidationFailed(f"a plan has at most {MAX_PLAN_ITEMS} items", field="input.items")
    organizations = await _organizations(
        session,
        [
            (item.organization_id, f"input.items.{index}.organizationId")
            for index, item in enumerate(items)
        ],
    )
    item_notes = []
    today = date.today()
    for index, item in enumerate(items):
        where = f"input.items.{index}"
        if item.due_on < today:
            raise ValidationFailed("must not be in the past", field=f"{where}.dueOn")
        item_notes.append(validation.optional_text(item.note, f"{where}.note", max_length=MAX_NOTE))
    acting = await _acting(session, caller, organization_id)
    services = ", ".join(item.service.value for item in items)
    await steps.take_step(
        session,
        caller,
        case,
        steps.ADOPT_PLAN,
        note=f"assistance plan: {services}",
        organization_id=acting.id,
    )
    plan = AssistancePlan(
        case_id=case.id,
        child_id=case.child_id,
        goal=goal_text,
        organization_id=acting.id,
        adopted_by=caller.user_id,
    )
    session.add(plan)
    await session.flush()
    rows = [
        PlanItem(
            plan_id=plan.id,
            position=index,
            service=item.service,
            organization_id=organization.id,
            due_on=item.due_on,
            note=note,
        )
        for index, (item, organization, note) in enumerate(
            zip(items, organizations, item_notes, strict=True)
        )
    ]
    session.add_all(rows)
    await session.flush()
    for row in rows:
        await deadlines.set_deadline(
            session,
            deadlines.Deadline(
                kind=PLAN_ITEM_DEADLINE,
                record_type="PlanItem",
                record_id=row.id,
                description=f"deliver {row.service.value} by {row.due_on.isoformat()} "
                "as the assistance plan says (帮扶服务)",
                due_at=_end_of_day(row.due_on),
                case_id=case.id,
                child_id=case.child_id,
                responsible_organization_id=row.organization_id,
            ),
        )
    unique = list(dict.fromkeys(organizations))
    await steps.assign(
        session, caller, case, unique, by_organization_id=acting.id, reason="assistance plan"
    )
    await session.refresh(plan)
    data = {"child_id": case.child_id, "case_id": case.id, "items": len(rows)}
    await publish(session, DomainEvent(PLAN_ADOPTED, plan.id, caller.user_id, data))
    return plan, case


async def record_follow_up(
    session: AsyncSession,
    caller: Caller,
    *,
    plan_item_id: ID,
    progress: str,
    completed: bool,
    organization_id: ID | None,
) -> tuple[FollowUp, PlanItem, models.Case]:
    field = "input.planItemId"
    key = decode_global_id(plan_item_id, "PlanItem", field=field)
    item = await session.get(PlanItem, key)
    plan = None if item is None else await session.get(AssistancePlan, item.plan_id)
    if plan is None:
        raise not_found("PlanItem", field)
    try:  # the case first, locked: every step on one case follows the one before
        case = await steps.case_for_step(session, plan.case_id, field)
    except NotFound:  # an item of a case out of scope does not exist for this caller
        raise not_found("PlanItem", field) from None
    item = await session.scalar(
        select(PlanItem)
        .where(PlanItem.id == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert item is not None
    text = validation.required_text(progress, "input.progress", max_length=MAX_NOTE)
    if completed and item.completed_on is not None:
        raise ValidationFailed(
            "the item is already completed",
            field="input.completed",
            completedOn=item.completed_on.isoformat(),
        )
    acting = await _acting(session, caller, organization_id)
    state = "completed" if completed else "in progress"
    await steps.take_step(
        session,
        caller,
        case,
        steps.FOLLOW_UP,
        note=f"follow-up on {item.service.value}: {state}",
        organization_id=acting.id,
        field=field,
    )
    follow_up = FollowUp(
        plan_item_id=item.id,
        progress=text,
        completed=completed,
        organization_id=acting.id,
        recorded_by=caller.user_id,
    )
    session.add(follow_up)
    if completed:
        item.completed_on = date.today()
        await deadlines.complete(session, PLAN_ITEM_DEADLINE, item.id)
    await session.flush()
    await session.refresh(follow_up)
    data = {"child_id": case.child_id, "case_id": case.id, "completed": completed}
    await publish(session, DomainEvent(FOLLOW_UP_RECORDED, follow_up.id, caller.user_id, data))
    return follow_up, item, case


# --- guardianship intervention: the court (监护干预: 撤销监护人资格, 另行指定监护人) --------------


async def file_guardianship_revocation(
    session: AsyncSession,
    caller: Caller,
    *,
    case_id: ID,
    guardian_id: ID,
    grounds: Sequence[RevocationGround],
    court: str,
    filed_on: date,
    note: str | None,
    organization_id: ID | None,
) -> tuple[CourtApplication, models.Case]:
    case = await steps.case_for_step(
        session, decode_global_id(case_id, "Case", field="input.caseId")
    )
    field = "input.guardianId"
    guardian_key = decode_global_id(guardian_id, "Guardian", field=field)
    if await session.get(models.Guardian, guardian_key) is None:
        raise not_found("Guardian", field)
    link = await session.scalar(
        select(models.Guardianship)
        .where(
            models.Guardianship.child_id == case.child_id,
            models.Guardianship.guardian_id == guardian_key,
        )
        .with_for_update()
    )
    if link is None:
        raise ValidationFailed("is not a guardian of the case's child", field=field)
    if link.revoked_on is not None:
        raise ValidationFailed("this guardian's status is already revoked", field=field)
    if not grounds:
        raise ValidationFailed("name at least one ground", field="input.grounds")
    distinct_grounds = list(dict.fromkeys(grounds))
    court_name = validation.required_text(court, "input.court", max_length=200)
    _not_before_opening(filed_on, case, "input.filedOn")
    text = validation.optional_text(note, "input.note", max_length=MAX_NOTE)
    if RevocationGround.OTHER_SERIOUS_HARM in distinct_grounds and text is None:
        raise ValidationFailed("say what the serious harm is", field="input.note")
    pending = await session.scalar(
        select(CourtApplication.id).where(
            CourtApplication.guardianship_id == link.id,
            CourtApplication.status == CourtApplicationStatus.PENDING,
        )
    )
    if pending is not None:
        raise Conflict(
            "an application about this guardian is already before the court",
            field=field,
            existingId=encode_global_id("CourtApplication", pending),
        )
    acting = await _acting(session, caller, organization_id)
    named = ", ".join(ground.value for ground in distinct_grounds)
    await steps.take_step(
        session,
        caller,
        case,
        steps.INTERVENE,
        note=f"applied to the court to revoke a guardian's status; grounds: {named}",
        organization_id=acting.id,
    )
    application = CourtApplication(
        case_id=case.id,
        child_id=case.child_id,
        guardian_id=guardian_key,
        guardianship_id=link.id,
        grounds=[ground.value for ground in distinct_grounds],
        court=court_name,
        filed_on=filed_on,
        note=text,
        status=CourtApplicationStatus.PENDING,
        organization_id=acting.id,
        filed_by=caller.user_id,
    )
    session.add(application)
    await session.flush()
    await session.refresh(application)
    data = {"child_id": case.child_id, "case_id": case.id, "grounds": application.grounds}
    await publish(
        session, DomainEvent(COURT_APPLICATION_FILED, application.id, caller.user_id, data)
    )
    return application, case


async def record_court_decision(
    session: AsyncSession,
    caller: Caller,
    *,
    application_id: ID,
    outcome: CourtOutcome,
    decided_on: date,
    designated_guardian_id: ID | None,
    relationship: enums.Relationship | None,
    lives_with_child: bool | None,
    note: str | None,
    organization_id: ID | None,
) -> tuple[CourtApplication, models.Case]:
    """REJECTED changes no guardianship. REVOKED revokes the challenged guardianship (the
    record stays, with `revoked_on`) and makes the guardian the court designated the child's
    legal guardian: a new guardianship, or their existing one updated."""
    field = "input.applicationId"
    key = decode_global_id(application_id, "CourtApplication", field=field)
    found = await session.get(CourtApplication, key)
    if found is None:
        raise not_found("CourtApplication", field)
    try:
        case = await steps.case_for_step(session, found.case_id, field)
    except NotFound:
        raise not_found("CourtApplication", field) from None
    application = await session.scalar(
        select(CourtApplication)
        .where(CourtApplication.id == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert application is not None
    if application.status is not CourtApplicationStatus.PENDING:
        raise InvalidTransition(
            "the court has already decided this application",
            field=field,
            status=application.status.value,
            allowedFrom=[CourtApplicationStatus.PENDING.value],
        )
    validation.not_in_future(decided_on, "input.decidedOn")
    if decided_on < application.filed_on:
        raise ValidationFailed("is before the application was filed", field="input.decidedOn")
    text = validation.optional_text(note, "input.note", max_length=MAX_NOTE)
    acting = await _acting(session, caller, organization_id)
    if outcome is CourtOutcome.REJECTED:
        for value, name in (
            (designated_guardian_id, "designatedGuardianId"),
            (relationship, "relationship"),
            (lives_with_child, "livesWithChild"),
        ):
            if value is not None:
                raise ValidationFailed(
                    "only when the court revoked the guardian's status", field=f"input.{name}"
                )
        await steps.take_step(
            session,
            caller,
            case,
            steps.INTERVENE,
            note="court rejected the application to revoke guardianship",
            organization_id=acting.id,
            field=field,
        )
    else:
        designated_key = await _designated_guardian(session, application, designated_guardian_id)
        revoked = await session.scalar(
            select(models.Guardianship)
            .where(models.Guardianship.id == application.guardianship_id)
            .with_for_update()
        )
        assert revoked is not None
        designated = await session.scalar(
            select(models.Guardianship)
            .where(
                models.Guardianship.child_id == case.child_id,
                models.Guardianship.guardian_id == designated_key,
            )
            .with_for_update()
        )
        if designated is not None and designated.revoked_on is not None:
            raise ValidationFailed(
                "this guardian's own status was revoked", field="input.designatedGuardianId"
            )
        if designated is None and relationship is None:
            raise ValidationFailed(
                "say how the designated guardian is related to the child",
                field="input.relationship",
            )
        if designated is None and lives_with_child is None:
            raise ValidationFailed(
                "say whether the designated guardian lives with the child",
                field="input.livesWithChild",
            )
        await steps.take_step(
            session,
            caller,
            case,
            steps.INTERVENE,
            note="court revoked guardianship",
            organization_id=acting.id,
            field=field,
        )
        revoked.revoked_on = decided_on
        revoked.lives_with_child = False
        await session.flush()
        await _announce_guardianship(session, caller, revoked)
        await steps.take_step(
            session,
            caller,
            case,
            steps.INTERVENE,
            note="guardian designated by the court",
            organization_id=acting.id,
            field=field,
        )
        if designated is None:
            assert relationship is not None and lives_with_child is not None
            designated = models.Guardianship(
                child_id=case.child_id,
                guardian_id=designated_key,
                relationship=relationship,
                kind=enums.GuardianshipKind.LEGAL_GUARDIAN,
                lives_with_child=lives_with_child,
                works_away=False,
                capacity=enums.GuardianCapacity.FULL,
            )
            session.add(designated)
        else:
            designated.kind = enums.GuardianshipKind.LEGAL_GUARDIAN
            designated.capacity = enums.GuardianCapacity.FULL
            if relationship is not None:
                designated.relationship = relationship
            if lives_with_child is not None:
                designated.lives_with_child = lives_with_child
        await session.flush()
        await _announce_guardianship(session, caller, designated)
        application.designated_guardian_id = designated_key
    application.status = CourtApplicationStatus(outcome.value)
    application.decided_on = decided_on
    application.decision_note = text
    application.decided_by = caller.user_id
    await session.flush()
    await session.refresh(application)
    data = {"child_id": case.child_id, "case_id": case.id, "outcome": outcome.value}
    await publish(
        session, DomainEvent(COURT_DECISION_RECORDED, application.id, caller.user_id, data)
    )
    return application, case


async def _designated_guardian(
    session: AsyncSession, application: CourtApplication, given: ID | None
) -> uuid.UUID:
    field = "input.designatedGuardianId"
    if given is None:
        raise ValidationFailed(
            "the court designates another guardian (另行指定监护人): name them", field=field
        )
    key = decode_global_id(given, "Guardian", field=field)
    if key == application.guardian_id:
        raise ValidationFailed("is the guardian whose status the court revoked", field=field)
    if await session.get(models.Guardian, key) is None:
        raise not_found("Guardian", field)
    return key
