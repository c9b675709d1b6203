"""Demo police records: a few left-behind demo children reported by their village committee or
school, routed to their township's station, some accepted (one with the child taken into the
village committee's care), others still waiting with their acceptance deadline, and one child
found before being identified; officers' visits to left-behind children of their station's
township; and the internet cafés and game halls of a few townships with their inspections.
Each kind is loaded once, into an empty table."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.plugin_api import deadlines, enums, models
from plugins.police.models import (
    CompulsoryReport,
    CompulsoryReportStatus,
    EmergencyMeasure,
    EmergencyMeasureKind,
    PoliceVisit,
    PoliceVisitConcernLevel,
    PoliceVisitMetWith,
    ReportTrigger,
    Venue,
    VenueInspection,
    VenueInspectionResult,
    VenueKind,
)
from plugins.police.services import ACCEPTANCE_DEADLINE, station_for
from plugins.police.settings import get_settings

VILLAGE = enums.OrganizationKind.VILLAGE_COMMITTEE
SCHOOL = enums.OrganizationKind.SCHOOL
PUPILS = (enums.Schooling.PRIMARY, enums.Schooling.JUNIOR_SECONDARY)

SCENARIOS = (
    (
        VILLAGE,
        ReportTrigger.LIVING_ALONE,
        CompulsoryReportStatus.CLOSED,
        "村儿童主任走访发现儿童独自在家居住，祖母住院已一周，父母均在外务工。",
    ),
    (
        VILLAGE,
        ReportTrigger.GUARDIAN_WITHOUT_CAPACITY,
        CompulsoryReportStatus.ACCEPTED,
        "照护儿童的祖父突发中风，家中无其他成年人照料。",
    ),
    (
        SCHOOL,
        ReportTrigger.SUSPECTED_VIOLENCE,
        CompulsoryReportStatus.ACCEPTED,
        "班主任发现儿童手臂多处淤青，儿童称系家中亲属所致。",
    ),
    (
        SCHOOL,
        ReportTrigger.MISSING,
        CompulsoryReportStatus.RECEIVED,
        "儿童放学后未回家，照护人联系不上，已近四小时。",
    ),
)


def _reporter_for(
    kind: enums.OrganizationKind,
    residence_code: str,
    by_place: dict[tuple[enums.OrganizationKind, str], models.Organization],
) -> models.Organization | None:
    """The nearest reporter of this kind: in the child's village, else in their township."""
    for code in (residence_code, residence_code[:9]):
        if (kind, code) in by_place:
            return by_place[(kind, code)]
    return None


async def load_demo(engine: AsyncEngine) -> int:
    """Reports, visits, venues and inspections, each once; returns how many records were added."""
    return await load_reports(engine) + await load_visits(engine) + await load_venues(engine)


REPORTERS = {  # the demo user filing for each kind of reporter, and their department
    VILLAGE: ("demo-child-director", "civil_affairs"),
    SCHOOL: ("demo-teacher", "education"),
}
PLACED_WITH_COMMITTEE = (
    "民警将儿童护送至村委会，由村儿童主任临时照看；已联系在外务工的父亲，父亲答应三日内返乡。"
)


async def load_reports(engine: AsyncEngine) -> int:
    """A handful of reports, and an emergency measure, once; returns how many were added."""
    async with AsyncSession(engine) as session, session.begin():
        if await session.scalar(select(func.count()).select_from(CompulsoryReport)):
            return 0
        by_place: dict[tuple[enums.OrganizationKind, str], models.Organization] = {}
        for organization in await session.scalars(
            select(models.Organization)
            .where(models.Organization.kind.in_((VILLAGE, SCHOOL)))
            .order_by(models.Organization.name)
        ):
            by_place.setdefault((organization.kind, organization.region_code), organization)
        children = (
            await session.scalars(
                select(models.Child)
                .where(models.Child.is_left_behind)
                .order_by(models.Child.id)
                .limit(40)
            )
        ).all()
        now = datetime.now(UTC)
        reports: list[CompulsoryReport] = []
        for child in children:
            if len(reports) == len(SCENARIOS):
                break
            kind, trigger, status, summary = SCENARIOS[len(reports)]
            if kind is SCHOOL and child.schooling not in PUPILS:
                continue
            reporter = _reporter_for(kind, child.residence_region_code, by_place)
            if reporter is None:
                continue
            user, department = REPORTERS[kind]
            reports.append(
                CompulsoryReport(
                    child_id=child.id,
                    place_region_code=child.residence_region_code,
                    place_description=child.address,
                    reporter_organization_id=reporter.id,
                    trigger=trigger,
                    reported_at=now - timedelta(days=40 - 10 * len(reports), hours=3),
                    summary=summary,
                    status=status,
                    reported_by_user_id=user,
                    reported_by_department=department,
                )
            )
        township = reports[0].place_region_code[:9] if reports else None
        if township is not None and await session.get(models.Region, township) is not None:
            first = reports[0]
            reports.append(
                CompulsoryReport(
                    child_id=None,
                    description="男孩，约七八岁，穿蓝色校服，说不清家住何处。",
                    place_region_code=township,
                    place_description="镇汽车站候车室",
                    reporter_organization_id=first.reporter_organization_id,
                    trigger=ReportTrigger.MISSING,
                    reported_at=now - timedelta(hours=2),
                    summary="村委会工作人员在镇汽车站发现儿童独自逗留两个多小时，无成人陪同。",
                    status=CompulsoryReportStatus.RECEIVED,
                    reported_by_user_id=REPORTERS[VILLAGE][0],
                    reported_by_department=REPORTERS[VILLAGE][1],
                )
            )
        session.add_all(reports)
        measures = await _work_on(session, reports)
    return len(reports) + measures


async def _work_on(session: AsyncSession, reports: list[CompulsoryReport]) -> int:
    """Route each report to its station; accept the accepted and closed ones, taking the first
    accepted child reported by a village committee into the committee's care; give those still
    waiting their acceptance deadline. Returns how many measures were added."""
    await session.flush()
    measures = 0
    for report in reports:
        station = await station_for(session, report.place_region_code)
        report.police_organization_id = station.id if station is not None else None
        if report.status is CompulsoryReportStatus.RECEIVED:
            await deadlines.set_deadline(
                session,
                deadlines.Deadline(
                    kind=ACCEPTANCE_DEADLINE,
                    record_type="CompulsoryReport",
                    record_id=report.id,
                    description="accept a compulsory report (受理)",
                    due_at=report.reported_at + get_settings().acceptance_deadline,
                    child_id=report.child_id,
                    responsible_organization_id=report.police_organization_id,
                    department="police",
                    region_code=report.place_region_code,
                ),
            )
            continue
        if station is None:
            continue
        report.accepted_at = report.reported_at + timedelta(minutes=25)
        report.accepted_by_user_id = "demo-police-officer"
        report.accepting_organization_id = station.id
        reporter = await session.get(models.Organization, report.reporter_organization_id)
        if (
            measures == 0
            and report.status is CompulsoryReportStatus.ACCEPTED
            and reporter is not None
            and reporter.kind is VILLAGE
        ):
            session.add(
                EmergencyMeasure(
                    report_id=report.id,
                    measure=EmergencyMeasureKind.TEMPORARY_CARE_BY_VILLAGE_COMMITTEE,
                    note=PLACED_WITH_COMMITTEE,
                    taken_at=report.accepted_at + timedelta(minutes=40),
                    placement_organization_id=reporter.id,
                    officer_user_id="demo-police-officer",
                    organization_id=station.id,
                )
            )
            measures += 1
    return measures


MET_WITH = (
    [PoliceVisitMetWith.GUARDIAN, PoliceVisitMetWith.CHILD],
    [PoliceVisitMetWith.TEACHER],
    [PoliceVisitMetWith.VILLAGE_CADRE, PoliceVisitMetWith.GUARDIAN],
)
VISIT_FINDINGS = (
    (
        "与祖母同住，祖母年过七十，能照料日常饮食。",
        None,
        "住房为老旧砖房，已提醒照护人注意用电和防溺水。",
        PoliceVisitConcernLevel.LOW,
    ),
    (
        None,
        "班主任反映孩子近期上课注意力不集中，作业常缺交。",
        "放学后常在镇上网吧附近逗留，已告知学校和家长。",
        PoliceVisitConcernLevel.MEDIUM,
    ),
    (
        "父母均在外务工，由叔叔临时照看，叔叔常外出打零工。",
        None,
        "晚上常独自在家，已请村干部每日查看并联系父母返乡或另行委托照护。",
        PoliceVisitConcernLevel.HIGH,
    ),
)


async def load_visits(engine: AsyncEngine) -> int:
    """Visits by the township's police station to six left-behind children, once."""
    async with AsyncSession(engine) as session, session.begin():
        if await session.scalar(select(func.count()).select_from(PoliceVisit)):
            return 0
        stations = {
            station.region_code: station
            for station in await session.scalars(
                select(models.Organization)
                .where(models.Organization.kind == enums.OrganizationKind.POLICE_STATION)
                .order_by(models.Organization.name)
            )
        }
        children = await session.scalars(
            select(models.Child)
            .where(models.Child.is_left_behind)
            .order_by(models.Child.registered_at, models.Child.id)
            .limit(60)
        )
        today = date.today()
        visits: list[PoliceVisit] = []
        for child in children:
            station = stations.get(child.residence_region_code[:9])
            if station is None:
                continue
            index = len(visits)
            life, schooling, safety, concern = VISIT_FINDINGS[index % len(VISIT_FINDINGS)]
            visits.append(
                PoliceVisit(
                    child_id=child.id,
                    visited_on=max(child.birth_date, today - timedelta(days=12 * index + 3)),
                    officer_user_id="demo-police-officer",
                    organization_id=station.id,
                    met_with=[kind.value for kind in MET_WITH[index % len(MET_WITH)]],
                    life_situation=life,
                    schooling_situation=schooling,
                    safety_situation=safety,
                    concern_level=concern,
                )
            )
            if len(visits) == 6:
                break
        session.add_all(visits)
    return len(visits)


VENUES = (
    (VenueKind.INTERNET_CAFE, "星空网咖", "镇中街18号"),
    (VenueKind.GAME_HALL, "欢乐电玩城", "农贸市场二楼"),
    (VenueKind.VIDEO_HALL, "老街录像厅", "老街45号"),
)


async def load_venues(engine: AsyncEngine) -> int:
    """Three venues in each of the first three townships, each inspected twice, once."""
    async with AsyncSession(engine) as session, session.begin():
        if await session.scalar(select(func.count()).select_from(Venue)):
            return 0
        stations = (
            await session.scalars(
                select(models.Organization)
                .where(models.Organization.kind == enums.OrganizationKind.POLICE_STATION)
                .order_by(models.Organization.region_code)
                .limit(3)
            )
        ).all()
        today = date.today()
        added = 0
        for number, station in enumerate(stations):
            for kind, name, address in VENUES:
                venue = Venue(
                    name=name,
                    kind=kind,
                    region_code=station.region_code,
                    address=address,
                    registered_by_user_id="demo-police-officer",
                )
                session.add(venue)
                await session.flush()
                older = today - timedelta(days=70 + 9 * number)
                violation = kind is VenueKind.INTERNET_CAFE and number == 0
                inspections = [
                    VenueInspection(
                        venue_id=venue.id,
                        inspected_on=older,
                        minors_found=0,
                        no_minors_sign_displayed=True,
                        result=VenueInspectionResult.COMPLIANT,
                        inspector_user_id="demo-police-officer",
                        organization_id=station.id,
                    ),
                    VenueInspection(
                        venue_id=venue.id,
                        inspected_on=today - timedelta(days=5 + number),
                        minors_found=2 if violation else 0,
                        no_minors_sign_displayed=not violation,
                        result=(
                            VenueInspectionResult.VIOLATION_FOUND
                            if violation
                            else VenueInspectionResult.COMPLIANT
                        ),
                        follow_up=(
                            "发现两名初中生上网，责令立即清退并在门口醒目位置悬挂未成年人禁入标志，"
                            "通知其监护人和学校。"
                            if violation
                            else None
                        ),
                        follow_up_due_on=today + timedelta(days=10) if violation else None,
                        inspector_user_id="demo-police-officer",
                        organization_id=station.id,
                    ),
                ]
                session.add_all(inspections)
                added += 1 + len(inspections)
    return added
