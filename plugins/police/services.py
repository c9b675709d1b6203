"""Police's writes: receiving a compulsory report (强制报告), recording an officer's home or
school visit (走访), registering a venue and recording its inspection (网吧/游戏厅/录像厅巡查)."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import ID

from core.plugin_api import (
    Caller,
    Conflict,
    DomainEvent,
    Forbidden,
    ValidationFailed,
    decode_global_id,
    encode_global_id,
    models,
    not_found,
    publish,
    validation,
)
from plugins.police.models import (
    CompulsoryReport,
    CompulsoryReportStatus,
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

REPORT_FILED = "police.report_filed"
VISIT_RECORDED = "police.visit_recorded"
VENUE_REGISTERED = "police.venue_registered"
VENUE_INSPECTED = "police.venue_inspected"
MAX_FINDING = 4000
MAX_MINORS_FOUND = 10000


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
    )
    session.add(report)
    await session.flush()
    await session.refresh(report)
    data = {
        "child_id": child_key,
        "trigger": trigger.value,
        "place_region_code": region,
        "reporter_organization_id": reporter_key,
    }
    await publish(session, DomainEvent(REPORT_FILED, report.id, caller.user_id, data))
    return report


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
    organization = callers_organization(caller)
    if organization is None or await session.get(models.Organization, organization) is None:
        raise Forbidden(
            "recording a visit needs the officer's organisation (the org claim of your "
            "credentials names none that is registered)"
        )
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
