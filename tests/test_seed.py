"""The synthetic data set: valid codes and ID numbers, a realistic mix, deterministic, re-runnable.

Self-contained: each database here is created for this module (on DATABASE_URL's server, else
the local one) and dropped afterwards, so these tests need no shared fixture.
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core import models
from core.database import create_engine
from core.enums import Schooling
from core.migrate import upgrade
from core.region_codes import RegionLevel, level_of
from core.resident_id import Sex, parse_resident_id
from core.seed.demo import load_demo
from core.seed.regions import COUNTIES, seed_synthetic_regions, synthetic_regions
from core.seed.synthetic import (
    REFERENCE_DATE,
    TOWNSHIP_GOVERNMENT,
    SeedSummary,
    organization_id,
    seed_children,
    seed_organizations,
    synthetic_organizations,
)

SERVER_URL = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
COUNTY_CODES = {code for code, _, _ in COUNTIES}


@asynccontextmanager
async def fresh_database() -> AsyncIterator[AsyncEngine]:
    """A new, migrated database `seedtest_<hex>`, dropped on exit."""
    server = make_url(SERVER_URL).set(drivername="postgresql")
    name = f"seedtest_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server.render_as_string(hide_password=False))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = server.set(drivername="postgresql+asyncpg", database=name)
        engine = create_engine(url.render_as_string(hide_password=False), pool_size=2)
        try:
            await upgrade(engine)
            yield engine
        finally:
            await engine.dispose()
    finally:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()


@pytest.fixture(scope="module")
async def seeded() -> AsyncIterator[tuple[AsyncEngine, SeedSummary]]:
    """A database with 500 children of seed 2018."""
    async with fresh_database() as engine:
        summary = await seed_children(engine, 500)
        yield engine, summary


async def id_numbers(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        rows = await connection.scalars(
            select(models.Child.id_number).where(models.Child.id_number.is_not(None))
        )
        return {number for number in rows if number is not None}


async def test_regions_follow_the_statistical_codes() -> None:
    async with fresh_database() as engine:
        first = await seed_synthetic_regions(engine)
        assert await seed_synthetic_regions(engine) == first  # idempotent
        assert first == len(COUNTY_CODES) + len(synthetic_regions())
        async with AsyncSession(engine) as session:
            rows = await session.scalars(
                select(models.Region).where(models.Region.code.startswith("5120"))
            )
            regions = {region.code: region for region in rows}
    villages = [r for r in regions.values() if r.level == RegionLevel.VILLAGE.value]
    townships = [r for r in regions.values() if r.level == RegionLevel.TOWNSHIP.value]
    assert len(villages) >= 3 * 15 and len(townships) == 3 * 6
    for region in regions.values():
        if len(region.code) > 6:
            assert region.level == level_of(region.code).value
    for township in townships:
        assert len(township.code) == 9 and township.parent_code in COUNTY_CODES
        assert 1 <= int(township.code[6:]) <= 399
    for village in villages:
        assert len(village.code) == 12 and village.code.isdigit()
        parent = regions[village.parent_code or ""]
        assert len(parent.code) == 9 and parent.level == RegionLevel.TOWNSHIP.value
        assert parent.parent_code in COUNTY_CODES
        is_community = village.code[9:] < "100"
        assert village.name.endswith("社区" if is_community else "村")


async def test_organizations_have_fixed_ids(seeded: tuple[AsyncEngine, SeedSummary]) -> None:
    engine, _ = seeded
    expected = len(synthetic_organizations())
    assert await seed_organizations(engine) == expected  # already there: nothing duplicated
    async with AsyncSession(engine) as session:
        assert await session.scalar(select(func.count(models.Organization.id))) == expected
        government = await session.get(
            models.Organization, organization_id("512021101", TOWNSHIP_GOVERNMENT)
        )
        departments = set(await session.scalars(select(models.Organization.department)))
    assert government is not None and government.region_code == "512021101"
    assert departments == {"civil_affairs", "education", "police", "womens_federation"}


async def test_children_are_valid_and_realistic(seeded: tuple[AsyncEngine, SeedSummary]) -> None:
    engine, summary = seeded
    assert summary.children == 500
    assert summary.guardianships >= 2 * 500
    async with AsyncSession(engine) as session:
        children = (await session.scalars(select(models.Child))).all()
        left_behind = await session.scalar(
            select(func.count()).select_from(models.Child).where(models.Child.is_left_behind)
        )
        shared_guardians = await session.scalar(
            text(
                "SELECT count(*) FROM (SELECT guardian_id FROM guardianships "
                "GROUP BY guardian_id HAVING count(*) > 1) AS shared"
            )
        )
        without_guardianship = await session.scalar(
            text(
                "SELECT count(*) FROM children c WHERE NOT EXISTS "
                "(SELECT 1 FROM guardianships g WHERE g.child_id = c.id)"
            )
        )
    assert len(children) == 500
    numbered = [child for child in children if child.id_number is not None]
    assert 0.8 * 500 <= len(numbered) < 500  # about 10% without a registered household
    for child in numbered:
        assert child.id_number is not None
        parsed = parse_resident_id(child.id_number)
        assert parsed.birth_date == child.birth_date
        assert parsed.sex is child.sex
        assert parsed.address_code in COUNTY_CODES
    for child in children:
        assert len(child.residence_region_code) == 12
        age = (REFERENCE_DATE - child.birth_date).days // 365
        assert 0 <= age <= 18
        if child.schooling in (Schooling.PRIMARY, Schooling.JUNIOR_SECONDARY):
            assert age >= 5
        if age < 3:
            assert child.schooling is Schooling.NOT_IN_KINDERGARTEN
    assert {Sex.MALE, Sex.FEMALE} == {child.sex for child in children}
    assert 0.40 * 500 <= (left_behind or 0) <= 0.85 * 500
    assert shared_guardians, "some siblings should share their guardians"
    assert without_guardianship == 0


async def test_every_case_opens_with_an_opened_event(
    seeded: tuple[AsyncEngine, SeedSummary],
) -> None:
    engine, summary = seeded
    assert 1 <= summary.cases <= 0.1 * 500
    assert summary.cases <= summary.case_events <= 4 * summary.cases
    async with engine.connect() as connection:
        first_events = (
            await connection.execute(
                text(
                    "SELECT DISTINCT ON (case_id) case_id, kind FROM case_events "
                    "ORDER BY case_id, occurred_at, id"
                )
            )
        ).all()
        opened_by_township = await connection.scalar(
            text(
                "SELECT bool_and(o.kind = 'TOWNSHIP_GOVERNMENT') FROM cases c "
                "JOIN organizations o ON o.id = c.opened_by_organization_id"
            )
        )
    assert len(first_events) == summary.cases
    assert {kind for _, kind in first_events} == {"OPENED"}
    assert opened_by_township


async def test_running_again_inserts_nothing(seeded: tuple[AsyncEngine, SeedSummary]) -> None:
    engine, _ = seeded
    before = await id_numbers(engine)
    again = await seed_children(engine, 500)
    assert again == SeedSummary(0, 0, 0, 0, 0)
    assert await id_numbers(engine) == before
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count(models.Child.id))) == 500


async def test_same_seed_same_data_and_a_larger_count_extends(
    seeded: tuple[AsyncEngine, SeedSummary],
) -> None:
    engine, _ = seeded
    expected = await id_numbers(engine)
    progress: list[int] = []
    async with fresh_database() as other:
        first = await seed_children(other, 200)
        rest = await seed_children(other, 500, progress=progress.append)
        assert first.children + rest.children == 500
        assert await id_numbers(other) == expected
        different = await seed_children(other, 100, seed=7)
        assert different.children == 100  # another seed adds other children
    assert progress and progress[-1] == 500


async def test_demo_loads_once() -> None:
    async with fresh_database() as engine:
        summary = await load_demo(engine)
        assert summary is not None and summary.children == 300
        assert await load_demo(engine) is None
