"""Demo enrolments: school-age demo children enrolled at a school of their township."""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.plugin_api import enums, models
from plugins.education.models import Enrollment

SCHOOL_AGE_SCHOOLING = (
    enums.Schooling.PRIMARY,
    enums.Schooling.JUNIOR_SECONDARY,
    enums.Schooling.SENIOR_SECONDARY,
    enums.Schooling.VOCATIONAL,
)


async def load_demo(engine: AsyncEngine) -> int:
    """Enrol every demo pupil not yet enrolled; returns how many were enrolled."""
    async with AsyncSession(engine) as session, session.begin():
        schools = {
            school.region_code: school
            for school in await session.scalars(
                select(models.Organization)
                .where(models.Organization.kind == enums.OrganizationKind.SCHOOL)
                .order_by(models.Organization.name)
            )
        }
        pupils = await session.scalars(
            select(models.Child)
            .where(
                models.Child.schooling.in_(SCHOOL_AGE_SCHOOLING),
                ~select(Enrollment.id).where(Enrollment.child_id == models.Child.id).exists(),
            )
            .order_by(models.Child.id)
        )
        start = await session.scalar(select(func.count()).select_from(Enrollment)) or 0
        enrolled = 0
        for pupil in pupils:
            school = schools.get(pupil.residence_region_code[:9])
            if school is None:
                continue
            age = date.today().year - pupil.birth_date.year
            enrolled += 1
            session.add(
                Enrollment(
                    child_id=pupil.id,
                    school_id=school.id,
                    student_number=f"G{pupil.residence_region_code[:6]}{start + enrolled:08d}",
                    grade=min(12, max(1, age - 6)),
                    class_name=f"{1 + enrolled % 3}班",
                    boarding=pupil.boarding,
                    enrolled_on=date(date.today().year - max(0, age - 7), 9, 1),
                )
            )
    return enrolled
