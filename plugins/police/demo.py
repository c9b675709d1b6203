"""Demo compulsory reports: a few left-behind demo children reported by their village committee
or school, and one child found before being identified."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.plugin_api import enums, models
from plugins.police.models import CompulsoryReport, CompulsoryReportStatus, ReportTrigger

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
    """A handful of reports, once; returns how many were added."""
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
                )
            )
        session.add_all(reports)
    return len(reports)
