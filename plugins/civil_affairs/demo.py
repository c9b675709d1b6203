"""Demo census visits: the village child director's last two visits to a few left-behind demo
children, the older one reviewed by the township supervisor."""

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.plugin_api import enums, models
from plugins.civil_affairs.models import CensusVisit

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


async def load_demo(engine: AsyncEngine) -> int:
    """Two visits each for up to eight left-behind children, once; returns how many."""
    async with AsyncSession(engine) as session, session.begin():
        if await session.scalar(select(func.count()).select_from(CensusVisit)):
            return 0
        children = (
            await session.scalars(
                select(models.Child)
                .where(models.Child.is_left_behind)
                .order_by(models.Child.id)
                .limit(8)
            )
        ).all()
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
                        reviewed_by="demo-supervisor" if reviewed else None,
                        reviewed_on=visited_on + timedelta(days=7) if reviewed else None,
                    )
                )
        session.add_all(visits)
    return len(visits)
