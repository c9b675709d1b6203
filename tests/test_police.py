"""The police plugin's visits (走访) and venue inspections (网吧/游戏厅/录像厅巡查), through the
real server: the happy paths as police officers, every refused input (code and field, nothing
written), children and venues out of scope, the `jurisdiction` row scope following visits, and
what other departments may read."""

import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event, func, select

from core.app import create_app
from core.database import create_engine
from core.plugin_api import encode_global_id
from core.plugin_registry import available_plugins, enabled_plugins
from core.seed.synthetic import (
    POLICE_STATION,
    PUBLIC_SECURITY_BUREAU,
    VILLAGE_COMMITTEE,
    organization_id,
    seed_children,
)
from core.testing import temporary_database
from plugins.police.models import PoliceVisit, Venue, VenueInspection
from tests.api import error_of, register_child
from tests.conftest import GraphQLClient, settings_for, token_for

# Two townships of Anyue county, and a township of Lezhi county.
TOWNSHIP = "512021101"
VILLAGE = "512021101201"
NEIGHBOUR_TOWNSHIP = "512021102"
OTHER_COUNTY = "512022"
OTHER_COUNTY_TOWNSHIP = "512022101"
OTHER_COUNTY_VILLAGE = "512022101201"

TODAY = date.today()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
MISSING_CHILD = "Q2hpbGQ6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"


def gid(type_name: str, key: object) -> str:
    return encode_global_id(type_name, key)


def org(region: str, role: str) -> str:
    """The raw key of a seeded organisation, as an `org` claim carries it."""
    return str(organization_id(region, role))


def officer(
    region: str = TOWNSHIP, station: str | None = TOWNSHIP, user_id: str = "officer-1"
) -> str:
    return token_for(
        "police",
        "officer",
        region_code=region,
        organization_id=org(station, POLICE_STATION) if station else None,
        user_id=user_id,
    )


async def rows_in(db: asyncpg.Connection, table: str) -> int:
    count: int = await db.fetchval(f"SELECT count(*) FROM {table}")
    return count


async def a_child(client: GraphQLClient, village: str = VILLAGE, **overrides: Any) -> str:
    saved = client.token
    client.token = token_for(region_code="512000")
    try:
        child = await register_child(client, village, **overrides)
    finally:
        client.token = saved
    child_id: str = child["id"]
    return child_id


FILE_REPORT = """
mutation($i: FileCompulsoryReportInput!) { fileCompulsoryReport(input: $i) { report { id } } }
"""


async def report(client: GraphQLClient, child_id: str, village: str = VILLAGE) -> None:
    """A compulsory report placed in `village`: the child is then in the jurisdiction of the
    officers of that region."""
    await client.data(
        FILE_REPORT,
        {
            "i": {
                "childId": child_id,
                "placeRegionCode": village,
                "reporterOrganizationId": gid("Organization", org(village, VILLAGE_COMMITTEE)),
                "trigger": "LIVING_ALONE",
                "summary": "儿童独自在家已三天",
            }
        },
    )


CHILD_IN_SCOPE = "query($id: ID!) { child(id: $id) { id } }"


async def sees(client: GraphQLClient, child_id: str) -> bool:
    body = await client.execute(CHILD_IN_SCOPE, {"id": child_id})
    if "errors" in body:
        assert error_of(body)["extensions"]["code"] == "NOT_FOUND", body
        return False
    return True


# --- home and school visits (走访) --------------------------------------------------------------

RECORD_VISIT = """
mutation Record($input: RecordPoliceVisitInput!) {
  recordPoliceVisit(input: $input) {
    visit { id visitedOn officerUserId metWith lifeSituation schoolingSituation safetySituation
            concernLevel version child { id } organization { id kind } }
  }
}
"""

POLICE_VISITS = """
query($id: ID!) { child(id: $id) { policeVisits { id visitedOn concernLevel } } }
"""


def visit_input(child_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "childId": child_id,
        "visitedOn": TODAY.isoformat(),
        "metWith": ["GUARDIAN", "CHILD"],
        "lifeSituation": "与祖母同住，祖母年过七十",
        "schoolingSituation": "在镇中心小学读三年级，成绩中等",
        "safetySituation": "住房老旧，已提醒注意用电安全",
        "concernLevel": "MEDIUM",
    }
    values.update(overrides)
    return values


async def test_an_officer_records_visits_that_show_on_the_child_newest_first(
    client: GraphQLClient,
) -> None:
    child = await a_child(client)
    client.token = officer()
    await report(client, child)

    data = await client.data(
        RECORD_VISIT,
        {"input": visit_input(child, metWith=["CHILD", "GUARDIAN", "CHILD", "VILLAGE_CADRE"])},
    )
    visit = data["recordPoliceVisit"]["visit"]
    assert visit["visitedOn"] == TODAY.isoformat()
    assert visit["officerUserId"] == "officer-1"
    assert visit["metWith"] == ["GUARDIAN", "VILLAGE_CADRE", "CHILD"], "distinct, in enum order"
    assert visit["lifeSituation"] == "与祖母同住，祖母年过七十"
    assert visit["safetySituation"] == "住房老旧，已提醒注意用电安全"
    assert visit["concernLevel"] == "MEDIUM"
    assert visit["version"] == 1
    assert visit["child"] == {"id": child}
    assert visit["organization"] == {
        "id": gid("Organization", org(TOWNSHIP, POLICE_STATION)),
        "kind": "POLICE_STATION",
    }

    older = await client.data(
        RECORD_VISIT,
        {
            "input": visit_input(
                child,
                visitedOn=(TODAY - timedelta(days=30)).isoformat(),
                metWith=["TEACHER"],
                lifeSituation=None,
                safetySituation="  ",
                concernLevel=None,
            )
        },
    )
    earlier = older["recordPoliceVisit"]["visit"]
    assert earlier["lifeSituation"] is None and earlier["safetySituation"] is None
    assert earlier["schoolingSituation"] == "在镇中心小学读三年级，成绩中等"
    assert earlier["concernLevel"] is None

    shown = await client.data(POLICE_VISITS, {"id": child})
    assert [v["id"] for v in shown["child"]["policeVisits"]] == [visit["id"], earlier["id"]]

    node = await client.data(
        "query($id: ID!) { node(id: $id) { ... on PoliceVisit { id officerUserId } } }",
        {"id": visit["id"]},
    )
    assert node["node"] == {"id": visit["id"], "officerUserId": "officer-1"}


async def test_a_visit_brings_the_child_into_the_jurisdiction_of_the_officers_station(
    client: GraphQLClient,
) -> None:
    child = await a_child(client)
    # Officers of the same station working another county's reports; and another station's.
    colleague = officer(region=OTHER_COUNTY, station=TOWNSHIP, user_id="officer-2")
    other_station = officer(region=OTHER_COUNTY, station=NEIGHBOUR_TOWNSHIP, user_id="officer-3")
    for token in (colleague, other_station):
        client.token = token
        assert not await sees(client, child), "no report, case or visit brings the child in yet"

    client.token = officer()
    await report(client, child)
    await client.data(RECORD_VISIT, {"input": visit_input(child)})

    client.token = colleague
    assert await sees(client, child), "a visit by the station brings the child into its scope"
    listed = await client.data(
        "query($id: ID!) { node(id: $id) { ... on Child { policeVisits { officerUserId } } } }",
        {"id": child},
    )
    assert listed["node"]["policeVisits"] == [{"officerUserId": "officer-1"}]
    client.token = other_station
    assert not await sees(client, child), "another station's officers still do not see it"

    # A visit by an officer of the other station brings it into theirs.
    client.token = token_for(
        "police",
        "admin",
        region_code="512021",
        organization_id=org(NEIGHBOUR_TOWNSHIP, POLICE_STATION),
        user_id="station-chief",
    )
    await client.data(RECORD_VISIT, {"input": visit_input(child)})
    client.token = other_station
    assert await sees(client, child)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"visitedOn": TOMORROW}, "VALIDATION_FAILED", "input.visitedOn"),
        ({"visitedOn": "2014-01-01"}, "VALIDATION_FAILED", "input.visitedOn"),
        ({"metWith": []}, "VALIDATION_FAILED", "input.metWith"),
        (
            {"lifeSituation": None, "schoolingSituation": " ", "safetySituation": ""},
            "VALIDATION_FAILED",
            "input.lifeSituation",
        ),
        ({"safetySituation": "险" * 4001}, "VALIDATION_FAILED", "input.safetySituation"),
        ({"childId": "not-an-id"}, "VALIDATION_FAILED", "input.childId"),
        ({"childId": MISSING_CHILD}, "NOT_FOUND", "input.childId"),
    ],
)
async def test_a_bad_visit_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    child = await a_child(client, birth_date=date(2015, 6, 1))
    client.token = officer()
    await report(client, child)
    before = await rows_in(db, "police_visits")
    body = await client.execute(RECORD_VISIT, {"input": visit_input(child, **overrides)})
    error = error_of(body)
    assert (error["extensions"]["code"], error["extensions"].get("field")) == (code, field)
    assert body["data"] is None
    assert await rows_in(db, "police_visits") == before


async def test_a_visit_to_a_child_out_of_scope_is_not_found(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await a_child(client, village=OTHER_COUNTY_VILLAGE)
    client.token = officer()
    await report(client, await a_child(client))  # the officer has children in scope, not this one
    before = await rows_in(db, "police_visits")
    body = await client.execute(RECORD_VISIT, {"input": visit_input(child)})
    assert error_of(body)["extensions"] == {"code": "NOT_FOUND", "field": "input.childId"}
    assert await rows_in(db, "police_visits") == before


async def test_an_officer_without_an_organisation_cannot_record_a_visit(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await a_child(client)
    client.token = officer(station=None)
    await report(client, child)
    before = await rows_in(db, "police_visits")
    body = await client.execute(RECORD_VISIT, {"input": visit_input(child)})
    assert error_of(body)["extensions"]["code"] == "FORBIDDEN"
    client.token = token_for(
        "police", "officer", region_code=TOWNSHIP, organization_id=str(uuid.uuid4())
    )
    body = await client.execute(RECORD_VISIT, {"input": visit_input(child)})
    assert error_of(body)["extensions"]["code"] == "FORBIDDEN", "an unregistered organisation"
    assert await rows_in(db, "police_visits") == before


async def test_other_departments_may_not_record_visits_and_read_them_as_the_policy_says(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await a_child(client)
    client.token = officer()
    await report(client, child)
    await client.data(RECORD_VISIT, {"input": visit_input(child)})
    before = await rows_in(db, "police_visits")

    for department, role in (
        ("womens_federation", "staff"),
        ("civil_affairs", "caseworker"),
        ("education", "teacher"),
    ):
        client.token = token_for(department, role, region_code="512000")
        body = await client.execute(RECORD_VISIT, {"input": visit_input(child)})
        error = error_of(body)
        assert error["extensions"]["code"] == "FORBIDDEN", (department, role)
        assert error["path"] == ["recordPoliceVisit"]
    assert await rows_in(db, "police_visits") == before

    # The county caseworker, who assesses the child's safety with the police, reads visits.
    client.token = token_for("civil_affairs", "caseworker", region_code="512021")
    shown = await client.data(POLICE_VISITS, {"id": child})
    assert shown["child"]["policeVisits"][0]["concernLevel"] == "MEDIUM"
    # Women's-federation staff do not, nor village child directors (whose core line `Child.*`
    # grants the field, but who may read no field of a visit: not even that visits exist).
    for department, role in (("womens_federation", "staff"), ("civil_affairs", "child_director")):
        client.token = token_for(department, role, region_code="512021")
        body = await client.execute(POLICE_VISITS, {"id": child})
        error = error_of(body)
        assert (error["extensions"]["code"], error["path"]) == (
            "FORBIDDEN",
            ["child", "policeVisits"],
        ), department
        assert body["data"]["child"]["policeVisits"] is None


AUDIT = """
query Audit($child: ID, $user: String) {
  auditEntries(first: 50, childId: $child, userId: $user, action: "SENSITIVE_READ") {
    edges { node { fields userId } }
  }
}
"""


async def test_reading_what_a_visit_learned_is_recorded_in_the_audit_trail(
    client: GraphQLClient,
) -> None:
    child = await a_child(client)
    client.token = officer()
    await report(client, child)
    await client.data(RECORD_VISIT, {"input": visit_input(child)})
    client.token = token_for("civil_affairs", "caseworker", region_code="512021", user_id="cw-9")
    await client.data(
        "query($id: ID!) { child(id: $id) { policeVisits { safetySituation } } }", {"id": child}
    )
    client.token = token_for("audit", "auditor", user_id="auditor-1")
    data = await client.data(AUDIT, {"child": child, "user": "cw-9"})
    fields = {f for edge in data["auditEntries"]["edges"] for f in edge["node"]["fields"]}
    assert "PoliceVisit.safetySituation" in fields


# --- venues and inspections (网吧/游戏厅/录像厅巡查) ------------------------------------------

REGISTER_VENUE = """
mutation Register($input: RegisterVenueInput!) {
  registerVenue(input: $input) { venue { id name kind address version region { code } } }
}
"""

RECORD_INSPECTION = """
mutation Inspect($input: RecordVenueInspectionInput!) {
  recordVenueInspection(input: $input) {
    inspection { id inspectedOn minorsFound noMinorsSignDisplayed result followUp followUpDueOn
                 inspectorUserId version venue { id } organization { id } }
  }
}
"""

VENUES = """
query Venues($region: String, $kind: [VenueKind!], $first: Int, $after: String) {
  venues(regionCode: $region, kind: $kind, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name kind inspections { id result minorsFound } } }
  }
}
"""


def venue_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": f"星空网咖{uuid.uuid4().hex[:6]}",
        "kind": "INTERNET_CAFE",
        "regionCode": VILLAGE,
        "address": "镇中街18号",
    }
    values.update(overrides)
    return values


def inspection_input(venue_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "venueId": venue_id,
        "inspectedOn": TODAY.isoformat(),
        "minorsFound": 0,
        "noMinorsSignDisplayed": True,
        "result": "COMPLIANT",
    }
    values.update(overrides)
    return values


async def a_venue(client: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    data = await client.data(REGISTER_VENUE, {"input": venue_input(**overrides)})
    venue: dict[str, Any] = data["registerVenue"]["venue"]
    return venue


async def all_venue_ids(client: GraphQLClient, **variables: Any) -> set[str]:
    seen: set[str] = set()
    after = None
    for _ in range(100):
        data = await client.data(VENUES, {**variables, "first": 50, "after": after})
        page = data["venues"]
        seen |= {edge["node"]["id"] for edge in page["edges"]}
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return seen


async def test_an_officer_registers_a_venue_and_records_its_inspections(
    client: GraphQLClient,
) -> None:
    client.token = officer()
    venue = await a_venue(client, name="  星空网咖一店  ")
    assert venue["name"] == "星空网咖一店"
    assert venue["kind"] == "INTERNET_CAFE"
    assert venue["region"] == {"code": VILLAGE}
    assert venue["version"] == 1
    hall = await a_venue(client, kind="GAME_HALL", regionCode=TOWNSHIP)

    compliant = await client.data(
        RECORD_INSPECTION,
        {
            "input": inspection_input(
                venue["id"], inspectedOn=(TODAY - timedelta(days=40)).isoformat()
            )
        },
    )
    first = compliant["recordVenueInspection"]["inspection"]
    assert first["result"] == "COMPLIANT"
    assert first["followUp"] is None and first["followUpDueOn"] is None
    assert first["inspectorUserId"] == "officer-1"
    assert first["organization"] == {"id": gid("Organization", org(TOWNSHIP, POLICE_STATION))}
    assert first["venue"] == {"id": venue["id"]}
    due = (TODAY + timedelta(days=10)).isoformat()
    violation = await client.data(
        RECORD_INSPECTION,
        {
            "input": inspection_input(
                venue["id"],
                minorsFound=2,
                noMinorsSignDisplayed=False,
                result="VIOLATION_FOUND",
                followUp="责令清退未成年人，悬挂未成年人禁入标志",
                followUpDueOn=due,
            )
        },
    )
    second = violation["recordVenueInspection"]["inspection"]
    assert (second["minorsFound"], second["noMinorsSignDisplayed"]) == (2, False)
    assert second["followUpDueOn"] == due
    assert second["version"] == 1

    data = await client.data(VENUES, {"region": VILLAGE, "kind": ["INTERNET_CAFE"], "first": 100})
    nodes = {edge["node"]["id"]: edge["node"] for edge in data["venues"]["edges"]}
    assert venue["id"] in nodes and hall["id"] not in nodes
    assert [i["id"] for i in nodes[venue["id"]]["inspections"]] == [second["id"], first["id"]]
    assert data["venues"]["totalCount"] == len(nodes)
    assert hall["id"] in await all_venue_ids(client, region=TOWNSHIP, kind="GAME_HALL")
    assert venue["id"] in await all_venue_ids(client), "the caller's region by default"

    node = await client.data(
        "query($id: ID!) { node(id: $id) { ... on VenueInspection { id venue { name } } } }",
        {"id": second["id"]},
    )
    assert node["node"] == {"id": second["id"], "venue": {"name": "星空网咖一店"}}


async def test_venues_page_by_name(client: GraphQLClient) -> None:
    client.token = officer()
    tag = uuid.uuid4().hex[:6]
    names = [f"{tag}{letter}游戏厅" for letter in "abc"]
    for name in reversed(names):
        await a_venue(client, name=name, kind="VIDEO_HALL", regionCode=VILLAGE)
    seen: list[str] = []
    after = None
    for _ in range(50):
        data = await client.data(
            VENUES, {"region": VILLAGE, "kind": ["VIDEO_HALL"], "first": 2, "after": after}
        )
        page = data["venues"]
        seen += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [name for name in seen if name.startswith(tag)] == names
    assert seen == sorted(seen), "by name"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"name": "  "}, "VALIDATION_FAILED", "input.name"),
        ({"name": "网" * 201}, "VALIDATION_FAILED", "input.name"),
        ({"address": ""}, "VALIDATION_FAILED", "input.address"),
        ({"regionCode": "51202"}, "VALIDATION_FAILED", "input.regionCode"),
        ({"regionCode": "512021999999"}, "VALIDATION_FAILED", "input.regionCode"),
        ({"regionCode": OTHER_COUNTY_TOWNSHIP}, "VALIDATION_FAILED", "input.regionCode"),
        ({"regionCode": NEIGHBOUR_TOWNSHIP}, "VALIDATION_FAILED", "input.regionCode"),
        ({"name": "taken"}, "CONFLICT", "input.name"),
    ],
)
async def test_a_bad_venue_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    client.token = officer()
    if overrides.get("name") == "taken":
        overrides = {"name": (await a_venue(client))["name"]}
    before = await rows_in(db, "police_venues")
    body = await client.execute(REGISTER_VENUE, {"input": venue_input(**overrides)})
    error = error_of(body)
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field)
    assert await rows_in(db, "police_venues") == before


async def test_the_same_name_may_be_registered_in_another_region(client: GraphQLClient) -> None:
    client.token = officer(region="512021")
    name = f"老街录像厅{uuid.uuid4().hex[:4]}"
    here = await a_venue(client, name=name, regionCode=TOWNSHIP)
    there = await a_venue(client, name=name, regionCode=NEIGHBOUR_TOWNSHIP)
    assert here["id"] != there["id"]


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"inspectedOn": TOMORROW}, "VALIDATION_FAILED", "input.inspectedOn"),
        (
            {"minorsFound": -1, "result": "VIOLATION_FOUND", "followUp": "整改"},
            "VALIDATION_FAILED",
            "input.minorsFound",
        ),
        ({"minorsFound": 3}, "VALIDATION_FAILED", "input.result"),
        ({"noMinorsSignDisplayed": False}, "VALIDATION_FAILED", "input.result"),
        ({"result": "VIOLATION_FOUND", "minorsFound": 1}, "VALIDATION_FAILED", "input.followUp"),
        (
            {"result": "VIOLATION_FOUND", "followUp": "整改", "followUpDueOn": "2020-01-01"},
            "VALIDATION_FAILED",
            "input.followUpDueOn",
        ),
        ({"venueId": "not-an-id"}, "VALIDATION_FAILED", "input.venueId"),
        ({"venueId": MISSING_CHILD}, "VALIDATION_FAILED", "input.venueId"),
        ({"venueId": gid("Venue", uuid.uuid4())}, "NOT_FOUND", "input.venueId"),
    ],
)
async def test_a_bad_inspection_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    client.token = officer()
    venue = await a_venue(client)
    before = await rows_in(db, "police_venue_inspections")
    body = await client.execute(
        RECORD_INSPECTION, {"input": inspection_input(venue["id"], **overrides)}
    )
    error = error_of(body)
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field)
    assert await rows_in(db, "police_venue_inspections") == before


async def test_venues_are_seen_in_the_callers_region_only(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    client.token = officer()
    venue = await a_venue(client)
    await client.data(RECORD_INSPECTION, {"input": inspection_input(venue["id"])})

    # An officer of another county: not listed, not found, cannot be inspected.
    client.token = officer(region=OTHER_COUNTY, station=OTHER_COUNTY_TOWNSHIP, user_id="lezhi")
    assert venue["id"] not in await all_venue_ids(client)
    assert venue["id"] not in await all_venue_ids(client, region=VILLAGE)
    body = await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": venue["id"]})
    assert error_of(body)["extensions"]["code"] == "NOT_FOUND"
    before = await rows_in(db, "police_venue_inspections")
    body = await client.execute(RECORD_INSPECTION, {"input": inspection_input(venue["id"])})
    assert error_of(body)["extensions"] == {"code": "NOT_FOUND", "field": "input.venueId"}
    assert await rows_in(db, "police_venue_inspections") == before

    # A caller without a region claim sees no venue; a malformed filter is refused.
    client.token = token_for("police", "admin")
    data = await client.data(VENUES, {"first": 5})
    assert data["venues"]["totalCount"] == 0
    body = await client.execute(VENUES, {"region": "5120", "first": 5})
    assert error_of(body)["extensions"] == {"code": "VALIDATION_FAILED", "field": "regionCode"}

    # The county bureau sees it.
    client.token = token_for(
        "police",
        "admin",
        region_code="512021",
        organization_id=org("512021", PUBLIC_SECURITY_BUREAU),
    )
    assert venue["id"] in await all_venue_ids(client, region=VILLAGE)


VENUE_DETAILS = """
query($region: String) {
  venues(regionCode: $region, first: 100) {
    edges { node { id name address inspections { id result inspectorUserId } } }
  }
}
"""


async def test_civil_affairs_admin_reads_venues_and_nobody_else_does(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    client.token = officer()
    venue = await a_venue(client)
    inspection = (await client.data(RECORD_INSPECTION, {"input": inspection_input(venue["id"])}))[
        "recordVenueInspection"
    ]["inspection"]

    client.token = token_for("civil_affairs", "admin", region_code="512000")
    data = await client.data(VENUE_DETAILS, {"region": VILLAGE})
    nodes = {edge["node"]["id"]: edge["node"] for edge in data["venues"]["edges"]}
    assert nodes[venue["id"]]["name"] == venue["name"]
    assert nodes[venue["id"]]["inspections"] == [
        {"id": inspection["id"], "result": "COMPLIANT", "inspectorUserId": "officer-1"}
    ]
    before = await rows_in(db, "police_venues")
    body = await client.execute(REGISTER_VENUE, {"input": venue_input()})
    assert error_of(body)["extensions"]["code"] == "FORBIDDEN"
    assert await rows_in(db, "police_venues") == before

    # Other departments, other civil-affairs roles included, may not list venues.
    for department, role in (
        ("womens_federation", "staff"),
        ("education", "admin"),
        ("civil_affairs", "caseworker"),
        ("civil_affairs", "child_director"),
    ):
        client.token = token_for(department, role, region_code="512000")
        body = await client.execute(VENUE_DETAILS, {"region": VILLAGE})
        error = error_of(body)
        assert (error["extensions"]["code"], error["path"]) == ("FORBIDDEN", ["venues"])
        body = await client.execute(
            "query($id: ID!) { node(id: $id) { ... on Venue { name address } } }",
            {"id": venue["id"]},
        )
        assert body["data"]["node"] in (None, {"name": None, "address": None}), (department, body)
        assert {e["extensions"]["code"] for e in body["errors"]} <= {"FORBIDDEN", "NOT_FOUND"}


NESTED_VENUES = """
query Page($tag: String!, $first: Int!) {
  venues(regionCode: "512021101201", first: $first, kind: [GAME_HALL]) {
    edges { node { name region { name } inspections { result organization { name }
                                                      venue { name } } } }
  }
  children(filter: {search: $tag}, first: $first) {
    edges { node { policeVisits { metWith organization { name } child { id } } } }
  }
}
"""


async def count_statements(
    app: Any, token: str, variables: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    sync_engine = app.state.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            data = await GraphQLClient(http, token=token).data(NESTED_VENUES, variables)
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
    return len(statements), data


async def test_nested_pages_cost_the_same_statements_whatever_their_size(
    client: GraphQLClient, database_url: str
) -> None:
    tag = f"访{uuid.uuid4().hex[:6]}"
    client.token = officer()
    for n in range(6):
        child = await a_child(client, name=f"{tag}{n}")
        await report(client, child)
        await client.data(RECORD_VISIT, {"input": visit_input(child)})
        venue = await a_venue(client, name=f"{tag}{n}电玩城", kind="GAME_HALL")
        await client.data(RECORD_INSPECTION, {"input": inspection_input(venue["id"])})

    app = create_app(settings=settings_for(database_url), database_url=database_url)
    async with app.router.lifespan_context(app):
        token = officer()
        await count_statements(app, token, {"tag": tag, "first": 2})  # warm the pool
        small, _ = await count_statements(app, token, {"tag": tag, "first": 2})
        large, data = await count_statements(app, token, {"tag": tag, "first": 6})
    venues = [edge["node"] for edge in data["venues"]["edges"]]
    children = [edge["node"] for edge in data["children"]["edges"]]
    assert len(venues) == 6 and all(v["inspections"] for v in venues)
    assert len(children) == 6 and all(c["policeVisits"] for c in children)
    assert small == large, f"{small} statements for pages of 2, {large} for pages of 6"


# --- demo data -----------------------------------------------------------------------------------


async def test_demo_visits_and_venues_load_once(server_url: str) -> None:
    async with temporary_database(server_url, enabled_plugins()) as url:
        engine = create_engine(url, pool_size=2)
        try:
            await seed_children(engine, 80, seed=23)
            load = available_plugins()["police"].demo_data
            assert load is not None
            added = await load(engine)

            async def counts() -> list[int]:
                async with engine.connect() as connection:
                    return [
                        int(await connection.scalar(select(func.count()).select_from(model)) or 0)
                        for model in (PoliceVisit, Venue, VenueInspection)
                    ]

            loaded = await counts()
            assert all(loaded), f"the demo adds visits, venues and inspections: {loaded}"
            assert added >= sum(loaded)
            assert await load(engine) == 0, "a second load adds nothing"
            assert await counts() == loaded
        finally:
            await engine.dispose()
