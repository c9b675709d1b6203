"""Protection cases: opening, assignment, the timeline, and the database's append-only rule."""

import asyncpg
import pytest

from tests.api import a_village, error_of, register_child
from tests.conftest import GraphQLClient

OPEN_CASE = """
mutation Open($input: OpenCaseInput!) {
  openCase(input: $input) {
    case { id kind status riskLevel summary version
           child { id } openedBy { id name department }
           assignedOrganizations { id name department }
           events { kind note actorUserId actorDepartment organization { id } } }
  }
}
"""

ADD_EVENT = """
mutation Add($input: AddCaseEventInput!) {
  addCaseEvent(input: $input) { event { id kind note occurredAt organization { id } } }
}
"""

CASE = """query($id: ID!) { case(id: $id) { id status events { kind note } } }"""


async def organization_ids(client: GraphQLClient, department: str, count: int) -> list[str]:
    data = await client.data(
        "query($d: String, $n: Int) { organizations(department: $d, first: $n) "
        "{ edges { node { id } } } }",
        {"d": department, "n": count},
    )
    return [edge["node"]["id"] for edge in data["organizations"]["edges"]]


async def open_case(client: GraphQLClient) -> dict[str, object]:
    village = await a_village(client)
    child = await register_child(client, village)
    [township] = await organization_ids(client, "civil_affairs", 1)
    [police] = await organization_ids(client, "police", 1)
    data = await client.data(
        OPEN_CASE,
        {
            "input": {
                "childId": child["id"],
                "kind": "LIVING_ALONE",
                "summary": "儿童独自在家，父母均在外务工",
                "riskLevel": "HIGH",
                "organizationId": township,
                "assignedOrganizationIds": [police, police],
            }
        },
    )
    case: dict[str, object] = data["openCase"]["case"]
    return case


async def test_open_case_records_the_opening_and_assignments(client: GraphQLClient) -> None:
    case = await open_case(client)
    assert case["status"] == "OPEN"
    assert case["riskLevel"] == "HIGH"
    assigned = case["assignedOrganizations"]
    assert isinstance(assigned, list) and len(assigned) == 1, "duplicates are assigned once"
    assert assigned[0]["department"] == "police"
    events = case["events"]
    assert isinstance(events, list)
    assert [e["kind"] for e in events] == ["OPENED", "ASSIGNED"]
    assert events[0]["actorUserId"] == "tester"
    assert events[0]["actorDepartment"] == "civil_affairs"
    assert events[0]["organization"]["id"] == case["openedBy"]["id"]  # type: ignore[index]


async def test_child_shows_its_open_cases_and_filters_by_risk(client: GraphQLClient) -> None:
    case = await open_case(client)
    child_id = case["child"]["id"]  # type: ignore[index]
    data = await client.data(
        "query($id: ID!) { child(id: $id) { openCases { id } cases { id } } }", {"id": child_id}
    )
    assert data["child"]["openCases"] == [{"id": case["id"]}]
    found = await client.data(
        """query($f: ChildFilter) { children(filter: $f, first: 100) {
           edges { node { id } } } }""",
        {"f": {"riskLevels": ["HIGH"], "hasOpenCase": True}},
    )
    assert {"node": {"id": child_id}} in found["children"]["edges"]
    none = await client.data(
        """query($f: ChildFilter) { children(filter: $f, first: 100) {
           edges { node { id } } } }""",
        {"f": {"riskLevels": ["LOW"]}},
    )
    assert {"node": {"id": child_id}} not in none["children"]["edges"]


async def test_add_case_event_appends_to_the_timeline(client: GraphQLClient) -> None:
    case = await open_case(client)
    [organization] = await organization_ids(client, "education", 1)
    data = await client.data(
        ADD_EVENT,
        {
            "input": {
                "caseId": case["id"],
                "kind": "VISIT",
                "note": "班主任家访，孩子由祖母照看",
                "organizationId": organization,
            }
        },
    )
    assert data["addCaseEvent"]["event"]["kind"] == "VISIT"
    timeline = (await client.data(CASE, {"id": case["id"]}))["case"]["events"]
    assert [e["kind"] for e in timeline] == ["OPENED", "ASSIGNED", "VISIT"]


@pytest.mark.parametrize(
    ("override", "code", "field"),
    [
        ({"kind": "STATUS_CHANGED"}, "VALIDATION_FAILED", "input.kind"),
        ({"note": " "}, "VALIDATION_FAILED", "input.note"),
        (
            {"caseId": "Q2FzZTowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA="},
            "NOT_FOUND",
            "input.caseId",
        ),
        ({"organizationId": None}, "VALIDATION_FAILED", "input.organizationId"),
    ],
)
async def test_bad_case_events_are_refused(
    client: GraphQLClient, override: dict[str, object], code: str, field: str
) -> None:
    case = await open_case(client)
    values = {"caseId": case["id"], "kind": "NOTE", "note": "记录"}
    values.update(override)
    error = error_of(await client.execute(ADD_EVENT, {"input": values}))
    assert error["extensions"] == {"code": code, "field": field}
    timeline = (await client.data(CASE, {"id": case["id"]}))["case"]["events"]
    assert len(timeline) == 2, "nothing was appended"


async def test_open_case_refuses_unknown_organisations_and_writes_nothing(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    village = await a_village(client)
    child = await register_child(client, village)
    [township] = await organization_ids(client, "civil_affairs", 1)
    unknown_org = "T3JnYW5pemF0aW9uOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA=="
    before = await db.fetchval("SELECT count(*) FROM cases")
    error = error_of(
        await client.execute(
            OPEN_CASE,
            {
                "input": {
                    "childId": child["id"],
                    "kind": "MISSING",
                    "summary": "走失",
                    "organizationId": township,
                    "assignedOrganizationIds": [unknown_org],
                }
            },
        )
    )
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "input.assignedOrganizationIds.0"}
    assert await db.fetchval("SELECT count(*) FROM cases") == before


async def test_the_database_refuses_to_rewrite_or_delete_case_events(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    await open_case(client)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await db.execute("UPDATE case_events SET note = 'rewritten'")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await db.execute("DELETE FROM case_events")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await db.execute("TRUNCATE case_events CASCADE")
