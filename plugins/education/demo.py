"""Demo education records: school-age demo children enrolled at a school of their township;
mentoring pairs with monthly notes for left-behind pupils; home-school contacts with parents
working away and caregivers at home (some pupils left uncontacted, so that `pupilsNeedingContact`
and `dropoutRisks` have something to show); a children's home at each of the first schools with
activities and who attended them."""

import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.plugin_api import enums, models
from plugins.education.models import (
    ChildrensHome,
    Enrollment,
    EnrollmentStatus,
    HomeActivity,
    HomeActivityAttendance,
    HomeSchoolContact,
    HomeSchoolContactChannel,
    HomeSchoolContactParty,
    MentoringNote,
    MentoringPair,
)

SCHOOL_AGE_SCHOOLING = (
    enums.Schooling.PRIMARY,
    enums.Schooling.JUNIOR_SECONDARY,
    enums.Schooling.SENIOR_SECONDARY,
    enums.Schooling.VOCATIONAL,
)
DEMO_USER = "demo-education-teacher"
TEACHERS = ("陈老师", "刘老师", "杨老师", "黄老师", "赵老师", "周老师")
HELP_AGREED = (
    "每周谈心一次，辅导数学作业，每月与外出务工的父母视频通话一次。",
    "关注学习习惯和情绪变化，周末组织阅读，协助与父母保持联系。",
    "督促按时到校，课后辅导语文，留意身体和心理健康。",
)
NOTES = (
    "谈心半小时，孩子说想念在外打工的妈妈，约好周末视频通话。",
    "数学单元测验有进步，鼓励继续保持，布置了课外阅读。",
    "孩子最近情绪平稳，和同学相处融洽，与祖母沟通了作息安排。",
)
CONTACT_SUMMARIES = {
    HomeSchoolContactParty.PARENT_AWAY: "向外出务工的家长通报孩子近期学习和在校表现，"
    "约定每周通话。",
    HomeSchoolContactParty.CAREGIVER: "家访，与照护的祖辈了解孩子在家作息，"
    "提醒注意用电和防溺水安全。",
}
ACTIVITIES = (
    ("亲情视频通话", "组织孩子与外出务工的父母视频通话，老师陪同。"),
    ("周末读书会", "共读绘本并分享读后感，志愿者辅导作业。"),
    ("防溺水安全教育", "讲解夏季防溺水知识，观看安全教育短片。"),
)


async def load_demo(engine: AsyncEngine) -> int:
    """Each part loads only into its empty tables; returns how many records were added."""
    added = await _enrol_pupils(engine)
    async with AsyncSession(engine) as session, session.begin():
        enrollments = list(
            await session.scalars(
                select(Enrollment)
                .where(Enrollment.status == EnrollmentStatus.ENROLLED)
                .order_by(Enrollment.student_number)
            )
        )
        pupils = {
            child.id: child
            for child in await session.scalars(
                select(models.Child).where(models.Child.id.in_([e.child_id for e in enrollments]))
            )
        }
        links: dict[uuid.UUID, list[models.Guardianship]] = defaultdict(list)
        for link in await session.scalars(
            select(models.Guardianship)
            .where(models.Guardianship.child_id.in_(list(pupils)))
            .order_by(models.Guardianship.created_at, models.Guardianship.id)
        ):
            links[link.child_id].append(link)
        today = date.today()
        if not await _has_rows(session, MentoringPair):
            added += await _mentoring(session, enrollments, pupils, today)
        if not await _has_rows(session, HomeSchoolContact):
            added += _contacts(session, enrollments, pupils, links, today)
        if not await _has_rows(session, ChildrensHome):
            added += await _homes(session, enrollments, pupils, today)
    return added


async def _has_rows(session: AsyncSession, model: type[Any]) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(model)))


async def _enrol_pupils(engine: AsyncEngine) -> int:
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


def _not_before(day: date, *earliest: date) -> date:
    return max(day, *earliest)


async def _mentoring(
    session: AsyncSession,
    enrollments: list[Enrollment],
    pupils: dict[uuid.UUID, models.Child],
    today: date,
) -> int:
    """A mentor for up to ten left-behind pupils, a note a month; the first pair has ended."""
    left_behind = [e for e in enrollments if pupils[e.child_id].is_left_behind][:10]
    added = 0
    notes: list[MentoringNote] = []
    for index, enrollment in enumerate(left_behind):
        child = pupils[enrollment.child_id]
        started_on = _not_before(today - timedelta(days=150 + 7 * index), child.birth_date)
        ended_on = today - timedelta(days=20) if index == 0 else None
        pair = MentoringPair(
            id=uuid.uuid4(),
            child_id=child.id,
            teacher_name=TEACHERS[index % len(TEACHERS)],
            teacher_user_id=DEMO_USER if index % 3 == 1 else None,
            started_on=started_on,
            ended_on=ended_on,
            help_agreed=HELP_AGREED[index % len(HELP_AGREED)],
        )
        session.add(pair)
        added += 1
        last_day = ended_on or today
        for month in range(3):
            noted_on = started_on + timedelta(days=30 * (month + 1))
            if noted_on > last_day:
                break
            notes.append(
                MentoringNote(
                    pair_id=pair.id,
                    child_id=child.id,
                    noted_on=noted_on,
                    note=NOTES[(index + month) % len(NOTES)],
                    recorded_by=DEMO_USER,
                )
            )
    await session.flush()  # the pairs before their notes (no ORM relationship orders them)
    session.add_all(notes)
    return added + len(notes)


def _contacts(
    session: AsyncSession,
    enrollments: list[Enrollment],
    pupils: dict[uuid.UUID, models.Child],
    links: dict[uuid.UUID, list[models.Guardianship]],
    today: date,
) -> int:
    """Every pupil but every fourth one: a recent or older contact with a parent away or the
    caregiver at home."""
    added = 0
    channels = list(HomeSchoolContactChannel)
    for index, enrollment in enumerate(enrollments[:60]):
        if index % 4 == 3:
            continue  # never contacted: shows in pupilsNeedingContact
        child = pupils[enrollment.child_id]
        away = [
            link
            for link in links[child.id]
            if link.works_away and link.relationship in enums.PARENTS
        ]
        at_home = [link for link in links[child.id] if link.lives_with_child]
        days_ago = (5, 45, 90)[index % 3]
        contacted_on = _not_before(today - timedelta(days=days_ago + index % 7), child.birth_date)
        if away:
            party, guardian_id = HomeSchoolContactParty.PARENT_AWAY, away[0].guardian_id
            channel = channels[index % 3]  # phone, QQ or WeChat
        elif at_home:
            party, guardian_id = HomeSchoolContactParty.CAREGIVER, at_home[0].guardian_id
            channel = HomeSchoolContactChannel.VISIT
        else:
            continue
        session.add(
            HomeSchoolContact(
                child_id=child.id,
                guardian_id=guardian_id,
                channel=channel,
                with_whom=party,
                contacted_on=contacted_on,
                summary=CONTACT_SUMMARIES[party],
                recorded_by=DEMO_USER,
            )
        )
        added += 1
    return added


async def _homes(
    session: AsyncSession,
    enrollments: list[Enrollment],
    pupils: dict[uuid.UUID, models.Child],
    today: date,
) -> int:
    """A children's home at each of the first three schools with pupils, three activities
    each, attended by up to eight of the school's pupils."""
    by_school: dict[uuid.UUID, list[Enrollment]] = defaultdict(list)
    for enrollment in enrollments:
        by_school[enrollment.school_id].append(enrollment)
    schools = {
        school.id: school
        for school in await session.scalars(
            select(models.Organization).where(models.Organization.id.in_(list(by_school)))
        )
    }
    added = 0
    for school_id in sorted(by_school, key=lambda key: schools[key].name)[:3]:
        opened_on = today - timedelta(days=400)
        home = ChildrensHome(
            id=uuid.uuid4(),
            school_id=school_id,
            name=f"{schools[school_id].name}留守儿童之家",
            facilities=["图书角", "亲情电话", "视频聊天室", "文体活动室"],
            opened_on=opened_on,
        )
        session.add(home)
        await session.flush()  # the home before its activities, those before attendance
        added += 1
        attendees = [e.child_id for e in by_school[school_id][:8]]
        for index, (title, description) in enumerate(ACTIVITIES):
            activity = HomeActivity(
                id=uuid.uuid4(),
                home_id=home.id,
                held_on=today - timedelta(days=14 + 30 * index),
                title=title,
                description=description,
                recorded_by=DEMO_USER,
            )
            session.add(activity)
            await session.flush()
            added += 1
            for child_id in attendees[index % 2 :: 1 + index % 2]:
                if pupils[child_id].birth_date <= activity.held_on:
                    session.add(HomeActivityAttendance(activity_id=activity.id, child_id=child_id))
                    added += 1
    return added
