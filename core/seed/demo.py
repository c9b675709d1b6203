"""Demo data for `caregraph serve --demo`: the synthetic places and a small village population.

300 children (seed 2018, the year of the Ziyang reply the domain comes from) are enough to show
every feature — left-behind children, caregivers, siblings, children in difficulty, open and
closed cases — while staying small enough to browse by hand. Loaded only into an empty database,
so a restarted demo keeps whatever the visitors have changed.
"""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.models import Child
from core.seed.regions import seed_synthetic_regions
from core.seed.synthetic import SeedSummary, seed_children, seed_organizations

DEMO_CHILDREN = 300
DEMO_SEED = 2018


async def load_demo(engine: AsyncEngine) -> SeedSummary | None:
    """Seed regions and organisations, then the demo children if there are no children yet.

    Returns what was inserted, or None when the database already had children.
    """
    await seed_synthetic_regions(engine)
    await seed_organizations(engine)
    async with engine.connect() as connection:
        existing = await connection.scalar(select(func.count()).select_from(Child))
    if existing:
        return None
    return await seed_children(engine, DEMO_CHILDREN, seed=DEMO_SEED)
