"""Police's writes: receiving a compulsory report (强制报告) and taking it through the
protection workflow (受理 → 应急处置 → 转介评估), guardianship interventions on cases (监护干预),
recording an officer's home or school visit (走访), registering a venue and recording its
inspection (网吧/游戏厅/录像厅巡查).

A report is changed only by callers who may see it (`scopes.report_visible`, passed in by the
mutation as `visible`): one outside the caller's jurisdiction is as unknown as a missing one."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import ID

from core.plugin_api import (
    Caller,
    Conflict,
    DomainEvent,
    Forbidden,
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
    notify,
    publish,
    steps,
    validation,
)
from plugins.police.models import (
    CompulsoryReport,
    CompulsoryReportStatus,
    EmergencyMeasure,
    EmergencyMeasureKind,
    GuardianAction,
    GuardianActionKind,
    PoliceVisit,
    PoliceVisitConcernLevel,
    PoliceVisitMetWith,
    ReportTrigger,
    Venue,
    VenueInspection,
    VenueInspectionResult,
    VenueKind,
)
from plugins.police.scopes import callers_organization, in_callers_region, venue_in_callers_region
from plugins.police.settings import get_settings

DEPARTMENT = "police"
# the domain event and the notification topic (payload: the report's id only)
REPORT_FILED = "police.report_filed"
REPORT_ACCEPTED = "police.report_accepted"
REPORT_CHILD_IDENTIFIED = "police.report_child_identified"
REPORT_REFERRED = "police.report_referred"
EMERGENCY_MEASURE_RECORDED = "police.emergency_measure_recorded"
GUARDIAN_ACTION_RECORDED = "police.guardian_action_recorded"
ACCEPTANCE_DEADLINE = "police.report_acceptance"
VISIT_RECORDED = "police.visit_recorded"
VENUE_REGISTERED = "police.venue_registered"
VENUE_INSPECTED = "police.venue_inspected"
MAX_FINDING = 4000
MAX_NOTE = 4000
MAX_MINORS_FOUND = 10000
Status = CompulsoryReportStatus
# measures that hand the child to an organisation's care, and the kind that organisation is
PLACEMENTS = {
    EmergencyMeasureKind.TEMPORARY_CARE_BY_VILLAGE_COMMITTEE: (
        enums.OrganizationKind.VILLAGE_COMMITTEE
    ),
    EmergencyMeasureKind.TEMPORARY_CARE_IN_WELFARE_INSTITUTION: (
        enums.OrganizationKind.WELFARE_INSTITUTION
    ),
}
# timeline notes say what happened by kind, never who: no name or ID number reaches them
MEASURE_TITLES = {
    EmergencyMeasureKind.BROUGHT_TO_SAFETY: "brought to safety (带离危险环境)",
    EmergencyMeasureKind.MEDICAL_CARE: "medical care (送医救治)",
    EmergencyMeasureKind.TEMPORARY_CARE_WITH_RELATIVES: "temporary care with relatives "
    "(亲属临时照护)",
    EmergencyMeasureKind.TEMPORARY_CARE_BY_VILLAGE_COMMITTEE: "temporary care by the village "
    "committee (村/居委会临时照护)",
    EmergencyMeasureKind.TEMPORARY_CARE_IN_WELFARE_INSTITUTION: "temporary care in a welfare "
    "institution (福利机构临时照护)",
    EmergencyMeasureKind.SEARCH_FOR_MISSING_CHILD: "search for the missing child (紧急查找)",
    EmergencyMeasureKind.VIOLENCE_STOPPED: "violence stopped (制止侵害)",
    EmergencyMeasureKind.PARENTS_ORDERED_BACK: "parents ordered back or a caregiver named "
    "(责令父母返回或委托照护)",
}
ACTION_TITLES = {
    GuardianActionKind.CRITICISM_AND_EDUCATION: "criticism and education (批评教育)",
    GuardianActionKind.WARNING: "warning (警告)",
    GuardianActionKind.ADMONITION_LETTER: "admonition letter (告诫书)",
    GuardianActionKind.ADMINISTRATIVE_PENALTY: "administrative penalty (行政处罚)",
    GuardianActionKind.CRIMINAL_CASE_FILED: "criminal case filed (立案侦查)",
}


async def station_for(session: AsyncSession, place_region_code: str) -> models.Organization | None:
    """The police station of the place's jurisdiction: the one whose region is the longest
    prefix of the place's code (a village's township station before a county-wide one)."""
    organization = models.Organization
    return await session.scalar(
        select(organization)
        .where(
            organization.department == DEPARTMENT,
            organization.kind == enums.OrganizationKind.POLICE_STATION,
            literal(place_region_code, String).like(organization.region_code + "%"),
        )
        .order_by(func.length(organization.region_code).desc(), organization.id)
        .limit(1)
    )


async def acting_organization(
    session: AsyncSession, caller: Caller, doing: str
) -> models.Organization:
    """The caller's registered organisation, which the record names as the one acting."""
    key = callers_organization(caller)
    organization = await session.get(models.Organization, key) if key is not None else None
    if organization is None:
        raise Forbidden(
            f"{doing} needs the officer's organisation (the org claim of your credentials "
            "names none that is registered)"
        )
    return organization


async def report_for_change(
    session: AsyncSession, visible: Any, report_id: ID, field: str = "input.reportId"
) -> CompulsoryReport:
    """The report, locked until the transaction ends so that changes to one report follow each
    other; NOT_FOUND when it does not exist or is not `visible` to the caller."""
    key = decode_global_id(report_id, "CompulsoryReport", field=field)
    report = await session.scalar(
        select(CompulsoryReport)
        .where(CompulsoryReport.id == key, visible)
        .with_for_update(of=CompulsoryReport)
    )
    if report is None:
        raise not_found("CompulsoryReport", field)
    return report


def require_status(
    report: CompulsoryReport, allowed: tuple[CompulsoryReportStatus, ...], needs: str
) -> None:
    """INVALID_TRANSITION unless the report's status is one of `allowed`."""
    if report.status not in allowed:
        raise InvalidTransition(
            f"{needs}; the report is {report.status.value}",
            field="input.reportId",
            status=report.status.value,
            allowedFrom=[status.value for status in allowed],
        )


async def database_now(session: AsyncSession) -> datetime:
    """The transaction's time on the database's clock, the one `reported_at` and the case's
    timeline use, so that what is recorded now sorts after what was recorded before."""
    now: datetime | None = await session.scalar(select(func.now()))
    assert now is not None
    return now


async def organization_of(session: AsyncSession, global_id: ID, field: str) -> models.Organization:
    key = decode_global_id(global_id, "Organization", field=field)
    organization = await session.get(models.Organization, key)
    if organization is None:
        raise not_found("Organization", field)
    return organization


async def file_compulsory_report(
    session: AsyncSession,
    caller: Caller,
    *,
    child_id: ID | None,
    description: str | None,
    place_region_code: str,
    place_description: str | None,
    reporter_organization_id: ID,
    trigger: ReportTrigger,
    summary: str,
) -> CompulsoryReport:
    reporter_key = decode_global_id(
        reporter_organization_id, "Organization", field="input.reporterOrganizationId"
    )
    if await session.get(models.Organization, reporter_key) is None:
        raise not_found("Organization", "input.reporterOrganizationId")
    region = await validation.existing_region(
        session, place_region_code.strip(), "input.placeRegionCode"
    )
    child_key = None
    if child_id is not None:
        child_key = decode_global_id(child_id, "Child", field="input.childId")
        # Reporting is a legal duty: a report may name any registered child, in the
        # reporter's scope or not (it then brings the child into the police's scope).
        if await session.get(models.Child, child_key) is None:
            raise not_found("Child", "input.childId")
    child_description = validation.optional_text(description, "input.description", max_length=2000)
    if child_key is None and child_description is None:
        raise ValidationFailed(
            "describe the child (age, sex, clothing…) when the child is not identified",
            field="input.description",
        )
    report = CompulsoryReport(
        child_id=child_key,
        description=child_description,
        place_region_code=region,
        place_description=validation.optional_text(
            place_description, "input.placeDescription", max_length=300
        ),
        reporter_organization_id=reporter_key,
        trigger=trigger,
        summary=validation.required_text(summary, "input.summary", max_length=4000),
        status=CompulsoryReportStatus.RECEIVED,
        reported_by_user_id=caller.user_id,
        reported_by_department=caller.department,
    )
    station = await station_for(session, region)
    report.police_organization_id = station.id if station is not None else None
    session.add(report)
    await session.flush()
    await session.refresh(report)
    await deadlines.set_deadline(
        session,
        deadlines.Deadline(
            kind=ACCEPTANCE_DEADLINE,
            record_type="CompulsoryReport",
            record_id=report.id,
            description="accept a compulsory report (受理)",
            due_at=report.reported_at + get_settings().acceptance_deadline,
            child_id=child_key,
            responsible_organization_id=report.police_organization_id,
            department=DEPARTMENT,
            region_code=region,
        ),
    )
    data = {
        "child_id": child_key,
        "trigger": trigger.value,
        "place_region_code": region,
        "reporter_organization_id": reporter_key,
        "police_organization_id": report.police_organization_id,
    }
    await publish(session, DomainEvent(REPORT_FILED, report.id, caller.user_id, data))
    await notify(session, REPORT_FILED, {"report_id": str(report.id)})
    return report


async def accept_compulsory_report(
    session: AsyncSession, caller: Caller, visible: Any, *, report_id: ID, note: str | None
) -> CompulsoryReport:
    """受理: the police take the report up; its acceptance deadline is met."""
    report = await report_for_change(session, visible, report_id)
    require_status(report, (Status.RECEIVED,), "only a received report can be accepted")
    acceptance_note = validation.optional_text(note, "input.note", max_length=MAX_NOTE)
    organization = await acting_organization(session, caller, "accepting a report")
    report.status = Status.ACCEPTED
    report.accepted_at = await database_now(session)
    report.accepted_by_user_id = caller.user_id
    report.accepting_organization_id = organization.id
    report.acceptance_note = acceptance_note
    await session.flush()
    await deadlines.complete(session, ACCEPTANCE_DEADLINE, report.id)
    data = {"child_id": report.child_id, "organization_id": organization.id}
    await publish(session, DomainEvent(REPORT_ACCEPTED, report.id, caller.user_id, data))
    return report


async def record_emergency_measure(
    session: AsyncSession,
    caller: Caller,
    visible: Any,
    *,
    report_id: ID,
    measure: EmergencyMeasureKind,
    note: str,
    taken_at: datetime | None,
    placement_organization_id: ID | None,
) -> EmergencyMeasure:
    """应急处置 on an accepted report; a placement in an organisation's care names it."""
    report = await report_for_change(session, visible, report_id)
    require_status(
        report, (Status.ACCEPTED,), "emergency measures are recorded on an accepted report"
    )
    now = await database_now(session)
    when = now if taken_at is None else taken_at
    if when.tzinfo is None:
        raise ValidationFailed(
            "give the time with its offset, e.g. 2026-05-01T14:30:00+08:00", field="input.takenAt"
        )
    if when > now:
        raise ValidationFailed("must not be in the future", field="input.takenAt")
    if when < report.reported_at:
        raise ValidationFailed("is before the report was filed", field="input.takenAt")
    measure_note = validation.required_text(note, "input.note", max_length=MAX_NOTE)
    placement = None
    field = "input.placementOrganizationId"
    if placement_organization_id is not None:
        placement = await organization_of(session, placement_organization_id, field)
    needed = PLACEMENTS.get(measure)
    if needed is not None:
        if placement is None:
            raise ValidationFailed(
                f"name the organisation caring for the child ({needed.value}) for {measure.value}",
                field=field,
            )
        if placement.kind is not needed:
            raise ValidationFailed(
                f"is not a {needed.value}, which {measure.value} needs", field=field
            )
    organization = await acting_organization(session, caller, "recording an emergency measure")
    row = EmergencyMeasure(
        report_id=report.id,
        measure=measure,
        note=measure_note,
        taken_at=when,
        placement_organization_id=placement.id if placement is not None else None,
        officer_user_id=caller.user_id,
        organization_id=organization.id,
    )
    session.add(row)
    await session.flush()
    data = {"report_id": report.id, "child_id": report.child_id, "measure": measure.value}
    await publish(session, DomainEvent(EMERGENCY_MEASURE_RECORDED, row.id, caller.user_id, data))
    return row


async def identify_reported_child(
    session: AsyncSession, caller: Caller, visible: Any, *, report_id: ID, id_number: str
) -> CompulsoryReport:
    """Name the registered child the report is about. Reporting is a legal duty, so any
    registered child may be named; the report then brings the child into the police's
    `jurisdiction` scope. Messages never echo the number."""
    report = await report_for_change(session, visible, report_id)
    require_status(
        report,
        (Status.RECEIVED, Status.ACCEPTED),
        "the child is identified before the report is referred or closed",
    )
    parsed = validation.resident_id(id_number, "input.idNumber")
    if parsed is None:
        raise ValidationFailed("must not be empty", field="input.idNumber")
    child_key = await session.scalar(
        select(models.Child.id).where(models.Child.id_number == parsed.number)
    )
    if child_key is None:
        raise NotFound("no registered child has this ID number", field="input.idNumber")
    if report.child_id is not None and report.child_id != child_key:
        raise Conflict("the report already names another child", field="input.idNumber")
    if report.child_id is None:
        report.child_id = child_key
        await session.flush()
        data = {"child_id": child_key}
        await publish(
            session, DomainEvent(REPORT_CHILD_IDENTIFIED, report.id, caller.user_id, data)
        )
    return report


async def refer_compulsory_report(
    session: AsyncSession,
    caller: Caller,
    visible: Any,
    *,
    report_id: ID,
    case_kind: enums.CaseKind,
    summary: str,
    risk_level: enums.RiskLevel | None,
    township_organization_id: ID,
    civil_affairs_organization_id: ID,
) -> CompulsoryReport:
    """转介评估: open the protection case, its timeline starting with the report, its
    acceptance and the emergency measures as they happened, and assign it to the township
    government and civil affairs for assessment (each told by `caseAssigned`)."""
    report = await report_for_change(session, visible, report_id)
    require_status(report, (Status.ACCEPTED,), "only an accepted report can be referred")
    if report.child_id is None:
        raise ValidationFailed(
            "identify the child (identifyReportedChild) before referring the report",
            field="input.reportId",
        )
    case_summary = validation.required_text(summary, "input.summary", max_length=MAX_NOTE)
    township = await organization_of(
        session, township_organization_id, "input.townshipOrganizationId"
    )
    if township.kind is not enums.OrganizationKind.TOWNSHIP_GOVERNMENT:
        raise ValidationFailed(
            "is not a township government (乡镇政府/街道办)", field="input.townshipOrganizationId"
        )
    civil_affairs = await organization_of(
        session, civil_affairs_organization_id, "input.civilAffairsOrganizationId"
    )
    if civil_affairs.department != "civil_affairs":
        raise ValidationFailed(
            "is not an organisation of civil affairs (民政)",
            field="input.civilAffairsOrganizationId",
        )
    opener = await acting_organization(session, caller, "referring a report")
    measures = (
        await session.scalars(
            select(EmergencyMeasure)
            .where(EmergencyMeasure.report_id == report.id)
            .order_by(EmergencyMeasure.taken_at, EmergencyMeasure.created_at, EmergencyMeasure.id)
        )
    ).all()
    case = await steps.open_case(
        session,
        caller,
        child_id=report.child_id,
        kind=case_kind,
        summary=case_summary,
        risk_level=risk_level,
        opener=opener,
        assignees=[township, civil_affairs],
        history=history_of(report, measures),
        assignment_kind=enums.CaseEventKind.REFERRED,
        assignment_reason="referred for assessment",
    )
    report.status = Status.REFERRED
    report.case_id = case.id
    await session.flush()
    data = {"case_id": case.id, "child_id": report.child_id}
    await publish(session, DomainEvent(REPORT_REFERRED, report.id, caller.user_id, data))
    return report


def history_of(
    report: CompulsoryReport, measures: Sequence[EmergencyMeasure]
) -> list[steps.TimelineEntry]:
    """What happened before the case, at the times it happened. Notes name kinds and the
    reporter's words, never the child's name or ID number."""
    history = [
        steps.TimelineEntry(
            kind=enums.CaseEventKind.REPORT_FILED,
            occurred_at=report.reported_at,
            actor_user_id=report.reported_by_user_id or "unrecorded",
            actor_department=report.reported_by_department,
            organization_id=report.reporter_organization_id,
            note=f"compulsory report (强制报告), {report.trigger.value}: {report.summary}",
        )
    ]
    if report.accepted_at is not None:
        history.append(
            steps.TimelineEntry(
                kind=enums.CaseEventKind.REPORT_ACCEPTED,
                occurred_at=report.accepted_at,
                actor_user_id=report.accepted_by_user_id or "unrecorded",
                actor_department=DEPARTMENT,
                organization_id=report.accepting_organization_id,
                note="report accepted (受理)",
            )
        )
    history += [
        steps.TimelineEntry(
            kind=enums.CaseEventKind.EMERGENCY_MEASURE,
            occurred_at=measure.taken_at,
            actor_user_id=measure.officer_user_id,
            actor_department=DEPARTMENT,
            organization_id=measure.organization_id,
            note=f"emergency measure (应急处置): {MEASURE_TITLES[measure.measure]}",
        )
        for measure in measures
    ]
    return history


async def record_guardian_action(
    session: AsyncSession,
    caller: Caller,
    *,
    case_id: ID,
    guardian_id: ID,
    action: GuardianActionKind,
    taken_on: date,
    note: str,
) -> GuardianAction:
    """监护干预 by the police against a guardian of the case's child: the case's
    GUARDIANSHIP_INTERVENTION step, and the record of what was done."""
    case = await steps.case_for_step(
        session, decode_global_id(case_id, "Case", field="input.caseId")
    )
    steps.check_step(case, steps.INTERVENE)
    guardian_key = decode_global_id(guardian_id, "Guardian", field="input.guardianId")
    linked = await session.scalar(
        select(models.Guardianship.id).where(
            models.Guardianship.child_id == case.child_id,
            models.Guardianship.guardian_id == guardian_key,
        )
    )
    if linked is None:  # an unknown guardian gets the same answer: nothing to probe
        raise ValidationFailed("is not a guardian of the case's child", field="input.guardianId")
    validation.not_in_future(taken_on, "input.takenOn")
    action_note = validation.required_text(note, "input.note", max_length=MAX_NOTE)
    organization = await acting_organization(session, caller, "a guardianship intervention")
    event = await steps.take_step(
        session,
        caller,
        case,
        steps.INTERVENE,
        note=f"{ACTION_TITLES[action]}: {action_note}",
        organization_id=organization.id,
        details={"action": action.value, "guardian_id": guardian_key},
    )
    row = GuardianAction(
        case_id=case.id,
        guardian_id=guardian_key,
        action=action,
        taken_on=taken_on,
        note=action_note,
        officer_user_id=caller.user_id,
        organization_id=organization.id,
        case_event_id=event.id,
    )
    session.add(row)
    await session.flush()
    data = {"case_id": case.id, "child_id": case.child_id, "action": action.value}
    await publish(session, DomainEvent(GUARDIAN_ACTION_RECORDED, row.id, caller.user_id, data))
    details = {"case_id": case.id, "kind": event.kind.value}
    await publish(session, DomainEvent(events.CASE_EVENT_ADDED, event.id, caller.user_id, details))
    return row


async def record_police_visit(
    session: AsyncSession,
    caller: Caller,
    *,
    child_id: ID,
    visited_on: date,
    met_with: list[PoliceVisitMetWith],
    life_situation: str | None,
    schooling_situation: str | None,
    safety_situation: str | None,
    concern_level: PoliceVisitConcernLevel | None,
) -> PoliceVisit:
    child_key = decode_global_id(child_id, "Child", field="input.childId")
    child = await validation.visible_child(session, child_key, "input.childId")
    organization = (await acting_organization(session, caller, "recording a visit")).id
    validation.not_in_future(visited_on, "input.visitedOn")
    if visited_on < child.birth_date:
        raise ValidationFailed("is before the child's birth", field="input.visitedOn")
    if not met_with:
        raise ValidationFailed("name at least one person met", field="input.metWith")
    met = [kind.value for kind in PoliceVisitMetWith if kind in met_with]
    findings = {
        name: validation.optional_text(value, f"input.{name}", max_length=MAX_FINDING)
        for name, value in (
            ("lifeSituation", life_situation),
            ("schoolingSituation", schooling_situation),
            ("safetySituation", safety_situation),
        )
    }
    if not any(findings.values()):
        raise ValidationFailed(
            "say what the visit learned about the child's life, schooling or safety",
            field="input.lifeSituation",
        )
    visit = PoliceVisit(
        child_id=child_key,
        visited_on=visited_on,
        officer_user_id=caller.user_id,
        organization_id=organization,
        met_with=met,
        life_situation=findings["lifeSituation"],
        schooling_situation=findings["schoolingSituation"],
        safety_situation=findings["safetySituation"],
        concern_level=concern_level,
    )
    session.add(visit)
    await session.flush()
    data = {
        "child_id": child_key,
        "organization_id": organization,
        "concern_level": concern_level.value if concern_level else None,
    }
    await publish(session, DomainEvent(VISIT_RECORDED, visit.id, caller.user_id, data))
    return visit


async def register_venue(
    session: AsyncSession,
    caller: Caller,
    *,
    name: str,
    kind: VenueKind,
    region_code: str,
    address: str,
) -> Venue:
    venue_name = validation.required_text(name, "input.name", max_length=200)
    region = await validation.existing_region(session, region_code.strip(), "input.regionCode")
    within = await session.scalar(
        select(models.Region.code).where(
            models.Region.code == region, in_callers_region(models.Region.code, caller)
        )
    )
    if within is None:
        raise ValidationFailed("is outside your region", field="input.regionCode")
    venue_address = validation.required_text(address, "input.address", max_length=300)
    existing = await session.scalar(
        select(Venue.id).where(Venue.region_code == region, Venue.name == venue_name)
    )
    if existing is not None:
        raise Conflict(
            "a venue of this name is already registered in this region",
            field="input.name",
            existingId=encode_global_id("Venue", existing),
        )
    venue = Venue(
        name=venue_name,
        kind=kind,
        region_code=region,
        address=venue_address,
        registered_by_user_id=caller.user_id,
    )
    session.add(venue)
    await session.flush()
    data = {"kind": kind.value, "region_code": region}
    await publish(session, DomainEvent(VENUE_REGISTERED, venue.id, caller.user_id, data))
    return venue


async def record_venue_inspection(
    session: AsyncSession,
    caller: Caller,
    *,
    venue_id: ID,
    inspected_on: date,
    minors_found: int,
    no_minors_sign_displayed: bool,
    result: VenueInspectionResult,
    follow_up: str | None,
    follow_up_due_on: date | None,
) -> VenueInspection:
    venue_key = decode_global_id(venue_id, "Venue", field="input.venueId")
    venue = await session.scalar(
        select(Venue).where(Venue.id == venue_key, venue_in_callers_region(caller))
    )
    if venue is None:  # a venue outside the caller's region is as unknown as a missing one
        raise not_found("Venue", "input.venueId")
    validation.not_in_future(inspected_on, "input.inspectedOn")
    if not 0 <= minors_found <= MAX_MINORS_FOUND:
        raise ValidationFailed(
            f"minors found run from 0 to {MAX_MINORS_FOUND}",
            field="input.minorsFound",
            maximum=MAX_MINORS_FOUND,
        )
    if result is VenueInspectionResult.COMPLIANT and (
        minors_found > 0 or not no_minors_sign_displayed
    ):
        raise ValidationFailed(
            "minors on the premises or a missing no-minors sign is a violation",
            field="input.result",
        )
    follow_up_text = validation.optional_text(follow_up, "input.followUp", max_length=4000)
    if result is VenueInspectionResult.VIOLATION_FOUND and follow_up_text is None:
        raise ValidationFailed(
            "say what the venue must correct (整改) when a violation is found",
            field="input.followUp",
        )
    if follow_up_due_on is not None and follow_up_due_on < inspected_on:
        raise ValidationFailed("is before the inspection", field="input.followUpDueOn")
    organization = callers_organization(caller)
    if organization is not None and await session.get(models.Organization, organization) is None:
        organization = None
    inspection = VenueInspection(
        venue_id=venue.id,
        inspected_on=inspected_on,
        minors_found=minors_found,
        no_minors_sign_displayed=no_minors_sign_displayed,
        result=result,
        follow_up=follow_up_text,
        follow_up_due_on=follow_up_due_on,
        inspector_user_id=caller.user_id,
        organization_id=organization,
    )
    session.add(inspection)
    await session.flush()
    data = {"venue_id": venue.id, "result": result.value, "minors_found": minors_found}
    await publish(session, DomainEvent(VENUE_INSPECTED, inspection.id, caller.user_id, data))
    return inspection
