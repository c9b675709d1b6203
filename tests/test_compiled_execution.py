"""The fast path for queries (core.graphql.compiled_execution) answers exactly as graphql-core
does: the same status, the same bytes, errors included, and the same audit entries.

Two in-process apps run on the same seeded database: one as configured by default (the fast
path on), one with CAREGRAPH_COMPILED_EXECUTION off, where graphql-core executes every query.
Each request goes to both. A spy on `compiled_execution.answer` tells whether the fast path
answered (so that equal answers are not equal only because it always gave way), or gave way to
graphql-core where it must: errors, interfaces, variables that do not coerce.
"""

import gc
import json
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from bench.scenarios import CHILD_PROFILE, TOWNSHIP_LIST
from core.app import create_app
from core.authentication import sign_token
from core.database import create_engine
from core.graphql import compiled_execution
from core.graphql.global_ids import encode_global_id
from core.identity import Caller
from core.seed.synthetic import seed_children
from core.settings import Settings
from core.testing import TEST_JWT_SECRET, plain_url

SEED = 4242  # no other test module seeds with it
CHILDREN = 300

# What the spy must see for one request to the default app.
FAST = "answered on the fast path"
GIVES_WAY = "gave way to graphql-core"
NOT_TRIED = "refused before execution"  # validation and request limits: nothing to execute

CASEWORKER = ("civil_affairs", "caseworker")
OFFICER = "police:officer"
VOLUNTEER = "womens_federation:volunteer"


# --- the two apps and the seeded data -------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """What the documents ask about, chosen from the seeded data so that answers are full."""

    county: str  # the county with the most children
    townships: list[dict[str, Any]]  # TOWNSHIP_LIST variables: a township and a guardianship type
    with_cases: list[str]  # children of the county with a case (global IDs)
    without_cases: list[str]  # children of the county without one
    outside: str  # a child of another county
    case_opener: str  # the township government that opened a case in the county
    case_child: str  # the child of that case
    other_township: str  # the smallest township of the county other than that case's
    contacted: list[str]  # children of the county with family contacts recorded


@dataclass
class World:
    fast: httpx.AsyncClient  # compiled_execution on (the default)
    general: httpx.AsyncClient  # compiled_execution off: graphql-core answers everything
    inputs: Inputs
    database_url: str


def settings(database_url: str, *, compiled: bool) -> Settings:
    return Settings.model_validate(
        {
            "database_url": plain_url(database_url),
            "CAREGRAPH_JWT_SECRET": TEST_JWT_SECRET,
            "CAREGRAPH_COMPILED_EXECUTION": compiled,
            # Both apps count the same users' points; no limit, so that neither refuses first.
            "CAREGRAPH_RATE_LIMIT_POINTS": 0,
            "CAREGRAPH_SWEEP_INTERVAL": 0,
        }
    )


def token(
    department: str,
    role: str,
    *,
    region: str | None = None,
    org: str | None = None,
    also: Iterable[str] = (),
    user: str = "compiled-execution",
) -> str:
    caller = Caller(
        user_id=user,
        department=department,
        role=role,
        organization_id=org,
        region_code=region,
        extra_roles=tuple(also),
    )
    return sign_token(caller, TEST_JWT_SECRET)


def child_gid(key: uuid.UUID) -> str:
    return encode_global_id("Child", key)


async def choose_inputs(connection: asyncpg.Connection) -> tuple[Inputs, list[tuple[str, str]]]:
    """The inputs, and (child, parent) global IDs to record family contacts for."""
    county: str = await connection.fetchval(
        "SELECT left(residence_region_code, 6) FROM children GROUP BY 1 "
        "ORDER BY count(*) DESC, 1 LIMIT 1"
    )
    townships = await connection.fetch(
        "SELECT left(residence_region_code, 9) AS code, guardianship_type, count(*) "
        "FROM children WHERE residence_region_code LIKE $1 || '%' "
        "AND guardianship_type IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 3",
        county,
    )
    with_cases = await connection.fetch(
        # with a guardian too: the documents read guardians of these children
        "SELECT DISTINCT c.id FROM children c JOIN cases k ON k.child_id = c.id "
        "WHERE c.residence_region_code LIKE $1 || '%' "
        "AND EXISTS (SELECT 1 FROM guardianships g WHERE g.child_id = c.id) "
        "ORDER BY c.id LIMIT 6",
        county,
    )
    without_cases = await connection.fetch(
        "SELECT c.id FROM children c WHERE c.residence_region_code LIKE $1 || '%' "
        "AND NOT EXISTS (SELECT 1 FROM cases k WHERE k.child_id = c.id) ORDER BY c.id LIMIT 2",
        county,
    )
    outside = await connection.fetchval(
        "SELECT id FROM children WHERE residence_region_code NOT LIKE $1 || '%' ORDER BY id",
        county,
    )
    case = await connection.fetchrow(
        "SELECT k.opened_by_organization_id AS opener, c.id AS child, "
        "left(c.residence_region_code, 9) AS township "
        "FROM cases k JOIN children c ON c.id = k.child_id "
        "WHERE c.residence_region_code LIKE $1 || '%' ORDER BY k.id LIMIT 1",
        county,
    )
    assert case is not None, "the seeded county has a case"
    other_township = await connection.fetchval(
        "SELECT left(residence_region_code, 9) FROM children "
        "WHERE residence_region_code LIKE $1 || '%' AND left(residence_region_code, 9) <> $2 "
        "GROUP BY 1 ORDER BY count(*), 1 LIMIT 1",  # the smallest: the union fits one page
        county,
        case["township"],
    )
    # the first children by name (as pages are ordered) with a parent on record
    parents = await connection.fetch(
        "SELECT child_id, guardian_id FROM ("
        " SELECT DISTINCT ON (g.child_id) g.child_id, g.guardian_id, c.name FROM guardianships g"
        " JOIN children c ON c.id = g.child_id"
        " WHERE c.residence_region_code LIKE $1 || '%' AND g.relationship IN ('FATHER', 'MOTHER')"
        " ORDER BY g.child_id, g.guardian_id"
        ") parents ORDER BY name, child_id LIMIT 3",
        county,
    )
    inputs = Inputs(
        county=county,
        townships=[
            {"region": row["code"], "types": [row["guardianship_type"]]} for row in townships
        ],
        with_cases=[child_gid(row["id"]) for row in with_cases],
        without_cases=[child_gid(row["id"]) for row in without_cases],
        outside=child_gid(outside),
        case_opener=str(case["opener"]),
        case_child=child_gid(case["child"]),
        other_township=other_township,
        contacted=[child_gid(row["child_id"]) for row in parents],
    )
    contacts = [
        (child_gid(row["child_id"]), encode_global_id("Guardian", row["guardian_id"]))
        for row in parents
    ]
    return inputs, contacts


RECORD_CONTACT = """
mutation($i: RecordFamilyContactInput!) { recordFamilyContact(input: $i) { contact { id } } }
"""


async def record_family_contacts(
    http: httpx.AsyncClient, county: str, contacts: list[tuple[str, str]]
) -> None:
    """Contacts with a parent yesterday and nine days ago: plugin records to answer about."""
    staff = token("womens_federation", "staff", region=county, user="compiled-wf-staff")
    today = date.today()
    for child, guardian in contacts:
        for day, channel in (
            (today - timedelta(days=1), "VIDEO_CALL"),
            (today - timedelta(days=9), "PHONE"),
        ):
            body = await post(
                http,
                RECORD_CONTACT,
                {
                    "i": {
                        "childId": child,
                        "guardianId": guardian,
                        "contactOn": day.isoformat(),
                        "channel": channel,
                        "minutes": 15,
                        "note": "孩子说想念妈妈",
                    }
                },
                staff,
            )
            assert "errors" not in body.json(), body.json()


@pytest.fixture(scope="module")
async def world(database_url: str) -> AsyncIterator[World]:
    engine = create_engine(database_url, pool_size=2)
    try:
        await seed_children(engine, CHILDREN, seed=SEED)
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        inputs, contacts = await choose_inputs(connection)
    finally:
        await connection.close()
    fast_app = create_app(settings=settings(database_url, compiled=True), database_url=database_url)
    general_app = create_app(
        settings=settings(database_url, compiled=False), database_url=database_url
    )
    async with (
        fast_app.router.lifespan_context(fast_app),
        general_app.router.lifespan_context(general_app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=fast_app), base_url="http://127.0.0.1", timeout=30
        ) as fast,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=general_app), base_url="http://127.0.0.1", timeout=30
        ) as general,
    ):
        await record_family_contacts(general, inputs.county, contacts)
        yield World(fast=fast, general=general, inputs=inputs, database_url=database_url)


# --- sending each request to both apps ------------------------------------------------------------


async def post(
    http: httpx.AsyncClient,
    document: str,
    variables: dict[str, Any] | None,
    bearer: str,
    headers: dict[str, str] | None = None,
    operation_name: str | None = None,
) -> httpx.Response:
    sent = {
        "accept": "application/graphql-response+json, application/json",
        "authorization": f"Bearer {bearer}",
        **(headers or {}),
    }
    request: dict[str, Any] = {"query": document, "variables": variables or {}}
    if operation_name is not None:
        request["operationName"] = operation_name
    return await http.post("/graphql", json=request, headers=sent)


def difference(fast: Any, general: Any, path: str = "") -> list[str]:
    """Where two JSON values differ, for a readable failure."""
    if isinstance(fast, dict) and isinstance(general, dict):
        found = []
        for key in dict.fromkeys([*general, *fast]):
            if key not in fast or key not in general:
                found.append(
                    f"{path}.{key}: only on the {'fast' if key in fast else 'general'} path"
                )
            else:
                found += difference(fast[key], general[key], f"{path}.{key}")
        return found
    if isinstance(fast, list) and isinstance(general, list) and len(fast) == len(general):
        return [
            d
            for i, (f, g) in enumerate(zip(fast, general, strict=True))
            for d in difference(f, g, f"{path}[{i}]")
        ]
    return [] if fast == general else [f"{path}: fast {fast!r}, general {general!r}"]


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class Paths:
    """Sends a request to both apps and checks that they answered alike, and how."""

    def __init__(self, world: World, outcomes: list[bool]) -> None:
        self.world = world
        self.inputs = world.inputs
        self.outcomes = outcomes  # per call of `answer`: whether it returned data

    async def send(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        bearer: str,
        general_bearer: str | None = None,
        headers: dict[str, str] | None = None,
        operation_name: str | None = None,
    ) -> tuple[httpx.Response, httpx.Response]:
        """The request to the general app, then to the fast one: their responses."""
        self.outcomes.clear()
        general = await post(
            self.world.general,
            document,
            variables,
            general_bearer or bearer,
            headers,
            operation_name,
        )
        assert self.outcomes == [], "with compiled_execution off the fast path is never tried"
        fast = await post(self.world.fast, document, variables, bearer, headers, operation_name)
        return fast, general

    def check(self, fast: httpx.Response, general: httpx.Response, expect: str) -> dict[str, Any]:
        """Both answered alike, and the fast path answered or gave way as `expect` says."""
        body: dict[str, Any] = fast.json()
        general_body = general.json()
        assert body.get("data") == general_body.get("data"), "\n".join(
            difference(body.get("data"), general_body.get("data"))[:20]
        )
        assert sorted(map(canonical, body.get("errors", []))) == sorted(
            map(canonical, general_body.get("errors", []))
        ), "the same errors"
        assert body == general_body, "the same errors in the same order, the same extensions:\n" + (
            "\n".join(difference(body, general_body)[:20])
        )
        assert fast.status_code == general.status_code
        assert fast.headers["content-type"] == general.headers["content-type"]
        assert fast.content == general.content, "the same bytes, key order included"
        if expect == FAST:
            assert self.outcomes == [True], f"the fast path should have answered: {self.outcomes}"
        elif expect == GIVES_WAY:
            assert self.outcomes == [False], f"the fast path should have given way: {self.outcomes}"
        else:
            assert self.outcomes == [], f"nothing should have been executed: {self.outcomes}"
        return body

    async def compare(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        bearer: str,
        expect: str,
        headers: dict[str, str] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        fast, general = await self.send(
            document, variables, bearer=bearer, headers=headers, operation_name=operation_name
        )
        return self.check(fast, general, expect)


@pytest.fixture
def paths(world: World, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """Both apps, with a spy on the fast path (the extension calls the module's `answer`)."""
    outcomes: list[bool] = []
    original = compiled_execution.answer

    async def spy(*args: Any, **kwargs: Any) -> dict[str, Any] | None:
        data = await original(*args, **kwargs)
        outcomes.append(data is not None)
        return data

    monkeypatch.setattr(compiled_execution, "answer", spy)
    return Paths(world, outcomes)


def caseworker(paths: Paths, user: str = "compiled-execution") -> str:
    return token(*CASEWORKER, region=paths.inputs.county, user=user)


def nodes(body: dict[str, Any], field: str = "children") -> list[dict[str, Any]]:
    return [edge["node"] for edge in body["data"][field]["edges"]]


def codes(body: dict[str, Any]) -> set[str]:
    assert body.get("errors"), f"expected errors, got {body}"
    return {error["extensions"]["code"] for error in body["errors"]}


# --- 1. the benchmark scenarios -------------------------------------------------------------------


async def test_township_list_scenario(paths: Paths) -> None:
    bearer = caseworker(paths)
    guardians_seen = 0
    for variables in paths.inputs.townships:
        body = await paths.compare(TOWNSHIP_LIST, variables, bearer=bearer, expect=FAST)
        children = nodes(body)
        assert children, f"township {variables} has children"
        assert all(c["residenceRegion"]["code"].startswith(variables["region"]) for c in children)
        assert all(c["guardianshipType"] == variables["types"][0] for c in children)
        guardians_seen += sum(len(c["guardianships"]) for c in children)
    assert guardians_seen, "seeded children have guardians"


async def test_child_profile_scenario(paths: Paths) -> None:
    bearer = caseworker(paths)
    events = 0
    for child in paths.inputs.with_cases:
        body = await paths.compare(CHILD_PROFILE, {"id": child}, bearer=bearer, expect=FAST)
        profile = body["data"]["child"]
        assert profile["id"] == child and profile["name"]
        assert profile["cases"], "the child has a case"
        events += sum(len(case["events"]) for case in profile["cases"])
    assert events, "seeded cases have timelines"
    for child in paths.inputs.without_cases:
        body = await paths.compare(CHILD_PROFILE, {"id": child}, bearer=bearer, expect=FAST)
        assert body["data"]["child"]["cases"] == []


# --- 2. pagination --------------------------------------------------------------------------------

PAGE = """
query Page($region: String!, $first: Int, $after: String, $last: Int, $before: String,
           $order: ChildOrder! = NAME, $direction: OrderDirection! = ASC) {
  children(first: $first, after: $after, last: $last, before: $before,
           filter: {regionCode: $region}, orderBy: $order, direction: $direction) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges {
      cursor
      node {
        id idNumber name sex birthDate age address registeredAt status schooling boarding health
        isLeftBehind disabilityCategory disabilityGrade illness difficultyCategories
        familyIncomeSources assistanceReceived guardianshipType version
        householdRegion { code name level }
      }
    }
  }
}
"""


async def test_pages_forwards_and_backwards(paths: Paths) -> None:
    bearer = caseworker(paths)
    county = paths.inputs.county
    first = await paths.compare(PAGE, {"region": county, "first": 30}, bearer=bearer, expect=FAST)
    page = first["data"]["children"]
    assert page["totalCount"] > 30 and len(page["edges"]) == 30
    assert page["pageInfo"]["hasNextPage"] and not page["pageInfo"]["hasPreviousPage"]
    assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]

    second = await paths.compare(
        PAGE,
        {"region": county, "first": 30, "after": page["pageInfo"]["endCursor"]},
        bearer=bearer,
        expect=FAST,
    )
    following = second["data"]["children"]
    assert len(following["edges"]) == 30 and following["pageInfo"]["hasPreviousPage"]
    assert not {n["id"] for n in nodes(first)} & {n["id"] for n in nodes(second)}

    back = await paths.compare(
        PAGE,
        {"region": county, "last": 10, "before": following["pageInfo"]["startCursor"]},
        bearer=bearer,
        expect=FAST,
    )
    assert [n["id"] for n in nodes(back)] == [n["id"] for n in nodes(first)][-10:]

    by_age = await paths.compare(
        PAGE,
        {"region": county, "first": 25, "order": "BIRTH_DATE", "direction": "DESC"},
        bearer=bearer,
        expect=FAST,
    )
    births = [n["birthDate"] for n in nodes(by_age)]
    assert births == sorted(births, reverse=True)


# --- other root fields, each department's own view, operation names -------------------------------


async def test_other_root_fields_and_relations(paths: Paths) -> None:
    document = """
    query Around($county: String!, $region: String!) {
      me { userId roles department role regionCode organization { name } }
      region(code: $county) { code name level parent { name } subregions { code name level } }
      regions(level: VILLAGE, within: $region, first: 5) {
        totalCount edges { node { id code name parent { name parent { name } } } }
      }
      organizations(regionCode: $region, first: 10) {
        totalCount edges { node { id name department kind region { code name } } }
      }
      cases(first: 10, filter: {regionCode: $county}) {
        totalCount
        edges { node {
          id kind status riskLevel summary openedAt version
          child { id name residenceRegion { name } }
          openedBy { name kind region { name } }
          assignedOrganizations { name }
          events { id kind note occurredAt actorUserId actorDepartment organization { name } }
        } }
      }
      guardians(first: 15) {
        totalCount
        edges { node {
          id name idNumber sex phone version
          guardianships { relationship kind livesWithChild worksAway workDestination
                          worksAwaySince capacity revokedOn child { name } }
        } }
      }
    }
    """
    township = paths.inputs.townships[0]["region"]
    body = await paths.compare(
        document,
        {"county": paths.inputs.county, "region": township},
        bearer=caseworker(paths),
        expect=FAST,
    )
    data = body["data"]
    assert data["me"]["roles"] == ["civil_affairs:caseworker"]
    assert data["region"]["subregions"] and nodes(body, "regions")
    assert nodes(body, "organizations") and nodes(body, "cases") and nodes(body, "guardians")
    assert any(case["events"] for case in nodes(body, "cases"))


VIEWS: dict[str, tuple[tuple[str, str], str]] = {
    # each department's own page of children, with only the fields its policy lets it read
    "police-admin": (
        ("police", "admin"),
        """
        query($region: String) {
          children(first: 40, filter: {regionCode: $region}, orderBy: REGISTERED_AT) {
            totalCount
            edges { node {
              id idNumber name sex birthDate age address schooling boarding guardianshipType
              status registeredAt isLeftBehind version householdRegion { name }
              guardianships { relationship kind capacity guardian { name idNumber phone } }
              cases { kind status riskLevel summary openedBy { name }
                      events { kind note occurredAt } }
              openCases { id }
              compulsoryReports { id }
              policeVisits { id }
            } }
          }
        }
        """,
    ),
    "child-director": (
        ("civil_affairs", "child_director"),
        """
        query($region: String) {
          children(first: 40, filter: {regionCode: $region, isLeftBehind: true}) {
            totalCount
            edges { node {
              id name idNumber age address health illness difficultyCategories
              residenceRegion { name parent { name } }
              guardianships { relationship livesWithChild worksAway workDestination
                              guardian { name phone guardianships { relationship } } }
              censusVisits { id } latestReviewedCensusVisit { id } familyContacts { contactOn }
              careServices { id } surrogateMothers { name phone }
            } }
          }
        }
        """,
    ),
    "supervisor": (
        ("civil_affairs", "supervisor"),
        """
        query($region: String) {
          children(first: 40, filter: {regionCode: $region}, direction: DESC) {
            edges { node {
              id name status cases { id summary events { note organization { name } } }
              compulsoryReports { id }
            } }
          }
          cases(first: 20, filter: {regionCode: $region}) {
            edges { node { id kind summary child { name } assignedOrganizations { name } } }
          }
        }
        """,
    ),
    "city-bureau": (
        ("civil_affairs", "admin"),
        """
        query($region: String) {
          everywhere: children(first: 60) {
            totalCount edges { node { id name residenceRegion { code } openCases { kind } } }
          }
          here: children(first: 10, filter: {regionCode: $region, hasOpenCase: true}) {
            totalCount edges { node { id name cases { kind summary } } }
          }
        }
        """,
    ),
    "womens-federation-volunteer": (
        ("womens_federation", "volunteer"),
        """
        query($region: String) {
          children(first: 40, filter: {regionCode: $region}) {
            edges { node {
              id name sex age isLeftBehind residenceRegion { name }
              guardianships { relationship worksAway guardian { name phone } }
              familyContacts { contactOn channel } weeklyContact { contacted }
              surrogateMothers { name } careServices { id }
            } }
          }
        }
        """,
    ),
}


@pytest.mark.parametrize("view", sorted(VIEWS))
async def test_department_views(paths: Paths, view: str) -> None:
    (department, role), document = VIEWS[view]
    region = paths.inputs.townships[0]["region"]
    if view in ("police-admin", "city-bureau", "supervisor"):  # the county holds cases
        region = paths.inputs.county
    bearer = token(department, role, region=region)
    body = await paths.compare(document, {"region": region}, bearer=bearer, expect=FAST)
    pages = [value for value in body["data"].values() if "edges" in value]
    assert all(page["edges"] for page in pages), f"{view}: every page has children"


async def test_me_with_an_organization_and_operation_names(paths: Paths) -> None:
    document = """
    query Me { me { userId roles department role regionCode
                    organization { id name kind department region { name parent { name } } } } }
    query Page($region: String!) { children(first: 5, filter: {regionCode: $region}) {
      edges { node { name } } } }
    """
    bearer = token(
        "police",
        "officer",
        region=paths.inputs.county,
        org=paths.inputs.case_opener,
        also=[VOLUNTEER],
    )
    body = await paths.compare(document, bearer=bearer, expect=FAST, operation_name="Me")
    assert body["data"]["me"]["roles"] == [OFFICER, VOLUNTEER]
    assert body["data"]["me"]["organization"]["region"]["parent"]["name"]
    body = await paths.compare(
        document,
        {"region": paths.inputs.county},
        bearer=caseworker(paths),
        expect=FAST,
        operation_name="Page",
    )
    assert nodes(body)
    # no operation named: both answer the same (the first operation)
    body = await paths.compare(document, bearer=caseworker(paths), expect=FAST)
    assert body["data"]["me"]["userId"]


async def test_introspection_is_graphql_cores(paths: Paths) -> None:
    document = """
    { __typename __type(name: "Child") { name fields { name } }
      me { __typename userId } }
    """
    body = await paths.compare(document, bearer=caseworker(paths), expect=GIVES_WAY)
    assert body["data"]["__type"]["name"] == "Child"
    only_typename = await paths.compare("{ __typename }", bearer=caseworker(paths), expect=FAST)
    assert only_typename["data"] == {"__typename": "Query"}


# --- 3. aliases, fragments, __typename, @skip and @include ----------------------------------------

SHAPES = """
query Shapes($region: String!, $withCases: Boolean!, $skipCarers: Boolean!,
             $always: Boolean = true) {
  __typename
  never: me @include(if: false) { userId }
  me @include(if: $always) @skip(if: false) { role }
  page: children(first: 20, filter: {regionCode: $region}, orderBy: BIRTH_DATE, direction: DESC) {
    __typename
    total: totalCount
    info: pageInfo { __typename more: hasNextPage }
    edges {
      __typename
      node {
        ...ChildCard
        ... on Child { kind: __typename born: birthDate name residenceRegion { name code } }
        ... @include(if: $withCases) { openCases { id kind } }
      }
    }
  }
  leftBehind: children(first: 8, filter: {regionCode: $region, isLeftBehind: true}) {
    totalCount
    edges { node {
      ...ChildCard
      carers: guardianships @skip(if: $skipCarers) { ...Carer }
      guardianships { relationship ...Carer @skip(if: $skipCarers) }
      name @skip(if: true)
      name @include(if: $always)
    } }
  }
}

fragment ChildCard on Child {
  id
  displayName: name
  sex
  years: age
  residenceRegion { __typename code ...RegionName parent { ...RegionName } }
  openCases @include(if: $withCases) { id status riskLevel __typename }
  ... on Node { nodeId: id __typename }
}

fragment RegionName on Region { name level }

fragment Carer on Guardianship {
  __typename relationship worksAway
  guardian { __typename name ... on Guardian { phone } }
}
"""


@pytest.mark.parametrize(
    ("with_cases", "skip_carers"), [(True, False), (False, True), (True, True)]
)
async def test_aliases_fragments_typenames_and_directives(
    paths: Paths, with_cases: bool, skip_carers: bool
) -> None:
    body = await paths.compare(
        SHAPES,
        {"region": paths.inputs.county, "withCases": with_cases, "skipCarers": skip_carers},
        bearer=caseworker(paths),
        expect=FAST,
    )
    data = body["data"]
    assert data["__typename"] == "Query" and data["page"]["__typename"] == "ChildConnection"
    assert "never" not in data and data["me"] == {"role": "caseworker"}
    children = nodes(body, "page")
    assert len(children) == 20
    for child in children:
        assert child["kind"] == "Child" and child["nodeId"] == child["id"]
        assert child["displayName"] == child["name"]
        assert child["residenceRegion"]["__typename"] == "Region"
        assert ("openCases" in child) is with_cases
    left_behind = nodes(body, "leftBehind")
    assert left_behind, "the county has left-behind children"
    for child in left_behind:
        assert ("carers" in child) is not skip_carers
        if not skip_carers:
            assert all(c["guardian"]["__typename"] == "Guardian" for c in child["carers"])


# --- 4. masked fields -----------------------------------------------------------------------------

MASKED = """
query Masked($region: String!) {
  children(first: 40, filter: {regionCode: $region}) {
    totalCount
    edges { node {
      id name idNumber sex age isLeftBehind guardianshipType
      residenceRegion { name }
      guardianships { relationship worksAway guardian { name phone } }
    } }
  }
}
"""


def is_masked_name(value: str) -> bool:
    return len(value) >= 2 and value[1:] == "*" * (len(value) - 1)


async def test_masked_fields_for_womens_federation_staff(paths: Paths) -> None:
    bearer = token("womens_federation", "staff", region=paths.inputs.county)
    body = await paths.compare(MASKED, {"region": paths.inputs.county}, bearer=bearer, expect=FAST)
    children = nodes(body)
    assert children
    assert all(is_masked_name(child["name"]) for child in children), "张** for every child"
    assert all("*" in child["idNumber"] for child in children if child["idNumber"])
    guardians = [g["guardian"] for child in children for g in child["guardianships"]]
    assert guardians and all(is_masked_name(g["name"]) for g in guardians if g)
    assert any(g["phone"] and "*" not in g["phone"] for g in guardians if g), "phone is read"


async def test_masked_id_number_for_the_education_bureau(paths: Paths) -> None:
    document = """
    query($region: String!) {
      children(first: 30, filter: {regionCode: $region}) {
        edges { node { id name idNumber birthDate age schooling boarding isLeftBehind status
                       residenceRegion { code } } }
      }
    }
    """
    bearer = token("education", "admin", region=paths.inputs.county)
    body = await paths.compare(
        document, {"region": paths.inputs.county}, bearer=bearer, expect=FAST
    )
    children = nodes(body)
    assert children and not any(is_masked_name(child["name"]) for child in children)
    numbers = [child["idNumber"] for child in children if child["idNumber"]]
    assert numbers and all("*" in number for number in numbers)


# --- 5. denied fields -----------------------------------------------------------------------------


async def test_denied_fields_are_answered_by_graphql_core(paths: Paths) -> None:
    """The education bureau may not read addresses, health or guardians: FORBIDDEN at each
    path, null there, the rest answered."""
    document = """
    query($region: String!) {
      children(first: 10, filter: {regionCode: $region}) {
        totalCount
        edges { node { id name idNumber address health guardianships { relationship } } }
      }
    }
    """
    bearer = token("education", "admin", region=paths.inputs.county)
    body = await paths.compare(
        document, {"region": paths.inputs.county}, bearer=bearer, expect=GIVES_WAY
    )
    assert codes(body) == {"FORBIDDEN"}
    children = nodes(body)
    assert len(children) == 10
    assert all(c["address"] is None and c["health"] is None for c in children)
    assert all(c["guardianships"] is None and c["name"] for c in children)
    paths_of_errors = {tuple(error["path"]) for error in body["errors"]}
    assert ("children", "edges", 0, "node", "address") in paths_of_errors


async def test_denied_field_under_loaded_relations(paths: Paths) -> None:
    """A volunteer may read guardians' names (masked) but not their ID numbers: FORBIDDEN on
    each guardian, three levels down, after the fast path has already loaded the children's
    guardianships and guardians. graphql-core, answering after it, must still answer as it
    does alone, errors in the same order."""
    document = """
    query($region: String!) {
      children(first: 5, filter: {regionCode: $region}) {
        edges { node { name guardianships { relationship guardian { name idNumber } } } }
      }
    }
    """
    bearer = token("womens_federation", "volunteer", region=paths.inputs.county)
    body = await paths.compare(
        document, {"region": paths.inputs.county}, bearer=bearer, expect=GIVES_WAY
    )
    assert codes(body) == {"FORBIDDEN"}
    assert all(error["path"][-1] == "idNumber" for error in body["errors"])


async def test_denied_root_field(paths: Paths) -> None:
    document = """
    query($region: String!) {
      me { userId }
      cases(first: 5, filter: {regionCode: $region}) { totalCount }
    }
    """
    bearer = token("womens_federation", "volunteer", region=paths.inputs.county)
    body = await paths.compare(
        document, {"region": paths.inputs.county}, bearer=bearer, expect=GIVES_WAY
    )
    assert codes(body) == {"FORBIDDEN"} and body["data"] is None


async def test_giving_way_after_starting_resolvers_leaves_nothing_unawaited(
    paths: Paths,
) -> None:
    """The police bureau may read reports and visits but not census visits: the fast path has
    called the resolvers of the first two for every child (coroutines, not yet awaited) when
    it meets the third and gives way. Those coroutines must not be left behind un-awaited
    ("coroutine ... was never awaited"), which this project's warning filter turns into
    errors."""
    document = """
    query($region: String) {
      children(first: 10, filter: {regionCode: $region}) {
        edges { node { id name compulsoryReports { id } policeVisits { id } censusVisits { id } } }
      }
    }
    """
    bearer = token("police", "admin", region=paths.inputs.county)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        body = await paths.compare(
            document, {"region": paths.inputs.county}, bearer=bearer, expect=GIVES_WAY
        )
        gc.collect()
    assert codes(body) == {"FORBIDDEN"}
    assert all(error["path"][-1] == "censusVisits" for error in body["errors"])
    unawaited = [str(w.message) for w in caught if "was never awaited" in str(w.message)]
    assert not unawaited, f"{len(unawaited)} coroutines never awaited: {unawaited[0]}"


# --- 6. a caller with two roles whose row scopes differ -------------------------------------------

TWO_ROLES = """
query TwoRoles($region: String!) {
  children(first: 100, filter: {regionCode: $region}) {
    totalCount
    edges { node {
      id name sex age isLeftBehind
      residenceRegion { code name }
      guardianships { relationship worksAway guardian { name phone } }
    } }
  }
}
"""


async def test_two_roles_with_different_scopes(paths: Paths) -> None:
    """A police officer of the township government that opened a case (scope `cases`) who is
    also a women's-federation volunteer of another township (scope `region`): each row is
    decided by the roles that see it, so names are in full on the officer's rows and masked on
    the volunteer's (`visible_through`)."""
    inputs = paths.inputs
    bearer = token(
        "police", "officer", region=inputs.other_township, org=inputs.case_opener, also=[VOLUNTEER]
    )
    body = await paths.compare(TWO_ROLES, {"region": inputs.county}, bearer=bearer, expect=FAST)
    children = nodes(body)
    by_id = {child["id"]: child for child in children}
    assert inputs.case_child in by_id, "the officer sees the child of the case"
    assert not is_masked_name(by_id[inputs.case_child]["name"]), "seen as an officer: in full"
    volunteer_rows = [
        c for c in children if c["residenceRegion"]["code"].startswith(inputs.other_township)
    ]
    assert volunteer_rows and any(is_masked_name(c["name"]) for c in volunteer_rows)

    # the ID number is the officer's only: FORBIDDEN on the volunteer's rows
    with_id_number = TWO_ROLES.replace("id name sex", "id name idNumber sex")
    body = await paths.compare(
        with_id_number, {"region": inputs.county}, bearer=bearer, expect=GIVES_WAY
    )
    assert codes(body) == {"FORBIDDEN"}
    assert next(c for c in nodes(body) if c["id"] == inputs.case_child)["idNumber"]


async def test_two_roles_with_the_same_scope(paths: Paths) -> None:
    """A caseworker who is also a volunteer in the same county: the rows carry both roles."""
    bearer = token(*CASEWORKER, region=paths.inputs.county, also=[VOLUNTEER])
    body = await paths.compare(
        TWO_ROLES, {"region": paths.inputs.county}, bearer=bearer, expect=FAST
    )
    children = nodes(body)
    assert children and not any(is_masked_name(c["name"]) for c in children)


# --- 7. NOT_FOUND ---------------------------------------------------------------------------------


async def test_unknown_and_out_of_scope_children(paths: Paths) -> None:
    bearer = caseworker(paths)
    unknown = encode_global_id("Child", uuid.uuid4())
    for child in (unknown, paths.inputs.outside):
        body = await paths.compare(CHILD_PROFILE, {"id": child}, bearer=bearer, expect=GIVES_WAY)
        assert codes(body) == {"NOT_FOUND"} and body["data"] == {"child": None}
    both = """
    query($known: ID!, $unknown: ID!) {
      known: child(id: $known) { name cases { kind } }
      unknown: child(id: $unknown) { name }
    }
    """
    body = await paths.compare(
        both,
        {"known": paths.inputs.with_cases[0], "unknown": unknown},
        bearer=bearer,
        expect=GIVES_WAY,
    )
    assert body["data"]["known"]["name"] and body["data"]["unknown"] is None
    malformed = await paths.compare(
        CHILD_PROFILE, {"id": "not-an-id"}, bearer=bearer, expect=GIVES_WAY
    )
    assert codes(malformed)


# --- 8. variables that do not coerce --------------------------------------------------------------


@pytest.mark.parametrize(
    "variables",
    [
        {"region": 512021, "types": ["FAIR"]},
        {"region": "512021", "types": ["NOT_A_TYPE"]},
        {"types": None},
        {"region": "512021", "types": "PARENTS"},
    ],
    ids=["number-for-string", "unknown-enum", "missing-required", "unknown-enum-for-list"],
)
async def test_invalid_variables(paths: Paths, variables: dict[str, Any]) -> None:
    body = await paths.compare(TOWNSHIP_LIST, variables, bearer=caseworker(paths), expect=GIVES_WAY)
    assert codes(body) and body.get("data") is None


# --- requests refused before execution; filters ---------------------------------------------------


async def test_requests_refused_before_execution(paths: Paths) -> None:
    """Validation errors and request limits: both apps refuse alike, with nothing executed."""
    bearer = caseworker(paths)
    unknown_field = "{ children(first: 5) { edges { node { name nickname } } } }"
    body = await paths.compare(unknown_field, bearer=bearer, expect=NOT_TRIED)
    assert body["errors"] and body.get("data") is None
    too_large = "{ children(first: 500) { edges { node { name } } } }"
    body = await paths.compare(too_large, bearer=bearer, expect=NOT_TRIED)
    assert codes(body)


async def test_mutations_are_graphql_cores(paths: Paths) -> None:
    """A mutation the role may not call: refused alike, nothing written, and never answered
    on the fast path (it answers queries only)."""
    document = """
    mutation Register($input: RegisterChildInput!) { registerChild(input: $input) { child { id } } }
    """
    village = paths.inputs.townships[0]["region"] + "001"
    variables = {
        "input": {
            "name": "不该登记",
            "householdRegionCode": village,
            "residenceRegionCode": village,
            "schooling": "PRIMARY",
        }
    }
    bearer = token("womens_federation", "volunteer", region=paths.inputs.county)
    body = await paths.compare(document, variables, bearer=bearer, expect=GIVES_WAY)
    assert codes(body) == {"FORBIDDEN"} and body["data"] is None


@pytest.mark.parametrize(
    "child_filter",
    [
        {"search": "张"},
        {"minAge": 6, "maxAge": 12, "schooling": ["PRIMARY", "JUNIOR_SECONDARY"]},
        {"guardianshipTypes": ["FAIR", "NO_GUARDIAN"], "isLeftBehind": True},
        {"guardianshipTypes": "FAIR"},
        {"hasOpenCase": True},
        {"status": ["ACTIVE"], "isLeftBehind": False},
    ],
    ids=[
        "search",
        "age-and-schooling",
        "guardianship-types",
        "single-for-list",
        "open-case",
        "status",
    ],
)
async def test_filters(paths: Paths, child_filter: dict[str, Any]) -> None:
    document = """
    query($filter: ChildFilter) {
      children(first: 50, filter: $filter) {
        totalCount
        edges { node { id name age schooling guardianshipType isLeftBehind status
                       openCases { kind riskLevel } } }
      }
    }
    """
    body = await paths.compare(
        document,
        {"filter": {"regionCode": paths.inputs.county, **child_filter}},
        bearer=caseworker(paths),
        expect=FAST,
    )
    assert body["data"]["children"]["totalCount"] >= len(nodes(body))


# --- 9. interfaces --------------------------------------------------------------------------------


async def test_node_queries(paths: Paths) -> None:
    document = """
    query($id: ID!, $region: ID!) {
      node(id: $id) { __typename id ... on Child { name age cases { kind } } }
      region: node(id: $region) { id ... on Region { code name } }
    }
    """
    region = encode_global_id("Region", paths.inputs.county)
    body = await paths.compare(
        document,
        {"id": paths.inputs.with_cases[0], "region": region},
        bearer=caseworker(paths),
        expect=GIVES_WAY,
    )
    assert body["data"]["node"]["__typename"] == "Child" and body["data"]["node"]["cases"]
    assert body["data"]["region"]["code"] == paths.inputs.county


# --- 10. fields plugins add to core types ---------------------------------------------------------

PLUGIN_FIELDS = """
query Plugins($region: String!, $weeks: Int) {
  children(first: 50, filter: {regionCode: $region}) {
    edges { node {
      id name
      weeklyContact(weeks: $weeks) { weekStart weekEnd contacted contactCount lastContactOn }
      defaultWeeks: weeklyContact { weekStart contacted }
      familyContacts { id contactOn channel minutes note version }
      censusVisits { id }
      latestReviewedCensusVisit { id }
      assistanceEnrollments { id }
      projectServices { id }
      compulsoryReports { id }
      policeVisits { id }
      careServices { id }
      mentoringPairs { startedOn endedOn }
    } }
  }
}
"""


async def test_plugin_fields_on_child(paths: Paths) -> None:
    inputs = paths.inputs
    body = await paths.compare(
        PLUGIN_FIELDS, {"region": inputs.county, "weeks": 3}, bearer=caseworker(paths), expect=FAST
    )
    children = nodes(body)
    assert children and all(len(child["weeklyContact"]) == 3 for child in children)
    assert all(len(child["defaultWeeks"]) == 4 for child in children)
    contacted = [child for child in children if child["familyContacts"]]
    assert contacted, "the page includes children with family contacts"
    assert all(any(week["contacted"] for week in c["weeklyContact"]) for c in contacted)

    # the children with the contacts recorded, by id
    one = """
    query($ids: [ID!]) {
      children(first: 10, filter: {ids: $ids}) {
        edges { node { id weeklyContact(weeks: 2) { contacted contactCount lastContactOn }
                       familyContacts { contactOn channel note } } }
      }
    }
    """
    body = await paths.compare(
        one, {"ids": inputs.contacted}, bearer=caseworker(paths), expect=FAST
    )
    assert {child["id"] for child in nodes(body)} == set(inputs.contacted)
    assert all(len(child["familyContacts"]) >= 2 for child in nodes(body))

    # a resolver that refuses its argument: graphql-core reports it
    body = await paths.compare(
        PLUGIN_FIELDS,
        {"region": inputs.county, "weeks": 0},
        bearer=caseworker(paths),
        expect=GIVES_WAY,
    )
    assert codes(body) == {"VALIDATION_FAILED"}


# --- 11. the audit trail --------------------------------------------------------------------------

SENSITIVE = """
query Sensitive($region: String!) {
  children(first: 25, filter: {regionCode: $region}) {
    edges { node {
      id name idNumber address health disabilityCategory disabilityGrade illness
      difficultyCategories
      guardianships { relationship guardian { name idNumber phone } }
      cases { summary events { kind note } }
    } }
  }
}
"""


async def audit_of(database_url: str, user: str) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        rows = await connection.fetch(
            "SELECT action, outcome, department, role, roles, organization_id, operation, "
            "purpose, fields, record_ids, child_ids FROM audit_entries "
            "WHERE user_id = $1 ORDER BY id",
            user,
        )
    finally:
        await connection.close()
    return [dict(row) for row in rows]


async def compare_audit(
    paths: Paths,
    document: str,
    variables: dict[str, Any],
    bearer_for: Callable[[str], str],
    *,
    expect: str,
    headers: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The same request under two new user ids, one per app: the same audit entries for
    each (compared first), and the same answers."""
    tag = uuid.uuid4().hex[:8]
    fast_user, general_user = f"fast-{tag}", f"general-{tag}"
    fast_response, general_response = await paths.send(
        document,
        variables,
        bearer=bearer_for(fast_user),
        general_bearer=bearer_for(general_user),
        headers=headers,
    )
    fast = await audit_of(paths.world.database_url, fast_user)
    general = await audit_of(paths.world.database_url, general_user)
    assert fast == general, json.dumps({"fast": fast, "general": general}, default=str, indent=1)
    paths.check(fast_response, general_response, expect)
    return fast


async def test_audit_of_sensitive_reads_on_the_fast_path(paths: Paths) -> None:
    county = paths.inputs.county
    entries = await compare_audit(
        paths,
        SENSITIVE,
        {"region": county},
        lambda user: token(*CASEWORKER, region=county, user=user),
        expect=FAST,
        headers={"x-access-purpose": "home visit follow-up"},
    )
    assert [e["action"] for e in entries] == ["SENSITIVE_READ"]
    entry = entries[0]
    assert {"Child.idNumber", "Child.address", "Guardian.phone"} <= set(entry["fields"])
    assert len(entry["child_ids"]) >= 25 and entry["purpose"] == "home visit follow-up"
    assert any(record.startswith("Guardian:") for record in entry["record_ids"])

    with_cases = await compare_audit(
        paths,
        SENSITIVE.replace("{regionCode: $region}", "{regionCode: $region, ids: $ids}").replace(
            "($region: String!)", "($region: String!, $ids: [ID!])"
        ),
        {"region": county, "ids": paths.inputs.with_cases},
        lambda user: token(*CASEWORKER, region=county, user=user),
        expect=FAST,
    )
    assert {"Case.summary", "CaseEvent.note"} <= set(with_cases[0]["fields"])
    assert any(record.startswith("CaseEvent:") for record in with_cases[0]["record_ids"])

    profile = await compare_audit(
        paths,
        CHILD_PROFILE.replace(
            "health guardianshipType", "health address idNumber guardianshipType"
        ),
        {"id": paths.inputs.with_cases[0]},
        lambda user: token(*CASEWORKER, region=county, user=user),
        expect=FAST,
    )
    assert profile[0]["fields"] and len(profile[0]["child_ids"]) == 1


async def test_audit_of_masked_and_multi_role_reads(paths: Paths) -> None:
    inputs = paths.inputs
    staff = await compare_audit(
        paths,
        MASKED,
        {"region": inputs.county},
        lambda user: token("womens_federation", "staff", region=inputs.county, user=user),
        expect=FAST,
    )
    assert staff and {"Child.idNumber", "Guardian.phone"} <= set(staff[0]["fields"])
    two_roles = await compare_audit(
        paths,
        TWO_ROLES,
        {"region": inputs.county},
        lambda user: token(
            "police",
            "officer",
            region=inputs.other_township,
            org=inputs.case_opener,
            also=[VOLUNTEER],
            user=user,
        ),
        expect=FAST,
    )
    assert two_roles and two_roles[0]["fields"] == ["Guardian.phone"]


async def test_audit_when_the_fast_path_gives_way(paths: Paths) -> None:
    """Reads recorded before the fast path gave way, and refusals, are those graphql-core
    records: the entries match."""
    inputs = paths.inputs
    denied = """
    query($region: String!) {
      children(first: 20, filter: {regionCode: $region}) {
        edges { node { id idNumber name address health } }
      }
    }
    """
    entries = await compare_audit(
        paths,
        denied,
        {"region": inputs.county},
        lambda user: token("education", "admin", region=inputs.county, user=user),
        expect=GIVES_WAY,
    )
    assert sorted(e["action"] for e in entries) == ["DENIED", "SENSITIVE_READ"]
    # rows seen through one role or the other: the ID number is read on some, refused on others
    two_roles = await compare_audit(
        paths,
        TWO_ROLES.replace("id name sex", "id idNumber name address sex"),
        {"region": inputs.county},
        lambda user: token(
            "police",
            "officer",
            region=inputs.other_township,
            org=inputs.case_opener,
            also=[VOLUNTEER],
            user=user,
        ),
        expect=GIVES_WAY,
    )
    assert sorted(e["action"] for e in two_roles) == ["DENIED", "SENSITIVE_READ"]
    # given way three levels down, after the fast path read the guardians' phones
    deep = await compare_audit(
        paths,
        """
        query($id: ID!) {
          child(id: $id) { name guardianships { guardian { name phone idNumber } } }
        }
        """,
        {"id": inputs.with_cases[0]},
        lambda user: token("womens_federation", "volunteer", region=inputs.county, user=user),
        expect=GIVES_WAY,
    )
    assert sorted(e["action"] for e in deep) == ["DENIED", "SENSITIVE_READ"]
    read = next(e for e in deep if e["action"] == "SENSITIVE_READ")
    assert read["fields"] == ["Guardian.phone"] and read["child_ids"] == []
