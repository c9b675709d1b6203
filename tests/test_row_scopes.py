"""Row scopes through the real server: which children each role sees (region, school, police
jurisdiction, cases), that `totalCount` and pagination agree with the scope, that a child out
of scope is indistinguishable from one that does not exist, and that a caller holding several
roles sees the union of their rows, each row's fields decided only by the roles that see it."""

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.graphql.global_ids import encode_global_id
from core.resident_id import Sex
from tests.api import error_of, link, register_child, register_guardian
from tests.conftest import GraphQLClient, new_id_number, token_for
from tests.test_authorization_matrix import (
    CITY,
    FILE_REPORT,
    OPEN_CASE,
    PURPOSE,
    Place,
    PolicyInForce,
    assert_fields_as_decided,
    enroll,
    multi_role_token,
    node_query,
    policy_in_force,
    raw_key,
    unenforced_client,
)

# Two villages of one township, and a village of another township, in Lezhi county.
A = Place("512022101201")
B = Place("512022101202")
C = Place("512022102201")
OTHER_COUNTY = "512002"

CHILDREN = """
query Page($tag: String!, $first: Int, $after: String) {
  children(filter: {search: $tag}, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id } }
  }
}
"""

CHILD = "query($id: ID!) { child(id: $id) { id name } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
UPDATE = "mutation($i: UpdateChildInput!) { updateChild(input: $i) { child { id address } } }"
CASE = "query($id: ID!) { case(id: $id) { id summary } }"


def a_tag() -> str:
    """A name fragment only this test's children carry, so counts are this test's own."""
    return f"域{uuid.uuid4().hex[:8]}"


async def post(
    http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={
            "authorization": f"Bearer {token}",
            "accept": "application/graphql-response+json",
            # A stated purpose, so fields the policy marks `require_purpose` answer as decided.
            "x-access-purpose": PURPOSE,
        },
    )
    assert response.status_code in (200, 400), f"{response.status_code}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


async def a_child(admin: GraphQLClient, place: Place, tag: str, **overrides: Any) -> str:
    child = await register_child(
        admin, place.village, name=f"{tag}{uuid.uuid4().hex[:4]}", **overrides
    )
    child_id: str = child["id"]
    return child_id


async def visible_ids(
    http: httpx.AsyncClient, token: str, tag: str, page_size: int = 2
) -> tuple[set[str], int]:
    """Every child the token sees among the tagged ones, page by page; each page must report
    the same totalCount, and that count must equal the number of rows paged through."""
    seen: list[str] = []
    counts = set()
    after = None
    for _ in range(50):
        body = await post(http, token, CHILDREN, {"tag": tag, "first": page_size, "after": after})
        assert "errors" not in body, body
        page = body["data"]["children"]
        counts.add(page["totalCount"])
        seen += [edge["node"]["id"] for edge in page["edges"]]
        assert len(page["edges"]) <= page_size, page
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert len(page["edges"]) == page_size, f"a short page says there is more: {page}"
        after = page["pageInfo"]["endCursor"]
    assert len(counts) == 1, f"totalCount changed from page to page: {counts}"
    assert len(seen) == len(set(seen)), f"a child was paged twice: {seen}"
    total = counts.pop()
    assert total == len(seen), f"totalCount {total} but {len(seen)} children were paged"
    return set(seen), total


async def assert_not_found(http: httpx.AsyncClient, token: str, child_id: str, who: str) -> None:
    body = await post(http, token, CHILD, {"id": child_id})
    error = error_of(body)
    assert error["extensions"]["code"] == "NOT_FOUND", f"{who} should not see the child: {body}"


async def assert_found(http: httpx.AsyncClient, token: str, child_id: str, who: str) -> None:
    body = await post(http, token, CHILD, {"id": child_id})
    assert "errors" not in body, f"{who} should see the child: {body}"
    assert body["data"]["child"]["id"] == child_id


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        yield client


@pytest.fixture
def admin(http: httpx.AsyncClient) -> GraphQLClient:
    """The city civil-affairs bureau, which registers the children (scope `all`)."""
    return GraphQLClient(http, token=token_for(region_code=CITY, user_id="scopes-admin"))


# --- region --------------------------------------------------------------------------------------


async def test_region_scope_is_the_callers_region_subtree(
    http: httpx.AsyncClient, admin: GraphQLClient, db: asyncpg.Connection
) -> None:
    tag = a_tag()
    in_a = {await a_child(admin, A, tag) for _ in range(3)}
    in_b = {await a_child(admin, B, tag) for _ in range(2)}

    director = token_for("civil_affairs", "child_director", region_code=A.village)
    seen, total = await visible_ids(http, director, tag)
    assert seen == in_a, "a village child director sees exactly their village's children"
    assert total == 3
    for child_id in in_b:
        await assert_not_found(http, director, child_id, "village A's child director")

    supervisor = token_for("civil_affairs", "supervisor", region_code=A.township)
    seen, total = await visible_ids(http, supervisor, tag, page_size=3)
    assert seen == in_a | in_b, "a township supervisor sees every village of the township"
    assert total == 5

    # Without the name filter the count is the scope's alone; it agrees with the table.
    body = await post(http, director, "{ children(first: 1) { totalCount } }")
    in_table = await db.fetchval(
        "SELECT count(*) FROM children WHERE residence_region_code LIKE $1", A.village + "%"
    )
    assert body["data"]["children"]["totalCount"] == in_table, (
        "the director's totalCount must count the children living in village A"
    )

    nowhere = token_for("civil_affairs", "child_director")  # no region claim
    seen, total = await visible_ids(http, nowhere, tag)
    assert (seen, total) == (set(), 0), "without a region claim the region scope is empty"


# --- school --------------------------------------------------------------------------------------


async def test_school_scope_is_the_pupils_enrolled_at_the_callers_school(
    http: httpx.AsyncClient, admin: GraphQLClient
) -> None:
    tag = a_tag()
    other_school = Place(C.village).school
    at_school = await a_child(admin, A, tag)
    elsewhere = await a_child(admin, A, tag)
    not_enrolled = await a_child(admin, A, tag)
    transferred = await a_child(admin, A, tag)
    await enroll(admin, at_school, A.school)
    await enroll(admin, elsewhere, other_school)
    await enroll(admin, transferred, A.school, status="TRANSFERRED")

    teacher = token_for("education", "teacher", organization_id=raw_key(A.school))
    seen, total = await visible_ids(http, teacher, tag)
    assert seen == {at_school}, "a teacher sees only the pupils enrolled at their school"
    assert total == 1
    for child_id in (elsewhere, not_enrolled, transferred):
        await assert_not_found(http, teacher, child_id, "a teacher of another school")

    colleague = token_for("education", "teacher", organization_id=raw_key(other_school))
    seen, _ = await visible_ids(http, colleague, tag)
    assert seen == {elsewhere}, "the other school's teacher sees the other school's pupil"

    no_school = token_for("education", "teacher", region_code=CITY)
    seen, total = await visible_ids(http, no_school, tag)
    assert (seen, total) == (set(), 0), "a teacher without an organisation sees no pupil"


# --- police jurisdiction ---------------------------------------------------------------------


async def test_a_compulsory_report_in_the_officers_region_brings_the_child_into_scope(
    http: httpx.AsyncClient, admin: GraphQLClient
) -> None:
    tag = a_tag()
    reported_here = await a_child(admin, A, tag)
    reported_elsewhere = await a_child(admin, C, tag)
    # The station of township C: the `cases` scope does not apply (no case is assigned to it).
    officer = token_for(
        "police", "officer", region_code=A.township, organization_id=raw_key(C.station)
    )
    assert await visible_ids(http, officer, tag) == (set(), 0), "nothing reported yet"
    await assert_not_found(http, officer, reported_here, "an officer before any report")

    for child_id, place in ((reported_here, A), (reported_elsewhere, C)):
        body = await post(
            http,
            officer,
            FILE_REPORT,
            {
                "i": {
                    "childId": child_id,
                    "placeRegionCode": place.village,
                    "reporterOrganizationId": place.committee,
                    "trigger": "LIVING_ALONE",
                    "summary": "儿童独自在家已三天",
                }
            },
        )
        assert "errors" not in body, f"filing a report naming any child is allowed: {body}"

    await assert_found(http, officer, reported_here, "an officer after a report in the region")
    await assert_not_found(
        http, officer, reported_elsewhere, "an officer, for a report outside their region"
    )
    assert await visible_ids(http, officer, tag) == ({reported_here}, 1)


# --- cases ---------------------------------------------------------------------------------------


async def test_a_case_assigned_to_or_opened_by_the_station_brings_the_child_into_scope(
    http: httpx.AsyncClient, admin: GraphQLClient
) -> None:
    tag = a_tag()
    assigned = await a_child(admin, A, tag)
    opened_by = await a_child(admin, A, tag)
    other_station = await a_child(admin, A, tag)
    # A region with no report about these children: the `jurisdiction` scope does not apply.
    officer = token_for(
        "police", "officer", region_code=OTHER_COUNTY, organization_id=raw_key(A.station)
    )
    assert await visible_ids(http, officer, tag) == (set(), 0)

    async def open_case(child_id: str, opener: str, assignees: list[str]) -> str:
        data = await admin.data(
            OPEN_CASE,
            {
                "i": {
                    "childId": child_id,
                    "kind": "LIVING_ALONE",
                    "summary": "儿童独自在家",
                    "organizationId": opener,
                    "assignedOrganizationIds": assignees,
                }
            },
        )
        case_id: str = data["openCase"]["case"]["id"]
        return case_id

    assigned_case = await open_case(assigned, A.government, [A.station])
    await open_case(opened_by, A.station, [])
    hidden_case = await open_case(other_station, A.government, [C.station])

    seen, total = await visible_ids(http, officer, tag)
    assert seen == {assigned, opened_by}, "cases assigned to or opened by the station count"
    assert total == 2
    await assert_not_found(http, officer, other_station, "an officer of another station")

    body = await post(http, officer, CASE, {"id": assigned_case})
    assert "errors" not in body and body["data"]["case"]["summary"] == "儿童独自在家", body
    error = error_of(await post(http, officer, CASE, {"id": hidden_case}))
    assert error["extensions"]["code"] == "NOT_FOUND", error


# --- no existence leak ---------------------------------------------------------------------------


def comparable(body: dict[str, Any]) -> tuple[Any, ...]:
    error = error_of(body)
    return error["message"], error["extensions"], error.get("path")


async def test_out_of_scope_is_indistinguishable_from_missing(
    http: httpx.AsyncClient, admin: GraphQLClient, db: asyncpg.Connection
) -> None:
    tag = a_tag()
    outside = await a_child(admin, B, tag)
    missing = encode_global_id("Child", uuid.uuid4())
    director = token_for("civil_affairs", "child_director", region_code=A.village)

    for query in (CHILD, NODE):
        hidden = await post(http, director, query, {"id": outside})
        absent = await post(http, director, query, {"id": missing})
        assert comparable(hidden)[1]["code"] == "NOT_FOUND", hidden
        assert comparable(hidden) == comparable(absent), (
            f"out of scope and non-existent must answer alike: {hidden} vs {absent}"
        )
        assert hidden.get("data") == absent.get("data")

    hidden = await post(
        http, director, UPDATE, {"i": {"id": outside, "version": 1, "address": "x"}}
    )
    absent = await post(
        http, director, UPDATE, {"i": {"id": missing, "version": 1, "address": "x"}}
    )
    assert comparable(hidden)[1]["code"] == "NOT_FOUND", hidden
    assert comparable(hidden) == comparable(absent), f"{hidden} vs {absent}"
    row = await db.fetchrow(
        "SELECT address, version FROM children WHERE id = $1", uuid.UUID(raw_key(outside))
    )
    assert row is not None
    assert (row["address"], row["version"]) == ("三组12号", 1), "the refused update wrote"

    caseworker = token_for("civil_affairs", "caseworker", region_code=A.village)
    data = await admin.data(
        OPEN_CASE,
        {
            "i": {
                "childId": outside,
                "kind": "MISSING",
                "summary": "走失",
                "organizationId": B.government,
            }
        },
    )
    hidden = await post(http, caseworker, CASE, {"id": data["openCase"]["case"]["id"]})
    absent = await post(http, caseworker, CASE, {"id": encode_global_id("Case", uuid.uuid4())})
    assert comparable(hidden)[1]["code"] == "NOT_FOUND", hidden
    assert comparable(hidden) == comparable(absent), f"{hidden} vs {absent}"


# --- several roles: the union of rows, fields per row -------------------------------------------

VOLUNTEER = "womens_federation:volunteer"
TEACHER = "education:teacher"
OFFICER = "police:officer"

UNION_ROWS = """
query($tag: String!) {
  children(filter: {search: $tag}, first: 50) {
    totalCount
    edges { node { id name idNumber address schooling health sex } }
  }
}
"""


class Union:
    """The policy in force and the oracle's real values, to decide each row's fields."""

    def __init__(self, policy: PolicyInForce, oracle: GraphQLClient) -> None:
        self.policy = policy
        self.oracle = oracle

    async def check(
        self, http: httpx.AsyncClient, token: str, child_id: str, seen_by: set[str], label: str
    ) -> dict[str, Any]:
        """Every Child field of the row, through node(id:), against the decision of the
        roles in `seen_by` only."""
        query = node_query(self.policy.schema, "Child")
        real = await self.oracle.execute(query, {"id": child_id})
        assert "errors" not in real, real
        body = await post(http, token, query, {"id": child_id})
        assert_fields_as_decided(
            f"{label} (seen through {sorted(seen_by)})",
            self.policy.schema,
            "Child",
            self.policy.expected(seen_by, "Child"),
            body["data"]["node"],
            body.get("errors", []),
            real["data"]["node"],
            ["node"],
            self.policy.unreadable(seen_by),
        )
        return body


@pytest.fixture(scope="module")
async def union(database_url: str, engine: AsyncEngine) -> AsyncIterator[Union]:
    policy = await policy_in_force(engine)
    async with unenforced_client(database_url) as oracle:
        yield Union(policy, oracle)


def rows_by_id(body: dict[str, Any]) -> tuple[int, dict[str, dict[str, Any]], list[Any]]:
    page = body["data"]["children"]
    return (
        page["totalCount"],
        {edge["node"]["id"]: edge["node"] for edge in page["edges"]},
        body.get("errors", []),
    )


def forbidden_in_list(errors: list[Any], index_of: dict[str, int], child_id: str) -> set[str]:
    """The fields FORBIDDEN on one row of the UNION_ROWS list."""
    index = index_of[child_id]
    return {
        e["path"][-1]
        for e in errors
        if e["extensions"]["code"] == "FORBIDDEN"
        and e["path"][:4] == ["children", "edges", index, "node"]
    }


async def test_teacher_and_volunteer_see_the_union_each_row_through_its_own_roles(
    http: httpx.AsyncClient, admin: GraphQLClient, union: Union
) -> None:
    """Teacher of school S (scope `school`) + women's-federation volunteer (scope `region`,
    village B): the scopes differ, so rows seen by one role only must not borrow the other's
    grants."""
    tag = a_tag()
    teacher_only = await a_child(admin, A, tag)  # pupil at S, living in A
    volunteer_only = await a_child(admin, B, tag)  # living in B, not a pupil at S
    both = await a_child(admin, B, tag)  # living in B and a pupil at S
    neither = await a_child(admin, A, tag)
    for pupil in (teacher_only, both):
        await enroll(admin, pupil, A.school)
    token = multi_role_token(
        "education",
        "teacher",
        also=[VOLUNTEER],
        organization_id=raw_key(A.school),
        region_code=B.village,
        user_id="teacher-and-volunteer",
    )
    me = await post(http, token, "{ me { roles } }")
    assert me["data"]["me"]["roles"] == [TEACHER, VOLUNTEER], me

    seen, total = await visible_ids(http, token, tag)
    assert seen == {teacher_only, volunteer_only, both}, "the union of both roles' rows"
    assert total == 3, "totalCount is the size of the union"
    await assert_not_found(http, token, neither, "teacher + volunteer")

    # Every Child field, row by row, through node(id:).
    await union.check(http, token, teacher_only, {TEACHER}, "teacher-only pupil")
    volunteer_row = await union.check(http, token, volunteer_only, {VOLUNTEER}, "volunteer-only")
    await union.check(http, token, both, {TEACHER, VOLUNTEER}, "child seen by both")
    node = volunteer_row["data"]["node"]
    assert node["name"] is not None and node["name"].endswith("*"), (
        f"the volunteer-only child's name must be masked (volunteer: read_masked), got {node}"
    )
    assert node["idNumber"] is None, "the teacher's masked idNumber must not apply"
    assert node["schooling"] is None, "the teacher's schooling grant must not apply"

    # The same through the list, where the row annotations are computed in the page query.
    body = await post(http, token, UNION_ROWS, {"tag": tag})
    total, rows, errors = rows_by_id(body)
    assert total == 3 and set(rows) == seen
    index_of = {edge["node"]["id"]: i for i, edge in enumerate(body["data"]["children"]["edges"])}
    assert forbidden_in_list(errors, index_of, volunteer_only) == {
        "idNumber",
        "address",
        "schooling",
        "health",
    }, errors
    assert rows[volunteer_only]["name"].endswith("*"), rows[volunteer_only]
    assert forbidden_in_list(errors, index_of, teacher_only) == {"address"}, errors
    assert "*" in rows[teacher_only]["idNumber"] and not rows[teacher_only]["name"].endswith("*")
    assert forbidden_in_list(errors, index_of, both) == {"address"}, errors


async def test_officer_and_volunteer_see_the_union_each_row_through_its_own_roles(
    http: httpx.AsyncClient, admin: GraphQLClient, union: Union
) -> None:
    """Police officer (scope `jurisdiction`: reports placed in village B) + volunteer (scope
    `region`: children living in B), both with region claim B."""
    tag = a_tag()
    officer_only = await a_child(admin, C, tag)  # lives in C, reported in B
    volunteer_only = await a_child(admin, B, tag)  # lives in B, never reported
    both = await a_child(admin, B, tag)  # lives in B, reported in B
    neither = await a_child(admin, C, tag)
    token = multi_role_token(
        "police",
        "officer",
        also=[VOLUNTEER],
        region_code=B.village,
        organization_id=raw_key(C.station),
        user_id="officer-and-volunteer",
    )
    for child_id in (officer_only, both):
        body = await post(
            http,
            token,
            FILE_REPORT,
            {
                "i": {
                    "childId": child_id,
                    "placeRegionCode": B.village,
                    "reporterOrganizationId": B.committee,
                    "trigger": "LIVING_ALONE",
                    "summary": "儿童在村口徘徊",
                }
            },
        )
        assert "errors" not in body, body

    seen, total = await visible_ids(http, token, tag)
    assert seen == {officer_only, volunteer_only, both}
    assert total == 3, "totalCount is the size of the union"
    await assert_not_found(http, token, neither, "officer + volunteer")

    await union.check(http, token, officer_only, {OFFICER}, "officer-only child")
    volunteer_row = await union.check(http, token, volunteer_only, {VOLUNTEER}, "volunteer-only")
    await union.check(http, token, both, {OFFICER, VOLUNTEER}, "child seen by both")
    node = volunteer_row["data"]["node"]
    assert node["name"].endswith("*"), f"volunteer-only: the name is masked, got {node['name']}"
    assert node["idNumber"] is None and node["address"] is None, (
        "volunteer-only: idNumber and address are FORBIDDEN although police:officer grants them"
    )

    body = await post(http, token, UNION_ROWS, {"tag": tag})
    total, rows, errors = rows_by_id(body)
    assert total == 3 and set(rows) == seen
    index_of = {edge["node"]["id"]: i for i, edge in enumerate(body["data"]["children"]["edges"])}
    assert forbidden_in_list(errors, index_of, volunteer_only) == {
        "idNumber",
        "address",
        "schooling",
        "health",
    }, errors
    # the police's duty does not need health: neither role grants it for this row
    assert forbidden_in_list(errors, index_of, officer_only) == {"health"}, errors
    assert rows[officer_only]["address"] == "三组12号"


# --- several roles: records about a child seen through one role only -----------------------------

GUARDIANS_OF = """
query($id: ID!) {
  child(id: $id) {
    guardianships { capacity worksAwaySince guardian { id name idNumber phone } }
  }
}
"""
GUARDIAN_NODE = "query($id: ID!) { node(id: $id) { ... on Guardian { name idNumber phone } } }"
CASE_NODE = "query($id: ID!) { node(id: $id) { ... on Case { kind summary riskLevel } } }"
CASES = """
query { cases(first: 100) { edges { node { id summary } } } }
"""


async def a_guardian_of(admin: GraphQLClient, child_id: str) -> str:
    guardian = await register_guardian(
        admin,
        name=f"赵{uuid.uuid4().hex[:4]}",
        idNumber=new_id_number(date(1985, 1, 2), Sex.MALE),
        phone="13812345678",
    )
    await link(admin, child_id, guardian["id"])
    guardian_id: str = guardian["id"]
    return guardian_id


def forbidden_paths(body: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {
        tuple(e["path"]) for e in body.get("errors", []) if e["extensions"]["code"] == "FORBIDDEN"
    }


UNION_LEAK = (
    "core/authorization/enforcement.py Authorize.resolve (lines 80-81) narrows a multi-role "
    "caller's field decisions to the roles that see the row only when the row carries "
    "`visible_through`; Child rows do (core/graphql/loaders.py annotates the `child` loader "
    "and the children page) and so do some newer plugin records, but the core's Guardian, "
    "Guardianship, Case and CaseEvent types have no visible_through (core/graphql/types.py): "
    "reached from a child seen through one role, they get the best decision of ALL the "
    "caller's roles, including those whose row scope excludes that child. "
)


UNION_GUARDIAN_REASON = UNION_LEAK + (
    "Reproduce: token police:officer (org = a station with no case about the child) + roles "
    "[womens_federation:volunteer], region = village B; a child living in B, never reported, "
    "with a guardian: child { guardianships { guardian { name idNumber } } } and node(id: "
    "guardian) answer the guardian's full name and resident ID number, although the volunteer "
    "(the only role seeing the child) has Guardian.name read_masked and no Guardian.idNumber."
)


async def test_union_guardian_of_a_volunteer_only_child_gets_no_officer_grant(
    http: httpx.AsyncClient, admin: GraphQLClient
) -> None:
    tag = a_tag()
    volunteer_only = await a_child(admin, B, tag)
    guardian = await a_guardian_of(admin, volunteer_only)
    token = multi_role_token(
        "police",
        "officer",
        also=[VOLUNTEER],
        region_code=B.village,
        organization_id=raw_key(C.station),
    )
    await assert_found(http, token, volunteer_only, "officer + volunteer")
    problems = []
    nested = await post(http, token, GUARDIANS_OF, {"id": volunteer_only})
    [link_row] = nested["data"]["child"]["guardianships"]
    direct = await post(http, token, GUARDIAN_NODE, {"id": guardian})
    for label, body, row, path in (
        (
            "child.guardianships.guardian",
            nested,
            link_row["guardian"],
            ("child", "guardianships", 0, "guardian"),
        ),
        ("node(id: guardian)", direct, direct["data"]["node"], ("node",)),
    ):
        if row["idNumber"] is not None or (*path, "idNumber") not in forbidden_paths(body):
            problems.append(f"{label}: Guardian.idNumber answered {row['idNumber']!r}")
        if not row["name"].endswith("*"):
            problems.append(f"{label}: Guardian.name answered unmasked {row['name']!r}")
    assert not problems, (
        "the only role that sees this child is womens_federation:volunteer (Guardian.name "
        "read_masked, no Guardian.idNumber); police:officer's Guardian.* must not apply:\n"
        + "\n".join(problems)
    )


UNION_CASE_REASON = UNION_LEAK + (
    "Reproduce: token police:officer (org = a station with no case about the child) + roles "
    "[womens_federation:volunteer], region = village B; a case about a child living in B, "
    "never reported: node(id: case) { ... on Case { summary } } and cases { summary } answer "
    "the summary, although the volunteer (the only role seeing the child) has no Case read."
)


async def test_union_case_of_a_volunteer_only_child_gets_no_officer_grant(
    http: httpx.AsyncClient, admin: GraphQLClient
) -> None:
    tag = a_tag()
    volunteer_only = await a_child(admin, B, tag)
    data = await admin.data(
        OPEN_CASE,
        {
            "i": {
                "childId": volunteer_only,
                "kind": "MISSING",
                "summary": "走失儿童",
                "organizationId": B.government,
            }
        },
    )
    case_id = data["openCase"]["case"]["id"]
    token = multi_role_token(
        "police",
        "officer",
        also=[VOLUNTEER],
        region_code=B.village,
        organization_id=raw_key(C.station),
    )
    direct = await post(http, token, CASE_NODE, {"id": case_id})
    listed = await post(http, token, CASES)
    summaries = [
        edge["node"]["summary"]
        for edge in listed["data"]["cases"]["edges"]
        if edge["node"]["id"] == case_id
    ]
    assert direct["data"]["node"]["summary"] is None, (
        f"node(id: case) answered the summary of a case about a child only the volunteer "
        f"sees: {direct}"
    )
    assert summaries in ([], [None]), f"cases answered the summary: {summaries}"


UNION_TEACHER_REASON = UNION_LEAK + (
    "Reproduce: token education:teacher (org = school S) + roles [womens_federation:volunteer], "
    "region = village B. A pupil of S living in village A (teacher only): child { guardianships "
    "{ capacity } } answers the capacity (the teacher has no Guardianship.capacity; the "
    "volunteer's Guardianship.* leaks in). A child living in B, not at S (volunteer only): "
    "child { guardianships { guardian { name } } } answers the full name (the volunteer has "
    "read_masked; the teacher's Guardian.name read leaks in)."
)


async def test_union_guardianships_take_no_grant_from_a_role_that_does_not_see_the_child(
    http: httpx.AsyncClient, admin: GraphQLClient
) -> None:
    tag = a_tag()
    teacher_only = await a_child(admin, A, tag)
    volunteer_only = await a_child(admin, B, tag)
    await enroll(admin, teacher_only, A.school)
    await a_guardian_of(admin, teacher_only)
    await a_guardian_of(admin, volunteer_only)
    token = multi_role_token(
        "education",
        "teacher",
        also=[VOLUNTEER],
        organization_id=raw_key(A.school),
        region_code=B.village,
    )
    problems = []
    pupil = await post(http, token, GUARDIANS_OF, {"id": teacher_only})
    [pupil_link] = pupil["data"]["child"]["guardianships"]
    for name in ("capacity", "worksAwaySince"):
        if ("child", "guardianships", 0, name) not in forbidden_paths(pupil):
            problems.append(
                f"teacher-only pupil: Guardianship.{name} not FORBIDDEN ({pupil_link[name]!r})"
            )
    other = await post(http, token, GUARDIANS_OF, {"id": volunteer_only})
    [other_link] = other["data"]["child"]["guardianships"]
    if not other_link["guardian"]["name"].endswith("*"):
        problems.append(
            f"volunteer-only child: Guardian.name unmasked ({other_link['guardian']['name']!r})"
        )
    assert not problems, "\n".join(problems)


# --- filters on what a role may not read -------------------------------------------------------

FILTER_REASON = (
    "core/graphql/queries.py CoreQuery.children applies every ChildFilter condition "
    "(core/graphql/filters.py apply_child_filter, lines 75-115) whatever the caller may read, "
    "so a filter is an oracle on fields the role is denied. "
)


async def test_searching_by_an_id_number_tells_a_volunteer_nothing(
    http: httpx.AsyncClient, admin: GraphQLClient
) -> None:
    tag = a_tag()
    id_number = new_id_number(date(2014, 9, 9), Sex.MALE)
    known = await a_child(admin, B, tag, idNumber=id_number)
    volunteer = token_for("womens_federation", "volunteer", region_code=B.village)
    await assert_found(http, volunteer, known, "a volunteer of village B")
    unknown_number = new_id_number(date(2014, 9, 9), Sex.MALE)
    answers = []
    for number in (id_number, unknown_number):
        body = await post(
            http,
            volunteer,
            "query($s: String!) { children(filter: {search: $s}, first: 100) { totalCount } }",
            {"s": number},
        )
        answers.append(body)
    assert answers[0] == answers[1], (
        "searching by an ID number tells a volunteer, who may not read ID numbers, which "
        f"number is registered in its region: {answers}"
    )


async def test_filtering_by_cases_tells_a_teacher_nothing(
    http: httpx.AsyncClient, admin: GraphQLClient
) -> None:
    tag = a_tag()
    pupil_with_case = await a_child(admin, A, tag)
    pupil = await a_child(admin, A, tag)
    for child_id in (pupil_with_case, pupil):
        await enroll(admin, child_id, A.school)
    await admin.data(
        OPEN_CASE,
        {
            "i": {
                "childId": pupil_with_case,
                "kind": "UNLAWFUL_HARM",
                "summary": "疑似遭受家庭暴力",
                "riskLevel": "CRITICAL",
                "organizationId": A.government,
            }
        },
    )
    teacher = token_for("education", "teacher", organization_id=raw_key(A.school))
    seen, _ = await visible_ids(http, teacher, tag)
    assert seen == {pupil_with_case, pupil}, "the teacher sees both pupils"
    body = await post(
        http,
        teacher,
        "query($t: String!) { children(filter: {search: $t, riskLevels: [CRITICAL]}, first: 100) "
        "{ edges { node { id } } } }",
        {"t": tag},
    )
    children = (body.get("data") or {}).get("children") or {}
    found = {edge["node"]["id"] for edge in children.get("edges", [])}
    assert found != {pupil_with_case}, (
        "filtering by riskLevels singles out the pupil with a CRITICAL case for a teacher who "
        f"may read no case: {body}"
    )
