"""Demo family contacts: weekly calls between working-away demo parents and their children,
some arranged by the township's women's home."""

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.plugin_api import enums, models
from plugins.womens_federation.models import ContactChannel, FamilyContact

CHANNELS = (ContactChannel.VIDEO_CALL, ContactChannel.PHONE, ContactChannel.WECHAT)
NOTES = (
    "孩子说期中考试数学进步了，妈妈答应寒假回家。",
    None,
    "爸爸叮嘱孩子放学按时回家，听奶奶的话。",
    None,
)


async def load_demo(engine: AsyncEngine) -> int:
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
