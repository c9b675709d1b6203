"""Synthetic townships and villages under Ziyang's three real counties.

The initial migration holds only the real GB/T 2260 divisions down to the county; below it,
statistical codes change yearly and are not ours to publish, so trials use made-up ones that
follow the statistical coding rules: township = county + 3 digits (001-099 街道, 100-199 镇,
200-399 乡), village = township + 3 digits (001-099 社区 residents' committees, 200-299 村
village committees). Names carry "示范" so nobody mistakes them for real places.
"""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from core.models import Region
from core.region_codes import RegionLevel

CITY_CODE = "512000"

# (county code, full name, short name used to build township names)
COUNTIES: tuple[tuple[str, str, str], ...] = (
    ("512002", "雁江区", "雁江"),
    ("512021", "安岳县", "安岳"),
    ("512022", "乐至县", "乐至"),
)

_ORDINALS = "一二三四五六七八九"
_COMMUNITY_NAMES = ("东风", "文昌", "滨江", "南街", "迎宾", "新城")
_VILLAGE_NAMES = (
    "和平",
    "新华",
    "红星",
    "光明",
    "团结",
    "胜利",
    "幸福",
    "建设",
    "先锋",
    "友谊",
    "永安",
    "太平",
    "长寿",
    "石桥",
    "龙泉",
)


@dataclass(frozen=True)
class SyntheticRegion:
    code: str
    name: str
    level: RegionLevel
    parent_code: str

    @property
    def is_community(self) -> bool:
        """A residents' committee (社区) rather than a village committee (村)."""
        return self.level is RegionLevel.VILLAGE and self.code[9] == "0"


def _township_plan(county_code: str, short: str) -> list[tuple[str, str, int, int]]:
    """(code, name, communities, villages) of one county's townships."""
    plan = [(f"{county_code}001", f"{short}示范街道", 3, 0)]
    plan += [(f"{county_code}{101 + i}", f"{short}示范{_ORDINALS[i]}镇", 1, 3) for i in range(3)]
    plan += [(f"{county_code}{201 + i}", f"{short}示范{_ORDINALS[i]}乡", 0, 3) for i in range(2)]
    return plan


@cache
def synthetic_regions() -> tuple[SyntheticRegion, ...]:
    """Every synthetic township and village, parents before children; the same on every call."""
    regions: list[SyntheticRegion] = []
    for county_code, _, short in COUNTIES:
        # Names are unique within a county (real ones repeat across counties, so these may too).
        community_names = iter(_COMMUNITY_NAMES)
        village_names = iter(_VILLAGE_NAMES)
        for township_code, township_name, communities, villages in _township_plan(
            county_code, short
        ):
            regions.append(
                SyntheticRegion(township_code, township_name, RegionLevel.TOWNSHIP, county_code)
            )
            for i in range(communities):
                regions.append(
                    SyntheticRegion(
                        f"{township_code}{1 + i:03d}",
                        f"{next(community_names)}社区",
                        RegionLevel.VILLAGE,
                        township_code,
                    )
                )
            for i in range(villages):
                regions.append(
                    SyntheticRegion(
                        f"{township_code}{201 + i:03d}",
                        f"{next(village_names)}村",
                        RegionLevel.VILLAGE,
                        township_code,
                    )
                )
    return tuple(regions)


def synthetic_villages() -> tuple[SyntheticRegion, ...]:
    return tuple(r for r in synthetic_regions() if r.level is RegionLevel.VILLAGE)


def synthetic_townships() -> tuple[SyntheticRegion, ...]:
    return tuple(r for r in synthetic_regions() if r.level is RegionLevel.TOWNSHIP)


async def seed_synthetic_regions(engine: AsyncEngine) -> int:
    """Insert the synthetic townships and villages (existing codes are left as they are).

    Returns how many regions exist below Ziyang (512000 itself not counted) afterwards.
    """
    rows = [
        {"code": r.code, "name": r.name, "level": r.level.value, "parent_code": r.parent_code}
        for r in synthetic_regions()
    ]
    async with engine.begin() as connection:
        # Rows are ordered parents first, so the foreign key holds row by row too.
        await connection.execute(
            insert(Region).on_conflict_do_nothing(index_elements=[Region.code]), rows
        )
        count = await connection.scalar(
            select(func.count())
            .select_from(Region)
            .where(Region.code.startswith(CITY_CODE[:4]), Region.code != CITY_CODE)
        )
    return int(count or 0)
