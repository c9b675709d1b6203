"""Run-time policy administration: grantPolicy / revokePolicy / policyLines by the platform
administrator, in force at once in this server process and, through LISTEN/NOTIFY, in another
one on the same database; and the `caregraph policy explain|matrix` commands."""

import asyncio
import csv
import io
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.testing import plain_url
from tests.api import register_child
from tests.conftest import REPO_ROOT, GraphQLClient, start_server, stop_server, token_for
from tests.test_authorization_matrix import policy_in_force

GRANT = """
mutation($i: PolicyLineInput!) {
  grantPolicy(input: $i) { version line { subject object action source } }
}
"""
REVOKE = """
mutation($i: PolicyLineInput!) {
  revokePolicy(input: $i) { version line { subject object action source } }
}
"""
LINES = """
query($s: String) { policyLines(subject: $s) { subject object action source } }
"""
BIRTH_DATE = "query($id: ID!) { child(id: $id) { id birthDate } }"
ADMIN = token_for("platform", "admin", user_id="policy-admin")
VOLUNTEER = token_for("womens_federation", "volunteer", region_code="512000")
EXTRA_LINE = {
    "subject": "womens_federation:volunteer",
    "object": "Child.birthDate",
    "action": "read",
}


async def post(
    http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"authorization": f"Bearer {token}", "accept": "application/graphql-response+json"},
    )
    body: dict[str, Any] = response.json()
    return body


def code_of(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 8) -> float:
    """Poll `check` until it holds; returns how long it took."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if await check():
            return time.monotonic() - start
        await asyncio.sleep(0.1)
    pytest.fail(f"not within {seconds} s: {what}")


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        yield client


@pytest.fixture
async def child_id(http: httpx.AsyncClient) -> str:
    admin = GraphQLClient(http, token=token_for(region_code="512000"))
    child = await register_child(admin, "512022103201")
    found: str = child["id"]
    return found


async def changes(db: asyncpg.Connection) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM policy_changes")
    return count


# --- in force at once, everywhere ----------------------------------------------------------------


async def test_grant_and_revoke_take_effect_in_this_and_another_server_process(
    http: httpx.AsyncClient, database_url: str, child_id: str, db: asyncpg.Connection
) -> None:
    process, other_base = start_server(database_url)
    granted = False
    try:
        async with httpx.AsyncClient(base_url=other_base, timeout=30) as other:

            async def birth_date_on(client: httpx.AsyncClient) -> dict[str, Any]:
                return await post(client, VOLUNTEER, BIRTH_DATE, {"id": child_id})

            for client in (http, other):
                body = await birth_date_on(client)
                assert code_of(body) == "FORBIDDEN", f"before the grant: {body}"

            before = await changes(db)
            body = await post(http, ADMIN, GRANT, {"i": EXTRA_LINE})
            assert "errors" not in body, body
            granted = True
            payload = body["data"]["grantPolicy"]
            last = await db.fetchval("SELECT max(id) FROM policy_changes")
            assert payload["version"] == last, "the version in force is the latest change"
            assert payload["line"] == {**EXTRA_LINE, "source": f"change #{last} by policy-admin"}
            assert await changes(db) == before + 1
            row = await db.fetchrow("SELECT * FROM policy_changes WHERE id = $1", last)
            assert row is not None
            assert (row["change"], row["changed_by"]) == ("add", "policy-admin"), dict(row)

            body = await birth_date_on(http)
            assert "errors" not in body, f"the same process applies the grant at once: {body}"
            assert body["data"]["child"]["birthDate"] == "2015-06-01"

            async def other_allows() -> bool:
                return "errors" not in await birth_date_on(other)

            await eventually(other_allows, "the other server process applies the grant")

            body = await post(http, ADMIN, REVOKE, {"i": EXTRA_LINE})
            assert "errors" not in body, body
            granted = False
            assert body["data"]["revokePolicy"]["version"] == payload["version"] + 1
            body = await birth_date_on(http)
            assert code_of(body) == "FORBIDDEN", f"the revoke applies at once: {body}"

            async def other_forbids() -> bool:
                return code_of(await birth_date_on(other)) == "FORBIDDEN"

            await eventually(other_forbids, "the other server process applies the revoke")
    finally:
        if granted:
            await post(http, ADMIN, REVOKE, {"i": EXTRA_LINE})
        stop_server(process)


async def test_a_file_line_revoked_at_run_time_and_granted_back(
    http: httpx.AsyncClient, child_id: str
) -> None:
    line = {"subject": "womens_federation:volunteer", "object": "Child.sex", "action": "read"}
    sex = "query($id: ID!) { child(id: $id) { sex } }"
    assert "errors" not in await post(http, VOLUNTEER, sex, {"id": child_id})
    body = await post(http, ADMIN, REVOKE, {"i": line})
    try:
        assert "errors" not in body, body
        refused = await post(http, VOLUNTEER, sex, {"id": child_id})
        assert code_of(refused) == "FORBIDDEN", f"a file line can be revoked: {refused}"
        listed = await post(http, ADMIN, LINES, {"s": "womens_federation:volunteer"})
        objects = {(x["object"], x["action"]) for x in listed["data"]["policyLines"]}
        assert ("Child.sex", "read") not in objects, "policyLines no longer lists it"
    finally:
        back = await post(http, ADMIN, GRANT, {"i": line})
    assert "errors" not in back, back
    assert "errors" not in await post(http, VOLUNTEER, sex, {"id": child_id})
    source = back["data"]["grantPolicy"]["line"]["source"]
    assert source.startswith("change #"), f"the line now comes from the change: {source}"


async def test_a_granted_role_is_known_at_once_and_unknown_after_its_last_line_goes(
    http: httpx.AsyncClient,
) -> None:
    line = {"subject": "youth_league:volunteer", "object": "Query.me", "action": "execute"}
    newcomer = token_for("youth_league", "volunteer", user_id="young-volunteer")
    body = await post(http, newcomer, "{ me { userId } }")
    assert code_of(body) == "UNAUTHENTICATED", f"a role no policy names is unknown: {body}"
    assert "errors" not in await post(http, ADMIN, GRANT, {"i": line})
    try:
        body = await post(http, newcomer, "{ me { userId roles } }")
        assert body["data"] == {
            "me": {"userId": "young-volunteer", "roles": ["youth_league:volunteer"]}
        }, body
    finally:
        assert "errors" not in await post(http, ADMIN, REVOKE, {"i": line})
    body = await post(http, newcomer, "{ me { userId } }")
    assert code_of(body) == "UNAUTHENTICATED", body


# --- the command line ----------------------------------------------------------------------------
# (after the tests that change the policy: `policy matrix` runs in the background meanwhile)


def caregraph(database_url: str, *args: str) -> "subprocess.Popen[str]":
    """`python -m core …` against the test database, started in the background."""
    env = {**os.environ, "DATABASE_URL": plain_url(database_url)}
    return subprocess.Popen(
        [sys.executable, "-m", "core", *args],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: "subprocess.Popen[str]", timeout: float = 300) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout, stderr


@pytest.fixture(scope="module")
def policy_matrix_run(database_url: str) -> Iterator["subprocess.Popen[str]"]:
    """`caregraph policy matrix --format csv`, started once no test changes the policy any
    more (it evaluates every subject against every Type.field and takes a while)."""
    process = caregraph(database_url, "policy", "matrix", "--format", "csv")
    yield process
    if process.poll() is None:
        process.kill()
        process.communicate()


async def test_policy_explain_names_the_line_and_its_source(
    database_url: str, engine: AsyncEngine, policy_matrix_run: "subprocess.Popen[str]"
) -> None:
    allowed_run = caregraph(
        database_url,
        "policy",
        "explain",
        "--subject",
        "police:officer",
        "--object",
        "Child.idNumber",
        "--action",
        "read",
    )
    denied_run = caregraph(
        database_url,
        "policy",
        "explain",
        "--subject",
        "womens_federation:volunteer",
        "--object",
        "Child.idNumber",
        "--action",
        "read",
    )
    policy = await policy_in_force(engine)
    granting = [
        f"allow: {line.as_csv()} [{line.source}]"
        for line in policy.compiled.policy.lines
        if line.subject in ("police:officer", "*")
        and line.action == "read"
        and (
            line.object == "Child.idNumber"
            or (line.object.endswith("*") and "Child.idNumber".startswith(line.object[:-1]))
        )
    ]
    assert granting, "the default policy lets police officers read a child's ID number"
    code, out, err = await asyncio.to_thread(finished, allowed_run)
    assert code == 0, out + err
    assert out.strip() in granting, f"explain names a line that grants it: {out!r}"
    assert "core:policy.csv" in out, out

    code, out, err = await asyncio.to_thread(finished, denied_run)
    assert code == 1, out + err
    assert out.startswith("deny:") and "default deny" in out, out


# --- who may administer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("department", "role"),
    [
        ("civil_affairs", "admin"),
        ("police", "admin"),
        ("education", "admin"),
        ("womens_federation", "admin"),
        ("civil_affairs", "child_director"),
    ],
)
async def test_only_the_platform_administrator_administers_the_policy(
    http: httpx.AsyncClient, db: asyncpg.Connection, department: str, role: str
) -> None:
    token = token_for(department, role, region_code="512000")
    before = await changes(db)
    for query, variables in (
        (GRANT, {"i": EXTRA_LINE}),
        (REVOKE, {"i": EXTRA_LINE}),
        (LINES, {}),
    ):
        body = await post(http, token, query, variables)
        assert code_of(body) == "FORBIDDEN", f"{department}:{role}: {body}"
        assert body["errors"][0]["message"].startswith("your role may not use"), body
    assert await changes(db) == before, "a refused change is not stored"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"subject": "police", "object": "Child.name", "action": "read"}, "input.subject"),
        (
            {"subject": "police:officer:x", "object": "Child.name", "action": "read"},
            "input.subject",
        ),
        ({"subject": ":officer", "object": "Child.name", "action": "read"}, "input.subject"),
        ({"subject": "", "object": "Child.name", "action": "read"}, "input.subject"),
        ({"subject": "police:officer", "object": "", "action": "read"}, "input.object"),
        ({"subject": "police:officer", "object": "Child", "action": "read"}, "input.object"),
        ({"subject": "police:officer", "object": "Child.name", "action": "delete"}, "input.action"),
        ({"subject": "police:officer", "object": "Child.name", "action": ""}, "input.action"),
    ],
    ids=[
        "subject-without-role",
        "subject-with-two-colons",
        "subject-without-department",
        "empty-subject",
        "empty-object",
        "object-without-field",
        "unknown-action",
        "empty-action",
    ],
)
async def test_a_bad_line_is_validation_failed_naming_the_field(
    http: httpx.AsyncClient, db: asyncpg.Connection, line: dict[str, str], field: str
) -> None:
    before = await changes(db)
    for mutation in (GRANT, REVOKE):
        body = await post(http, ADMIN, mutation, {"i": line})
        assert code_of(body) == "VALIDATION_FAILED", body
        assert body["errors"][0]["extensions"]["field"] == field, body
    assert await changes(db) == before, "a refused line is not stored"


async def test_policy_lines_list_every_line_in_force_with_its_source(
    http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    body = await post(http, ADMIN, LINES)
    assert "errors" not in body, body
    listed = {
        (x["subject"], x["object"], x["action"], x["source"]) for x in body["data"]["policyLines"]
    }
    policy = await policy_in_force(engine)
    in_force = {(x.subject, x.object, x.action, x.source) for x in policy.compiled.policy.lines}
    assert listed == in_force, "policyLines is the policy in force, line for line"
    assert ("*", "Query.me", "execute", "core:policy.csv") in listed
    assert ("platform:admin", "Mutation.grantPolicy", "execute", "core:policy.csv") in listed
    for plugin in policy.control.plugins:
        if plugin.policy is not None:
            source = f"{plugin.name}:{plugin.policy.name}"
            assert any(line[3] == source for line in listed), f"no line from {source}"

    body = await post(http, ADMIN, LINES, {"s": "education:teacher"})
    lines = body["data"]["policyLines"]
    assert lines and {x["subject"] for x in lines} == {"education:teacher"}, lines
    assert {
        "subject": "education:teacher",
        "object": "Child.idNumber",
        "action": "read_masked",
        "source": "core:policy.csv",
    } in lines
    assert {
        "subject": "education:teacher",
        "object": "Enrollment.*",
        "action": "read",
        "source": "education:policy.csv",
    } in lines


async def test_the_platform_administrator_reads_no_child_data(
    http: httpx.AsyncClient, child_id: str
) -> None:
    for query, variables in (
        ("{ children(first: 5) { totalCount edges { node { id name } } } }", {}),
        ("query($id: ID!) { child(id: $id) { id name } }", {"id": child_id}),
        ("{ cases(first: 5) { totalCount } }", {}),
        ("{ guardians(first: 5) { totalCount } }", {}),
        ("{ compulsoryReports(first: 5) { totalCount } }", {}),
        ("{ enrollments(first: 5) { totalCount } }", {}),
    ):
        body = await post(http, ADMIN, query, variables)
        assert code_of(body) == "FORBIDDEN", f"the platform admin reads no child data: {body}"
        assert not any((body.get("data") or {}).values()), f"no child data: {body}"
    body = await post(http, ADMIN, "query($id: ID!) { node(id: $id) { id } }", {"id": child_id})
    assert code_of(body) == "NOT_FOUND", f"no row scope: the child is not there: {body}"
    me = await post(http, ADMIN, "{ me { roles } }")
    assert me["data"] == {"me": {"roles": ["platform:admin"]}}, me


async def test_policy_matrix_csv_has_a_column_per_subject_and_a_row_per_field(
    engine: AsyncEngine, policy_matrix_run: "subprocess.Popen[str]"
) -> None:
    code, out, err = await asyncio.to_thread(finished, policy_matrix_run)
    assert code == 0, out + err
    rows = list(csv.reader(io.StringIO(out)))
    policy = await policy_in_force(engine)
    control = policy.control
    subjects = sorted(policy.compiled.policy.subjects)
    assert rows[0] == ["object", *subjects], rows[0]
    objects = [row[0] for row in rows[1:]]
    expected = [f"scope:{name}" for name in sorted(control.scope_conditions)] + [
        f"{type_name}.{field}"
        for type_name in sorted(control.type_fields)
        for field in control.type_fields[type_name]
        if not type_name.endswith(("Connection", "Edge", "Payload")) and type_name != "PageInfo"
    ]
    assert objects == expected, "one row per scope and per Type.field of the schema"
    for record in ("Child", "Guardian", "Guardianship", "Case"):
        for field in control.type_fields[record]:
            assert f"{record}.{field}" in objects
    cells = {row[0]: dict(zip(subjects, row[1:], strict=True)) for row in rows[1:]}
    assert cells["Child.idNumber"]["police:officer"] == "R"
    assert cells["Child.idNumber"]["education:teacher"] == "M"
    assert cells["Child.name"]["womens_federation:volunteer"] == "M"
    assert cells["Child.schooling"]["education:teacher"] == "RW"
    assert cells["Child.address"]["education:teacher"] == ""
    assert cells["Mutation.grantPolicy"]["platform:admin"] == "X"
    assert cells["Query.children"]["platform:admin"] == ""
    assert cells["scope:region"]["civil_affairs:child_director"] == "row"
    assert cells["scope:school"]["education:teacher"] == "row"
    assert cells["scope:all"]["civil_affairs:admin"] == "row"
