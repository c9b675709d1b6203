"""Civil affairs' part of the protection workflow through the real server: the assessment due
when a case opens (overdue, alerted, met), assessment and assistance (评估帮扶: assessment, plan,
follow-ups, closure only once every service is delivered) and the court side of guardianship
intervention (监护干预: application, judgment, the designated guardian).

Every refused step is checked to have changed nothing: the case, its timeline, its due items,
assignments, this plugin's records and the child's guardianships are read before and after.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import asyncpg
import httpx
import pytest
from strawberry import relay

from core.graphql.global_ids import encode_global_id
from core.seed.synthetic import (
    CENTRAL_PRIMARY_SCHOOL,
    CIVIL_AFFAIRS_BUREAU,
    POLICE_STATION,
    TOWNSHIP_GOVERNMENT,
    VILLAGE_COMMITTEE,
    WOMENS_HOME,
    organization_id,
)
from tests.api import error_of, link, register_child, register_guardian
from tests.conftest import GraphQLClient, start_server, stop_server, token_for
from tests.subscriptions import subscribe

TODAY = date.today()
CITY = "512000"
COUNTY = "512021"  # Anyue county
TOWNSHIP = "512021101"
VILLAGE = "512021101201"
OTHER_COUNTY = "512022"
CHINA_STANDARD_TIME = timezone(timedelta(hours=8))


def org_gid(region_code: str, role: str) -> str:
    return encode_global_id("Organization", organization_id(region_code, role))


BUREAU = org_gid(COUNTY, CIVIL_AFFAIRS_BUREAU)
TOWNSHIP_GOV = org_gid(TOWNSHIP, TOWNSHIP_GOVERNMENT)
SCHOOL = org_gid(TOWNSHIP, CENTRAL_PRIMARY_SCHOOL)
WOMENS_HOME_ORG = org_gid(TOWNSHIP, WOMENS_HOME)
COMMITTEE = org_gid(VILLAGE, VILLAGE_COMMITTEE)
STATION = org_gid(TOWNSHIP, POLICE_STATION)
UNKNOWN_ORG = encode_global_id("Organization", uuid.uuid4())


def key_of(global_id: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)


def days(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def caseworker(user_id: str = "cw-zhang", region: str = COUNTY) -> str:
    """A county civil affairs caseworker (民政局个案工作者)."""
    return token_for(
        "civil_affairs",
        "caseworker",
        region_code=region,
        user_id=user_id,
        organization_id=str(key_of(BUREAU)),
    )


def supervisor(user_id: str = "sup-li") -> str:
    """The township's child welfare supervisor (儿童督导员)."""
    return token_for(
        "civil_affairs",
        "supervisor",
        region_code=TOWNSHIP,
        user_id=user_id,
        organization_id=str(key_of(TOWNSHIP_GOV)),
    )


# --- documents ---------------------------------------------------------------------------------

OPEN_CASE = """
mutation($input: OpenCaseInput!) { openCase(input: $input) { case { id status riskLevel } } }
"""
RECORD_ASSESSMENT = """
mutation($input: RecordAssessmentInput!) {
  recordAssessment(input: $input) {
    assessment {
      id assessedOn riskLevel assessedBy
      safety { finding note } guardianship { finding note } health { finding note }
      organization { id } participants { id } case { id }
    }
    case { id status riskLevel }
  }
}
"""
ADOPT_PLAN = """
mutation($input: AdoptAssistancePlanInput!) {
  adoptAssistancePlan(input: $input) {
    plan { id goal adoptedBy items { id service dueOn note completedOn organization { id } } }
    case { id status }
  }
}
"""
RECORD_FOLLOW_UP = """
mutation($input: RecordFollowUpInput!) {
  recordFollowUp(input: $input) {
    followUp { id progress completed recordedBy organization { id } }
    planItem { id completedOn }
    case { id status }
  }
}
"""
FILE_REVOCATION = """
mutation($input: FileGuardianshipRevocationInput!) {
  fileGuardianshipRevocation(input: $input) {
    application {
      id status grounds court filedOn note filedBy guardian { id } guardianship { id }
    }
    case { id status }
  }
}
"""
RECORD_DECISION = """
mutation($input: RecordCourtDecisionInput!) {
  recordCourtDecision(input: $input) {
    application { id status decidedOn decisionNote decidedBy designatedGuardian { id } }
    case { id status }
  }
}
"""
REQUEST_CLOSURE = """
mutation($input: RequestCaseClosureInput!) {
  requestCaseClosure(input: $input) { case { id status } event { kind } }
}
"""
DECIDE_CLOSURE = """
mutation($input: DecideCaseClosureInput!) {
  decideCaseClosure(input: $input) { case { id status } event { kind } }
}
"""
CASE = """
query($id: ID!) {
  case(id: $id) {
    id status riskLevel
    events { kind note }
    assignedOrganizations { id }
    assessments { id riskLevel participants { id } }
    assistancePlans {
      id goal
      items { id service completedOn followUps { progress completed recordedBy } }
    }
    courtApplications { id status designatedGuardian { id } }
  }
}
"""
GUARDIANSHIPS = """
query($id: ID!) {
  child(id: $id) {
    guardianships {
      id relationship kind capacity livesWithChild revokedOn guardian { id }
    }
  }
}
"""
OVERDUE = """
query($after: String) {
  overdueItems(first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id kind recordId department description completedAt region { code } } }
  }
}
"""
ALERTS = """
query($after: String) {
  alerts(includeAcknowledged: true, first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id rule message department case { id } region { code } } }
  }
}
"""
CASE_ASSIGNED = "subscription { caseAssigned { reason organization { id } case { id } } }"


# --- helpers -----------------------------------------------------------------------------------


def extensions(body: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = error_of(body)["extensions"]
    return found


async def as_token(client: GraphQLClient, token: str, query: str, variables: Any) -> Any:
    saved = client.token
    client.token = token
    try:
        return await client.execute(query, variables)
    finally:
        client.token = saved


async def data_as(client: GraphQLClient, token: str, query: str, variables: Any) -> Any:
    body = await as_token(client, token, query, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


async def open_case(
    client: GraphQLClient, child_id: str, kind: str = "LIVING_ALONE", assigned: tuple[str, ...] = ()
) -> str:
    opened = await data_as(
        client,
        caseworker(),
        OPEN_CASE,
        {
            "input": {
                "childId": child_id,
                "kind": kind,
                "summary": "儿童独自在家，父母均在外务工",
                "organizationId": BUREAU,
                "assignedOrganizationIds": list(assigned),
            }
        },
    )
    assert opened["openCase"]["case"]["status"] == "OPEN"
    case_id: str = opened["openCase"]["case"]["id"]
    return case_id


def finding(value: str, note: str | None = None) -> dict[str, Any]:
    return {"finding": value, "note": note}


def assessment_input(case_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "caseId": case_id,
        "safety": finding("SERIOUS", "独自在家，夜间无人照看"),
        "guardianship": finding("CONCERNING", "祖母年迈，监护能力不足"),
        "health": finding("SATISFACTORY"),
        "riskLevel": "HIGH",
        "assessedOn": TODAY.isoformat(),
        "participantOrganizationIds": [COMMITTEE, SCHOOL],
    }
    values.update(overrides)
    return values


async def assess(client: GraphQLClient, case_id: str, **overrides: Any) -> dict[str, Any]:
    data = await data_as(
        client, supervisor(), RECORD_ASSESSMENT, {"input": assessment_input(case_id, **overrides)}
    )
    recorded: dict[str, Any] = data["recordAssessment"]
    return recorded


def plan_input(case_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "caseId": case_id,
        "goal": "恢复有效监护，儿童情绪稳定",
        "items": [
            {"service": "COUNSELLING", "organizationId": SCHOOL, "dueOn": days(7)},
            {
                "service": "GUARDIANSHIP_GUIDANCE",
                "organizationId": WOMENS_HOME_ORG,
                "dueOn": days(14),
                "note": "每周一次家庭教育指导",
            },
        ],
    }
    values.update(overrides)
    return values


async def snapshot(db: asyncpg.Connection, case_id: str) -> dict[str, Any]:
    """Everything a step on the case may write: read before and after a refused step."""
    key = key_of(case_id)
    case = await db.fetchrow(
        "SELECT status, risk_level, version, child_id FROM cases WHERE id = $1", key
    )
    assert case is not None
    queries = {
        "events": "SELECT kind, note FROM case_events WHERE case_id = $1 ORDER BY occurred_at, id",
        "assignments": "SELECT organization_id FROM case_assignments WHERE case_id = $1 "
        "ORDER BY organization_id",
        "due_items": "SELECT kind, record_id, completed_at FROM due_items WHERE case_id = $1 "
        "ORDER BY kind, record_id",
        "assessments": "SELECT id, risk_level FROM civil_affairs_assessments "
        "WHERE case_id = $1 ORDER BY id",
        "participants": "SELECT p.* FROM civil_affairs_assessment_participants p "
        "JOIN civil_affairs_assessments a ON a.id = p.assessment_id WHERE a.case_id = $1 "
        "ORDER BY 1, 2",
        "plans": "SELECT id FROM civil_affairs_assistance_plans WHERE case_id = $1 ORDER BY id",
        "items": "SELECT i.id, i.completed_on, i.version FROM civil_affairs_plan_items i "
        "JOIN civil_affairs_assistance_plans p ON p.id = i.plan_id WHERE p.case_id = $1 "
        "ORDER BY i.id",
        "follow_ups": "SELECT f.id FROM civil_affairs_follow_ups f "
        "JOIN civil_affairs_plan_items i ON i.id = f.plan_item_id "
        "JOIN civil_affairs_assistance_plans p ON p.id = i.plan_id WHERE p.case_id = $1 "
        "ORDER BY f.id",
        "applications": "SELECT id, status, decided_on, version "
        "FROM civil_affairs_court_applications WHERE case_id = $1 ORDER BY id",
    }
    state: dict[str, Any] = {"case": dict(case)}
    for name, query in queries.items():
        state[name] = [tuple(row) for row in await db.fetch(query, key)]
    state["guardianships"] = [
        tuple(row)
        for row in await db.fetch(
            "SELECT id, guardian_id, kind, capacity, lives_with_child, revoked_on, version "
            "FROM guardianships WHERE child_id = $1 ORDER BY id",
            case["child_id"],
        )
    ]
    return state


async def eventually(
    probe: Callable[[], Awaitable[dict[str, Any] | None]], seconds: float = 20
) -> dict[str, Any]:
    """What `probe` finds once it finds something, asking every half second."""
    for _ in range(int(seconds * 2)):
        if (found := await probe()) is not None:
            return found
        await asyncio.sleep(0.5)
    raise AssertionError(f"nothing found within {seconds} s")


async def every_node(client: GraphQLClient, query: str, field: str) -> list[dict[str, Any]]:
    """All pages of a connection, in order."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await client.data(query, {"after": after}))[field]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


# --- the assessment deadline (评估时限) ---------------------------------------------------------


async def test_opening_a_case_sets_an_assessment_due_to_civil_affairs_where_the_child_lives(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(client, VILLAGE)
    case_id = await open_case(client, child["id"])
    row = await db.fetchrow(
        "SELECT d.*, c.opened_at FROM due_items d JOIN cases c ON c.id = d.case_id "
        "WHERE d.case_id = $1",
        key_of(case_id),
    )
    assert row is not None, "no due item for the new case"
    assert (row["kind"], row["record_type"], row["record_id"]) == (
        "civil_affairs.assessment",
        "Case",
        key_of(case_id),
    )
    assert (row["department"], row["region_code"]) == ("civil_affairs", VILLAGE)
    assert row["child_id"] == key_of(child["id"])
    assert row["responsible_organization_id"] is None
    assert row["completed_at"] is None
    # the default span: three days from the opening
    assert abs(row["due_at"] - row["opened_at"] - timedelta(days=3)) < timedelta(minutes=1)
    assert child["name"] not in row["description"]
    # not overdue yet, so not listed
    client.token = caseworker()
    listed = await every_node(client, OVERDUE, "overdueItems")
    assert case_id not in [item["recordId"] for item in listed]


@pytest.fixture(scope="module")
def hurried_server(database_url: str) -> Iterator[str]:
    """A server where an assessment is due one second after the case opens, sweeping every
    second: the deadline passes and is alerted within the test."""
    process, base = start_server(
        database_url,
        extra_env={
            "CAREGRAPH_CIVIL_AFFAIRS_ASSESSMENT_DEADLINE": "1",
            "CAREGRAPH_SWEEP_INTERVAL": "1",
        },
    )
    yield base
    stop_server(process)


@pytest.fixture
async def hurried(hurried_server: str) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=hurried_server, timeout=30) as http:
        yield GraphQLClient(http, token=token_for())


async def test_an_assessment_not_made_in_time_is_overdue_and_alerted_until_it_is_made(
    hurried: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(hurried, VILLAGE)
    case_id = await open_case(hurried, child["id"])
    hurried.token = caseworker()

    async def overdue_item() -> dict[str, Any] | None:
        items = await every_node(hurried, OVERDUE, "overdueItems")
        return next((item for item in items if item["recordId"] == case_id), None)

    item = await eventually(overdue_item)
    assert item["kind"] == "civil_affairs.assessment"
    assert (item["department"], item["region"]["code"]) == ("civil_affairs", VILLAGE)

    async def alert() -> dict[str, Any] | None:
        alerts = await every_node(hurried, ALERTS, "alerts")
        return next(
            (
                found
                for found in alerts
                if found["rule"] == "overdue:civil_affairs.assessment"
                and (found["case"] or {}).get("id") == case_id
            ),
            None,
        )

    raised = await eventually(alert)
    assert raised["department"] == "civil_affairs"
    assert raised["region"]["code"] == VILLAGE
    assert child["name"] not in raised["message"]

    # civil affairs of another county neither sees the item nor the alert
    hurried.token = caseworker("cw-elsewhere", OTHER_COUNTY)
    assert case_id not in [
        i["recordId"] for i in await every_node(hurried, OVERDUE, "overdueItems")
    ]
    assert raised["id"] not in [a["id"] for a in await every_node(hurried, ALERTS, "alerts")]

    # assessing meets the deadline: the item leaves the overdue list
    await assess(hurried, case_id)
    hurried.token = caseworker()
    assert await overdue_item() is None
    completed = await db.fetchval(
        "SELECT completed_at FROM due_items WHERE kind = 'civil_affairs.assessment' "
        "AND record_id = $1",
        key_of(case_id),
    )
    assert completed is not None


# --- assessment and assistance (评估帮扶) -------------------------------------------------------


async def test_a_plan_before_an_assessment_is_an_invalid_transition_and_writes_nothing(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(client, VILLAGE)
    case_id = await open_case(client, child["id"])
    before = await snapshot(db, case_id)
    refused = await as_token(client, supervisor(), ADOPT_PLAN, {"input": plan_input(case_id)})
    assert extensions(refused) == {
        "code": "INVALID_TRANSITION",
        "field": "input.caseId",
        "status": "OPEN",
        "allowedFrom": ["ASSESSED", "IN_PROGRESS"],
    }
    assert await snapshot(db, case_id) == before
    # so is a follow-up-less closure of a case never assessed
    refused = await as_token(
        client, caseworker(), REQUEST_CLOSURE, {"input": {"caseId": case_id, "reason": "已安置"}}
    )
    assert extensions(refused)["code"] == "INVALID_TRANSITION"
    assert await snapshot(db, case_id) == before


async def test_assessment_plan_and_follow_ups_lead_to_closure_once_every_service_is_delivered(
    server: str, client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(client, VILLAGE)
    case_id = await open_case(client, child["id"])

    # The township supervisor assesses with the village committee and the school (评估).
    recorded = await assess(client, case_id)
    assessment = recorded["assessment"]
    assert recorded["case"] == {"id": case_id, "status": "ASSESSED", "riskLevel": "HIGH"}
    assert assessment["safety"] == finding("SERIOUS", "独自在家，夜间无人照看")
    assert assessment["guardianship"]["finding"] == "CONCERNING"
    assert assessment["health"] == finding("SATISFACTORY")
    assert assessment["assessedBy"] == "sup-li"
    assert assessment["organization"] == {"id": TOWNSHIP_GOV}
    assert sorted(p["id"] for p in assessment["participants"]) == sorted([COMMITTEE, SCHOOL])
    client.token = caseworker()
    case = (await client.data(CASE, {"id": case_id}))["case"]
    assert case["events"][-1] == {
        "kind": "ASSESSMENT",
        "note": "risk HIGH; safety SERIOUS, guardianship CONCERNING, health SATISFACTORY",
    }
    assert [a["id"] for a in case["assessments"]] == [assessment["id"]]
    due = await db.fetchval(
        "SELECT completed_at FROM due_items WHERE kind = 'civil_affairs.assessment' "
        "AND record_id = $1",
        key_of(case_id),
    )
    assert due is not None, "the assessment deadline is met"

    # The plan (帮扶计划): the women's home hears that the case is now assigned to it.
    staff = token_for(
        "womens_federation",
        "staff",
        region_code=COUNTY,
        organization_id=str(key_of(WOMENS_HOME_ORG)),
    )
    async with subscribe(server, staff, CASE_ASSIGNED) as assigned:
        adopted = await data_as(client, supervisor(), ADOPT_PLAN, {"input": plan_input(case_id)})
        notice = (await assigned.next())["data"]["caseAssigned"]
    assert notice == {
        "reason": "assistance plan",
        "organization": {"id": WOMENS_HOME_ORG},
        "case": {"id": case_id},
    }
    plan = adopted["adoptAssistancePlan"]["plan"]
    assert adopted["adoptAssistancePlan"]["case"]["status"] == "IN_PROGRESS"
    assert plan["adoptedBy"] == "sup-li"
    counselling, guidance = plan["items"]
    assert (counselling["service"], counselling["organization"]["id"]) == ("COUNSELLING", SCHOOL)
    assert (guidance["dueOn"], guidance["note"]) == (days(14), "每周一次家庭教育指导")
    case = (await client.data(CASE, {"id": case_id}))["case"]
    assert {SCHOOL, WOMENS_HOME_ORG} <= {o["id"] for o in case["assignedOrganizations"]}
    # each service is due from its organisation by the end of its day (China time)
    items_due = await db.fetch(
        "SELECT record_id, responsible_organization_id, due_at, completed_at FROM due_items "
        "WHERE kind = 'civil_affairs.plan_item' AND case_id = $1",
        key_of(case_id),
    )
    assert {
        (row["record_id"], row["responsible_organization_id"], row["due_at"]) for row in items_due
    } == {
        (
            key_of(item["id"]),
            key_of(item["organization"]["id"]),
            datetime.combine(
                date.fromisoformat(item["dueOn"]) + timedelta(days=1),
                time(0),
                tzinfo=CHINA_STANDARD_TIME,
            ),
        )
        for item in plan["items"]
    }

    # Closing is refused while services are undelivered, and changes nothing.
    before = await snapshot(db, case_id)
    refused = await client.execute(
        REQUEST_CLOSURE, {"input": {"caseId": case_id, "reason": "儿童已安全"}}
    )
    assert extensions(refused) == {
        "code": "INVALID_TRANSITION",
        "field": "input.caseId",
        "status": "IN_PROGRESS",
        "openPlanItems": 2,
        "pendingCourtApplications": 0,
    }
    assert await snapshot(db, case_id) == before

    # Follow-ups (跟踪回访): progress, then delivery.
    progress = await data_as(
        client,
        supervisor(),
        RECORD_FOLLOW_UP,
        {"input": {"planItemId": counselling["id"], "progress": "已开展两次心理疏导"}},
    )
    assert progress["recordFollowUp"]["planItem"]["completedOn"] is None
    assert progress["recordFollowUp"]["followUp"]["completed"] is False
    done = await data_as(
        client,
        caseworker(),
        RECORD_FOLLOW_UP,
        {
            "input": {
                "planItemId": counselling["id"],
                "progress": "疏导结束，情绪稳定",
                "completed": True,
            }
        },
    )
    assert done["recordFollowUp"]["planItem"]["completedOn"] == TODAY.isoformat()
    assert done["recordFollowUp"]["followUp"]["recordedBy"] == "cw-zhang"
    assert done["recordFollowUp"]["case"]["status"] == "IN_PROGRESS"

    # completing it twice is refused and changes nothing
    before = await snapshot(db, case_id)
    twice = await client.execute(
        RECORD_FOLLOW_UP,
        {"input": {"planItemId": counselling["id"], "progress": "再次确认", "completed": True}},
    )
    assert extensions(twice) == {
        "code": "VALIDATION_FAILED",
        "field": "input.completed",
        "completedOn": TODAY.isoformat(),
    }
    assert await snapshot(db, case_id) == before

    refused = await client.execute(
        REQUEST_CLOSURE, {"input": {"caseId": case_id, "reason": "儿童已安全"}}
    )
    assert extensions(refused)["openPlanItems"] == 1
    assert await snapshot(db, case_id) == before

    await client.data(
        RECORD_FOLLOW_UP,
        {"input": {"planItemId": guidance["id"], "progress": "指导完成", "completed": True}},
    )
    completed = await db.fetch(
        "SELECT completed_at FROM due_items WHERE kind = 'civil_affairs.plan_item' "
        "AND case_id = $1",
        key_of(case_id),
    )
    assert len(completed) == 2 and all(row["completed_at"] for row in completed)

    # Every service delivered: the caseworker asks to close; another decides (结案).
    requested = await client.data(
        REQUEST_CLOSURE, {"input": {"caseId": case_id, "reason": "儿童已安全"}}
    )
    assert requested["requestCaseClosure"]["case"]["status"] == "CLOSURE_REQUESTED"
    before = await snapshot(db, case_id)
    decide = {"input": {"caseId": case_id, "approve": True, "note": "同意结案"}}
    own = await client.execute(DECIDE_CLOSURE, decide)
    assert extensions(own) == {"code": "FORBIDDEN", "field": "input.caseId"}
    assert await snapshot(db, case_id) == before
    closed = await data_as(client, caseworker("cw-wang"), DECIDE_CLOSURE, decide)
    assert closed["decideCaseClosure"]["case"]["status"] == "CLOSED"

    case = (await client.data(CASE, {"id": case_id}))["case"]
    [shown] = case["assistancePlans"]
    assert [item["completedOn"] for item in shown["items"]] == [TODAY.isoformat()] * 2
    assert [f["completed"] for f in shown["items"][0]["followUps"]] == [False, True]
    kinds = [event["kind"] for event in case["events"]]
    assert kinds.count("FOLLOW_UP") == 3
    assert kinds[-3:] == ["FOLLOW_UP", "CLOSURE_REQUESTED", "CLOSURE_APPROVED"]
    # the timeline says what was done, never the notes' personal details
    notes = " ".join(event["note"] for event in case["events"])
    assert "心理疏导" not in notes and "夜间无人照看" not in notes


async def test_bad_assessments_and_plans_are_refused_with_their_field_and_write_nothing(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(client, VILLAGE)
    case_id = await open_case(client, child["id"])
    before = await snapshot(db, case_id)
    client.token = supervisor()
    refusals: list[tuple[dict[str, Any], tuple[str, str]]] = [
        ({"assessedOn": days(1)}, ("VALIDATION_FAILED", "input.assessedOn")),
        ({"assessedOn": days(-1)}, ("VALIDATION_FAILED", "input.assessedOn")),
        ({"safety": finding("SERIOUS", "长" * 4001)}, ("VALIDATION_FAILED", "input.safety.note")),
        (
            {"participantOrganizationIds": [COMMITTEE, UNKNOWN_ORG]},
            ("NOT_FOUND", "input.participantOrganizationIds.1"),
        ),
    ]
    for overrides, expected in refusals:
        body = await client.execute(
            RECORD_ASSESSMENT, {"input": assessment_input(case_id, **overrides)}
        )
        found = extensions(body)
        assert (found["code"], found.get("field")) == expected, overrides
        assert await snapshot(db, case_id) == before, overrides

    await assess(client, case_id)
    before = await snapshot(db, case_id)
    two_items = plan_input(case_id)["items"]
    refusals = [
        ({"items": []}, ("VALIDATION_FAILED", "input.items")),
        ({"goal": "  "}, ("VALIDATION_FAILED", "input.goal")),
        (
            {"items": [two_items[0], {**two_items[1], "dueOn": days(-1)}]},
            ("VALIDATION_FAILED", "input.items.1.dueOn"),
        ),
        (
            {"items": [two_items[0], {**two_items[1], "organizationId": UNKNOWN_ORG}]},
            ("NOT_FOUND", "input.items.1.organizationId"),
        ),
    ]
    for overrides, expected in refusals:
        body = await client.execute(ADOPT_PLAN, {"input": plan_input(case_id, **overrides)})
        found = extensions(body)
        assert (found["code"], found.get("field")) == expected, overrides
        assert await snapshot(db, case_id) == before, overrides

    # a follow-up on an item that does not exist
    missing = encode_global_id("PlanItem", uuid.uuid4())
    body = await client.execute(
        RECORD_FOLLOW_UP, {"input": {"planItemId": missing, "progress": "x"}}
    )
    assert extensions(body) == {"code": "NOT_FOUND", "field": "input.planItemId"}


# --- guardianship intervention, the court side (监护干预) ---------------------------------------


async def a_family(client: GraphQLClient) -> tuple[str, dict[str, str]]:
    """A child whose father is the legal guardian away at work, whose grandmother cares for
    them as entrusted caregiver, and an uncle registered but not linked."""
    child = await register_child(client, VILLAGE)
    people: dict[str, str] = {}
    father = await register_guardian(client)
    await link(client, child["id"], father["id"])
    people["father"] = father["id"]
    grandmother = await register_guardian(client)
    await link(
        client,
        child["id"],
        grandmother["id"],
        relationship="GRANDMOTHER",
        kind="ENTRUSTED_CAREGIVER",
        livesWithChild=True,
        worksAway=False,
        workDestination=None,
        capacity="LIMITED",
    )
    people["grandmother"] = grandmother["id"]
    people["uncle"] = (await register_guardian(client))["id"]
    return child["id"], people


def revocation_input(case_id: str, guardian_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "caseId": case_id,
        "guardianId": guardian_id,
        "grounds": ["VIOLENCE_ABUSE_ABANDONMENT", "REFUSED_GUARDIANSHIP_SIX_MONTHS"],
        "court": "安岳县人民法院",
        "filedOn": TODAY.isoformat(),
        "note": "长期殴打儿童，拒不履行监护职责",
    }
    values.update(overrides)
    return values


async def guardianships(client: GraphQLClient, child_id: str) -> dict[str, dict[str, Any]]:
    """The child's guardianships by guardian."""
    data = await client.data(GUARDIANSHIPS, {"id": child_id})
    return {g["guardian"]["id"]: g for g in data["child"]["guardianships"]}


async def test_the_court_revokes_a_guardian_and_the_designated_guardian_takes_over(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child_id, people = await a_family(client)
    case_id = await open_case(client, child_id, kind="GUARDIANSHIP_FAILURE")
    client.token = caseworker()

    filed = await client.data(
        FILE_REVOCATION, {"input": revocation_input(case_id, people["father"])}
    )
    application = filed["fileGuardianshipRevocation"]["application"]
    assert application["status"] == "PENDING"
    assert application["grounds"] == [
        "VIOLENCE_ABUSE_ABANDONMENT",
        "REFUSED_GUARDIANSHIP_SIX_MONTHS",
    ]
    assert (application["filedBy"], application["guardian"]["id"]) == ("cw-zhang", people["father"])
    father_link = (await guardianships(client, child_id))[people["father"]]
    assert application["guardianship"]["id"] == father_link["id"]
    events = (await client.data(CASE, {"id": case_id}))["case"]["events"]
    assert events[-1]["kind"] == "GUARDIANSHIP_INTERVENTION"
    assert "殴打" not in events[-1]["note"]

    # one application at a time against one guardian
    before = await snapshot(db, case_id)
    again = await client.execute(
        FILE_REVOCATION, {"input": revocation_input(case_id, people["father"])}
    )
    assert extensions(again) == {
        "code": "CONFLICT",
        "field": "input.guardianId",
        "existingId": application["id"],
    }
    assert await snapshot(db, case_id) == before

    # the case cannot close while the court has not decided
    await assess(client, case_id)
    before = await snapshot(db, case_id)
    refused = await client.execute(
        REQUEST_CLOSURE, {"input": {"caseId": case_id, "reason": "已申请撤销"}}
    )
    assert extensions(refused) == {
        "code": "INVALID_TRANSITION",
        "field": "input.caseId",
        "status": "ASSESSED",
        "openPlanItems": 0,
        "pendingCourtApplications": 1,
    }
    assert await snapshot(db, case_id) == before

    # a revocation names another registered guardian, not the one revoked
    decision: dict[str, Any] = {
        "applicationId": application["id"],
        "outcome": "REVOKED",
        "decidedOn": TODAY.isoformat(),
        "note": "判决撤销其监护人资格，指定祖母为监护人",
    }
    for designated, expected in (
        ({}, ("VALIDATION_FAILED", "input.designatedGuardianId")),
        (
            {"designatedGuardianId": people["father"]},
            ("VALIDATION_FAILED", "input.designatedGuardianId"),
        ),
        (
            {"designatedGuardianId": encode_global_id("Guardian", uuid.uuid4())},
            ("NOT_FOUND", "input.designatedGuardianId"),
        ),
        (
            {"designatedGuardianId": people["grandmother"], "decidedOn": days(1)},
            ("VALIDATION_FAILED", "input.decidedOn"),
        ),
    ):
        body = await client.execute(RECORD_DECISION, {"input": {**decision, **designated}})
        found = extensions(body)
        assert (found["code"], found.get("field")) == expected, designated
        assert await snapshot(db, case_id) == before, designated

    # The court revokes the father's status and designates the grandmother (另行指定监护人).
    decided = await client.data(
        RECORD_DECISION,
        {
            "input": {
                **decision,
                "designatedGuardianId": people["grandmother"],
                "livesWithChild": True,
            }
        },
    )
    result = decided["recordCourtDecision"]["application"]
    assert (result["status"], result["decidedOn"]) == ("REVOKED", TODAY.isoformat())
    assert result["designatedGuardian"] == {"id": people["grandmother"]}
    assert result["decidedBy"] == "cw-zhang"
    links = await guardianships(client, child_id)
    father = links[people["father"]]
    assert (father["revokedOn"], father["livesWithChild"]) == (TODAY.isoformat(), False)
    grandmother = links[people["grandmother"]]
    assert (grandmother["kind"], grandmother["capacity"], grandmother["livesWithChild"]) == (
        "LEGAL_GUARDIAN",
        "FULL",
        True,
    )
    assert grandmother["relationship"] == "GRANDMOTHER", "her existing link is the one updated"
    case = (await client.data(CASE, {"id": case_id}))["case"]
    assert [e["note"] for e in case["events"][-2:]] == [
        "court revoked guardianship",
        "guardian designated by the court",
    ]
    assert case["courtApplications"] == [
        {
            "id": application["id"],
            "status": "REVOKED",
            "designatedGuardian": {"id": people["grandmother"]},
        }
    ]

    # a decided application is not decided again, and a revoked guardian is not applied against
    before = await snapshot(db, case_id)
    twice = await client.execute(RECORD_DECISION, {"input": {**decision, "outcome": "REJECTED"}})
    assert extensions(twice) == {
        "code": "INVALID_TRANSITION",
        "field": "input.applicationId",
        "status": "REVOKED",
        "allowedFrom": ["PENDING"],
    }
    assert await snapshot(db, case_id) == before
    revoked = await client.execute(
        FILE_REVOCATION, {"input": revocation_input(case_id, people["father"])}
    )
    assert extensions(revoked) == {"code": "VALIDATION_FAILED", "field": "input.guardianId"}
    assert await snapshot(db, case_id) == before

    # nothing pending any more: the case may close
    requested = await client.data(
        REQUEST_CLOSURE, {"input": {"caseId": case_id, "reason": "已另行指定监护人"}}
    )
    assert requested["requestCaseClosure"]["case"]["status"] == "CLOSURE_REQUESTED"


async def test_a_rejected_application_changes_no_guardianship_and_a_new_guardian_is_linked(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child_id, people = await a_family(client)
    case_id = await open_case(client, child_id, kind="GUARDIANSHIP_FAILURE")
    client.token = caseworker()
    before = await snapshot(db, case_id)
    for overrides, expected in (
        ({"grounds": []}, ("VALIDATION_FAILED", "input.grounds")),
        ({"court": " "}, ("VALIDATION_FAILED", "input.court")),
        ({"filedOn": days(1)}, ("VALIDATION_FAILED", "input.filedOn")),
        ({"grounds": ["OTHER_SERIOUS_HARM"], "note": None}, ("VALIDATION_FAILED", "input.note")),
        ({"guardianId": people["uncle"]}, ("VALIDATION_FAILED", "input.guardianId")),
        (
            {"guardianId": encode_global_id("Guardian", uuid.uuid4())},
            ("NOT_FOUND", "input.guardianId"),
        ),
    ):
        body = await client.execute(
            FILE_REVOCATION, {"input": revocation_input(case_id, people["father"], **overrides)}
        )
        found = extensions(body)
        assert (found["code"], found.get("field")) == expected, overrides
        assert await snapshot(db, case_id) == before, overrides

    filed = await client.data(
        FILE_REVOCATION, {"input": revocation_input(case_id, people["father"])}
    )
    first = filed["fileGuardianshipRevocation"]["application"]["id"]
    before = await snapshot(db, case_id)
    rejected_with_guardian = await client.execute(
        RECORD_DECISION,
        {
            "input": {
                "applicationId": first,
                "outcome": "REJECTED",
                "decidedOn": TODAY.isoformat(),
                "designatedGuardianId": people["uncle"],
            }
        },
    )
    assert extensions(rejected_with_guardian) == {
        "code": "VALIDATION_FAILED",
        "field": "input.designatedGuardianId",
    }
    assert await snapshot(db, case_id) == before
    links_before = await guardianships(client, child_id)
    rejected = await client.data(
        RECORD_DECISION,
        {"input": {"applicationId": first, "outcome": "REJECTED", "decidedOn": TODAY.isoformat()}},
    )
    assert rejected["recordCourtDecision"]["application"]["status"] == "REJECTED"
    assert rejected["recordCourtDecision"]["application"]["designatedGuardian"] is None
    assert await guardianships(client, child_id) == links_before

    # filed again, the court revokes and designates the uncle, not yet linked to the child
    filed = await client.data(
        FILE_REVOCATION, {"input": revocation_input(case_id, people["father"])}
    )
    second = filed["fileGuardianshipRevocation"]["application"]["id"]
    revoke = {
        "applicationId": second,
        "outcome": "REVOKED",
        "decidedOn": TODAY.isoformat(),
        "designatedGuardianId": people["uncle"],
    }
    before = await snapshot(db, case_id)
    unsaid = await client.execute(RECORD_DECISION, {"input": {**revoke, "livesWithChild": True}})
    assert extensions(unsaid) == {"code": "VALIDATION_FAILED", "field": "input.relationship"}
    assert await snapshot(db, case_id) == before
    await client.data(
        RECORD_DECISION,
        {"input": {**revoke, "relationship": "OTHER_RELATIVE", "livesWithChild": True}},
    )
    links = await guardianships(client, child_id)
    uncle = links[people["uncle"]]
    assert (uncle["relationship"], uncle["kind"], uncle["capacity"], uncle["livesWithChild"]) == (
        "OTHER_RELATIVE",
        "LEGAL_GUARDIAN",
        "FULL",
        True,
    )
    assert uncle["revokedOn"] is None
    assert links[people["father"]]["revokedOn"] == TODAY.isoformat()
    assert links[people["grandmother"]] == links_before[people["grandmother"]]


# --- who may do what -----------------------------------------------------------------------------


async def test_only_the_roles_the_policy_names_assess_plan_and_go_to_court(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child_id, people = await a_family(client)
    case_id = await open_case(client, child_id, assigned=(STATION,))
    before = await snapshot(db, case_id)
    teacher = token_for(
        "education", "teacher", region_code=COUNTY, organization_id=str(key_of(SCHOOL))
    )
    refused = await as_token(
        client, teacher, RECORD_ASSESSMENT, {"input": assessment_input(case_id)}
    )
    assert extensions(refused)["code"] == "FORBIDDEN"
    assert "recordAssessment" in error_of(refused)["message"]
    # the township supervisor assesses but does not go to court
    refused = await as_token(
        client,
        supervisor(),
        FILE_REVOCATION,
        {"input": revocation_input(case_id, people["father"])},
    )
    assert extensions(refused)["code"] == "FORBIDDEN"
    # a caseworker of another county does not find the case
    refused = await as_token(
        client,
        caseworker("cw-elsewhere", OTHER_COUNTY),
        RECORD_ASSESSMENT,
        {"input": assessment_input(case_id)},
    )
    assert extensions(refused) == {"code": "NOT_FOUND", "field": "input.caseId"}
    assert await snapshot(db, case_id) == before

    # The police read what the assessment found and where the court application stands, not
    # the assistance plans.
    await assess(client, case_id)
    await data_as(
        client,
        caseworker(),
        FILE_REVOCATION,
        {"input": revocation_input(case_id, people["father"])},
    )
    officer = token_for(
        "police", "officer", region_code=COUNTY, organization_id=str(key_of(STATION))
    )
    body = await as_token(
        client,
        officer,
        "query($id: ID!) { case(id: $id) { id assessments { riskLevel safety { finding } } "
        "courtApplications { status } assistancePlans { id } } }",
        {"id": case_id},
    )
    case = body["data"]["case"]  # the case is assigned to the officer's station
    assert case["assessments"] == [{"riskLevel": "HIGH", "safety": {"finding": "SERIOUS"}}]
    assert case["courtApplications"] == [{"status": "PENDING"}]
    assert case["assistancePlans"] is None
    [error] = body["errors"]
    assert error["path"] == ["case", "assistancePlans"]
    assert error["message"] == "your role may not read AssistancePlan records"
