"""docs/plugins.md's walk-through, step by step, as an administrator follows it: scaffold the
youth league plugin outside the repository, install it, enable it, migrate, use it through
GraphQL, disable it and enable it again.

Everything happens in a temporary folder and on a fresh database: the plugin is installed with
`pip install --target` into a folder put on PYTHONPATH of the subprocesses only, so the
environment this suite runs in is left as it was.
"""

import hashlib
import importlib.metadata
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from core.database import create_engine
from core.seed.synthetic import seed_organizations
from core.testing import TEST_JWT_SECRET, plain_url
from tests.conftest import GraphQLClient, start_server, stop_server, token_for

NAME = "youth_league"
DEPARTMENT = "youth_league"
ENABLED = f"education,{NAME}"
DISABLED = "education"
TABLE = "youth_league_records"
RECORDED_ON = (date.today() - timedelta(days=3)).isoformat()

# --- helpers shared with tests/test_example_plugin.py ------------------------------------------


def _setuptools_builds_wheels() -> bool:
    """Whether this environment's setuptools satisfies the scaffold's `setuptools>=69` and builds
    wheels by itself (bdist_wheel moved into setuptools in 70.1), so that pip can build a plugin
    offline with --no-build-isolation."""
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    numbers = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    return numbers >= (70, 1)


def pip_install(source: Path, site: Path) -> None:
    """`pip install <source>`, the plugin alone, into `site` instead of the environment.

    With --no-build-isolation when this environment's setuptools can build the wheel; otherwise
    pip builds it in an isolated environment with setuptools from the configured package index
    (setuptools below 70.1 cannot build wheels without the `wheel` package)."""
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet"]
    if _setuptools_builds_wheels():
        command.append("--no-build-isolation")
    command += ["--target", str(site), str(source)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"pip install {source} failed:\n{result.stdout}{result.stderr}"


def subprocess_env(site: Path, plugins: str, database_url: str) -> dict[str, str]:
    """The environment of an administrator's shell: the plugin's folder on PYTHONPATH, the
    plugins enabled, the database and the token secret configured."""
    python_path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
        "PYTHONPATH": python_path,
        "CAREGRAPH_PLUGINS": plugins,
        "DATABASE_URL": plain_url(database_url),
        "CAREGRAPH_JWT_SECRET": TEST_JWT_SECRET,
    }


def caregraph(
    *arguments: str, env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`caregraph <arguments>` (as `python -m core`, the same command)."""
    return subprocess.run(
        [sys.executable, "-m", "core", *arguments],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@asynccontextmanager
async def empty_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    """A new, empty database (nothing migrated); its asyncpg URL. Dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(plain_url(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()


async def seed_places(database_url: str) -> None:
    """Regions and organisations, which children are registered in (the synthetic ones that
    `caregraph serve --demo` loads too)."""
    engine = create_engine(database_url, pool_size=1)
    try:
        await seed_organizations(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def serving(database_url: str, env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """`caregraph serve` with the administrator's environment, and an HTTP client to it."""
    extra = {key: env[key] for key in ("PYTHONPATH", "CAREGRAPH_PLUGINS")}
    process, base = start_server(database_url, extra_env=extra)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            yield http
    finally:
        stop_server(process)


def as_role(http: httpx.AsyncClient, department: str, role: str, **claims: Any) -> GraphQLClient:
    return GraphQLClient(http, token=token_for(department, role, **claims))


async def a_village(client: GraphQLClient) -> str:
    data = await client.data("{ regions(level: VILLAGE, first: 1) { edges { node { code } } } }")
    code: str = data["regions"]["edges"][0]["node"]["code"]
    return code


REGISTER_CHILD = """
mutation($input: RegisterChildInput!) { registerChild(input: $input) { child { id name } } }
"""


async def register_child(client: GraphQLClient, village: str, **details: Any) -> str:
    child = {
        "name": "张小红",
        "birthDate": "2015-03-04",
        "sex": "FEMALE",
        "householdRegionCode": village,
        "residenceRegionCode": village,
        "schooling": "PRIMARY",
        **details,
    }
    data = await client.data(REGISTER_CHILD, {"input": child})
    child_id: str = data["registerChild"]["child"]["id"]
    return child_id


def codes(body: dict[str, Any]) -> list[str | None]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


def plugin_section(listing: str, header: str) -> str:
    """The indented lines under `header` in the output of `caregraph plugins list`."""
    lines = listing.splitlines()
    assert header in lines, listing
    section = []
    for line in lines[lines.index(header) + 1 :]:
        if not line.startswith("  "):
            break
        section.append(line.strip())
    return "\n".join(section)


def policy_lines(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if line.strip() and not line.lstrip().startswith("#"))


def folder_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# --- the walk-through ----------------------------------------------------------------------------


@dataclass
class Walkthrough:
    workdir: Path
    plugin_dir: Path
    site: Path
    created: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walkthrough]:
    """Step 1: `caregraph plugin new … --path …`, then `pip install` of that folder."""
    workdir = tmp_path_factory.mktemp("walkthrough")
    plugin_dir = workdir / "caregraph-youth-league"
    created = caregraph(
        "plugin", "new", NAME, "--department", DEPARTMENT, "--path", str(plugin_dir),
        env={**os.environ}, cwd=workdir,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    site = workdir / "site"
    pip_install(plugin_dir, site)
    yield Walkthrough(workdir=workdir, plugin_dir=plugin_dir, site=site, created=created)


@pytest.fixture(scope="module")
async def migrated(server_url: str, walkthrough: Walkthrough) -> AsyncIterator[str]:
    """Step 2: `caregraph db upgrade` with the plugin enabled, on a fresh database."""
    async with empty_database(server_url, "caregraph_walkthrough") as url:
        env = subprocess_env(walkthrough.site, ENABLED, url)
        upgraded = caregraph("db", "upgrade", env=env, cwd=walkthrough.workdir)
        assert upgraded.returncode == 0, upgraded.stderr
        assert "migrated: core, education, youth_league" in upgraded.stdout
        await seed_places(url)
        yield url


def test_plugin_new_writes_an_installable_distribution(walkthrough: Walkthrough) -> None:
    package = walkthrough.plugin_dir / "caregraph_youth_league"
    expected = [
        walkthrough.plugin_dir / "pyproject.toml",
        walkthrough.plugin_dir / "tests" / "test_youth_league.py",
        *(
            package / name
            for name in ("__init__.py", "models.py", "types.py", "schema.py", "demo.py")
        ),
        package / "policy.csv",
        package / "migrations" / "versions" / "0001_initial.py",
    ]
    assert [path for path in expected if not path.is_file()] == []
    for path in expected:
        assert f"created {path}" in walkthrough.created.stdout
    pyproject = (walkthrough.plugin_dir / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points."caregraph.plugins"]' in pyproject
    assert 'youth_league = "caregraph_youth_league:plugin"' in pyproject
    # Installed: the entry point and the package data the plugin needs at run time.
    installed = walkthrough.site / "caregraph_youth_league"
    assert (installed / "policy.csv").is_file()
    assert (installed / "migrations" / "versions" / "0001_initial.py").is_file()
    [dist_info] = walkthrough.site.glob("caregraph_youth_league-*.dist-info")
    assert "[caregraph.plugins]" in (dist_info / "entry_points.txt").read_text(encoding="utf-8")


def test_plugins_list_shows_the_new_plugin_enabled(walkthrough: Walkthrough) -> None:
    env = subprocess_env(walkthrough.site, ENABLED, "postgresql://unused@127.0.0.1/unused")
    listed = caregraph("plugins", "list", env=env, cwd=walkthrough.workdir)
    assert listed.returncode == 0, listed.stderr
    section = plugin_section(listed.stdout, f"{NAME} 0.1.0 [enabled]")
    assert f"department:   {DEPARTMENT}" in section
    assert f"tables:       {TABLE}" in section
    assert (
        "fields:       Query.youthLeagueRecords, Mutation.addYouthLeagueRecord, "
        "Child.youthLeagueRecords" in section
    )
    policy = walkthrough.plugin_dir / "caregraph_youth_league" / "policy.csv"
    assert f"policy lines: {policy_lines(policy)}" in section
    assert policy_lines(policy) > 0
    assert "police 0.1.0 [disabled]" in listed.stdout.splitlines()


async def test_migrating_keeps_the_plugins_own_history(migrated: str) -> None:
    connection = await asyncpg.connect(plain_url(migrated))
    try:
        version = await connection.fetchval("SELECT version_num FROM alembic_version_youth_league")
        columns = await connection.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1", TABLE
        )
    finally:
        await connection.close()
    assert version == "youth_league_0001"
    assert {row["column_name"] for row in columns} == {
        "id",
        "child_id",
        "recorded_on",
        "note",
        "version",
    }


ADD_RECORD = """
mutation($input: AddYouthLeagueRecordInput!) {
  addYouthLeagueRecord(input: $input) { record { id note recordedOn } }
}
"""
CHILD_RECORDS = """
query($id: ID!) { child(id: $id) { name youthLeagueRecords { recordedOn note } } }
"""
COUNT = "{ youthLeagueRecords(first: 100) { totalCount edges { node { note } } } }"


async def test_use_it_disable_it_and_enable_it_again(
    migrated: str, walkthrough: Walkthrough
) -> None:
    """Steps 3 and "Disabling a plugin". The league's staff record and read (their token names
    the county they work in); civil affairs registers the child."""
    enabled = subprocess_env(walkthrough.site, ENABLED, migrated)
    note = "summer volunteer visit"

    # Step 3: `caregraph serve`, then the guide's mutation and query.
    async with serving(migrated, enabled) as http:
        civil_affairs = as_role(http, "civil_affairs", "admin")
        village = await a_village(civil_affairs)
        child_id = await register_child(civil_affairs, village)
        league = as_role(http, DEPARTMENT, "staff", region_code=village[:6])
        added = await league.data(
            ADD_RECORD, {"input": {"childId": child_id, "note": note, "recordedOn": RECORDED_ON}}
        )
        assert added["addYouthLeagueRecord"]["record"]["note"] == note
        assert added["addYouthLeagueRecord"]["record"]["recordedOn"] == RECORDED_ON
        listed = await league.data(COUNT)
        assert listed["youthLeagueRecords"]["totalCount"] == 1
        assert listed["youthLeagueRecords"]["edges"] == [{"node": {"note": note}}]
        shown = await league.data(CHILD_RECORDS, {"id": child_id})
        assert shown["child"]["youthLeagueRecords"] == [{"recordedOn": RECORDED_ON, "note": note}]

    # Disabling: out of CAREGRAPH_PLUGINS, restart. Its fields leave the schema…
    disabled = subprocess_env(walkthrough.site, DISABLED, migrated)
    async with serving(migrated, disabled) as http:
        civil_affairs = as_role(http, "civil_affairs", "admin")
        assert codes(await civil_affairs.execute(COUNT)) == ["GRAPHQL_VALIDATION_FAILED"]
        gone = await civil_affairs.execute(CHILD_RECORDS, {"id": child_id})
        assert codes(gone) == ["GRAPHQL_VALIDATION_FAILED"]
        still = await civil_affairs.data(
            "query($id: ID!) { child(id: $id) { id } }", {"id": child_id}
        )
        assert still["child"] == {"id": child_id}
    # … while its table, its rows and its migration state stay.
    connection = await asyncpg.connect(plain_url(migrated))
    try:
        rows = await connection.fetch(f"SELECT note, recorded_on FROM {TABLE}")
        version = await connection.fetchval("SELECT version_num FROM alembic_version_youth_league")
    finally:
        await connection.close()
    assert [(row["note"], row["recorded_on"].isoformat()) for row in rows] == [(note, RECORDED_ON)]
    assert version == "youth_league_0001"

    # Enabled again, everything is back.
    async with serving(migrated, enabled) as http:
        league = as_role(http, DEPARTMENT, "staff", region_code=village[:6])
        listed = await league.data(COUNT)
        assert listed["youthLeagueRecords"]["totalCount"] == 1
        shown = await league.data(CHILD_RECORDS, {"id": child_id})
        assert shown["child"]["youthLeagueRecords"] == [{"recordedOn": RECORDED_ON, "note": note}]


def test_the_scaffolds_own_tests_pass(server_url: str, walkthrough: Walkthrough) -> None:
    env = subprocess_env(walkthrough.site, ENABLED, server_url)
    tests = walkthrough.plugin_dir / "tests"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
        env=env,
        cwd=walkthrough.workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_plugin_new_refuses_a_bad_name(tmp_path: Path) -> None:
    refused = caregraph(
        "plugin", "new", "Bad-Name", "--department", DEPARTMENT, "--path", str(tmp_path / "x"),
        env={**os.environ}, cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "the plugin name 'Bad-Name' must be lower-case letters and digits" in refused.stderr
    assert not (tmp_path / "x").exists()


def test_plugin_new_refuses_to_overwrite_an_existing_plugin(walkthrough: Walkthrough) -> None:
    before = folder_digest(walkthrough.plugin_dir)
    again = caregraph(
        "plugin", "new", NAME, "--department", DEPARTMENT, "--path", str(walkthrough.plugin_dir),
        env={**os.environ}, cwd=walkthrough.workdir,
    )  # fmt: skip
    assert again.returncode == 2
    assert "already exists; choose another name or an empty folder" in again.stderr
    assert folder_digest(walkthrough.plugin_dir) == before


def test_plugin_new_refuses_to_overwrite_an_existing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "caregraph-youth-league"
    (folder / "tests").mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[project]\nname = "mine"\n', encoding="utf-8")
    (folder / "tests" / "test_youth_league.py").write_text("# mine\n", encoding="utf-8")
    before = folder_digest(folder)
    refused = caregraph(
        "plugin", "new", NAME, "--department", DEPARTMENT, "--path", str(folder),
        env={**os.environ}, cwd=tmp_path,
    )  # fmt: skip
    overwritten = folder_digest(folder) != before
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "already exists" in refused.stderr
    assert not overwritten
