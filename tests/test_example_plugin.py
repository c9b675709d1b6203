"""The out-of-tree example, examples/caregraph-disabled-persons (残联's rehabilitation services),
installed through its entry point the way an administrator installs a plugin: `pip install` of
its folder (here into a temporary folder put on PYTHONPATH of the subprocesses only, so the
environment stays as it was), enabled by CAREGRAPH_PLUGINS, migrated by `caregraph db upgrade`,
served by `caregraph serve`; and its own tests, run against the installed distribution."""

import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from core.testing import plain_url
from tests.conftest import REPO_ROOT
from tests.test_plugin_walkthrough import (
    a_village,
    as_role,
    caregraph,
    codes,
    empty_database,
    pip_install,
    plugin_section,
    policy_lines,
    register_child,
    seed_places,
    serving,
    subprocess_env,
)

EXAMPLE = REPO_ROOT / "examples" / "caregraph-disabled-persons"
NAME = "disabled_persons"
DEPARTMENT = "disabled_persons_federation"
TABLE = "disabled_persons_rehabilitation_services"
PLUGINS = f"civil_affairs,education,police,womens_federation,{NAME}"
STARTED_ON = (date.today() - timedelta(days=20)).isoformat()


@dataclass
class Installed:
    workdir: Path
    site: Path


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """`pip install examples/caregraph-disabled-persons`, into a temporary folder. pip builds in
    the source folder (build/, *.egg-info), so it builds a copy."""
    workdir = tmp_path_factory.mktemp("example-plugin")
    source = workdir / EXAMPLE.name
    shutil.copytree(
        EXAMPLE,
        source,
        ignore=shutil.ignore_patterns(
            "build", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache"
        ),
    )
    site = workdir / "site"
    pip_install(source, site)
    yield Installed(workdir=workdir, site=site)


@pytest.fixture(scope="module")
async def migrated(server_url: str, installed: Installed) -> AsyncIterator[str]:
    """`caregraph db upgrade` with the example enabled, on a fresh database."""
    async with empty_database(server_url, "caregraph_example") as url:
        env = subprocess_env(installed.site, PLUGINS, url)
        upgraded = caregraph("db", "upgrade", env=env, cwd=installed.workdir)
        assert upgraded.returncode == 0, upgraded.stderr
        migrated = upgraded.stdout.strip().removeprefix("migrated: ").split(", ")
        assert migrated[0] == "core"
        assert sorted(migrated[1:]) == sorted(PLUGINS.split(","))
        await seed_places(url)
        yield url


@pytest.fixture(scope="module")
async def example_server(migrated: str, installed: Installed) -> AsyncIterator[httpx.AsyncClient]:
    """`caregraph serve` with the example enabled, on the migrated database."""
    async with serving(migrated, subprocess_env(installed.site, PLUGINS, migrated)) as http:
        yield http


def test_plugins_list_shows_the_example_enabled_with_its_table_and_fields(
    installed: Installed,
) -> None:
    env = subprocess_env(installed.site, PLUGINS, "postgresql://unused@127.0.0.1/unused")
    listed = caregraph("plugins", "list", env=env, cwd=installed.workdir)
    assert listed.returncode == 0, listed.stderr
    section = plugin_section(listed.stdout, f"{NAME} 0.1.0 [enabled]")
    assert f"department:   {DEPARTMENT}" in section
    assert f"tables:       {TABLE}" in section
    assert (
        "fields:       Query.rehabilitationServices, Mutation.addRehabilitationService, "
        "Child.rehabilitationServices" in section
    )
    assert "roles:        staff, admin" in section
    policy = EXAMPLE / "caregraph_disabled_persons" / "policy.csv"
    assert f"policy lines: {policy_lines(policy)}" in section


async def test_migrated_with_its_own_history(migrated: str) -> None:
    connection = await asyncpg.connect(plain_url(migrated))
    try:
        version = await connection.fetchval(f"SELECT version_num FROM alembic_version_{NAME}")
        checks = await connection.fetch(
            "SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c'",
            TABLE,
        )
    finally:
        await connection.close()
    assert version == "disabled_persons_0001"
    names = {row["conname"] for row in checks}
    assert f"ck_{TABLE}_dates_in_order" in names
    assert f"ck_{TABLE}_subsidy_min_zero" in names


ADD_SERVICE = """
mutation($input: AddRehabilitationServiceInput!) {
  addRehabilitationService(input: $input) {
    rehabilitationService { id service startedOn endedOn subsidyYuan provider { name } }
  }
}
"""
CHILD_SERVICES = """
query($id: ID!) {
  child(id: $id) {
    health disabilityCategory disabilityGrade
    rehabilitationServices { service startedOn endedOn subsidyYuan note }
  }
}
"""
SERVICES = "{ rehabilitationServices(first: 10) { totalCount edges { node { service } } } }"


async def test_a_disabled_child_receives_a_rehabilitation_service_through_the_server(
    example_server: httpx.AsyncClient,
) -> None:
    http = example_server
    civil_affairs = as_role(http, "civil_affairs", "admin")
    village = await a_village(civil_affairs)
    child_id = await register_child(
        civil_affairs,
        village,
        health="DISABLED",
        disabilityCategory="PHYSICAL",
        disabilityGrade=2,
    )
    staff = as_role(http, DEPARTMENT, "staff", region_code=village[:6])
    before = (await staff.data(SERVICES))["rehabilitationServices"]["totalCount"]

    added = await staff.data(
        ADD_SERVICE,
        {
            "input": {
                "childId": child_id,
                "service": "ASSISTIVE_DEVICE",
                "startedOn": STARTED_ON,
                "subsidyYuan": 1200,
                "note": "轮椅一台",
            }
        },
    )

    service = added["addRehabilitationService"]["rehabilitationService"]
    assert service["service"] == "ASSISTIVE_DEVICE"
    assert (service["startedOn"], service["endedOn"]) == (STARTED_ON, None)
    assert (service["subsidyYuan"], service["provider"]) == (1200, None)
    shown = await staff.data(CHILD_SERVICES, {"id": child_id})
    assert shown["child"] == {
        "health": "DISABLED",
        "disabilityCategory": "PHYSICAL",
        "disabilityGrade": 2,
        "rehabilitationServices": [
            {
                "service": "ASSISTIVE_DEVICE",
                "startedOn": STARTED_ON,
                "endedOn": None,
                "subsidyYuan": 1200,
                "note": "轮椅一台",
            }
        ],
    }
    listed = await staff.data(SERVICES)
    assert listed["rehabilitationServices"]["totalCount"] == before + 1

    # A healthy child is refused, and nothing is written.
    healthy_id = await register_child(civil_affairs, village, name="李小刚")
    refused = await staff.execute(
        ADD_SERVICE,
        {"input": {"childId": healthy_id, "service": "HOME_VISIT", "startedOn": STARTED_ON}},
    )
    assert codes(refused) == ["VALIDATION_FAILED"]
    assert refused["errors"][0]["extensions"]["field"] == "input.childId"
    assert (await staff.data(SERVICES))["rehabilitationServices"]["totalCount"] == before + 1


DEMO_TWICE = """
import asyncio, os
from core.database import create_engine, to_asyncpg_url
from core.plugin_registry import available_plugins

async def main():
    engine = create_engine(to_asyncpg_url(os.environ["DATABASE_URL"]), pool_size=1)
    load = available_plugins()["disabled_persons"].demo_data
    print(await load(engine), await load(engine))
    await engine.dispose()

asyncio.run(main())
"""


def load_demo_twice(env: dict[str, str], cwd: Path) -> list[str]:
    """What the example's demo loader returns, run twice in a row (as `serve --demo` would on
    two starts)."""
    result = subprocess.run(
        [sys.executable, "-c", DEMO_TWICE],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


async def test_the_demo_data_loads_once(
    migrated: str, installed: Installed, example_server: httpx.AsyncClient
) -> None:
    """The demo loader gives a disabled child without services a course of training (and, for a
    severe disability, a home visit by the village committee); run again, it adds nothing."""
    env = subprocess_env(installed.site, PLUGINS, migrated)
    http = example_server
    civil_affairs = as_role(http, "civil_affairs", "admin")
    child_id = await register_child(
        civil_affairs,
        await a_village(civil_affairs),
        name="赵小雨",
        health="DISABLED",
        disabilityCategory="HEARING",
        disabilityGrade=1,
    )
    assert load_demo_twice(env, installed.workdir) == ["2", "0"]
    shown = await civil_affairs.data(
        "query($id: ID!) { child(id: $id) { rehabilitationServices { service provider "
        "{ kind } } } }",
        {"id": child_id},
    )
    assert shown["child"]["rehabilitationServices"] == [
        {"service": "REHABILITATION_TRAINING", "provider": None},
        {"service": "HOME_VISIT", "provider": {"kind": "VILLAGE_COMMITTEE"}},
    ]


def test_the_examples_own_tests_pass(server_url: str, installed: Installed) -> None:
    env = subprocess_env(installed.site, PLUGINS, server_url)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        env=env,
        cwd=installed.workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
