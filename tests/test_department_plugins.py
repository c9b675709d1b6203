"""The first slice of the police, civil affairs and women's federation plugins, through the real
server: each mutation, the field it adds to `Child`, and a refused input that writes nothing."""

import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry import relay

from core.plugin_registry import available_plugins
from core.seed.synthetic import seed_children
from tests.api import a_village, error_of, link, register_child, register_guardian
from tests.conftest import GraphQLClient, token_for

TOMORROW = (date.today() + timedelta(days=1)).isoformat()
MISSING_CHILD = "Q2hpbGQ6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"


async def an_organization(client: GraphQLClient, kind: str) -> str:
    data = await client.data(
        "query($k: OrganizationKind) { organizations(kind: $k, first: 1) "
        "{ edges { node { id } } } }",
        {"k": kind},
    )
    organization_id: str = data["organizations"]["edges"][0]["node"]["id"]
    return organization_id


async def rows_in(db: asyncpg.Connection, table: str) -> int:
    count: int = await db.fetchval(f"SELECT count(*) FROM {table}")
    return count


# --- police: compulsory reports (强制报告) ---------------------------------------------------

FILE_REPORT = """
mutation File($input: FileCompulsoryReportInput!) {
  fileCompulsoryReport(input: $input) {
    report { id trigger status summary description placeDescription reportedAt version
             child { id } placeRegion { code } reporterOrganization { id } }
  }
}
"""

REPORTS = """
query Reports($status: [CompulsoryReportStatus!], $region: String) {
  compulsoryReports(status: $status, regionCode: $region, first: 100) {
    totalCount edges { node { id } }
  }
}
"""


def report_input(village: str, reporter: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "placeRegionCode": village,
        "placeDescription": "村口小卖部",
        "reporterOrganizationId": reporter,
        "trigger": "LIVING_ALONE",
        "summary": "儿童独自在家已三天，父母均在外务工",
    }
    values.update(overrides)
    return values


async def test_a_compulsory_report_shows_on_the_child_and_in_the_region(
    client: GraphQLClient,
) -> None:
    village = await a_village(client)
    child = await register_child(client, village)
    reporter = await an_organization(client, "VILLAGE_COMMITTEE")
    client.token = token_for("police", "officer", region_code="512000")

    first = await client.data(
        FILE_REPORT, {"input": report_input(village, reporter, childId=child["id"])}
    )
    report = first["fileCompulsoryReport"]["report"]
    assert report["status"] == "RECEIVED"
    assert report["trigger"] == "LIVING_ALONE"
    assert report["version"] == 1
    assert report["reportedAt"]
    assert report["child"] == {"id": child["id"]}
    assert report["placeRegion"] == {"code": village}
    assert report["reporterOrganization"] == {"id": reporter}
    second = await client.data(
        FILE_REPORT,
        {"input": report_input(village, reporter, childId=child["id"], trigger="MISSING")},
    )
    newer = second["fileCompulsoryReport"]["report"]

    shown = await client.data(
        "query($id: ID!) { child(id: $id) { compulsoryReports { id trigger } } }",
        {"id": child["id"]},
    )
    assert shown["child"]["compulsoryReports"] == [
        {"id": newer["id"], "trigger": "MISSING"},
        {"id": report["id"], "trigger": "LIVING_ALONE"},
    ], "newest first"

    for region in (village, village[:9], village[:6], "512000"):
        listed = await client.data(REPORTS, {"region": region, "status": ["RECEIVED"]})
        ids = [edge["node"]["id"] for edge in listed["compulsoryReports"]["edges"]]
        assert report["id"] in ids and newer["id"] in ids, region
    elsewhere = await client.data(REPORTS, {"region": "512022"})
    assert report["id"] not in [e["node"]["id"] for e in elsewhere["compulsoryReports"]["edges"]]
    accepted = await client.data(REPORTS, {"status": ["ACCEPTED"], "region": village})
    assert report["id"] not in [e["node"]["id"] for e in accepted["compulsoryReports"]["edges"]]


async def test_an_unidentified_child_is_reported_by_description(client: GraphQLClient) -> None:
    village = await a_village(client)
    reporter = await an_organization(client, "SCHOOL")
    client.token = token_for("police", "officer", region_code="512000")
    data = await client.data(
        FILE_REPORT,
        {"input": report_input(village[:9], reporter, description="男孩，约八岁，穿蓝色校服")},
    )
    report = data["fileCompulsoryReport"]["report"]
    assert report["child"] is None
    assert report["description"] == "男孩，约八岁，穿蓝色校服"
    assert report["placeRegion"] == {"code": village[:9]}


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({}, "VALIDATION_FAILED", "input.description"),
        ({"description": "   "}, "VALIDATION_FAILED", "input.description"),
        ({"childId": MISSING_CHILD}, "NOT_FOUND", "input.childId"),
        ({"placeRegionCode": "5120"}, "VALIDATION_FAILED", "input.placeRegionCode"),
        ({"placeRegionCode": "512021999999"}, "VALIDATION_FAILED", "input.placeRegionCode"),
        (
            {"reporterOrganizationId": MISSING_CHILD},
            "VALIDATION_FAILED",
            "input.reporterOrganizationId",
        ),
        ({"description": "女孩", "summary": " "}, "VALIDATION_FAILED", "input.summary"),
    ],
)
async def test_a_bad_report_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    village = await a_village(client)
    reporter = await an_organization(client, "VILLAGE_COMMITTEE")
    client.token = token_for("police", "officer", region_code="512000")
    before = await rows_in(db, "police_compulsory_reports")
    body = await client.execute(
        FILE_REPORT, {"input": report_input(village, reporter, **overrides)}
    )
    error = error_of(body)
    assert error["extensions"]["code"] == code
    assert error["extensions"]["field"] == field
    assert await rows_in(db, "police_compulsory_reports") == before


async def test_an_unknown_reporter_is_not_found(client: GraphQLClient) -> None:
    village = await a_village(client)
    client.token = token_for("police", "officer", region_code="512000")
    unknown = "T3JnYW5pemF0aW9uOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA=="
    body = await client.execute(
        FILE_REPORT, {"input": report_input(village, unknown, description="女孩")}
    )
    assert error_of(body)["extensions"] == {
        "code": "NOT_FOUND",
        "field": "input.reporterOrganizationId",
    }


async def test_a_malformed_region_filter_is_refused(client: GraphQLClient) -> None:
    client.token = token_for("police", "officer", region_code="512000")
    body = await client.execute(REPORTS, {"region": "51200"})
    assert error_of(body)["extensions"] == {"code": "VALIDATION_FAILED", "field": "regionCode"}


# --- civil affairs: census and home visits (摸底排查走访) -----------------------------------

RECORD_VISIT = """
mutation Record($input: RecordCensusVisitInput!) {
  recordCensusVisit(input: $input) {
    visit { id visitedOn visitorName metWith guardianshipTypeObserved changesNoted
            reviewedBy reviewedOn version child { id } }
  }
}
"""

REVIEW_VISIT = """
mutation Review($input: ReviewCensusVisitInput!) {
  reviewCensusVisit(input: $input) { visit { id reviewedBy reviewedOn version } }
}
"""


def visit_input(child_id: str, visited_on: date, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "childId": child_id,
        "visitedOn": visited_on.isoformat(),
        "visitorName": "王秀英",
        "metWith": "儿童本人、祖母",
        "guardianshipTypeObserved": "FAIR",
    }
    values.update(overrides)
    return values


async def record_visit(client: GraphQLClient, child_id: str, days_ago: int) -> dict[str, Any]:
    data = await client.data(
        RECORD_VISIT, {"input": visit_input(child_id, date.today() - timedelta(days=days_ago))}
    )
    visit: dict[str, Any] = data["recordCensusVisit"]["visit"]
    return visit


async def test_census_visits_show_newest_first_and_are_reviewed_once(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    village = await a_village(client)
    child = await register_child(client, village)
    client.token = token_for("civil_affairs", "child_director", region_code="512000")
    older = await record_visit(client, child["id"], 40)
    newer = await record_visit(client, child["id"], 3)
    assert newer["guardianshipTypeObserved"] == "FAIR"
    assert newer["reviewedBy"] is None and newer["reviewedOn"] is None
    assert newer["version"] == 1

    shown = await client.data(
        "query($id: ID!) { child(id: $id) { censusVisits { id visitedOn } } }",
        {"id": child["id"]},
    )
    assert [v["id"] for v in shown["child"]["censusVisits"]] == [newer["id"], older["id"]]

    client.token = token_for(
        "civil_affairs", "supervisor", region_code="512000", user_id="supervisor-7"
    )
    stale = await client.execute(REVIEW_VISIT, {"input": {"id": newer["id"], "version": 5}})
    assert error_of(stale)["extensions"]["code"] == "CONFLICT"
    assert error_of(stale)["extensions"]["field"] == "input.version"

    reviewed = await client.data(REVIEW_VISIT, {"input": {"id": newer["id"], "version": 1}})
    visit = reviewed["reviewCensusVisit"]["visit"]
    assert visit["reviewedBy"] == "supervisor-7"
    assert visit["reviewedOn"] == date.today().isoformat()
    assert visit["version"] == 2

    client.token = token_for(
        "civil_affairs", "supervisor", region_code="512000", user_id="someone-else"
    )
    again = await client.execute(REVIEW_VISIT, {"input": {"id": newer["id"], "version": 2}})
    assert error_of(again)["extensions"] == {"code": "VALIDATION_FAILED", "field": "input.id"}
    raced = await client.execute(REVIEW_VISIT, {"input": {"id": newer["id"], "version": 1}})
    assert error_of(raced)["extensions"]["code"] == "CONFLICT"
    row = await db.fetchrow(
        "SELECT reviewed_by, version FROM civil_affairs_census_visits WHERE id = $1",
        uuid.UUID(relay.GlobalID.from_id(newer["id"]).node_id),
    )
    assert row is not None and (row["reviewed_by"], row["version"]) == ("supervisor-7", 2)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"visitedOn": TOMORROW}, "VALIDATION_FAILED", "input.visitedOn"),
        ({"visitedOn": "2010-01-01"}, "VALIDATION_FAILED", "input.visitedOn"),
        ({"metWith": "  "}, "VALIDATION_FAILED", "input.metWith"),
        ({"visitorName": ""}, "VALIDATION_FAILED", "input.visitorName"),
        ({"childId": MISSING_CHILD}, "NOT_FOUND", "input.childId"),
    ],
)
async def test_a_bad_census_visit_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    village = await a_village(client)
    child = await register_child(client, village)
    client.token = token_for("civil_affairs", "child_director", region_code="512000")
    before = await rows_in(db, "civil_affairs_census_visits")
    body = await client.execute(
        RECORD_VISIT, {"input": visit_input(child["id"], date.today(), **overrides)}
    )
    error = error_of(body)
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field)
    assert await rows_in(db, "civil_affairs_census_visits") == before


OPEN_CASE = """
mutation Open($input: OpenCaseInput!) {
  openCase(input: $input) { case { id events { kind note actorDepartment } } }
}
"""


async def test_a_case_opened_about_a_visited_child_starts_with_the_latest_visit(
    client: GraphQLClient,
) -> None:
    village = await a_village(client)
    visited = await register_child(client, village)
    never_visited = await register_child(client, village)
    township = await an_organization(client, "TOWNSHIP_GOVERNMENT")
    client.token = token_for("civil_affairs", "child_director", region_code="512000")
    await record_visit(client, visited["id"], 120)
    latest = await record_visit(client, visited["id"], 100)

    client.token = token_for("civil_affairs", "caseworker", region_code="512000")
    cases = {}
    for child in (visited, never_visited):
        data = await client.data(
            OPEN_CASE,
            {
                "input": {
                    "childId": child["id"],
                    "kind": "LIVING_ALONE",
                    "summary": "儿童独自在家",
                    "organizationId": township,
                }
            },
        )
        cases[child["id"]] = data["openCase"]["case"]["events"]
    events = cases[visited["id"]]
    assert [e["kind"] for e in events] == ["OPENED", "NOTE"]
    note = events[1]
    assert note["actorDepartment"] == "civil_affairs"
    assert latest["id"] in note["note"]
    assert latest["visitedOn"] in note["note"]
    assert "a new home visit is due" in note["note"]
    assert [e["kind"] for e in cases[never_visited["id"]]] == ["OPENED"]


# --- women's federation: family contacts (亲情联系) ------------------------------------------

RECORD_CONTACT = """
mutation Record($input: RecordFamilyContactInput!) {
  recordFamilyContact(input: $input) {
    contact { id contactOn channel minutes note version
              child { id } guardian { id } arrangedBy { id } }
  }
}
"""


def contact_input(child_id: str, guardian_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "childId": child_id,
        "guardianId": guardian_id,
        "contactOn": date.today().isoformat(),
        "channel": "VIDEO_CALL",
        "minutes": 20,
        "note": "妈妈答应春节回家",
    }
    values.update(overrides)
    return values


async def test_family_contacts_show_on_the_child_newest_first(client: GraphQLClient) -> None:
    village = await a_village(client)
    child = await register_child(client, village)
    mother = await register_guardian(client)
    await link(client, child["id"], mother["id"], relationship="MOTHER")
    home = await an_organization(client, "WOMENS_HOME")
    client.token = token_for("womens_federation", "volunteer", region_code="512000")

    week_ago = (date.today() - timedelta(days=7)).isoformat()
    earlier = await client.data(
        RECORD_CONTACT,
        {"input": contact_input(child["id"], mother["id"], contactOn=week_ago, channel="PHONE")},
    )
    later = await client.data(
        RECORD_CONTACT,
        {"input": contact_input(child["id"], mother["id"], arrangedByOrganizationId=home)},
    )
    contact = later["recordFamilyContact"]["contact"]
    assert contact["channel"] == "VIDEO_CALL"
    assert contact["minutes"] == 20
    assert contact["version"] == 1
    assert contact["guardian"] == {"id": mother["id"]}
    assert contact["arrangedBy"] == {"id": home}
    assert earlier["recordFamilyContact"]["contact"]["arrangedBy"] is None

    shown = await client.data(
        "query($id: ID!) { child(id: $id) { familyContacts { id channel guardian { id } } } }",
        {"id": child["id"]},
    )
    assert shown["child"]["familyContacts"] == [
        {"id": contact["id"], "channel": "VIDEO_CALL", "guardian": {"id": mother["id"]}},
        {
            "id": earlier["recordFamilyContact"]["contact"]["id"],
            "channel": "PHONE",
            "guardian": {"id": mother["id"]},
        },
    ]


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"guardianId": "unlinked"}, "VALIDATION_FAILED", "input.guardianId"),
        ({"contactOn": TOMORROW}, "VALIDATION_FAILED", "input.contactOn"),
        ({"minutes": 601}, "VALIDATION_FAILED", "input.minutes"),
        ({"minutes": -1}, "VALIDATION_FAILED", "input.minutes"),
        ({"childId": MISSING_CHILD}, "NOT_FOUND", "input.childId"),
    ],
)
async def test_a_bad_family_contact_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    village = await a_village(client)
    child = await register_child(client, village)
    father = await register_guardian(client)
    await link(client, child["id"], father["id"])
    if overrides.get("guardianId") == "unlinked":
        overrides = {"guardianId": (await register_guardian(client))["id"]}
    client.token = token_for("womens_federation", "staff", region_code="512000")
    before = await rows_in(db, "womens_federation_family_contacts")
    body = await client.execute(
        RECORD_CONTACT, {"input": contact_input(child["id"], father["id"], **overrides)}
    )
    error = error_of(body)
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field)
    assert await rows_in(db, "womens_federation_family_contacts") == before


# --- demo data ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plugin", "table"),
    [
        ("police", "police_compulsory_reports"),
        ("civil_affairs", "civil_affairs_census_visits"),
        ("womens_federation", "womens_federation_family_contacts"),
    ],
)
async def test_demo_data_loads_once(
    engine: AsyncEngine, db: asyncpg.Connection, plugin: str, table: str
) -> None:
    await seed_children(engine, 60, seed=23)
    load = available_plugins()[plugin].demo_data
    assert load is not None
    await load(engine)
    loaded = await rows_in(db, table)
    assert loaded > 0
    assert await load(engine) == 0, "a second load adds nothing"
    assert await rows_in(db, table) == loaded
