"""Demo rehabilitation services for `caregraph serve --demo`: the disabled demo children each
get a course of rehabilitation training, and those with a severe disability (grade 1-2) also a
home visit by their village committee. Run again, it adds only for children without a service."""

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from caregraph_disabled_persons.models import RehabilitationService, RehabilitationServiceKind
from core.plugin_api import enums, models

TRAINING_NOTE = "每周两次康复训练，由康复机构上门接送。"
VISIT_NOTE = "村残疾人专职委员上门服务，指导照护人做家庭康复。"


async def load_demo(engine: AsyncEngine) -> int:
    """Services for every disabled demo child that has none yet; returns how many were added."""
    async with AsyncSession(engine) as session, session.begin():
        committees = {
            committee.region_code: committee.id
            for committee in await session.scalars(
                select(models.Organization).where(
                    models.Organization.kind == enums.OrganizationKind.VILLAGE_COMMITTEE
                )
            )
        }
        children = await session.scalars(
            select(models.Child)
            .where(
                models.Child.health == enums.HealthStatus.DISABLED,
                ~select(RehabilitationService.id)
                .where(RehabilitationService.child_id == models.Child.id)
                .exists(),
            )
            .order_by(models.Child.id)
        )
        today = date.today()
        rows: list[RehabilitationService] = []
        for index, child in enumerate(children):
            started = max(child.birth_date, today - timedelta(days=90 + 30 * (index % 6)))
            rows.append(
                RehabilitationService(
                    child_id=child.id,
                    service=RehabilitationServiceKind.REHABILITATION_TRAINING,
                    started_on=started,
                    ended_on=None if index % 3 else min(today, started + timedelta(days=60)),
                    subsidy_yuan=1500 + 500 * (index % 3),
                    note=TRAINING_NOTE,
                )
            )
            committee = committees.get(child.residence_region_code)
            if child.disability_grade is not None and child.disability_grade <= 2 and committee:
                rows.append(
                    RehabilitationService(
                        child_id=child.id,
                        service=RehabilitationServiceKind.HOME_VISIT,
                        provider_organization_id=committee,
                        started_on=max(child.birth_date, today - timedelta(days=14)),
                        note=VISIT_NOTE,
                    )
                )
        session.add_all(rows)
    return len(rows)
