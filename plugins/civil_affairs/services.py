"""Civil affairs' writes: recording and reviewing census visits (and putting the latest visit on
the timeline of a case opened about the child), enrolling children in social assistance, and
care service projects with the services they give."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import ID, UNSET

from core.plugin_api import (
    SYSTEM,
    Caller,
    Conflict,
    DomainEvent,
    Forbidden,
    NotFound,
    ValidationFailed,
    decode_global_id,
    encode_global_id,
    enums,
    models,
    not_found,
    publish,
    region_condition,
    validation,
)
from plugins.civil_affairs.models import (
    AssistanceEnrollment,
    AssistanceEnrollmentStatus,
    CensusVisit,
    ProjectService,
    ProjectServiceKind,
    ServiceProject,
    ServiceProjectKind,
    ServiceProjectVillage,
)

VISIT_RECORDED = "civil_affairs.census_visit_recorded"
VISIT_REVIEWED = "civil_affairs.census_visit_reviewed"
VISIT_DUE_AFTER = timedelta(days=90)
REVIEWERS = ("civil_affairs:supervisor", "civil_affairs:admin")
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
        entered_by=caller.user_id,
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
    """The review that makes a visit count: by a township supervisor (or the city bureau), never
    by whoever entered the visit (填报人与审核人不得为同一人)."""
    key = decode_global_id(visit_id, "CensusVisit", field="input.id")
    visit = await session.get(CensusVisit, key, with_for_update=True)
    if visit is None:
        raise not_found("CensusVisit", "input.id")
    try:
        await validation.visible_child(session, visit.child_id, "input.id")
    except NotFound:  # a visit about a child out of scope does not exist for this caller
        raise not_found("CensusVisit", "input.id") from None
    if not set(caller.subjects) & set(REVIEWERS):
        raise Forbidden("only a township supervisor or the city bureau reviews census visits")
    validation.check_version(visit, version, "CensusVisit")
    if visit.reviewed_on is not None:
        raise ValidationFailed("the visit is already reviewed", field="input.id")
    if visit.entered_by is not None and visit.entered_by == caller.user_id:
        raise ValidationFailed(
            "whoever entered a visit may not review it (填报人不得审核)", field="input.id"
        )
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


# --- social assistance (社会救助) ----------------------------------------------------------------

ENROLLED = "civil_affairs.assistance_enrolled"
ENROLLMENT_UPDATED = "civil_affairs.assistance_enrollment_updated"
# The kinds civil affairs enrols children in; medical and housing assistance are recorded on the
# child (assistanceReceived) but administered elsewhere.
ENROLLABLE_KINDS = (
    enums.AssistanceKind.MINIMUM_LIVING_ALLOWANCE,
    enums.AssistanceKind.EXTREME_POVERTY_SUPPORT,
    enums.AssistanceKind.TEMPORARY_ASSISTANCE,
    enums.AssistanceKind.NO_DE_FACTO_CAREGIVER_ALLOWANCE,
)
MAX_AMOUNT_YUAN = 100_000
Status = AssistanceEnrollmentStatus
NEXT_STATUSES = {
    Status.APPLIED: {Status.APPLIED, Status.APPROVED, Status.ENDED},
    Status.APPROVED: {Status.APPROVED, Status.SUSPENDED, Status.ENDED},
    Status.SUSPENDED: {Status.SUSPENDED, Status.APPROVED, Status.ENDED},
    Status.ENDED: set(),
}
APPROVED_STATES = (Status.APPROVED, Status.SUSPENDED)
APPROVING_KINDS = (enums.OrganizationKind.BUREAU, enums.OrganizationKind.TOWNSHIP_GOVERNMENT)


@dataclass
class EnrollmentFacts:
    """What an enrolment says, checked as a whole on every write."""

    kind: enums.AssistanceKind
    status: AssistanceEnrollmentStatus
    monthly_amount: int | None
    one_off_amount: int | None
    start_on: date
    end_on: date | None
    approving_organization_id: uuid.UUID | None


def organization_key(value: ID | None, field: str) -> uuid.UUID | None:
    return None if value is None else decode_global_id(value, "Organization", field=field)


async def _check_enrollment(
    session: AsyncSession, child: models.Child, facts: EnrollmentFacts, exclude_id: Any = None
) -> None:
    if facts.kind not in ENROLLABLE_KINDS:
        raise ValidationFailed(
            "civil affairs enrols children in MINIMUM_LIVING_ALLOWANCE, "
            "EXTREME_POVERTY_SUPPORT, TEMPORARY_ASSISTANCE or NO_DE_FACTO_CAREGIVER_ALLOWANCE",
            field="input.kind",
        )
    validation.not_in_future(facts.start_on, "input.startOn")
    if facts.start_on < child.birth_date:
        raise ValidationFailed("is before the child's birth", field="input.startOn")
    if facts.end_on is not None and facts.end_on < facts.start_on:
        raise ValidationFailed("is before the start date", field="input.endOn")
    if facts.status is Status.ENDED:
        if facts.end_on is None:
            raise ValidationFailed("an ended enrolment needs its end date", field="input.endOn")
        validation.not_in_future(facts.end_on, "input.endOn")
    for name, amount in (
        ("monthlyAmount", facts.monthly_amount),
        ("oneOffAmount", facts.one_off_amount),
    ):
        if amount is not None and not 0 <= amount <= MAX_AMOUNT_YUAN:
            raise ValidationFailed(
                f"is a whole number of yuan from 0 to {MAX_AMOUNT_YUAN}", field=f"input.{name}"
            )
    one_off = facts.kind is enums.AssistanceKind.TEMPORARY_ASSISTANCE
    if one_off and facts.monthly_amount is not None:
        raise ValidationFailed(
            "temporary assistance is paid once: give oneOffAmount", field="input.monthlyAmount"
        )
    if not one_off and facts.one_off_amount is not None:
        raise ValidationFailed(
            "this assistance is paid monthly: give monthlyAmount", field="input.oneOffAmount"
        )
    amount_field = "oneOffAmount" if one_off else "monthlyAmount"
    amount = facts.one_off_amount if one_off else facts.monthly_amount
    if facts.status in APPROVED_STATES:
        if amount is None:
            raise ValidationFailed(
                "an approved enrolment needs its amount", field=f"input.{amount_field}"
            )
        if facts.approving_organization_id is None:
            raise ValidationFailed(
                "an approved enrolment needs the approving organisation",
                field="input.approvingOrganizationId",
            )
    if facts.approving_organization_id is not None:
        await _check_approver(session, child, facts.approving_organization_id)
    if facts.status is not Status.ENDED and not one_off:
        same_kind_running = [
            AssistanceEnrollment.child_id == child.id,
            AssistanceEnrollment.kind == facts.kind,
            AssistanceEnrollment.status != Status.ENDED,
        ]
        if exclude_id is not None:
            same_kind_running.append(AssistanceEnrollment.id != exclude_id)
        running = await session.scalar(select(AssistanceEnrollment.id).where(*same_kind_running))
        if running is not None:
            raise Conflict(
                "the child already has a running enrolment of this kind",
                field="input.kind",
                existingId=encode_global_id("AssistanceEnrollment", running),
            )


async def _check_approver(
    session: AsyncSession, child: models.Child, organization_id: uuid.UUID
) -> None:
    """A civil affairs bureau or township government whose area includes where the child lives
    (县级民政部门审批, 或委托乡镇人民政府)."""
    field = "input.approvingOrganizationId"
    organization = await session.get(models.Organization, organization_id)
    if organization is None:
        raise not_found("Organization", field)
    if organization.department != "civil_affairs" or organization.kind not in APPROVING_KINDS:
        raise ValidationFailed("is not a civil affairs bureau or township government", field=field)
    covers = await session.scalar(
        select(
            region_condition(literal(child.residence_region_code), organization.region_code, field)
        )
    )
    if not covers:
        raise ValidationFailed("the child does not live in its area", field=field)


async def enroll_in_assistance(
    session: AsyncSession,
    caller: Caller,
    *,
    child_id: ID,
    kind: enums.AssistanceKind,
    status: AssistanceEnrollmentStatus,
    monthly_amount: int | None,
    one_off_amount: int | None,
    start_on: date,
    end_on: date | None,
    approving_organization_id: ID | None,
) -> AssistanceEnrollment:
    child_key = decode_global_id(child_id, "Child", field="input.childId")
    # locked, so that two enrolments of one child are checked one after the other
    child = await validation.visible_child(session, child_key, "input.childId", for_update=True)
    facts = EnrollmentFacts(
        kind=kind,
        status=status,
        monthly_amount=monthly_amount,
        one_off_amount=one_off_amount,
        start_on=start_on,
        end_on=end_on,
        approving_organization_id=organization_key(
            approving_organization_id, "input.approvingOrganizationId"
        ),
    )
    await _check_enrollment(session, child, facts)
    enrollment = AssistanceEnrollment(
        child_id=child.id,
        kind=facts.kind,
        status=facts.status,
        monthly_amount=facts.monthly_amount,
        one_off_amount=facts.one_off_amount,
        start_on=facts.start_on,
        end_on=facts.end_on,
        approving_organization_id=facts.approving_organization_id,
        entered_by=caller.user_id,
    )
    session.add(enrollment)
    await session.flush()
    await session.refresh(enrollment)
    data = {"child_id": child.id, "kind": kind.value, "status": status.value}
    await publish(session, DomainEvent(ENROLLED, enrollment.id, caller.user_id, data))
    return enrollment


def changed_fields(data: Any, *, not_nullable: set[str]) -> dict[str, Any]:
    """The fields an update input sets (other than id and version); null refused for some."""
    changes = {
        name: value
        for name, value in vars(data).items()
        if name not in {"id", "version"} and value is not UNSET
    }
    for name, value in changes.items():
        if value is None and name in not_nullable:
            head, *rest = name.split("_")
            camel = head + "".join(part.title() for part in rest)
            raise ValidationFailed("cannot be cleared", field=f"input.{camel}")
    return changes


async def update_assistance_enrollment(
    session: AsyncSession, caller: Caller, data: Any
) -> AssistanceEnrollment:
    """Apply an UpdateAssistanceEnrollmentInput: status moves APPLIED → APPROVED → SUSPENDED ⇄
    APPROVED → ENDED (an application may also end unapproved); an ended enrolment is closed."""
    key = decode_global_id(data.id, "AssistanceEnrollment", field="input.id")
    enrollment = await session.get(AssistanceEnrollment, key, with_for_update=True)
    if enrollment is None:
        raise not_found("AssistanceEnrollment", "input.id")
    try:
        child = await validation.visible_child(session, enrollment.child_id, "input.id")
    except NotFound:
        raise not_found("AssistanceEnrollment", "input.id") from None
    validation.check_version(enrollment, data.version, "AssistanceEnrollment")
    if enrollment.status is Status.ENDED:
        raise ValidationFailed("an ended enrolment cannot be changed", field="input.id")
    changes = changed_fields(data, not_nullable={"status", "start_on"})
    if "approving_organization_id" in changes:
        changes["approving_organization_id"] = organization_key(
            changes["approving_organization_id"], "input.approvingOrganizationId"
        )
    status = changes.get("status", enrollment.status)
    if status not in NEXT_STATUSES[enrollment.status]:
        raise ValidationFailed(
            f"an enrolment {enrollment.status.value} cannot become {status.value}",
            field="input.status",
        )
    facts = EnrollmentFacts(
        kind=enrollment.kind,
        status=status,
        monthly_amount=changes.get("monthly_amount", enrollment.monthly_amount),
        one_off_amount=changes.get("one_off_amount", enrollment.one_off_amount),
        start_on=changes.get("start_on", enrollment.start_on),
        end_on=changes.get("end_on", enrollment.end_on),
        approving_organization_id=changes.get(
            "approving_organization_id", enrollment.approving_organization_id
        ),
    )
    await _check_enrollment(session, child, facts, exclude_id=enrollment.id)
    for name, value in changes.items():
        setattr(enrollment, name, value)
    await session.flush()
    await session.refresh(enrollment)
    event_data = {"child_id": enrollment.child_id, "status": enrollment.status.value}
    await publish(
        session, DomainEvent(ENROLLMENT_UPDATED, enrollment.id, caller.user_id, event_data)
    )
    return enrollment


# --- service projects (童伴计划, 童村同在, 社工服务项目) ------------------------------------

PROJECT_CREATED = "civil_affairs.service_project_created"
SERVICE_RECORDED = "civil_affairs.project_service_recorded"
MAX_VILLAGES = 500


async def _covered_villages(session: AsyncSession, codes: list[str]) -> list[str]:
    field = "input.villageCodes"
    if not codes:
        raise ValidationFailed("a project covers at least one village", field=field)
    if len(codes) > MAX_VILLAGES:
        raise ValidationFailed(f"a project covers at most {MAX_VILLAGES} villages", field=field)
    cleaned = [code.strip() for code in codes]
    regions = {
        region.code: region
        for region in await session.scalars(
            select(models.Region).where(models.Region.code.in_(cleaned))
        )
    }
    seen: set[str] = set()
    for index, code in enumerate(cleaned):
        where = f"{field}.{index}"
        if code in seen:
            raise ValidationFailed("is listed twice", field=where)
        seen.add(code)
        region = regions.get(code)
        if region is None:
            if len(code) != 12 or not code.isdigit():
                raise ValidationFailed("a village code has 12 digits", field=where)
            raise ValidationFailed("no region has this code", field=where)
        if region.level != "VILLAGE":
            raise ValidationFailed("is not a village or community (村/社区)", field=where)
    return cleaned


async def create_service_project(
    session: AsyncSession,
    caller: Caller,
    *,
    name: str,
    kind: ServiceProjectKind,
    funder: str,
    start_on: date,
    end_on: date | None,
    village_codes: list[str],
) -> ServiceProject:
    project_name = validation.required_text(name, "input.name", max_length=200)
    project_funder = validation.required_text(funder, "input.funder", max_length=200)
    validation.not_in_future(start_on, "input.startOn")
    if end_on is not None and end_on < start_on:
        raise ValidationFailed("is before the start date", field="input.endOn")
    villages = await _covered_villages(session, village_codes)
    project = ServiceProject(
        name=project_name,
        kind=kind,
        funder=project_funder,
        start_on=start_on,
        end_on=end_on,
        entered_by=caller.user_id,
    )
    session.add(project)
    await session.flush()
    session.add_all(
        ServiceProjectVillage(project_id=project.id, region_code=code) for code in villages
    )
    await session.flush()
    await session.refresh(project)
    data = {"village_codes": villages}
    await publish(session, DomainEvent(PROJECT_CREATED, project.id, caller.user_id, data))
    return project


async def record_project_service(
    session: AsyncSession,
    caller: Caller,
    *,
    project_id: ID,
    child_id: ID,
    served_on: date,
    kind: ProjectServiceKind,
    note: str | None,
) -> ProjectService:
    child_key = decode_global_id(child_id, "Child", field="input.childId")
    project_key = decode_global_id(project_id, "ServiceProject", field="input.projectId")
    child = await validation.visible_child(session, child_key, "input.childId")
    project = await session.get(ServiceProject, project_key)
    if project is None:
        raise not_found("ServiceProject", "input.projectId")
    validation.not_in_future(served_on, "input.servedOn")
    if served_on < project.start_on:
        raise ValidationFailed("is before the project started", field="input.servedOn")
    if project.end_on is not None and served_on > project.end_on:
        raise ValidationFailed("is after the project ended", field="input.servedOn")
    if served_on < child.birth_date:
        raise ValidationFailed("is before the child's birth", field="input.servedOn")
    covered = await session.get(ServiceProjectVillage, (project.id, child.residence_region_code))
    if covered is None:
        raise ValidationFailed(
            "the child does not live in a village the project covers", field="input.childId"
        )
    text = validation.optional_text(note, "input.note", max_length=4000)
    if kind is ProjectServiceKind.OTHER and text is None:
        raise ValidationFailed("say what the service was", field="input.note")
    service = ProjectService(
        project_id=project.id,
        child_id=child.id,
        served_on=served_on,
        kind=kind,
        note=text,
        entered_by=caller.user_id,
    )
    session.add(service)
    await session.flush()
    await session.refresh(service)
    data = {"child_id": child.id, "project_id": project.id, "kind": kind.value}
    await publish(session, DomainEvent(SERVICE_RECORDED, service.id, caller.user_id, data))
    return service
