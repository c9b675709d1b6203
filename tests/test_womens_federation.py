"""The women's federation's homes and care services (妇女之家, 儿童之家), family-education guidance
(家庭教育指导), weekly contact (每周亲情联系) and surrogate mothers (代理妈妈), through the real
server: the happy paths as the federation's users, every refused input (code and field, nothing
written), children, guardians and homes out of scope, and what other departments may read."""

import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event, func, select
from strawberry import relay

from core.app import create_app
from core.database import create_engine
from core.plugin_api import encode_global_id
from core.plugin_registry import available_plugins, enabled_plugins
from core.seed.synthetic import (
    CENTRAL_PRIMARY_SCHOOL,
    VILLAGE_COMMITTEE,
    WOMENS_FEDERATION,
    WOMENS_HOME,
    organization_id,
    seed_children,
)
from core.testing import plain_url, temporary_database
from plugins.womens_federation.models import (
    CareHome,
    CareService,
    CareServiceParticipant,
    GuidanceSession,
    GuidanceSessionAttendee,
    SurrogateMother,
)
from tests.api import error_of, link, register_child, register_guardian
from tests.conftest import GraphQLClient, settings_for, token_for
from tests.test_authorization_matrix import multi_role_token

COUNTY = "512021"
TOWNSHIP = "512021101"
VILLAGE = "512021101201"
NEIGHBOUR_TOWNSHIP = "512021102"
OTHER_COUNTY = "512022"
OTHER_COUNTY_TOWNSHIP = "512022101"
OTHER_COUNTY_VILLAGE = "512022101201"

TODAY = date.today()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
MISSING_CHILD = "Q2hpbGQ6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"


async def enroll_directly(database_url: str, child_id: str, school_id: str) -> None:
    """Enrol a pupil by writing the education plugin's row, as its own mutation would."""
    child_key = uuid.UUID(relay.GlobalID.from_id(child_id).node_id)
    school_key = uuid.UUID(relay.GlobalID.from_id(school_id).node_id)
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        await connection.execute(
            "INSERT INTO education_enrollments (id, child_id, school_id, student_number, grade,"
            " boarding, status, enrolled_on, version)"
            " VALUES ($1, $2, $3, $4, 3, false, 'ENROLLED', current_date, 1)",
            uuid.uuid4(),
            child_key,
            school_key,
            f"W{uuid.uuid4().hex[:12].upper()}",
        )
    finally:
        await connection.close()


def gid(type_name: str, key: object) -> str:
    return encode_global_id(type_name, key)


def org(region: str, role: str) -> str:
    return str(organization_id(region, role))


def staff(region: str = COUNTY) -> str:
    return token_for(
        "womens_federation",
        "staff",
        region_code=region,
        organization_id=org(region[:6], WOMENS_FEDERATION),
        user_id="wf-staff",
    )


def volunteer(region: str = TOWNSHIP) -> str:
    return token_for(
        "womens_federation",
        "volunteer",
        region_code=region,
        organization_id=org(region[:6], WOMENS_FEDERATION),
        user_id="wf-volunteer",
    )


ADMIN = token_for(region_code="512000", user_id="ca-admin")


async def rows_in(db: asyncpg.Connection, *tables: str) -> list[int]:
    return [int(await db.fetchval(f"SELECT count(*) FROM {table}")) for table in tables]


async def as_admin(client: GraphQLClient) -> str:
    saved = client.token
    client.token = ADMIN
    return saved or ""


async def a_child(client: GraphQLClient, village: str = VILLAGE, **overrides: Any) -> str:
    saved = await as_admin(client)
    try:
        child = await register_child(client, village, **overrides)
    finally:
        client.token = saved
    child_id: str = child["id"]
    return child_id


async def a_parent(client: GraphQLClient, child_id: str | None, **overrides: Any) -> str:
    """A guardian, linked to the child when one is given."""
    saved = await as_admin(client)
    try:
        guardian: str = (await register_guardian(client, **overrides))["id"]
        if child_id is not None:
            await link(client, child_id, guardian, relationship="MOTHER")
    finally:
        client.token = saved
    return guardian


# --- women's homes and children's homes (妇女之家, 儿童之家) -----------------------------

REGISTER_HOME = """
mutation Register($input: RegisterCareHomeInput!) {
  registerCareHome(input: $input) {
    home { id name kind version region { code } organization { id } }
  }
}
"""

CARE_HOMES = """
query Homes($region: String, $kind: [CareHomeKind!], $first: Int, $after: String) {
  careHomes(regionCode: $region, kind: $kind, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name kind } }
  }
}
"""


async def a_home(client: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": f"儿童之家{uuid.uuid4().hex[:6]}",
        "kind": "CHILDRENS_HOME",
        "regionCode": VILLAGE,
    }
    values.update(overrides)
    saved = client.token
    client.token = staff()
    try:
        data = await client.data(REGISTER_HOME, {"input": values})
    finally:
        client.token = saved
    home: dict[str, Any] = data["registerCareHome"]["home"]
    return home


async def home_ids(client: GraphQLClient, **variables: Any) -> set[str]:
    seen: set[str] = set()
    after = None
    for _ in range(100):
        data = await client.data(CARE_HOMES, {**variables, "first": 50, "after": after})
        page = data["careHomes"]
        seen |= {edge["node"]["id"] for edge in page["edges"]}
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return seen


async def test_staff_register_homes_by_organisation_or_by_name_and_region(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    client.token = staff()
    organization = gid("Organization", org(NEIGHBOUR_TOWNSHIP, WOMENS_HOME))
    body = await client.execute(
        REGISTER_HOME, {"input": {"organizationId": organization, "kind": "WOMENS_HOME"}}
    )
    if "errors" in body:  # registered by an earlier run of this test in the session
        assert error_of(body)["extensions"]["code"] == "CONFLICT", body
        home_id = error_of(body)["extensions"]["existingId"]
    else:
        home = body["data"]["registerCareHome"]["home"]
        home_id = home["id"]
        assert home["kind"] == "WOMENS_HOME"
        assert home["name"].endswith("妇女之家"), "the organisation's name by default"
        assert home["region"] == {"code": NEIGHBOUR_TOWNSHIP}
        assert home["organization"] == {"id": organization}
        assert home["version"] == 1
    before = await rows_in(db, "womens_federation_care_homes")
    again = await client.execute(
        REGISTER_HOME,
        {"input": {"organizationId": organization, "kind": "WOMENS_HOME", "name": "另一个名字"}},
    )
    assert error_of(again)["extensions"] == {
        "code": "CONFLICT",
        "field": "input.organizationId",
        "existingId": home_id,
    }
    assert await rows_in(db, "womens_federation_care_homes") == before

    named = await a_home(client, name="  三组儿童之家  ")
    assert named["name"] == "三组儿童之家"
    assert (named["kind"], named["region"], named["organization"]) == (
        "CHILDRENS_HOME",
        {"code": VILLAGE},
        None,
    )

    assert {home_id, named["id"]} <= await home_ids(client)
    assert named["id"] in await home_ids(client, region=VILLAGE, kind=["CHILDRENS_HOME"])
    assert home_id not in await home_ids(client, region=TOWNSHIP)
    assert named["id"] not in await home_ids(client, kind="WOMENS_HOME")


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"name": None}, "VALIDATION_FAILED", "input.name"),
        ({"name": "  "}, "VALIDATION_FAILED", "input.name"),
        ({"name": "家" * 201}, "VALIDATION_FAILED", "input.name"),
        ({"regionCode": None}, "VALIDATION_FAILED", "input.regionCode"),
        ({"regionCode": "51202"}, "VALIDATION_FAILED", "input.regionCode"),
        ({"regionCode": "512021999999"}, "VALIDATION_FAILED", "input.regionCode"),
        ({"regionCode": OTHER_COUNTY_VILLAGE}, "VALIDATION_FAILED", "input.regionCode"),
        ({"organizationId": "not-an-id"}, "VALIDATION_FAILED", "input.organizationId"),
        (
            {"organizationId": gid("Organization", uuid.uuid4())},
            "NOT_FOUND",
            "input.organizationId",
        ),
        (
            {"organizationId": gid("Organization", org(TOWNSHIP, WOMENS_HOME))},
            "VALIDATION_FAILED",
            "input.regionCode",
        ),
        (
            {
                "organizationId": gid("Organization", org(OTHER_COUNTY_TOWNSHIP, WOMENS_HOME)),
                "regionCode": None,
            },
            "VALIDATION_FAILED",
            "input.organizationId",
        ),
        ({"name": "taken"}, "CONFLICT", "input.name"),
    ],
)
async def test_a_bad_home_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    if overrides.get("name") == "taken":
        overrides = {"name": (await a_home(client))["name"]}
    values: dict[str, Any] = {
        "name": f"儿童之家{uuid.uuid4().hex[:6]}",
        "kind": "CHILDRENS_HOME",
        "regionCode": VILLAGE,
    }
    values.update(overrides)
    client.token = staff()
    before = await rows_in(db, "womens_federation_care_homes")
    body = await client.execute(REGISTER_HOME, {"input": values})
    error = error_of(body)
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field)
    assert await rows_in(db, "womens_federation_care_homes") == before


async def test_homes_are_registered_by_staff_and_seen_in_the_callers_region(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    home = await a_home(client)
    before = await rows_in(db, "womens_federation_care_homes")
    for token in (
        volunteer(),
        token_for("police", "officer", region_code=COUNTY),
        token_for("civil_affairs", "child_director", region_code=VILLAGE),
    ):
        client.token = token
        body = await client.execute(
            REGISTER_HOME,
            {
                "input": {
                    "name": f"家{uuid.uuid4().hex[:6]}",
                    "kind": "WOMENS_HOME",
                    "regionCode": VILLAGE,
                }
            },
        )
        error = error_of(body)
        assert (error["extensions"]["code"], error["path"]) == ("FORBIDDEN", ["registerCareHome"])
    assert await rows_in(db, "womens_federation_care_homes") == before

    client.token = volunteer()
    assert home["id"] in await home_ids(client)
    client.token = volunteer(OTHER_COUNTY_TOWNSHIP)
    assert home["id"] not in await home_ids(client)
    body = await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": home["id"]})
    assert error_of(body)["extensions"]["code"] == "NOT_FOUND"
    client.token = token_for("police", "admin", region_code=COUNTY)
    body = await client.execute(CARE_HOMES, {"first": 5})
    assert (error_of(body)["extensions"]["code"], error_of(body)["path"]) == (
        "FORBIDDEN",
        ["careHomes"],
    )


# --- care services (关爱服务) -------------------------------------------------------------------

RECORD_SERVICE = """
mutation Record($input: RecordCareServiceInput!) {
  recordCareService(input: $input) {
    service { id providedOn kind description recordedByUserId version participantCount
              home { id } children { id } }
  }
}
"""

CARE_SERVICES = """
query($id: ID!) { child(id: $id) { careServices { id kind providedOn home { name } } } }
"""


def service_input(home_id: str, child_ids: list[str], **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "homeId": home_id,
        "providedOn": TODAY.isoformat(),
        "kind": "HOMEWORK_HELP",
        "childIds": child_ids,
        "description": "周末作业辅导",
    }
    values.update(overrides)
    return values


async def test_a_volunteer_records_care_services_that_show_on_the_children_and_the_home(
    client: GraphQLClient,
) -> None:
    home = await a_home(client)
    first, second = await a_child(client), await a_child(client)
    client.token = volunteer()
    older = (
        await client.data(
            RECORD_SERVICE,
            {
                "input": service_input(
                    home["id"],
                    [first],
                    providedOn=(TODAY - timedelta(days=14)).isoformat(),
                    kind="SAFETY_EDUCATION",
                    description=None,
                )
            },
        )
    )["recordCareService"]["service"]
    assert older["description"] is None
    data = await client.data(
        RECORD_SERVICE, {"input": service_input(home["id"], [first, second, first])}
    )
    service = data["recordCareService"]["service"]
    assert service["kind"] == "HOMEWORK_HELP"
    assert service["recordedByUserId"] == "wf-volunteer"
    assert service["participantCount"] == 2, "each child once"
    assert {c["id"] for c in service["children"]} == {first, second}
    assert service["home"] == {"id": home["id"]}
    assert service["version"] == 1

    shown = await client.data(CARE_SERVICES, {"id": first})
    assert [s["id"] for s in shown["child"]["careServices"]] == [service["id"], older["id"]]
    assert shown["child"]["careServices"][0]["home"] == {"name": home["name"]}
    shown = await client.data(CARE_SERVICES, {"id": second})
    assert [s["id"] for s in shown["child"]["careServices"]] == [service["id"]]
    listed = await client.data(
        "query($id: ID!) { node(id: $id) { ... on CareHome { careServices { id } } } }",
        {"id": home["id"]},
    )
    assert listed["node"]["careServices"] == [{"id": service["id"]}, {"id": older["id"]}]


async def test_a_service_shows_only_the_children_the_caller_may_see(client: GraphQLClient) -> None:
    home = await a_home(client, regionCode=COUNTY)
    here, neighbour = await a_child(client), await a_child(client, village="512021102201")
    client.token = staff()
    service = (
        await client.data(RECORD_SERVICE, {"input": service_input(home["id"], [here, neighbour])})
    )["recordCareService"]["service"]
    client.token = volunteer()  # the township of `here` only
    body = await client.data(
        "query($id: ID!) { node(id: $id) { ... on CareService { participantCount children { id } "
        "home { id } } } }",
        {"id": service["id"]},
    )
    assert body["node"] == {"participantCount": 2, "children": [{"id": here}], "home": None}


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"providedOn": TOMORROW}, "VALIDATION_FAILED", "input.providedOn"),
        ({"providedOn": "2014-01-01"}, "VALIDATION_FAILED", "input.providedOn"),
        ({"childIds": []}, "VALIDATION_FAILED", "input.childIds"),
        ({"childIds": ["nope"]}, "VALIDATION_FAILED", "input.childIds"),
        ({"childIds": [MISSING_CHILD]}, "NOT_FOUND", "input.childIds"),
        ({"childIds": "out-of-scope"}, "NOT_FOUND", "input.childIds"),
        ({"kind": "OTHER", "description": " "}, "VALIDATION_FAILED", "input.description"),
        ({"homeId": "not-an-id"}, "VALIDATION_FAILED", "input.homeId"),
        ({"homeId": gid("CareHome", uuid.uuid4())}, "NOT_FOUND", "input.homeId"),
        ({"homeId": "out-of-scope"}, "NOT_FOUND", "input.homeId"),
    ],
)
async def test_a_bad_care_service_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    home = await a_home(client)
    child = await a_child(client, birth_date=date(2015, 6, 1))
    if overrides.get("childIds") == "out-of-scope":
        overrides = {"childIds": [child, await a_child(client, village=OTHER_COUNTY_VILLAGE)]}
    if overrides.get("homeId") == "out-of-scope":
        saved = client.token
        client.token = staff(OTHER_COUNTY)
        data = await client.data(
            REGISTER_HOME,
            {
                "input": {
                    "name": f"乐至儿童之家{uuid.uuid4().hex[:6]}",
                    "kind": "CHILDRENS_HOME",
                    "regionCode": OTHER_COUNTY_VILLAGE,
                }
            },
        )
        client.token = saved
        overrides = {"homeId": data["registerCareHome"]["home"]["id"]}
    client.token = volunteer()
    tables = ("womens_federation_care_services", "womens_federation_care_service_participants")
    before = await rows_in(db, *tables)
    body = await client.execute(
        RECORD_SERVICE, {"input": service_input(home["id"], [child], **overrides)}
    )
    error = error_of(body)
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field)
    assert await rows_in(db, *tables) == before


async def test_other_departments_may_not_record_care_services_and_read_as_the_policy_says(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    home = await a_home(client)
    child = await a_child(client)
    client.token = volunteer()
    await client.data(RECORD_SERVICE, {"input": service_input(home["id"], [child])})
    before = await rows_in(db, "womens_federation_care_services")
    for department, role in (("police", "officer"), ("civil_affairs", "child_director")):
        client.token = token_for(department, role, region_code=COUNTY)
        body = await client.execute(RECORD_SERVICE, {"input": service_input(home["id"], [child])})
        assert error_of(body)["extensions"]["code"] == "FORBIDDEN", department
    assert await rows_in(db, "womens_federation_care_services") == before

    # The village child director follows the care the children of the village get.
    client.token = token_for("civil_affairs", "child_director", region_code=VILLAGE)
    shown = await client.data(CARE_SERVICES, {"id": child})
    assert shown["child"]["careServices"][0]["home"] == {"name": home["name"]}
    # The police, seeing the child through a compulsory report, read nothing of the services.
    client.token = token_for("police", "officer", region_code=COUNTY)
    await client.data(
        "mutation($i: FileCompulsoryReportInput!) { fileCompulsoryReport(input: $i) "
        "{ report { id } } }",
        {
            "i": {
                "childId": child,
                "placeRegionCode": VILLAGE,
                "reporterOrganizationId": gid("Organization", org(VILLAGE, VILLAGE_COMMITTEE)),
                "trigger": "LIVING_ALONE",
                "summary": "儿童独自在家",
            }
        },
    )
    body = await client.execute(CARE_SERVICES, {"id": child})
    assert body["data"]["child"]["careServices"] is None, "not even that services exist"
    assert (error_of(body)["extensions"]["code"], error_of(body)["path"]) == (
        "FORBIDDEN",
        ["child", "careServices"],
    )


# --- family-education guidance (家庭教育指导) ---------------------------------------------------

RECORD_SESSION = """
mutation Record($input: RecordGuidanceSessionInput!) {
  recordGuidanceSession(input: $input) {
    guidanceSession { id heldOn topic note recordedByUserId version attendeeCount
                      home { id } attendees { id } }
  }
}
"""

GUIDANCE_SESSIONS = """
query Sessions($home: ID, $region: String, $since: Date, $until: Date, $first: Int,
               $after: String) {
  guidanceSessions(homeId: $home, regionCode: $region, since: $since, until: $until,
                   first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id heldOn topic } }
  }
}
"""

ATTENDED = """
query($id: ID!) { node(id: $id) { ... on Guardian { guidanceSessionsAttended { id topic } } } }
"""


def session_input(home_id: str, guardian_ids: list[str], **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "homeId": home_id,
        "heldOn": TODAY.isoformat(),
        "topic": "隔代教养：如何与孙辈沟通",
        "guardianIds": guardian_ids,
        "note": "乡镇妇联主席主讲",
    }
    values.update(overrides)
    return values


async def test_staff_record_guidance_sessions_seen_by_home_and_by_guardian(
    client: GraphQLClient,
) -> None:
    home = await a_home(client)
    child = await a_child(client)
    mother = await a_parent(client, child)
    grandmother = await a_parent(client, child)
    client.token = staff()
    older = (
        await client.data(
            RECORD_SESSION,
            {
                "input": session_input(
                    home["id"],
                    [mother],
                    heldOn=(TODAY - timedelta(days=30)).isoformat(),
                    topic="远程陪伴",
                    note=None,
                )
            },
        )
    )["recordGuidanceSession"]["guidanceSession"]
    data = await client.data(
        RECORD_SESSION, {"input": session_input(home["id"], [mother, grandmother, mother])}
    )
    session = data["recordGuidanceSession"]["guidanceSession"]
    assert session["topic"] == "隔代教养：如何与孙辈沟通"
    assert session["note"] == "乡镇妇联主席主讲"
    assert session["recordedByUserId"] == "wf-staff"
    assert session["attendeeCount"] == 2
    assert {a["id"] for a in session["attendees"]} == {mother, grandmother}
    assert session["home"] == {"id": home["id"]}
    assert session["version"] == 1

    attended = await client.data(ATTENDED, {"id": mother})
    assert [s["id"] for s in attended["node"]["guidanceSessionsAttended"]] == [
        session["id"],
        older["id"],
    ]
    listed = await client.data(GUIDANCE_SESSIONS, {"home": home["id"], "first": 10})
    assert [e["node"]["id"] for e in listed["guidanceSessions"]["edges"]] == [
        session["id"],
        older["id"],
    ], "newest first"
    assert listed["guidanceSessions"]["totalCount"] == 2
    page = await client.data(GUIDANCE_SESSIONS, {"home": home["id"], "first": 1})
    rest = await client.data(
        GUIDANCE_SESSIONS,
        {
            "home": home["id"],
            "first": 1,
            "after": page["guidanceSessions"]["pageInfo"]["endCursor"],
        },
    )
    assert [e["node"]["id"] for e in rest["guidanceSessions"]["edges"]] == [older["id"]]
    recent = await client.data(
        GUIDANCE_SESSIONS,
        {"home": home["id"], "since": (TODAY - timedelta(days=7)).isoformat(), "first": 10},
    )
    assert [e["node"]["id"] for e in recent["guidanceSessions"]["edges"]] == [session["id"]]
    region = await client.data(GUIDANCE_SESSIONS, {"region": VILLAGE, "first": 100})
    assert session["id"] in [e["node"]["id"] for e in region["guidanceSessions"]["edges"]]
    body = await client.execute(
        GUIDANCE_SESSIONS, {"since": TODAY.isoformat(), "until": "2020-01-01", "first": 10}
    )
    assert error_of(body)["extensions"] == {"code": "VALIDATION_FAILED", "field": "until"}

    client.token = staff(OTHER_COUNTY)
    elsewhere = await client.data(GUIDANCE_SESSIONS, {"home": home["id"], "first": 10})
    assert elsewhere["guidanceSessions"]["totalCount"] == 0, "homes of another county"
    # Civil affairs' village child director sees what the child's guardians attended.
    client.token = token_for("civil_affairs", "child_director", region_code=VILLAGE)
    attended = await client.data(ATTENDED, {"id": grandmother})
    assert attended["node"]["guidanceSessionsAttended"] == [
        {"id": session["id"], "topic": "隔代教养：如何与孙辈沟通"}
    ]
    # The police read nothing of it (their core line `Guardian.*` grants the field, but they
    # may read no field of a session: not even that there are sessions), nor list sessions.
    client.token = token_for("police", "admin", region_code=COUNTY)
    body = await client.execute(ATTENDED, {"id": grandmother})
    assert body["data"]["node"]["guidanceSessionsAttended"] is None
    assert (error_of(body)["extensions"]["code"], error_of(body)["path"]) == (
        "FORBIDDEN",
        ["node", "guidanceSessionsAttended"],
    )
    body = await client.execute(GUIDANCE_SESSIONS, {"first": 1})
    assert (error_of(body)["extensions"]["code"], error_of(body)["path"]) == (
        "FORBIDDEN",
        ["guidanceSessions"],
    )


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"heldOn": TOMORROW}, "VALIDATION_FAILED", "input.heldOn"),
        ({"topic": "  "}, "VALIDATION_FAILED", "input.topic"),
        ({"topic": "题" * 301}, "VALIDATION_FAILED", "input.topic"),
        ({"guardianIds": []}, "VALIDATION_FAILED", "input.guardianIds"),
        ({"guardianIds": [MISSING_CHILD]}, "VALIDATION_FAILED", "input.guardianIds"),
        ({"guardianIds": [gid("Guardian", uuid.uuid4())]}, "NOT_FOUND", "input.guardianIds"),
        ({"guardianIds": "unlinked"}, "NOT_FOUND", "input.guardianIds"),
        ({"guardianIds": "out-of-scope"}, "NOT_FOUND", "input.guardianIds"),
        ({"homeId": gid("CareHome", uuid.uuid4())}, "NOT_FOUND", "input.homeId"),
    ],
)
async def test_a_bad_guidance_session_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    home = await a_home(client)
    child = await a_child(client)
    mother = await a_parent(client, child)
    if overrides.get("guardianIds") == "unlinked":
        overrides = {"guardianIds": [mother, await a_parent(client, None)]}
    elif overrides.get("guardianIds") == "out-of-scope":
        elsewhere = await a_child(client, village=OTHER_COUNTY_VILLAGE)
        overrides = {"guardianIds": [mother, await a_parent(client, elsewhere)]}
    client.token = staff()
    tables = ("womens_federation_guidance_sessions", "womens_federation_guidance_session_attendees")
    before = await rows_in(db, *tables)
    body = await client.execute(
        RECORD_SESSION, {"input": session_input(home["id"], [mother], **overrides)}
    )
    error = error_of(body)
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field)
    assert await rows_in(db, *tables) == before


# --- weekly contact (每周亲情联系, art. 23) -------------------------------------------------------

RECORD_CONTACT = """
mutation($i: RecordFamilyContactInput!) { recordFamilyContact(input: $i) { contact { id } } }
"""

WEEKLY = """
query($id: ID!, $weeks: Int) {
  child(id: $id) { weeklyContact(weeks: $weeks) { weekStart weekEnd contacted contactCount
                                                  lastContactOn } }
}
"""

WEEKLY_DEFAULT = "query($id: ID!) { child(id: $id) { weeklyContact { weekStart contacted } } }"


async def test_weekly_contact_shows_the_weeks_with_and_without_a_contact(
    client: GraphQLClient,
) -> None:
    child = await a_child(client)
    mother = await a_parent(client, child)
    monday = TODAY - timedelta(days=TODAY.weekday())
    two_weeks_ago = monday - timedelta(days=12)  # the Wednesday of the week before last
    client.token = volunteer()
    for day in (TODAY, two_weeks_ago, two_weeks_ago, monday - timedelta(weeks=8)):
        await client.data(
            RECORD_CONTACT,
            {
                "i": {
                    "childId": child,
                    "guardianId": mother,
                    "contactOn": day.isoformat(),
                    "channel": "VIDEO_CALL",
                }
            },
        )

    weeks = (await client.data(WEEKLY, {"id": child, "weeks": 4}))["child"]["weeklyContact"]
    assert [w["weekStart"] for w in weeks] == [
        (monday - timedelta(weeks=n)).isoformat() for n in range(4)
    ], "this week first, each from Monday"
    assert [w["weekEnd"] for w in weeks] == [
        (monday - timedelta(weeks=n) + timedelta(days=6)).isoformat() for n in range(4)
    ]
    assert [w["contacted"] for w in weeks] == [True, False, True, False]
    assert [w["contactCount"] for w in weeks] == [1, 0, 2, 0]
    assert [w["lastContactOn"] for w in weeks] == [
        TODAY.isoformat(),
        None,
        two_weeks_ago.isoformat(),
        None,
    ]
    default = (await client.data(WEEKLY_DEFAULT, {"id": child}))["child"]["weeklyContact"]
    assert [w["contacted"] for w in default] == [True, False, True, False], "4 weeks by default"
    null = (await client.data(WEEKLY, {"id": child, "weeks": None}))["child"]["weeklyContact"]
    assert len(null) == 4, "null is the default"
    long = (await client.data(WEEKLY, {"id": child, "weeks": 52}))["child"]["weeklyContact"]
    assert len(long) == 52 and long[8]["contacted"] and sum(w["contacted"] for w in long) == 3
    one = (await client.data(WEEKLY, {"id": child, "weeks": 1}))["child"]["weeklyContact"]
    assert [w["contacted"] for w in one] == [True]

    for bad in (0, 53, -1):
        body = await client.execute(WEEKLY, {"id": child, "weeks": bad})
        error = error_of(body)
        assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": "weeks", "maximum": 52}
        assert error["path"] == ["child", "weeklyContact"]


async def test_weekly_contact_of_children_on_a_page_and_who_may_read_it(
    client: GraphQLClient,
) -> None:
    tag = f"周{uuid.uuid4().hex[:6]}"
    contacted = await a_child(client, name=f"{tag}甲")
    silent = await a_child(client, name=f"{tag}乙")
    mother = await a_parent(client, contacted)
    client.token = staff()
    await client.data(
        RECORD_CONTACT,
        {
            "i": {
                "childId": contacted,
                "guardianId": mother,
                "contactOn": TODAY.isoformat(),
                "channel": "PHONE",
            }
        },
    )
    page = await client.data(
        "query($ids: [ID!]) { children(filter: {ids: $ids}, first: 10) "
        "{ edges { node { id weeklyContact(weeks: 2) { contacted } } } } }",
        {"ids": [contacted, silent]},
    )
    by_child = {
        e["node"]["id"]: [w["contacted"] for w in e["node"]["weeklyContact"]]
        for e in page["children"]["edges"]
    }
    assert by_child == {contacted: [True, False], silent: [False, False]}

    client.token = token_for("civil_affairs", "child_director", region_code=VILLAGE)
    weeks = (await client.data(WEEKLY, {"id": contacted, "weeks": 1}))["child"]["weeklyContact"]
    assert weeks[0]["contacted"] is True
    # Neither education nor the police (whose core line `Child.*` grants the field, but who may
    # read no family contact) see when the family was in touch.
    for department, role in (("education", "admin"), ("police", "admin")):
        client.token = token_for(department, role, region_code=COUNTY)
        body = await client.execute(WEEKLY, {"id": contacted, "weeks": 1})
        assert (error_of(body)["extensions"]["code"], error_of(body)["path"]) == (
            "FORBIDDEN",
            ["child", "weeklyContact"],
        ), department


# --- surrogate mothers (代理妈妈) ---------------------------------------------------------

PAIR = """
mutation Pair($input: PairSurrogateMotherInput!) {
  pairSurrogateMother(input: $input) {
    surrogateMother { id name phone userId startedOn endedOn endReason active version
                      child { id } }
  }
}
"""

END = """
mutation End($input: EndSurrogateMotherPairingInput!) {
  endSurrogateMotherPairing(input: $input) {
    surrogateMother { id endedOn endReason active version }
  }
}
"""

SURROGATES = """
query($id: ID!) { child(id: $id) { surrogateMothers { id name phone startedOn active } } }
"""


def pair_input(child_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "childId": child_id,
        "name": "刘桂芳",
        "phone": "13908170011",
        "userId": "volunteer-liu",
        "startedOn": (TODAY - timedelta(days=60)).isoformat(),
    }
    values.update(overrides)
    return values


async def test_a_volunteer_pairs_a_surrogate_mother_and_ends_the_pairing(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await a_child(client)
    client.token = volunteer()
    data = await client.data(PAIR, {"input": pair_input(child, phone=" 139 0817 0011 ")})
    first = data["pairSurrogateMother"]["surrogateMother"]
    assert (first["name"], first["phone"], first["userId"]) == (
        "刘桂芳",
        "13908170011",
        "volunteer-liu",
    )
    assert (first["active"], first["endedOn"], first["version"]) == (True, None, 1)
    assert first["child"] == {"id": child}

    before = await rows_in(db, "womens_federation_surrogate_mothers")
    again = await client.execute(PAIR, {"input": pair_input(child, name="陈淑华")})
    assert error_of(again)["extensions"] == {
        "code": "CONFLICT",
        "field": "input.childId",
        "existingId": first["id"],
    }
    assert await rows_in(db, "womens_federation_surrogate_mothers") == before

    ended_on = (TODAY - timedelta(days=2)).isoformat()
    stale = await client.execute(
        END, {"input": {"id": first["id"], "version": 7, "endedOn": ended_on}}
    )
    assert error_of(stale)["extensions"]["code"] == "CONFLICT"
    assert error_of(stale)["extensions"]["field"] == "input.version"
    for bad, field in ((TOMORROW, "input.endedOn"), ("2020-01-01", "input.endedOn")):
        body = await client.execute(
            END, {"input": {"id": first["id"], "version": 1, "endedOn": bad}}
        )
        assert error_of(body)["extensions"] == {"code": "VALIDATION_FAILED", "field": field}
    ended = (
        await client.data(
            END,
            {
                "input": {
                    "id": first["id"],
                    "version": 1,
                    "endedOn": ended_on,
                    "endReason": "志愿者外出务工",
                }
            },
        )
    )["endSurrogateMotherPairing"]["surrogateMother"]
    assert ended == {
        "id": first["id"],
        "endedOn": ended_on,
        "endReason": "志愿者外出务工",
        "active": False,
        "version": 2,
    }
    twice = await client.execute(
        END, {"input": {"id": first["id"], "version": 2, "endedOn": ended_on}}
    )
    assert error_of(twice)["extensions"] == {"code": "VALIDATION_FAILED", "field": "input.id"}

    client.token = staff()
    second = (
        await client.data(
            PAIR,
            {
                "input": pair_input(
                    child, name="陈淑华", phone="0832-6221234", userId=None, startedOn=ended_on
                )
            },
        )
    )["pairSurrogateMother"]["surrogateMother"]
    assert second["phone"] == "0832-6221234" and second["userId"] is None
    shown = await client.data(SURROGATES, {"id": child})
    assert [(s["id"], s["active"]) for s in shown["child"]["surrogateMothers"]] == [
        (second["id"], True),
        (first["id"], False),
    ], "the latest pairing first"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"name": " "}, "VALIDATION_FAILED", "input.name"),
        ({"phone": ""}, "VALIDATION_FAILED", "input.phone"),
        ({"phone": "12345"}, "VALIDATION_FAILED", "input.phone"),
        ({"userId": "u" * 101}, "VALIDATION_FAILED", "input.userId"),
        ({"startedOn": TOMORROW}, "VALIDATION_FAILED", "input.startedOn"),
        ({"startedOn": "2014-12-31"}, "VALIDATION_FAILED", "input.startedOn"),
        ({"childId": "x"}, "VALIDATION_FAILED", "input.childId"),
        ({"childId": MISSING_CHILD}, "NOT_FOUND", "input.childId"),
        ({"childId": "out-of-scope"}, "NOT_FOUND", "input.childId"),
    ],
)
async def test_a_bad_pairing_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    child = await a_child(client, birth_date=date(2015, 6, 1))
    if overrides.get("childId") == "out-of-scope":
        overrides = {"childId": await a_child(client, village=OTHER_COUNTY_VILLAGE)}
    client.token = volunteer()
    before = await rows_in(db, "womens_federation_surrogate_mothers")
    body = await client.execute(PAIR, {"input": pair_input(child, **overrides)})
    error = error_of(body)
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field)
    assert await rows_in(db, "womens_federation_surrogate_mothers") == before


async def test_ending_a_pairing_of_a_child_out_of_scope_is_not_found(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await a_child(client)
    client.token = volunteer()
    pairing = (await client.data(PAIR, {"input": pair_input(child)}))["pairSurrogateMother"][
        "surrogateMother"
    ]
    client.token = volunteer(OTHER_COUNTY_TOWNSHIP)
    for pairing_id in (pairing["id"], gid("SurrogateMother", uuid.uuid4())):
        body = await client.execute(
            END, {"input": {"id": pairing_id, "version": 1, "endedOn": TODAY.isoformat()}}
        )
        assert error_of(body)["extensions"] == {"code": "NOT_FOUND", "field": "input.id"}
    body = await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": pairing["id"]})
    assert error_of(body)["extensions"]["code"] == "NOT_FOUND"
    ended = await db.fetchval(
        "SELECT count(*) FROM womens_federation_surrogate_mothers "
        "WHERE child_id = $1 AND ended_on IS NOT NULL",
        uuid.UUID(relay.GlobalID.from_id(child).node_id),
    )
    assert ended == 0


async def test_teachers_and_child_directors_see_the_phone_masked_and_the_police_nothing(
    client: GraphQLClient, db: asyncpg.Connection, database_url: str
) -> None:
    child = await a_child(client)
    client.token = volunteer()
    pairing = (await client.data(PAIR, {"input": pair_input(child)}))["pairSurrogateMother"][
        "surrogateMother"
    ]
    expected = {
        "id": pairing["id"],
        "name": "刘桂芳",
        "phone": "139****0011",
        "startedOn": pairing["startedOn"],
        "active": True,
    }

    client.token = token_for("civil_affairs", "child_director", region_code=VILLAGE)
    shown = await client.data(SURROGATES, {"id": child})
    assert shown["child"]["surrogateMothers"] == [expected]

    school = org(TOWNSHIP, CENTRAL_PRIMARY_SCHOOL)
    await enroll_directly(database_url, child, gid("Organization", school))
    client.token = token_for("education", "teacher", region_code=TOWNSHIP, organization_id=school)
    shown = await client.data(SURROGATES, {"id": child})
    assert shown["child"]["surrogateMothers"] == [expected]
    body = await client.execute(
        "query($id: ID!) { child(id: $id) { surrogateMothers { userId version } } }",
        {"id": child},
    )
    assert {tuple(e["path"][-1:]) for e in body["errors"]} == {("userId",), ("version",)}
    before = await rows_in(db, "womens_federation_surrogate_mothers")
    body = await client.execute(PAIR, {"input": pair_input(await a_child(client))})
    assert error_of(body)["extensions"]["code"] == "FORBIDDEN"

    # The police see the child (a compulsory report) but read nothing of its surrogate mothers.
    client.token = token_for("police", "officer", region_code=COUNTY)
    await client.data(
        "mutation($i: FileCompulsoryReportInput!) { fileCompulsoryReport(input: $i) "
        "{ report { id } } }",
        {
            "i": {
                "childId": child,
                "placeRegionCode": VILLAGE,
                "reporterOrganizationId": gid("Organization", org(VILLAGE, VILLAGE_COMMITTEE)),
                "trigger": "LIVING_ALONE",
                "summary": "儿童独自在家",
            }
        },
    )
    body = await client.execute(SURROGATES, {"id": child})
    assert body["data"]["child"]["surrogateMothers"] is None, "not even that there is one"
    assert (error_of(body)["extensions"]["code"], error_of(body)["path"]) == (
        "FORBIDDEN",
        ["child", "surrogateMothers"],
    )
    body = await client.execute(PAIR, {"input": pair_input(child)})
    assert error_of(body)["extensions"]["code"] == "FORBIDDEN"
    body = await client.execute(
        END, {"input": {"id": pairing["id"], "version": 1, "endedOn": TODAY.isoformat()}}
    )
    assert error_of(body)["extensions"]["code"] == "FORBIDDEN"
    assert await rows_in(db, "womens_federation_surrogate_mothers") == before


async def test_a_teacher_who_volunteers_sees_each_pairing_through_the_role_that_sees_the_child(
    client: GraphQLClient, database_url: str
) -> None:
    """A teacher of the township school who is also a women's-federation volunteer in the
    neighbouring township: her pupil's surrogate mother's phone is masked (the teacher's
    fields), that of a child of the neighbouring township is not (the volunteer's)."""
    pupil = await a_child(client)
    neighbour = await a_child(client, village="512021102201")
    school = org(TOWNSHIP, CENTRAL_PRIMARY_SCHOOL)
    await enroll_directly(database_url, pupil, gid("Organization", school))
    client.token = staff()
    for child_id, phone in ((pupil, "13908170011"), (neighbour, "13908170022")):
        await client.data(PAIR, {"input": pair_input(child_id, phone=phone)})

    client.token = multi_role_token(
        "education",
        "teacher",
        also=["womens_federation:volunteer"],
        region_code=NEIGHBOUR_TOWNSHIP,
        organization_id=school,
    )
    phones = {}
    for child_id in (pupil, neighbour):
        shown = await client.data(SURROGATES, {"id": child_id})
        phones[child_id] = [s["phone"] for s in shown["child"]["surrogateMothers"]]
    assert phones == {pupil: ["139****0011"], neighbour: ["13908170022"]}
    pairing = (await client.data(SURROGATES, {"id": pupil}))["child"]["surrogateMothers"][0]
    node = await client.data(
        "query($id: ID!) { node(id: $id) { ... on SurrogateMother { phone } } }",
        {"id": pairing["id"]},
    )
    assert node["node"] == {"phone": "139****0011"}, "by ID too, through the child's roles"


NESTED_PAGE = """
query Page($ids: [ID!], $first: Int!) {
  children(filter: {ids: $ids}, first: $first) {
    edges { node {
      weeklyContact(weeks: 8) { contacted }
      familyContacts { id }
      surrogateMothers { name phone child { id } }
      careServices { kind participantCount home { name careServices { id } } children { id } }
      guardianships { guardian { guidanceSessionsAttended { topic attendeeCount
                                                            home { name } attendees { id } } } }
    } }
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
            data = await GraphQLClient(http, token=token).data(NESTED_PAGE, variables)
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
    return len(statements), data


async def test_a_nested_page_costs_the_same_statements_whatever_its_size(
    client: GraphQLClient, database_url: str
) -> None:
    tag = f"批{uuid.uuid4().hex[:6]}"
    home = await a_home(client)
    children = [await a_child(client, name=f"{tag}{n}") for n in range(6)]
    for child in children:
        parent = await a_parent(client, child)
        client.token = staff()
        await client.data(PAIR, {"input": pair_input(child)})
        await client.data(
            RECORD_CONTACT,
            {
                "i": {
                    "childId": child,
                    "guardianId": parent,
                    "contactOn": TODAY.isoformat(),
                    "channel": "PHONE",
                }
            },
        )
        await client.data(RECORD_SERVICE, {"input": service_input(home["id"], [child])})
        await client.data(RECORD_SESSION, {"input": session_input(home["id"], [parent])})

    app = create_app(settings=settings_for(database_url), database_url=database_url)
    async with app.router.lifespan_context(app):
        token = staff()
        await count_statements(app, token, {"ids": children, "first": 2})  # warm the pool
        small, _ = await count_statements(app, token, {"ids": children, "first": 2})
        large, data = await count_statements(app, token, {"ids": children, "first": 6})
    nodes = [edge["node"] for edge in data["children"]["edges"]]
    assert len(nodes) == 6
    assert all(
        n["surrogateMothers"] and n["careServices"] and n["weeklyContact"][0]["contacted"]
        for n in nodes
    )
    assert all(n["guardianships"][0]["guardian"]["guidanceSessionsAttended"] for n in nodes)
    assert small == large, f"{small} statements for 2 children, {large} for 6"


# --- demo data -----------------------------------------------------------------------------------


async def test_demo_homes_services_sessions_and_surrogate_mothers_load_once(
    server_url: str,
) -> None:
    async with temporary_database(server_url, enabled_plugins()) as url:
        engine = create_engine(url, pool_size=2)
        try:
            await seed_children(engine, 120, seed=23)
            load = available_plugins()["womens_federation"].demo_data
            assert load is not None
            added = await load(engine)
            models = (
                CareHome,
                CareService,
                CareServiceParticipant,
                GuidanceSession,
                GuidanceSessionAttendee,
                SurrogateMother,
            )

            async def counts() -> list[int]:
                async with engine.connect() as connection:
                    return [
                        int(await connection.scalar(select(func.count()).select_from(m)) or 0)
                        for m in models
                    ]

            loaded = await counts()
            assert all(loaded), f"the demo fills every table: {loaded}"
            assert added > 0
            assert await load(engine) == 0, "a second load adds nothing"
            assert await counts() == loaded
        finally:
            await engine.dispose()
