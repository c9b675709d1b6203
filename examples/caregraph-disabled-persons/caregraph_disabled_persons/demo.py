"""Demo records for `caregraph serve --demo`."""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from caregraph_disabled_persons.models import DisabledPersonsRecord
from core.plugin_api import models


async def load_demo(engine: AsyncEngine) -> int:
    """One record for each of the first ten demo children, once."""
    async with AsyncSession(engine) as session, session.begin():
        if await session.scalar(select(func.count()).select_from(DisabledPersonsRecord)):
            return 0
        children = await session.scalars(
            select(models.Child.id).order_by(models.Child.id).limit(10)
        )
        rows = [
            DisabledPersonsRecord(
                child_id=child_id, recorded_on=date.today(), note="Disabled persons demo record"
            )
            for child_id in children
        ]
        session.add_all(rows)
    return len(rows)
