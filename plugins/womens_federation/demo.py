"""Demo records of the women's federation: weekly calls between working-away demo parents and
their children, some arranged by the township's women's home; women's homes and village
children's homes with their care services and family-education guidance sessions; surrogate
mothers paired with left-behind children. Each kind is loaded once, into an empty table."""

import uuid
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.plugin_api import enums, models
from plugins.womens_federation.models import (
    CareHome,
    CareHomeKind,
    CareService,
    CareServiceKind,
    CareServiceParticipant,
    ContactChannel,
    FamilyContact,
    GuidanceSession,
    GuidanceSessionAttendee,
    SurrogateMother,
)

DEMO_USER = "demo-womens_federation-staff"

CHANNELS = (ContactChannel.VIDEO_CALL, ContactChannel.PHONE, ContactChannel.WECHAT)
NOTES = (
    "孩子说期中考试数学进步了，妈妈答应寒假回家。",
    None,
    "爸爸叮嘱孩子放学按时回家，听奶奶的话。",
    None,
)


async def load_demo(engine: AsyncEngine) -> int:
    """Contacts, homes with their services and sessions, surrogate mothers, each once; returns
    how many records were added."""
    return await load_contacts(engine) + await load_homes(engine) + await load_surrogates(engine)


async def load_contacts(engine: AsyncEngine) -> int:
    """Four weekly contacts for up to eight parent-child pairs, once; returns how many."""
    async with AsyncSession(engine) as session, session.begin():
        if await session.scalar(select(func.count()).select_from(FamilyContact)):
            return 0
        homes = {
            home.region_code: home
            for home in await session.scalars(
                select(models.Organization)
                .where(models.Organization.kind == enums.OrganizationKind.WOMENS_HOME)
                .order_by(models.Organization.name)
            )
        }
        pairs = (
            await session.execute(
                select(models.Guardianship, models.Child.residence_region_code)
                .join(models.Child, models.Child.id == models.Guardianship.child_id)
                .where(
                    models.Guardianship.works_away,
                    models.Guardianship.relationship.in_(enums.PARENTS),
                )
                .order_by(models.Guardianship.child_id, models.Guardianship.id)
            )
        ).all()
        today = date.today()
        contacts: list[FamilyContact] = []
        seen: set[object] = set()
        for guardianship, residence in pairs:
            if guardianship.child_id in seen:
                continue
            seen.add(guardianship.child_id)
            home = homes.get(residence) or homes.get(residence[:9])
            for week in range(4):
                index = len(contacts)
                contacts.append(
                    FamilyContact(
                        child_id=guardianship.child_id,
                        guardian_id=guardianship.guardian_id,
                        contact_on=today - timedelta(days=7 * week + len(seen) % 7),
                        channel=CHANNELS[index % len(CHANNELS)],
                        arranged_by_organization_id=home.id if home and week % 2 == 0 else None,
                        minutes=10 + (index * 7) % 25,
                        note=NOTES[index % len(NOTES)],
                    )
                )
            if len(seen) == 8:
                break
        session.add_all(contacts)
    return len(contacts)


SERVICES = (
    (CareServiceKind.HOMEWORK_HELP, "周末作业辅导，志愿者逐一检查数学和语文作业。"),
    (CareServiceKind.SAFETY_EDUCATION, "暑期防溺水安全教育，观看警示片并演练求救方法。"),
    (CareServiceKind.COMPANIONSHIP, "中秋节陪伴活动，一起做月饼、给在外务工的父母打视频电话。"),
    (CareServiceKind.PSYCHOLOGICAL_SUPPORT, "心理咨询师开展团体辅导，帮助孩子表达想念父母的情绪。"),
)
TOPICS = (
    "隔代教养：如何与孙辈沟通",
    "远程陪伴：外出务工父母每周怎样与孩子联系",
    "儿童防性侵与安全照护",
)


async def load_homes(engine: AsyncEngine) -> int:
    """Up to four townships' women's homes and a children's home in a village of each, with
    care services for their left-behind children and guidance sessions for the caregivers."""
    async with AsyncSession(engine) as session, session.begin():
        if await session.scalar(select(func.count()).select_from(CareHome)):
            return 0
        womens_homes = {
            home.region_code: home
            for home in await session.scalars(
                select(models.Organization)
                .where(models.Organization.kind == enums.OrganizationKind.WOMENS_HOME)
                .order_by(models.Organization.name)
            )
        }
        children_by_township: dict[str, list[models.Child]] = defaultdict(list)
        for child in await session.scalars(
            select(models.Child)
            .where(models.Child.is_left_behind)
            .order_by(models.Child.registered_at, models.Child.id)
            .limit(200)
        ):
            if child.residence_region_code[:9] in womens_homes:
                children_by_township[child.residence_region_code[:9]].append(child)
        townships = sorted(children_by_township, key=lambda t: -len(children_by_township[t]))[:4]
        today = date.today()
        added = 0
        for township in sorted(townships):
            children = children_by_township[township][:6]
            organization = womens_homes[township]
            village = await session.get(models.Region, children[0].residence_region_code)
            homes = [
                CareHome(
                    name=organization.name,
                    kind=CareHomeKind.WOMENS_HOME,
                    region_code=organization.region_code,
                    organization_id=organization.id,
                    registered_by_user_id=DEMO_USER,
                ),
                CareHome(
                    name=f"{village.name if village else '村'}儿童之家",
                    kind=CareHomeKind.CHILDRENS_HOME,
                    region_code=children[0].residence_region_code,
                    registered_by_user_id=DEMO_USER,
                ),
            ]
            session.add_all(homes)
            await session.flush()
            added += len(homes)
            for number, (kind, description) in enumerate(SERVICES):
                home = homes[number % 2]
                took_part = [
                    c for c in children if c.residence_region_code.startswith(home.region_code)
                ][: 2 + number]
                provided_on = today - timedelta(days=6 + 17 * number)
                took_part = [c for c in took_part if c.birth_date <= provided_on]
                if not took_part:
                    continue
                service = CareService(
                    home_id=home.id,
                    provided_on=provided_on,
                    kind=kind,
                    description=description,
                    recorded_by_user_id=DEMO_USER,
                )
                session.add(service)
                await session.flush()
                session.add_all(
                    CareServiceParticipant(service_id=service.id, child_id=c.id) for c in took_part
                )
                added += 1
            guardians = await _caregivers(session, [c.id for c in children])
            if guardians:
                for number, topic in enumerate(TOPICS[:2]):
                    guidance = GuidanceSession(
                        home_id=homes[0].id,
                        held_on=today - timedelta(days=20 + 30 * number),
                        topic=topic,
                        note="妇女之家组织，乡镇妇联主席主讲。" if number == 0 else None,
                        recorded_by_user_id=DEMO_USER,
                    )
                    session.add(guidance)
                    await session.flush()
                    session.add_all(
                        GuidanceSessionAttendee(session_id=guidance.id, guardian_id=g)
                        for g in guardians[number::2] or guardians
                    )
                    added += 1
    return added


async def _caregivers(session: AsyncSession, child_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The guardians of these children, once each."""
    rows = await session.scalars(
        select(models.Guardianship.guardian_id)
        .where(models.Guardianship.child_id.in_(child_ids))
        .order_by(models.Guardianship.created_at, models.Guardianship.id)
    )
    return list(dict.fromkeys(rows.all()))


VOLUNTEERS = (
    ("刘桂芳", "13908170011"),
    ("陈淑华", "13908170022"),
    ("杨春梅", "13908170033"),
    ("黄小燕", "13908170044"),
)


async def load_surrogates(engine: AsyncEngine) -> int:
    """Surrogate mothers for four left-behind children without a parent at home, once."""
    async with AsyncSession(engine) as session, session.begin():
        if await session.scalar(select(func.count()).select_from(SurrogateMother)):
            return 0
        children = (
            await session.scalars(
                select(models.Child)
                .where(models.Child.is_left_behind)
                .order_by(models.Child.birth_date.desc(), models.Child.id)
                .limit(len(VOLUNTEERS))
            )
        ).all()
        today = date.today()
        pairings = [
            SurrogateMother(
                child_id=child.id,
                name=name,
                phone=phone,
                user_id=f"demo-volunteer-{number + 1}" if number % 2 == 0 else None,
                started_on=max(child.birth_date, today - timedelta(days=120 + 45 * number)),
                paired_by_user_id=DEMO_USER,
            )
            for number, (child, (name, phone)) in enumerate(zip(children, VOLUNTEERS, strict=False))
        ]
        session.add_all(pairings)
    return len(pairings)
