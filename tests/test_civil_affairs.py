"""Civil affairs (民政), the lead department, through the real server: census visits that count once
reviewed by someone else, social assistance enrolments, care service projects, and the joint
meeting's left-behind statistics with small counts suppressed.

Each capability: the department's happy path, each bad input refused with its code and field and
nothing written, a child out of the caller's scope NOT_FOUND, and other departments refused or
shown only what the policy gives them.
"""

import random
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from strawberry import relay

from core.database import create_engine
from core.graphql.global_ids import encode_global_id
from core.plugin_registry import available_plugins, enabled_plugins
from core.seed.synthetic import (
    CENTRAL_PRIMARY_SCHOOL,
    CIVIL_AFFAIRS_BUREAU,
    TOWNSHIP_GOVERNMENT,
    organization_id,
    seed_children,
)
from core.testing import plain_url, temporary_database
from plugins.civil_affairs.statistics import SMALL_COUNT_LIMIT, suppress_column
from tests.api import error_of, link, register_child, register_guardian
from tests.conftest import GraphQLClient, start_server, stop_server, token_for

TODAY = date.today()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
MISSING_CHILD = "Q2hpbGQ6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"

# Places (synthetic regions): the county, township and villages the tests work in, and a county
# elsewhere whose staff must not see them.
CITY = "512000"
COUNTY = "512021"
TOWNSHIP = "512021101"
VILLAGE = "512021101201"
NEIGHBOUR_VILLAGE = "512021101202"
UNCOVERED_VILLAGE = "512021101203"
FAR_COUNTY = "512002"
FAR_TOWNSHIP = "512002102"


def days_ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def org_gid(region_code: str, role: str) -> str:
    return encode_global_id("Organization", organization_id(region_code, role))


def key_of(global_id: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)


def as_role(
    client: GraphQLClient,
    department: str,
    role: str,
    region_code: str | None = CITY,
    *,
    user_id: str = "tester",
    organization: str | None = None,
) -> None:
    client.token = token_for(
        department,
        role,
        region_code=region_code,
        user_id=user_id,
        organization_id=str(key_of(organization)) if organization else None,
    )


async def rows_in(db: asyncpg.Connection, table: str) -> int:
    count: int = await db.fetchval(f"SELECT count(*) FROM {table}")
    return count


def code_and_field(body: dict[str, Any]) -> tuple[str, str | None]:
    extensions = error_of(body)["extensions"]
    return extensions["code"], extensions.get("field")


# --- census visits (摸底排查走访): entered by one, reviewed by another ---------------------------

RECORD_VISIT = """
mutation Record($input: RecordCensusVisitInput!) {
  recordCensusVisit(input: $input) {
    visit { id visitedOn enteredBy reviewedBy reviewedOn version child { id } }
  }
}
"""
REVIEW_VISIT = """
mutation Review($input: ReviewCensusVisitInput!) {
  reviewCensusVisit(input: $input) { visit { id enteredBy reviewedBy reviewedOn version } }
}
"""
LATEST_REVIEWED = """
query($id: ID!) { child(id: $id) { latestReviewedCensusVisit { id reviewedBy visitedOn } } }
"""
AWAITING = """
query($region: String, $first: Int, $after: String) {
  censusVisitsAwaitingReview(regionCode: $region, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id visitedOn enteredBy child { id } } }
  }
}
"""


async def record_visit(client: GraphQLClient, child_id: str, days: int) -> dict[str, Any]:
    data = await client.data(
        RECORD_VISIT,
        {
            "input": {
                "childId": child_id,
                "visitedOn": days_ago(days),
                "visitorName": "王秀英",
                "metWith": "儿童本人、祖母",
                "guardianshipTypeObserved": "FAIR",
            }
        },
    )
    visit: dict[str, Any] = data["recordCensusVisit"]["visit"]
    return visit


async def awaiting_ids(client: GraphQLClient, region: str | None) -> list[str]:
    """Every page of the awaiting-review list, in order."""
    ids: list[str] = []
    after = None
    while True:
        page = (await client.data(AWAITING, {"region": region, "first": 2, "after": after}))[
            "censusVisitsAwaitingReview"
        ]
        ids += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(ids)
            return ids
        after = page["pageInfo"]["endCursor"]


async def visit_row(db: asyncpg.Connection, visit_id: str) -> asyncpg.Record:
    row = await db.fetchrow(
        "SELECT entered_by, reviewed_by, reviewed_on, version FROM civil_affairs_census_visits "
        "WHERE id = $1",
        key_of(visit_id),
    )
    assert row is not None
    return row


async def test_a_census_visit_counts_once_someone_else_reviews_it(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(client, VILLAGE)
    as_role(client, "civil_affairs", "child_director", VILLAGE, user_id="director-wang")
    entered = await record_visit(client, child["id"], 10)
    assert entered["enteredBy"] == "director-wang"
    assert entered["reviewedBy"] is None and entered["reviewedOn"] is None
    latest = await client.data(LATEST_REVIEWED, {"id": child["id"]})
    assert latest["child"]["latestReviewedCensusVisit"] is None, "an unreviewed visit not counted"

    # The township supervisor sees it waiting, and records a visit of her own.
    as_role(client, "civil_affairs", "supervisor", TOWNSHIP, user_id="supervisor-li")
    assert entered["id"] in await awaiting_ids(client, VILLAGE)
    own = await record_visit(client, child["id"], 2)
    assert own["enteredBy"] == "supervisor-li"

    # She may not review her own entry (填报人不得审核) ...
    body = await client.execute(REVIEW_VISIT, {"input": {"id": own["id"], "version": 1}})
    assert code_and_field(body) == ("VALIDATION_FAILED", "input.id")
    row = await visit_row(db, own["id"])
    assert (row["reviewed_by"], row["reviewed_on"], row["version"]) == (None, None, 1)

    # ... but reviews the director's, which then counts.
    reviewed = await client.data(REVIEW_VISIT, {"input": {"id": entered["id"], "version": 1}})
    visit = reviewed["reviewCensusVisit"]["visit"]
    assert (visit["enteredBy"], visit["reviewedBy"]) == ("director-wang", "supervisor-li")
    assert (visit["reviewedOn"], visit["version"]) == (TODAY.isoformat(), 2)
    latest = await client.data(LATEST_REVIEWED, {"id": child["id"]})
    assert latest["child"]["latestReviewedCensusVisit"] == {
        "id": entered["id"],
        "reviewedBy": "supervisor-li",
        "visitedOn": days_ago(10),
    }, "the newer visit is not reviewed yet, so the older reviewed one counts"

    # Another supervisor reviews hers: now the newer one counts, and nothing is waiting.
    as_role(client, "civil_affairs", "supervisor", TOWNSHIP, user_id="supervisor-zhao")
    await client.data(REVIEW_VISIT, {"input": {"id": own["id"], "version": 1}})
    latest = await client.data(LATEST_REVIEWED, {"id": child["id"]})
    assert latest["child"]["latestReviewedCensusVisit"]["id"] == own["id"]
    waiting = await awaiting_ids(client, VILLAGE)
    assert entered["id"] not in waiting and own["id"] not in waiting


@pytest.mark.parametrize(
    ("department", "role"),
    [
        ("civil_affairs", "child_director"),
        ("civil_affairs", "caseworker"),
        ("police", "officer"),
        ("education", "admin"),
        ("womens_federation", "staff"),
    ],
)
async def test_only_a_supervisor_or_the_bureau_reviews_a_visit(
    client: GraphQLClient, db: asyncpg.Connection, department: str, role: str
) -> None:
    child = await register_child(client, VILLAGE)
    as_role(client, "civil_affairs", "child_director", VILLAGE, user_id="director-wang")
    visit = await record_visit(client, child["id"], 5)
    as_role(client, department, role, CITY, user_id="someone-else")
    body = await client.execute(REVIEW_VISIT, {"input": {"id": visit["id"], "version": 1}})
    error = error_of(body)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["reviewCensusVisit"]
    assert (await visit_row(db, visit["id"]))["reviewed_by"] is None

    as_role(client, "civil_affairs", "admin", None, user_id="bureau-chen")
    done = await client.data(REVIEW_VISIT, {"input": {"id": visit["id"], "version": 1}})
    assert done["reviewCensusVisit"]["visit"]["reviewedBy"] == "bureau-chen"


async def test_a_visit_about_a_child_out_of_scope_does_not_exist(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(client, VILLAGE)
    as_role(client, "civil_affairs", "child_director", VILLAGE, user_id="director-wang")
    visit = await record_visit(client, child["id"], 5)

    as_role(client, "civil_affairs", "supervisor", FAR_TOWNSHIP, user_id="supervisor-far")
    body = await client.execute(REVIEW_VISIT, {"input": {"id": visit["id"], "version": 1}})
    assert code_and_field(body) == ("NOT_FOUND", "input.id")
    assert (await visit_row(db, visit["id"]))["reviewed_by"] is None
    body = await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": visit["id"]})
    assert error_of(body)["extensions"]["code"] == "NOT_FOUND"
    far = await client.data(AWAITING, {"region": VILLAGE, "first": 10})
    assert far["censusVisitsAwaitingReview"]["totalCount"] == 0
    body = await client.execute(
        RECORD_VISIT,
        {
            "input": {
                "childId": child["id"],
                "visitedOn": days_ago(1),
                "visitorName": "赵",
                "metWith": "儿童",
            }
        },
    )
    assert code_and_field(body) == ("NOT_FOUND", "input.childId")

    body = await client.execute(REVIEW_VISIT, {"input": {"id": "not-an-id", "version": 1}})
    assert code_and_field(body) == ("VALIDATION_FAILED", "input.id")
    body = await client.execute(AWAITING, {"region": "51202", "first": 10})
    assert code_and_field(body) == ("VALIDATION_FAILED", "regionCode")


async def test_visits_await_review_oldest_first_a_page_at_a_time(client: GraphQLClient) -> None:
    child = await register_child(client, NEIGHBOUR_VILLAGE)
    as_role(client, "civil_affairs", "child_director", NEIGHBOUR_VILLAGE, user_id="director-liu")
    visits = [await record_visit(client, child["id"], days) for days in (3, 30, 12)]
    as_role(client, "civil_affairs", "supervisor", TOWNSHIP, user_id="supervisor-li")
    waiting = [
        v
        for v in await awaiting_ids(client, NEIGHBOUR_VILLAGE)
        if v in {visit["id"] for visit in visits}
    ]
    assert waiting == [visits[1]["id"], visits[2]["id"], visits[0]["id"]]
    everywhere = await awaiting_ids(client, None)
    assert set(waiting) <= set(everywhere)


# --- social assistance (社会救助) ----------------------------------------------------------------

ENROLLMENT_FIELDS = """
  id kind status monthlyAmount oneOffAmount startOn endOn enteredBy version
  approvingOrganization { id } child { id }
"""
ENROLL = f"""
mutation Enrol($input: EnrollInAssistanceInput!) {{
  enrollInAssistance(input: $input) {{ enrollment {{ {ENROLLMENT_FIELDS} }} }}
}}
"""
UPDATE_ENROLLMENT = f"""
mutation Update($input: UpdateAssistanceEnrollmentInput!) {{
  updateAssistanceEnrollment(input: $input) {{ enrollment {{ {ENROLLMENT_FIELDS} }} }}
}}
"""
CHILD_ENROLLMENTS = f"""
query($id: ID!) {{ child(id: $id) {{ assistanceEnrollments {{ {ENROLLMENT_FIELDS} }} }} }}
"""
COUNTY_BUREAU = org_gid(COUNTY, CIVIL_AFFAIRS_BUREAU)
TOWNSHIP_OFFICE = org_gid(TOWNSHIP, TOWNSHIP_GOVERNMENT)
FAR_BUREAU = org_gid(FAR_COUNTY, CIVIL_AFFAIRS_BUREAU)
SCHOOL = org_gid(TOWNSHIP, CENTRAL_PRIMARY_SCHOOL)


def enrollment_input(child_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "childId": child_id,
        "kind": "MINIMUM_LIVING_ALLOWANCE",
        "status": "APPROVED",
        "monthlyAmount": 365,
        "startOn": days_ago(40),
        "approvingOrganizationId": COUNTY_BUREAU,
    }
    values.update(overrides)
    return values


async def enroll(client: GraphQLClient, child_id: str, **overrides: Any) -> dict[str, Any]:
    data = await client.data(ENROLL, {"input": enrollment_input(child_id, **overrides)})
    enrollment: dict[str, Any] = data["enrollInAssistance"]["enrollment"]
    return enrollment


async def test_a_caseworker_enrols_a_child_and_approves_the_application(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(client, VILLAGE)
    as_role(client, "civil_affairs", "caseworker", COUNTY, user_id="caseworker-zhou")
    applied = await enroll(
        client,
        child["id"],
        status="APPLIED",
        monthlyAmount=None,
        approvingOrganizationId=None,
        startOn=days_ago(3),
    )
    assert applied["status"] == "APPLIED" and applied["monthlyAmount"] is None
    assert (applied["enteredBy"], applied["version"]) == ("caseworker-zhou", 1)

    approved = (
        await client.data(
            UPDATE_ENROLLMENT,
            {
                "input": {
                    "id": applied["id"],
                    "version": 1,
                    "status": "APPROVED",
                    "monthlyAmount": 410,
                    "approvingOrganizationId": TOWNSHIP_OFFICE,
                }
            },
        )
    )["updateAssistanceEnrollment"]["enrollment"]
    assert approved["status"] == "APPROVED"
    assert approved["monthlyAmount"] == 410 and approved["oneOffAmount"] is None
    assert approved["approvingOrganization"] == {"id": TOWNSHIP_OFFICE}
    assert (approved["startOn"], approved["version"]) == (days_ago(3), 2)

    grant = await enroll(
        client,
        child["id"],
        kind="TEMPORARY_ASSISTANCE",
        status="ENDED",
        monthlyAmount=None,
        oneOffAmount=2000,
        startOn=days_ago(90),
        endOn=days_ago(90),
    )
    assert (grant["oneOffAmount"], grant["monthlyAmount"]) == (2000, None)

    shown = await client.data(CHILD_ENROLLMENTS, {"id": child["id"]})
    assert [e["id"] for e in shown["child"]["assistanceEnrollments"]] == [
        approved["id"],
        grant["id"],
    ], "newest first"
    row = await db.fetchrow(
        "SELECT kind, status, monthly_amount, approving_organization_id, version "
        "FROM civil_affairs_assistance_enrollments WHERE id = $1",
        key_of(approved["id"]),
    )
    assert row is not None
    assert tuple(row) == (
        "MINIMUM_LIVING_ALLOWANCE",
        "APPROVED",
        410,
        key_of(TOWNSHIP_OFFICE),
        2,
    )

    # Suspended, back to approved, ended: then it is closed.
    version = 2
    for change in (
        {"status": "SUSPENDED"},
        {"status": "APPROVED"},
        {"status": "ENDED", "endOn": days_ago(0)},
    ):
        data = await client.data(
            UPDATE_ENROLLMENT, {"input": {"id": approved["id"], "version": version, **change}}
        )
        version = data["updateAssistanceEnrollment"]["enrollment"]["version"]
    body = await client.execute(
        UPDATE_ENROLLMENT, {"input": {"id": approved["id"], "version": version, "endOn": None}}
    )
    assert code_and_field(body) == ("VALIDATION_FAILED", "input.id")
    # A new allowance may start once the old one has ended.
    again = await enroll(client, child["id"], startOn=days_ago(0))
    assert again["status"] == "APPROVED"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"kind": "MEDICAL_ASSISTANCE"}, "VALIDATION_FAILED", "input.kind"),
        ({"monthlyAmount": -1}, "VALIDATION_FAILED", "input.monthlyAmount"),
        ({"monthlyAmount": 100_001}, "VALIDATION_FAILED", "input.monthlyAmount"),
        ({"startOn": TOMORROW}, "VALIDATION_FAILED", "input.startOn"),
        ({"startOn": "2014-01-01"}, "VALIDATION_FAILED", "input.startOn"),
        ({"endOn": days_ago(41)}, "VALIDATION_FAILED", "input.endOn"),
        ({"status": "ENDED"}, "VALIDATION_FAILED", "input.endOn"),
        ({"status": "ENDED", "endOn": TOMORROW}, "VALIDATION_FAILED", "input.endOn"),
        ({"oneOffAmount": 500}, "VALIDATION_FAILED", "input.oneOffAmount"),
        (
            {"kind": "TEMPORARY_ASSISTANCE", "oneOffAmount": 800},
            "VALIDATION_FAILED",
            "input.monthlyAmount",
        ),
        (
            {"kind": "TEMPORARY_ASSISTANCE", "monthlyAmount": None, "oneOffAmount": -5},
            "VALIDATION_FAILED",
            "input.oneOffAmount",
        ),
        ({"monthlyAmount": None}, "VALIDATION_FAILED", "input.monthlyAmount"),
        (
            {"approvingOrganizationId": None},
            "VALIDATION_FAILED",
            "input.approvingOrganizationId",
        ),
        (
            {"approvingOrganizationId": encode_global_id("Organization", uuid.uuid4())},
            "NOT_FOUND",
            "input.approvingOrganizationId",
        ),
        (
            {"approvingOrganizationId": MISSING_CHILD},
            "VALIDATION_FAILED",
            "input.approvingOrganizationId",
        ),
        ({"approvingOrganizationId": SCHOOL}, "VALIDATION_FAILED", "input.approvingOrganizationId"),
        (
            {"approvingOrganizationId": FAR_BUREAU},
            "VALIDATION_FAILED",
            "input.approvingOrganizationId",
        ),
        ({"childId": MISSING_CHILD}, "NOT_FOUND", "input.childId"),
        ({"childId": "not-an-id"}, "VALIDATION_FAILED", "input.childId"),
    ],
)
async def test_a_bad_enrolment_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    child = await register_child(client, VILLAGE)
    as_role(client, "civil_affairs", "caseworker", COUNTY)
    before = await rows_in(db, "civil_affairs_assistance_enrollments")
    body = await client.execute(ENROLL, {"input": enrollment_input(child["id"], **overrides)})
    assert code_and_field(body) == (code, field)
    assert await rows_in(db, "civil_affairs_assistance_enrollments") == before


async def test_a_second_running_enrolment_of_a_kind_conflicts(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(client, VILLAGE)
    as_role(client, "civil_affairs", "caseworker", COUNTY)
    first = await enroll(client, child["id"])
    before = await rows_in(db, "civil_affairs_assistance_enrollments")
    body = await client.execute(ENROLL, {"input": enrollment_input(child["id"])})
    error = error_of(body)
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("CONFLICT", "input.kind")
    assert error["extensions"]["existingId"] == first["id"]
    assert await rows_in(db, "civil_affairs_assistance_enrollments") == before
    # temporary assistance may be granted more than once
    for _ in range(2):
        await enroll(
            client, child["id"], kind="TEMPORARY_ASSISTANCE", monthlyAmount=None, oneOffAmount=900
        )


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"version": 7}, "CONFLICT", "input.version"),
        ({"status": "APPLIED"}, "VALIDATION_FAILED", "input.status"),
        ({"status": None}, "VALIDATION_FAILED", "input.status"),
        ({"startOn": None}, "VALIDATION_FAILED", "input.startOn"),
        ({"monthlyAmount": None}, "VALIDATION_FAILED", "input.monthlyAmount"),
        ({"monthlyAmount": -20}, "VALIDATION_FAILED", "input.monthlyAmount"),
        ({"endOn": days_ago(60)}, "VALIDATION_FAILED", "input.endOn"),
        ({"status": "ENDED"}, "VALIDATION_FAILED", "input.endOn"),
        ({"approvingOrganizationId": None}, "VALIDATION_FAILED", "input.approvingOrganizationId"),
        (
            {"approvingOrganizationId": FAR_BUREAU},
            "VALIDATION_FAILED",
            "input.approvingOrganizationId",
        ),
        ({"id": encode_global_id("AssistanceEnrollment", uuid.uuid4())}, "NOT_FOUND", "input.id"),
        ({"id": MISSING_CHILD}, "VALIDATION_FAILED", "input.id"),
    ],
)
async def test_a_bad_change_to_an_enrolment_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    change: dict[str, Any],
    code: str,
    field: str,
) -> None:
    child = await register_child(client, VILLAGE)
    as_role(client, "civil_affairs", "supervisor", TOWNSHIP)
    enrollment = await enroll(client, child["id"])
    body = await client.execute(
        UPDATE_ENROLLMENT, {"input": {"id": enrollment["id"], "version": 1, **change}}
    )
    assert code_and_field(body) == (code, field)
    row = await db.fetchrow(
        "SELECT status, monthly_amount, end_on, version FROM "
        "civil_affairs_assistance_enrollments WHERE id = $1",
        key_of(enrollment["id"]),
    )
    assert row is not None and tuple(row) == ("APPROVED", 365, None, 1)


async def test_enrolments_of_a_child_out_of_scope_are_not_found(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(client, VILLAGE)
    enrollment = await enroll(client, child["id"])
    as_role(client, "civil_affairs", "caseworker", FAR_COUNTY)
    before = await rows_in(db, "civil_affairs_assistance_enrollments")
    body = await client.execute(ENROLL, {"input": enrollment_input(child["id"])})
    assert code_and_field(body) == ("NOT_FOUND", "input.childId")
    body = await client.execute(
        UPDATE_ENROLLMENT,
        {"input": {"id": enrollment["id"], "version": 1, "status": "SUSPENDED"}},
    )
    assert code_and_field(body) == ("NOT_FOUND", "input.id")
    body = await client.execute(
        "query($id: ID!) { node(id: $id) { id } }", {"id": enrollment["id"]}
    )
    assert error_of(body)["extensions"]["code"] == "NOT_FOUND"
    assert await rows_in(db, "civil_affairs_assistance_enrollments") == before
    row = await db.fetchrow(
        "SELECT status, version FROM civil_affairs_assistance_enrollments WHERE id = $1",
        key_of(enrollment["id"]),
    )
    assert row is not None and tuple(row) == ("APPROVED", 1)


async def enrol_at_school(db: asyncpg.Connection, child_id: str, school: str) -> None:
    """The pupil's school registration, written straight to education's table: the teachers'
    row scope is their school's pupils."""
    await db.execute(
        "INSERT INTO education_enrollments (id, child_id, school_id, student_number, grade,"
        " boarding, status, enrolled_on, version) VALUES ($1, $2, $3, $4, 3, false, 'ENROLLED',"
        " $5, 1)",
        uuid.uuid4(),
        key_of(child_id),
        key_of(school),
        f"G{uuid.uuid4().hex[:12].upper()}",
        TODAY - timedelta(days=400),
    )


def forbidden_paths(body: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {
        tuple(error["path"])
        for error in body.get("errors", [])
        if error["extensions"]["code"] == "FORBIDDEN"
    }


@pytest.mark.parametrize(
    ("department", "role"), [("education", "teacher"), ("womens_federation", "staff")]
)
async def test_teachers_and_womens_federation_see_the_kind_never_the_amount(
    client: GraphQLClient, db: asyncpg.Connection, department: str, role: str
) -> None:
    child = await register_child(client, VILLAGE)
    await enrol_at_school(db, child["id"], SCHOOL)
    await enroll(client, child["id"])
    as_role(client, department, role, COUNTY, organization=SCHOOL)
    body = await client.execute(
        "query($id: ID!) { child(id: $id) { assistanceEnrollments "
        "{ kind status monthlyAmount oneOffAmount startOn approvingOrganization { id } } } }",
        {"id": child["id"]},
    )
    [shown] = body["data"]["child"]["assistanceEnrollments"]
    assert (shown["kind"], shown["status"]) == ("MINIMUM_LIVING_ALLOWANCE", "APPROVED")
    withheld = ("monthlyAmount", "oneOffAmount", "startOn", "approvingOrganization")
    assert all(shown[name] is None for name in withheld)
    assert forbidden_paths(body) == {
        ("child", "assistanceEnrollments", 0, name) for name in withheld
    }
    body = await client.execute(ENROLL, {"input": enrollment_input(child["id"])})
    assert error_of(body)["extensions"]["code"] == "FORBIDDEN"


async def test_the_police_read_no_assistance_field_and_enrol_no_one(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(client, VILLAGE)
    enrollment = await enroll(client, child["id"])
    as_role(client, "police", "admin", COUNTY)
    body = await client.execute(
        "query($id: ID!) { node(id: $id) { ... on AssistanceEnrollment "
        "{ kind status monthlyAmount } } }",
        {"id": enrollment["id"]},
    )
    assert forbidden_paths(body) == {
        ("node", "kind"),
        ("node", "status"),
        ("node", "monthlyAmount"),
    }
    body = await client.execute(
        "query($id: ID!) { child(id: $id) { name assistanceEnrollments { kind } } }",
        {"id": child["id"]},
    )
    assert body["data"]["child"]["name"] == child["name"]
    # Not even bare IDs: they would tell that the child is on social assistance. (The core's
    # `police:* Child.*` lines grant the field itself; the plugin refuses a relation to records
    # of which the caller may read nothing.)
    assert body["data"]["child"]["assistanceEnrollments"] is None
    assert forbidden_paths(body) == {("child", "assistanceEnrollments")}
    before = await rows_in(db, "civil_affairs_assistance_enrollments")
    body = await client.execute(ENROLL, {"input": enrollment_input(child["id"])})
    assert error_of(body)["extensions"]["code"] == "FORBIDDEN"
    assert await rows_in(db, "civil_affairs_assistance_enrollments") == before


# --- care service projects (童伴计划, 童村同在, 社工服务项目) ---------------------------------

CREATE_PROJECT = """
mutation Create($input: CreateServiceProjectInput!) {
  createServiceProject(input: $input) {
    project { id name kind funder startOn endOn version villages { code } }
  }
}
"""
RECORD_SERVICE = """
mutation Serve($input: RecordProjectServiceInput!) {
  recordProjectService(input: $input) {
    service { id servedOn kind note enteredBy project { id name } child { id } }
  }
}
"""
PROJECTS = """
query($region: String, $kind: [ServiceProjectKind!], $on: Date) {
  serviceProjects(regionCode: $region, kind: $kind, activeOn: $on, first: 50) {
    totalCount edges { node { id name } }
  }
}
"""


def project_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": f"童伴计划·{uuid.uuid4().hex[:6]}",
        "kind": "CHILD_COMPANION",
        "funder": "共青团资阳市委",
        "startOn": days_ago(100),
        "endOn": (TODAY + timedelta(days=265)).isoformat(),
        "villageCodes": [VILLAGE, NEIGHBOUR_VILLAGE],
    }
    values.update(overrides)
    return values


async def create_project(client: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    data = await client.data(CREATE_PROJECT, {"input": project_input(**overrides)})
    project: dict[str, Any] = data["createServiceProject"]["project"]
    return project


def service_input(project_id: str, child_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "projectId": project_id,
        "childId": child_id,
        "servedOn": days_ago(2),
        "kind": "TUTORING",
        "note": "阳光助教：辅导数学作业",
    }
    values.update(overrides)
    return values


async def test_a_project_covers_villages_and_records_services_to_their_children(
    client: GraphQLClient,
) -> None:
    child = await register_child(client, NEIGHBOUR_VILLAGE)
    as_role(client, "civil_affairs", "caseworker", COUNTY, user_id="caseworker-zhou")
    project = await create_project(client)
    assert [v["code"] for v in project["villages"]] == [VILLAGE, NEIGHBOUR_VILLAGE]
    assert (project["kind"], project["version"]) == ("CHILD_COMPANION", 1)
    social_work = await create_project(
        client, kind="SOCIAL_WORK", villageCodes=[UNCOVERED_VILLAGE], endOn=days_ago(10)
    )

    listed = await client.data(PROJECTS, {"region": NEIGHBOUR_VILLAGE})
    ids = [edge["node"]["id"] for edge in listed["serviceProjects"]["edges"]]
    assert project["id"] in ids and social_work["id"] not in ids
    listed = await client.data(PROJECTS, {"region": TOWNSHIP, "kind": ["SOCIAL_WORK"]})
    ids = [edge["node"]["id"] for edge in listed["serviceProjects"]["edges"]]
    assert social_work["id"] in ids and project["id"] not in ids
    listed = await client.data(PROJECTS, {"region": TOWNSHIP, "on": days_ago(0)})
    ids = [edge["node"]["id"] for edge in listed["serviceProjects"]["edges"]]
    assert project["id"] in ids and social_work["id"] not in ids, "the social work one ended"

    as_role(client, "civil_affairs", "child_director", NEIGHBOUR_VILLAGE, user_id="director-liu")
    first = await client.data(RECORD_SERVICE, {"input": service_input(project["id"], child["id"])})
    letter = await client.data(
        RECORD_SERVICE,
        {
            "input": service_input(
                project["id"],
                child["id"],
                kind="LETTER_FROM_HOME",
                servedOn=days_ago(0),
                note="爱心家书：给在外务工的妈妈写信",
            )
        },
    )
    service = letter["recordProjectService"]["service"]
    assert service["enteredBy"] == "director-liu"
    assert service["project"] == {"id": project["id"], "name": project["name"]}
    shown = await client.data(
        "query($id: ID!) { child(id: $id) { projectServices { id kind project { id } } } }",
        {"id": child["id"]},
    )
    assert shown["child"]["projectServices"] == [
        {"id": service["id"], "kind": "LETTER_FROM_HOME", "project": {"id": project["id"]}},
        {
            "id": first["recordProjectService"]["service"]["id"],
            "kind": "TUTORING",
            "project": {"id": project["id"]},
        },
    ]


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"name": "  "}, "VALIDATION_FAILED", "input.name"),
        ({"funder": ""}, "VALIDATION_FAILED", "input.funder"),
        ({"startOn": TOMORROW}, "VALIDATION_FAILED", "input.startOn"),
        ({"endOn": days_ago(101)}, "VALIDATION_FAILED", "input.endOn"),
        ({"villageCodes": []}, "VALIDATION_FAILED", "input.villageCodes"),
        ({"villageCodes": [VILLAGE, TOWNSHIP]}, "VALIDATION_FAILED", "input.villageCodes.1"),
        ({"villageCodes": ["512021101299"]}, "VALIDATION_FAILED", "input.villageCodes.0"),
        ({"villageCodes": ["5120211012"]}, "VALIDATION_FAILED", "input.villageCodes.0"),
        ({"villageCodes": [VILLAGE, VILLAGE]}, "VALIDATION_FAILED", "input.villageCodes.1"),
    ],
)
async def test_a_bad_project_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    as_role(client, "civil_affairs", "caseworker", COUNTY)
    before = (
        await rows_in(db, "civil_affairs_service_projects"),
        await rows_in(db, "civil_affairs_service_project_villages"),
    )
    body = await client.execute(CREATE_PROJECT, {"input": project_input(**overrides)})
    assert code_and_field(body) == (code, field)
    assert (
        await rows_in(db, "civil_affairs_service_projects"),
        await rows_in(db, "civil_affairs_service_project_villages"),
    ) == before


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"childId": "uncovered"}, "VALIDATION_FAILED", "input.childId"),
        ({"childId": MISSING_CHILD}, "NOT_FOUND", "input.childId"),
        ({"servedOn": TOMORROW}, "VALIDATION_FAILED", "input.servedOn"),
        ({"servedOn": days_ago(101)}, "VALIDATION_FAILED", "input.servedOn"),
        ({"projectId": "ended"}, "VALIDATION_FAILED", "input.servedOn"),
        (
            {"projectId": encode_global_id("ServiceProject", uuid.uuid4())},
            "NOT_FOUND",
            "input.projectId",
        ),
        ({"projectId": MISSING_CHILD}, "VALIDATION_FAILED", "input.projectId"),
        ({"kind": "OTHER", "note": " "}, "VALIDATION_FAILED", "input.note"),
        ({"note": "很" * 4001}, "VALIDATION_FAILED", "input.note"),
    ],
)
async def test_a_bad_service_record_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    child = await register_child(client, VILLAGE)
    as_role(client, "civil_affairs", "caseworker", COUNTY)
    project = await create_project(client)
    if overrides.get("childId") == "uncovered":
        overrides["childId"] = (await register_child(client, UNCOVERED_VILLAGE))["id"]
    if overrides.get("projectId") == "ended":
        ended = await create_project(client, endOn=days_ago(30))
        overrides["projectId"] = ended["id"]
    as_role(client, "civil_affairs", "child_director", COUNTY)
    before = await rows_in(db, "civil_affairs_project_services")
    body = await client.execute(
        RECORD_SERVICE, {"input": service_input(project["id"], child["id"], **overrides)}
    )
    assert code_and_field(body) == (code, field)
    assert await rows_in(db, "civil_affairs_project_services") == before


async def test_services_to_a_child_out_of_scope_are_refused_as_not_found(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(client, VILLAGE)
    project = await create_project(client)
    as_role(client, "civil_affairs", "child_director", NEIGHBOUR_VILLAGE)
    before = await rows_in(db, "civil_affairs_project_services")
    body = await client.execute(
        RECORD_SERVICE, {"input": service_input(project["id"], child["id"])}
    )
    assert code_and_field(body) == ("NOT_FOUND", "input.childId")
    assert await rows_in(db, "civil_affairs_project_services") == before


async def test_other_departments_neither_run_projects_nor_read_services(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(client, VILLAGE)
    await enrol_at_school(db, child["id"], SCHOOL)
    project = await create_project(client)
    await client.data(RECORD_SERVICE, {"input": service_input(project["id"], child["id"])})
    before = await rows_in(db, "civil_affairs_service_projects")
    for department, role in (
        ("police", "officer"),
        ("education", "teacher"),
        ("civil_affairs", "child_director"),
        ("civil_affairs", "supervisor"),
    ):
        as_role(client, department, role, COUNTY, organization=SCHOOL)
        body = await client.execute(CREATE_PROJECT, {"input": project_input()})
        error = error_of(body)
        assert error["extensions"]["code"] == "FORBIDDEN", (department, role)
        assert error["path"] == ["createServiceProject"]
    assert await rows_in(db, "civil_affairs_service_projects") == before

    for department, role in (("education", "teacher"), ("police", "admin")):
        as_role(client, department, role, COUNTY, organization=SCHOOL)
        body = await client.execute(
            "query($id: ID!) { child(id: $id) { name projectServices { id } } }",
            {"id": child["id"]},
        )
        assert body["data"]["child"]["name"] == child["name"], (department, role)
        assert body["data"]["child"]["projectServices"] is None, (department, role)
        assert forbidden_paths(body) == {("child", "projectServices")}, (department, role)
    body = await client.execute(
        RECORD_SERVICE, {"input": service_input(project["id"], child["id"])}
    )
    assert error_of(body)["extensions"]["code"] == "FORBIDDEN"
    body = await client.execute(PROJECTS, {})
    assert error_of(body)["extensions"]["code"] == "FORBIDDEN"


# --- left-behind statistics for the joint meeting (联席会议) -----------------------------------

STATISTICS = """
query($region: String!, $by: StatisticsGrouping!) {
  leftBehindStatistics(regionCode: $region, groupBy: $by) {
    key label leftBehindChildren withOpenCases suppressed isTotal
  }
}
"""
STATS_TOWNSHIP = "512022101"  # 乐至示范一镇, with villages 001 (community), 201, 202, 203
STATS_VILLAGES = ("512022101001", "512022101201", "512022101202", "512022101203")


@pytest.fixture(scope="module")
async def statistics_server(server_url: str) -> AsyncIterator[str]:
    """A server on a database of its own, so that the counts are exactly what the tests put
    there."""
    async with temporary_database(server_url, enabled_plugins()) as url:
        process, base = start_server(url)
        try:
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                await populate_statistics(GraphQLClient(http, token=token_for()))
            yield base
        finally:
            stop_server(process)


async def left_behind_child(
    client: GraphQLClient, village: str, *, left_behind: bool = True, **child: Any
) -> str:
    """A child whose parents both work away (left-behind), or both at home."""
    registered = await register_child(client, village, **child)
    for relationship in ("FATHER", "MOTHER"):
        guardian = await register_guardian(client)
        await link(
            client,
            registered["id"],
            guardian["id"],
            relationship=relationship,
            worksAway=left_behind,
            livesWithChild=not left_behind,
            workDestination="广东东莞" if left_behind else None,
        )
    child_id: str = registered["id"]
    return child_id


async def open_case(client: GraphQLClient, child_id: str) -> None:
    await client.data(
        "mutation($i: OpenCaseInput!) { openCase(input: $i) { case { id } } }",
        {
            "i": {
                "childId": child_id,
                "kind": "LIVING_ALONE",
                "summary": "儿童独自在家",
                "organizationId": org_gid(STATS_TOWNSHIP, TOWNSHIP_GOVERNMENT),
            }
        },
    )


# (village, number of left-behind children, how many of them with an open case)
STATS_POPULATION = ((STATS_VILLAGES[1], 7, 2), (STATS_VILLAGES[2], 3, 0), (STATS_VILLAGES[3], 6, 1))
SCHOOLINGS = ("PRIMARY", "PRIMARY", "JUNIOR_SECONDARY", "KINDERGARTEN")
GUARDIANSHIP_TYPES = ("FAIR", "GOOD", "ENTRUSTED_CAREGIVER_INSUFFICIENT", "FAIR")


async def populate_statistics(client: GraphQLClient) -> None:
    number = 0
    for village, children, with_cases in STATS_POPULATION:
        for index in range(children):
            child_id = await left_behind_child(
                client,
                village,
                schooling=SCHOOLINGS[number % len(SCHOOLINGS)],
                guardianshipType=GUARDIANSHIP_TYPES[number % len(GUARDIANSHIP_TYPES)],
                difficultyCategories=(
                    ["FAMILY_POVERTY", "INADEQUATE_GUARDIANSHIP"] if number % 5 == 0 else []
                ),
            )
            if index < with_cases:
                await open_case(client, child_id)
            number += 1
    # not counted: children living with their parents, one who has moved away, one left-behind
    # child in another township
    await left_behind_child(client, STATS_VILLAGES[1], left_behind=False)
    await left_behind_child(client, STATS_VILLAGES[1], left_behind=False)
    moved = await left_behind_child(client, STATS_VILLAGES[1])
    await client.data(
        "mutation($i: UpdateChildInput!) { updateChild(input: $i) { child { id } } }",
        {"i": {"id": moved, "version": 1, "status": "MOVED_AWAY"}},
    )
    await left_behind_child(client, "512022102201")


async def statistics_as(
    base: str, department: str, role: str, region: str, by: str, *, claim: str = CITY
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        client = GraphQLClient(http, token=token_for(department, role, region_code=claim))
        return await client.execute(STATISTICS, {"region": region, "by": by})


def table(body: dict[str, Any]) -> dict[str, tuple[int | None, int | None, bool]]:
    assert "errors" not in body, body["errors"]
    rows = body["data"]["leftBehindStatistics"]
    assert rows[-1]["isTotal"] and rows[-1]["key"] == "TOTAL"
    assert not any(row["isTotal"] for row in rows[:-1])
    return {
        row["key"]: (row["leftBehindChildren"], row["withOpenCases"], row["suppressed"])
        for row in rows
    }


async def test_statistics_by_village_suppress_small_counts_and_what_would_reveal_them(
    statistics_server: str,
) -> None:
    body = await statistics_as(
        statistics_server, "civil_affairs", "admin", STATS_TOWNSHIP, "SUBREGION"
    )
    rows = body["data"]["leftBehindStatistics"]
    assert [row["key"] for row in rows] == [*STATS_VILLAGES, "TOTAL"]
    assert rows[1]["label"] == "和平村"
    # children: 0, 7, 3, 6 (total 16); 3 is small, and 16 - 0 - 7 would give it back, so the
    # next smallest non-zero cell (6) goes too. Open cases: 0, 2, 0, 1 (total 3): two cells
    # withheld already, and the total is small itself.
    assert table(body) == {
        STATS_VILLAGES[0]: (0, 0, False),
        STATS_VILLAGES[1]: (7, None, True),
        STATS_VILLAGES[2]: (None, 0, True),
        STATS_VILLAGES[3]: (None, None, True),
        "TOTAL": (16, None, True),
    }


async def test_statistics_count_only_the_callers_scope(statistics_server: str) -> None:
    body = await statistics_as(
        statistics_server,
        "civil_affairs",
        "supervisor",
        STATS_TOWNSHIP,
        "SUBREGION",
        claim=STATS_VILLAGES[1],
    )
    assert table(body) == {
        STATS_VILLAGES[0]: (0, 0, False),
        STATS_VILLAGES[1]: (7, None, True),
        STATS_VILLAGES[2]: (0, 0, False),
        STATS_VILLAGES[3]: (0, 0, False),
        "TOTAL": (7, None, True),
    }
    body = await statistics_as(
        statistics_server, "civil_affairs", "caseworker", "512022", "SUBREGION", claim="512022"
    )
    counted = table(body)
    # townships: 16 and the other one's single child (1), total 17: the 1 is withheld, and the
    # 16 with it, or 17 - 16 would give it back
    assert counted["512022102"] == (None, 0, True)
    assert counted[STATS_TOWNSHIP] == (None, None, True)
    assert counted["512022001"] == (0, 0, False)
    assert counted["TOTAL"] == (17, None, True)
    body = await statistics_as(
        statistics_server, "civil_affairs", "caseworker", "512021", "SUBREGION", claim="512022"
    )
    assert table(body)["TOTAL"] == (0, 0, False), "another county is outside the scope"


async def test_statistics_by_schooling_guardianship_and_difficulty(
    statistics_server: str,
) -> None:
    body = await statistics_as(statistics_server, "education", "admin", STATS_TOWNSHIP, "SCHOOLING")
    counted = table(body)
    # 16 children: PRIMARY 8, JUNIOR_SECONDARY 4, KINDERGARTEN 4 -> two small cells withheld
    assert counted["PRIMARY"][0] == 8
    assert counted["JUNIOR_SECONDARY"][0] is None and counted["KINDERGARTEN"][0] is None
    assert counted["DROPPED_OUT"] == (0, 0, False)
    assert counted["TOTAL"][0] == 16
    labels = {row["key"]: row["label"] for row in body["data"]["leftBehindStatistics"]}
    assert labels["PRIMARY"] == "Primary school (小学)"

    body = await statistics_as(
        statistics_server, "womens_federation", "admin", STATS_TOWNSHIP, "GUARDIANSHIP_TYPE"
    )
    counted = table(body)
    # FAIR 8, GOOD 4, ENTRUSTED_CAREGIVER_INSUFFICIENT 4, none unrecorded
    assert counted["FAIR"][0] == 8 and counted["NOT_RECORDED"] == (0, 0, False)
    assert counted["GOOD"][0] is None and counted["ENTRUSTED_CAREGIVER_INSUFFICIENT"][0] is None

    body = await statistics_as(
        statistics_server,
        "civil_affairs",
        "supervisor",
        STATS_TOWNSHIP,
        "DIFFICULTY_CATEGORY",
        claim=STATS_TOWNSHIP,
    )
    counted = table(body)
    # children 0, 5, 10, 15 are poor with inadequate guardianship: 4 each (withheld); 12 none
    assert counted["FAMILY_POVERTY"][0] is None
    assert counted["INADEQUATE_GUARDIANSHIP"][0] is None
    assert counted["NONE"][0] == 12
    assert counted["NO_DE_FACTO_CAREGIVER"][0] == 0
    assert counted["TOTAL"][0] == 16, "a child in two categories counts once in the total"


@pytest.mark.parametrize(
    ("region", "by", "field"),
    [
        ("51202", "SUBREGION", "regionCode"),
        ("512022199", "SCHOOLING", "regionCode"),
        (STATS_VILLAGES[1], "SUBREGION", "groupBy"),
    ],
)
async def test_bad_statistics_arguments_are_refused(
    statistics_server: str, region: str, by: str, field: str
) -> None:
    body = await statistics_as(statistics_server, "civil_affairs", "admin", region, by)
    assert code_and_field(body) == ("VALIDATION_FAILED", field)


@pytest.mark.parametrize(
    ("department", "role"),
    [
        ("civil_affairs", "child_director"),
        ("education", "teacher"),
        ("police", "officer"),
        ("police", "admin"),
        ("womens_federation", "staff"),
    ],
)
async def test_statistics_are_for_the_joint_meeting_members_only(
    statistics_server: str, department: str, role: str
) -> None:
    body = await statistics_as(statistics_server, department, role, STATS_TOWNSHIP, "SCHOOLING")
    error = error_of(body)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["leftBehindStatistics"]


def test_no_single_withheld_cell_can_be_recovered_from_the_total() -> None:
    randomness = random.Random(2018)
    for _ in range(5000):
        cells = [
            randomness.choice((0, 0, 1, 2, 3, 4, 5, 6, 9, 30))
            for _ in range(randomness.randint(1, 6))
        ]
        total = sum(cells)
        published, published_total = suppress_column(cells, total)
        withheld = [i for i, value in enumerate(published) if value is None]
        assert all(published[i] == cells[i] for i in range(len(cells)) if i not in withheld), (
            "shown cells are true"
        )
        assert all(
            (value is None)
            for value, true in zip(published, cells, strict=True)
            if 1 <= true <= SMALL_COUNT_LIMIT
        ), "every small count is withheld"
        if published_total is not None:
            assert published_total == total and not 1 <= total <= SMALL_COUNT_LIMIT
            assert len(withheld) != 1, f"{cells}: one withheld cell = total - the rest"


# --- demo data ---------------------------------------------------------------------------------


async def test_demo_data_is_believable_and_loads_once(server_url: str) -> None:
    tables = (
        "civil_affairs_census_visits",
        "civil_affairs_assistance_enrollments",
        "civil_affairs_service_projects",
        "civil_affairs_service_project_villages",
        "civil_affairs_project_services",
    )
    async with temporary_database(server_url, enabled_plugins()) as url:
        engine = create_engine(url, pool_size=2)
        try:
            await seed_children(engine, 120, seed=2018)
            load = available_plugins()["civil_affairs"].demo_data
            assert load is not None
            added = await load(engine)
            connection = await asyncpg.connect(plain_url(url))
            try:
                counts = {t: await rows_in(connection, t) for t in tables}
                assert all(counts.values()), counts
                assert added == sum(counts.values())
                assert await load(engine) == 0, "a second load adds nothing"
                assert {t: await rows_in(connection, t) for t in tables} == counts
                # the records keep the rules the API enforces
                assert not await connection.fetchval(
                    "SELECT count(*) FROM civil_affairs_project_services s"
                    " JOIN children c ON c.id = s.child_id"
                    " LEFT JOIN civil_affairs_service_project_villages v"
                    "   ON v.project_id = s.project_id AND v.region_code = c.residence_region_code"
                    " WHERE v.project_id IS NULL"
                ), "every service went to a child in a covered village"
                assert not await connection.fetchval(
                    "SELECT count(*) FROM civil_affairs_census_visits"
                    " WHERE reviewed_by IS NOT NULL AND reviewed_by = entered_by"
                )
                assert not await connection.fetchval(
                    "SELECT count(*) FROM civil_affairs_assistance_enrollments WHERE"
                    " (kind = 'TEMPORARY_ASSISTANCE') <> (one_off_amount IS NOT NULL)"
                    " OR (status = 'APPROVED' AND approving_organization_id IS NULL)"
                )
            finally:
                await connection.close()
        finally:
            await engine.dispose()
