"""Demo records of civil affairs, built on the demo children:

- census visits: the village child director's last two visits to a few left-behind children,
  the older one reviewed by the township supervisor;
- social assistance: 低保 for poor families, the allowance for children without de-facto
  caregivers, a temporary grant, an application still waiting;
- care service projects in the villages with the most left-behind children, and the tutoring,
  letters from home and surrogate parents' visits they gave.

Each part loads only while its tables are empty, so loading twice adds nothing.
"""

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.plugin_api import enums, models
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

RELATIVES = {
    enums.Relationship.FATHER: "父亲",
    enums.Relationship.MOTHER: "母亲",
    enums.Relationship.GRANDFATHER: "祖父",
    enums.Relationship.GRANDMOTHER: "祖母",
    enums.Relationship.OTHER_RELATIVE: "亲属",
    enums.Relationship.OTHER: "照护人",
}
DIRECTORS = ("王秀英", "李建华", "张桂兰", "刘志强", "陈淑芬")
CHANGES = (
    None,
    "母亲春节后外出务工，现由祖母照料。",
    "祖父腿脚不便，孩子放学后多独自在家。",
    None,
    "孩子升入初中，改为住校。",
)
DEMO_DIRECTOR = "demo-child-director"
DEMO_SUPERVISOR = "demo-supervisor"
DEMO_CASEWORKER = "demo-caseworker"

# Monthly amounts in yuan, of the order Sichuan paid around 2020 (rural 低保 per person, the
# allowance for children without de-facto caregivers).
MINIMUM_LIVING_ALLOWANCE = (320, 365, 410)
NO_DE_FACTO_CAREGIVER_ALLOWANCE = 1145
TEMPORARY_GRANTS = (1500, 2000, 3000)

SERVICE_NOTES = {
    ProjectServiceKind.TUTORING: (
        "阳光助教：辅导数学作业一小时。",
        "阳光助教：陪读语文课文，练习生字。",
    ),
    ProjectServiceKind.LETTER_FROM_HOME: ("爱心家书：帮孩子给在外务工的妈妈写信。",),
    ProjectServiceKind.SURROGATE_PARENT: ("代理家长上门看望，检查家中用电安全。",),
    ProjectServiceKind.COUNSELLING: ("社工个别谈心，孩子说想念爸爸，情绪较平稳。",),
}


async def load_demo(engine: AsyncEngine) -> int:
    """Census visits, assistance enrolments and service projects, each once; returns how many
    records were added."""
    async with AsyncSession(engine) as session, session.begin():
        added = await _census_visits(session)
        added += await _assistance(session, date.today())
        added += await _service_projects(session, date.today())
    return added


async def _is_empty(session: AsyncSession, model: type) -> bool:
    return not await session.scalar(select(func.count()).select_from(model))


async def _left_behind_children(session: AsyncSession, limit: int) -> list[models.Child]:
    return list(
        (
            await session.scalars(
                select(models.Child)
                .where(models.Child.is_left_behind)
                .order_by(models.Child.id)
                .limit(limit)
            )
        ).all()
    )


async def _census_visits(session: AsyncSession) -> int:
    """Two visits each for up to eight left-behind children."""
    if not await _is_empty(session, CensusVisit):
        return 0
    children = await _left_behind_children(session, 8)
    caregivers: dict[object, list[str]] = {}
    for guardianship in await session.scalars(
        select(models.Guardianship).where(
            models.Guardianship.child_id.in_([child.id for child in children]),
            models.Guardianship.lives_with_child,
        )
    ):
        caregivers.setdefault(guardianship.child_id, []).append(
            RELATIVES[guardianship.relationship]
        )
    today = date.today()
    visits: list[CensusVisit] = []
    for index, child in enumerate(children):
        met_with = "、".join(["儿童本人", *caregivers.get(child.id, [])])
        director = DIRECTORS[index % len(DIRECTORS)]
        for months_ago, reviewed in ((4, True), (1, False)):
            visited_on = today - timedelta(days=30 * months_ago + index)
            if visited_on < child.birth_date:
                continue
            visits.append(
                CensusVisit(
                    child_id=child.id,
                    visited_on=visited_on,
                    visitor_name=director,
                    met_with=met_with,
                    guardianship_type_observed=child.guardianship_type,
                    changes_noted=None if reviewed else CHANGES[index % len(CHANGES)],
                    entered_by=f"{DEMO_DIRECTOR}-{index % len(DIRECTORS) + 1}",
                    reviewed_by=DEMO_SUPERVISOR if reviewed else None,
                    reviewed_on=visited_on + timedelta(days=7) if reviewed else None,
                )
            )
    session.add_all(visits)
    return len(visits)


async def _assistance(session: AsyncSession, today: date) -> int:
    """Enrolments for children in difficulty: 低保 for poor families, the allowance for children
    without de-facto caregivers, a temporary grant after an illness, one application waiting."""
    if not await _is_empty(session, AssistanceEnrollment):
        return 0
    bureaus = {
        bureau.region_code: bureau.id
        for bureau in await session.scalars(
            select(models.Organization).where(
                models.Organization.department == "civil_affairs",
                models.Organization.kind == enums.OrganizationKind.BUREAU,
            )
        )
    }
    children = (
        await session.scalars(
            select(models.Child)
            .where(
                func.cardinality(models.Child.difficulty_categories) > 0,
                models.Child.status == enums.ChildStatus.ACTIVE,
            )
            .order_by(models.Child.id)
            .limit(24)
        )
    ).all()
    enrollments: list[AssistanceEnrollment] = []
    for index, child in enumerate(children):
        bureau = bureaus.get(child.residence_region_code[:6])
        if bureau is None:
            continue
        start = max(today - timedelta(days=60 + 37 * index), child.birth_date)
        categories = set(child.difficulty_categories)
        kind: enums.AssistanceKind | None = None
        monthly = 0
        if enums.DifficultyCategory.NO_DE_FACTO_CAREGIVER.value in categories:
            kind, monthly = (
                enums.AssistanceKind.NO_DE_FACTO_CAREGIVER_ALLOWANCE,
                NO_DE_FACTO_CAREGIVER_ALLOWANCE,
            )
        elif enums.DifficultyCategory.FAMILY_POVERTY.value in categories:
            kind = enums.AssistanceKind.MINIMUM_LIVING_ALLOWANCE
            monthly = MINIMUM_LIVING_ALLOWANCE[index % len(MINIMUM_LIVING_ALLOWANCE)]
        if kind is not None:
            waiting = index % 7 == 3
            enrollments.append(
                AssistanceEnrollment(
                    child_id=child.id,
                    kind=kind,
                    status=AssistanceEnrollmentStatus.APPLIED
                    if waiting
                    else AssistanceEnrollmentStatus.APPROVED,
                    monthly_amount=None if waiting else monthly,
                    start_on=today - timedelta(days=5) if waiting else start,
                    approving_organization_id=None if waiting else bureau,
                    entered_by=DEMO_CASEWORKER,
                )
            )
        if enums.DifficultyCategory.DISABILITY_OR_ILLNESS.value in categories or index % 5 == 0:
            granted = max(today - timedelta(days=200 + 11 * index), child.birth_date)
            enrollments.append(
                AssistanceEnrollment(
                    child_id=child.id,
                    kind=enums.AssistanceKind.TEMPORARY_ASSISTANCE,
                    status=AssistanceEnrollmentStatus.ENDED,
                    one_off_amount=TEMPORARY_GRANTS[index % len(TEMPORARY_GRANTS)],
                    start_on=granted,
                    end_on=granted,
                    approving_organization_id=bureau,
                    entered_by=DEMO_CASEWORKER,
                )
            )
    session.add_all(enrollments)
    return len(enrollments)


async def _service_projects(session: AsyncSession, today: date) -> int:
    """Three projects in the villages with the most left-behind children, and a few months of
    services to the children there."""
    if not await _is_empty(session, ServiceProject):
        return 0
    child = models.Child
    is_village = func.length(child.residence_region_code) == 12
    busiest = [
        code
        for code, _ in (
            await session.execute(
                select(child.residence_region_code, func.count())
                .where(child.is_left_behind, is_village)
                .group_by(child.residence_region_code)
                .order_by(func.count().desc(), child.residence_region_code)
                .limit(30)
            )
        ).all()
    ]
    if not busiest:
        return 0
    # each project in one county: its two villages with the most left-behind children
    by_county: dict[str, list[str]] = {}
    for code in busiest:
        by_county.setdefault(code[:6], []).append(code)
    counties = list(by_county.values())
    plans = (
        ("童伴计划·示范村童伴之家", ServiceProjectKind.CHILD_COMPANION, "共青团资阳市委（示范）"),
        ("童村同在·留守儿童关爱行动", ServiceProjectKind.VILLAGE_CHILD, "资阳市民政局（示范）"),
        (
            "困境儿童社工服务项目（政府购买服务）",
            ServiceProjectKind.SOCIAL_WORK,
            "资阳市民政局（示范）",
        ),
    )
    projects: list[tuple[ServiceProject, list[str]]] = []
    for number, (name, kind, funder) in enumerate(plans):
        villages = counties[number % len(counties)][:2]
        project = ServiceProject(
            id=uuid.uuid4(),
            name=name,
            kind=kind,
            funder=funder,
            start_on=today - timedelta(days=180 + 60 * number),
            end_on=today + timedelta(days=185 + 30 * number),
            entered_by=DEMO_CASEWORKER,
        )
        projects.append((project, villages))
    session.add_all(project for project, _ in projects)
    await session.flush()
    links = [
        ServiceProjectVillage(project_id=project.id, region_code=code)
        for project, villages in projects
        for code in villages
    ]
    session.add_all(links)
    services: list[ProjectService] = []
    kinds = list(SERVICE_NOTES)
    for project, villages in projects:
        served = (
            await session.scalars(
                select(child)
                .where(child.is_left_behind, child.residence_region_code.in_(villages))
                .order_by(child.id)
                .limit(4)
            )
        ).all()
        for position, pupil in enumerate(served):
            for week in range(3):
                service_kind = kinds[(position + week) % len(kinds)]
                if project.kind is not ServiceProjectKind.SOCIAL_WORK and (
                    service_kind is ProjectServiceKind.COUNSELLING
                ):
                    service_kind = ProjectServiceKind.TUTORING
                notes = SERVICE_NOTES[service_kind]
                services.append(
                    ProjectService(
                        project_id=project.id,
                        child_id=pupil.id,
                        served_on=today - timedelta(days=14 * week + 3 * position + 1),
                        kind=service_kind,
                        note=notes[week % len(notes)],
                        entered_by=f"{DEMO_DIRECTOR}-{position % len(DIRECTORS) + 1}",
                    )
                )
    session.add_all(services)
    return len(projects) + len(links) + len(services)
