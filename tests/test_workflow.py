"""The core of the protection workflow through the real API: alerts raised by the rules and
delivered by subscription to whom they are addressed, acknowledging them, `caseAssigned`
notices, and the case's state machine refusing steps its status does not allow."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from strawberry import relay

from core.plugin_registry import enabled_plugins
from core.testing import plain_url, temporary_database
from tests.api import a_village, error_of, link, register_child, register_guardian
from tests.conftest import GraphQLClient, start_server, stop_server, token_for
from tests.subscriptions import Subscription, subscribe

ALERT_FIELDS = "id rule message department raisedAt acknowledgedAt child { id } region { code }"
ALERT_RAISED = f"subscription {{ alertRaised {{ {ALERT_FIELDS} }} }}"
ALERTS = f"""
query($all: Boolean!) {{
  alerts(includeAcknowledged: $all, first: 100) {{
    totalCount edges {{ node {{ {ALERT_FIELDS} }} }}
  }}
}}
"""
ACKNOWLEDGE = """
mutation($input: AcknowledgeAlertInput!) {
  acknowledgeAlert(input: $input) { alert { id acknowledgedAt acknowledgedBy } }
}
"""
CASE_ASSIGNED = (
    "subscription { caseAssigned { reason organization { id } case { id status kind } } }"
)
OPEN_CASE = """
mutation Open($input: OpenCaseInput!) { openCase(input: $input) { case { id status version } } }
"""
REQUEST_CLOSURE = """
mutation($input: RequestCaseClosureInput!) {
  requestCaseClosure(input: $input) { case { id status } event { kind } }
}
"""
CASE = "query($id: ID!) { case(id: $id) { id status version events { kind } } }"
COUNTY = "512021"  # Anyue county
OTHER_COUNTY = "512022"  # Lezhi county


def key_of(global_id: str) -> str:
    return relay.GlobalID.from_id(global_id).node_id


@pytest.fixture(scope="module")
async def sweeping_database(server_url: str) -> AsyncIterator[str]:
    """A database of its own: the session's holds hundreds of children other tests left
    without guardians, whose alerts would crowd out the ones these tests wait for."""
    async with temporary_database(server_url, enabled_plugins()) as url:
        yield url


@pytest.fixture(scope="module")
def sweeping_server(sweeping_database: str) -> Iterator[str]:
    """A server that sweeps every second, with no grace for a child without a guardian at
    home and a one-second span for parents' contact: the rules fire within the test."""
    process, base = start_server(
        sweeping_database,
        extra_env={
            "CAREGRAPH_SWEEP_INTERVAL": "1",
            "CAREGRAPH_NO_GUARDIAN_GRACE": "0",
            "CAREGRAPH_WOMENS_FEDERATION_CONTACT_SPAN": "1",
        },
    )
    yield base
    stop_server(process)


@pytest.fixture(scope="module")
def second_server(database_url: str) -> Iterator[str]:
    """A second server process on the session's database."""
    process, base = start_server(database_url)
    yield base
    stop_server(process)


@pytest.fixture
async def admin(sweeping_server: str) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=sweeping_server, timeout=30) as http:
        yield GraphQLClient(http, token=token_for("civil_affairs", "admin", region_code="512000"))


async def alert_about(subscription: Subscription, child_id: str, rule: str) -> dict[str, Any]:
    """The first delivered alert of `rule` about the child (others may arrive meanwhile)."""
    async with asyncio.timeout(30):
        while True:
            result = await subscription.next(within=30)
            assert "errors" not in result, result
            alert: dict[str, Any] = result["data"]["alertRaised"]
            if alert["rule"] == rule and (alert["child"] or {}).get("id") == child_id:
                return alert


async def test_a_child_with_no_guardian_at_home_raises_an_alert_to_civil_affairs_there(
    sweeping_server: str, admin: GraphQLClient
) -> None:
    caseworker = token_for("civil_affairs", "caseworker", region_code=COUNTY, user_id="cw-1")
    async with subscribe(sweeping_server, caseworker, ALERT_RAISED) as alerts:
        village = await a_village(admin, COUNTY)
        child = await register_child(admin, village)
        alert = await alert_about(alerts, child["id"], "core.no_guardian_living_with_child")
    assert alert["department"] == "civil_affairs"
    assert alert["region"]["code"] == village
    assert alert["acknowledgedAt"] is None
    # the message says what was found, never who: no name, no ID number
    assert child["name"] not in alert["message"] and child["idNumber"] not in alert["message"]

    async with httpx.AsyncClient(base_url=sweeping_server, timeout=30) as http:
        elsewhere = GraphQLClient(
            http, token=token_for("civil_affairs", "caseworker", region_code=OTHER_COUNTY)
        )
        listed = await elsewhere.data(ALERTS, {"all": True})
        assert alert["id"] not in [edge["node"]["id"] for edge in listed["alerts"]["edges"]]
        refused = await elsewhere.execute(ACKNOWLEDGE, {"input": {"alertId": alert["id"]}})
        assert error_of(refused)["extensions"] == {"code": "NOT_FOUND", "field": "input.alertId"}
        node = await elsewhere.execute(
            "query($id: ID!) { node(id: $id) { id } }", {"id": alert["id"]}
        )
        assert error_of(node)["extensions"]["code"] == "NOT_FOUND"

        mine = GraphQLClient(http, token=caseworker)
        listed = await mine.data(ALERTS, {"all": False})
        assert alert["id"] in [edge["node"]["id"] for edge in listed["alerts"]["edges"]]
        done = await mine.data(ACKNOWLEDGE, {"input": {"alertId": alert["id"]}})
        assert done["acknowledgeAlert"]["alert"]["acknowledgedBy"] == "cw-1"
        listed = await mine.data(ALERTS, {"all": False})
        assert alert["id"] not in [edge["node"]["id"] for edge in listed["alerts"]["edges"]]
        listed = await mine.data(ALERTS, {"all": True})
        assert alert["id"] in [edge["node"]["id"] for edge in listed["alerts"]["edges"]]


async def test_an_acknowledged_finding_is_not_raised_again_every_sweep(
    sweeping_server: str, admin: GraphQLClient, sweeping_database: str
) -> None:
    caseworker = token_for("civil_affairs", "caseworker", region_code=COUNTY)
    async with subscribe(sweeping_server, caseworker, ALERT_RAISED) as alerts:
        child = await register_child(admin, await a_village(admin, COUNTY))
        alert = await alert_about(alerts, child["id"], "core.no_guardian_living_with_child")
        async with httpx.AsyncClient(base_url=sweeping_server, timeout=30) as http:
            await GraphQLClient(http, token=caseworker).data(
                ACKNOWLEDGE, {"input": {"alertId": alert["id"]}}
            )
        await asyncio.sleep(3)  # three sweeps
    db = await asyncpg.connect(plain_url(sweeping_database))
    try:
        raised = await db.fetchval(
            "SELECT count(*) FROM alerts WHERE rule = 'core.no_guardian_living_with_child' "
            "AND subject_key = $1",
            key_of(child["id"]),
        )
    finally:
        await db.close()
    assert raised == 1


async def test_an_entrusted_caregiver_unable_to_care_raises_an_alert(
    sweeping_server: str, admin: GraphQLClient
) -> None:
    caseworker = token_for("civil_affairs", "caseworker", region_code=COUNTY)
    async with subscribe(sweeping_server, caseworker, ALERT_RAISED) as alerts:
        child = await register_child(admin, await a_village(admin, COUNTY))
        neighbour = await register_guardian(admin)
        await link(
            admin,
            child["id"],
            neighbour["id"],
            relationship="OTHER",
            kind="ENTRUSTED_CAREGIVER",
            livesWithChild=True,
            worksAway=False,
            workDestination=None,
            capacity="NONE",
        )
        alert = await alert_about(alerts, child["id"], "core.entrusted_caregiver_unfit")
    assert alert["department"] == "civil_affairs"


async def test_parents_silent_too_long_raise_an_alert_to_the_womens_federation(
    sweeping_server: str, admin: GraphQLClient
) -> None:
    staff = token_for("womens_federation", "staff", region_code=COUNTY)
    async with subscribe(sweeping_server, staff, ALERT_RAISED) as alerts:
        child = await register_child(admin, await a_village(admin, COUNTY))
        grandmother = await register_guardian(admin)
        await link(
            admin,
            child["id"],
            grandmother["id"],
            relationship="GRANDMOTHER",
            kind="ENTRUSTED_CAREGIVER",
            livesWithChild=True,
            worksAway=False,
            workDestination=None,
        )
        for relationship in ("FATHER", "MOTHER"):
            parent = await register_guardian(admin)
            await link(admin, child["id"], parent["id"], relationship=relationship)
        alert = await alert_about(alerts, child["id"], "womens_federation.no_parent_contact")
    assert alert["department"] == "womens_federation"


async def organization_ids(client: GraphQLClient, department: str, count: int) -> list[str]:
    data = await client.data(
        "query($d: String, $n: Int) { organizations(department: $d, first: $n) "
        "{ edges { node { id } } } }",
        {"d": department, "n": count},
    )
    return [edge["node"]["id"] for edge in data["organizations"]["edges"]]


async def test_an_organisation_hears_when_a_case_is_assigned_to_it_and_no_other_does(
    server: str, client: GraphQLClient
) -> None:
    township, other = await organization_ids(client, "civil_affairs", 2)
    [police] = await organization_ids(client, "police", 1)
    child = await register_child(client, await a_village(client))
    assigned_token = token_for("police", "officer", organization_id=key_of(police))
    other_token = token_for("civil_affairs", "caseworker", organization_id=key_of(other))
    async with (
        subscribe(server, assigned_token, CASE_ASSIGNED) as assigned,
        subscribe(server, other_token, CASE_ASSIGNED) as bystander,
    ):
        opened = await client.data(
            OPEN_CASE,
            {
                "input": {
                    "childId": child["id"],
                    "kind": "LIVING_ALONE",
                    "summary": "独自在家",
                    "organizationId": township,
                    "assignedOrganizationIds": [police],
                }
            },
        )
        notice = await assigned.next()
        await bystander.nothing_within(1.5)
    # the officer's jurisdiction does not include this child: the notice names the
    # organisation and reason, and the case itself only as the officer's scope allows
    delivered = notice["data"]["caseAssigned"]
    assert delivered["organization"]["id"] == police
    assert delivered["reason"] == "assigned"
    assert delivered["case"]["id"] == opened["openCase"]["case"]["id"]


async def test_a_case_cannot_be_closed_before_it_is_assessed(client: GraphQLClient) -> None:
    [township] = await organization_ids(client, "civil_affairs", 1)
    child = await register_child(client, await a_village(client))
    opened = await client.data(
        OPEN_CASE,
        {
            "input": {
                "childId": child["id"],
                "kind": "LIVING_ALONE",
                "summary": "独自在家",
                "organizationId": township,
            }
        },
    )
    case_id = opened["openCase"]["case"]["id"]
    before = await client.data(CASE, {"id": case_id})
    client.token = token_for("civil_affairs", "caseworker", region_code="512000")
    refused = await client.execute(
        REQUEST_CLOSURE,
        {"input": {"caseId": case_id, "reason": "已安置", "organizationId": township}},
    )
    assert error_of(refused)["extensions"] == {
        "code": "INVALID_TRANSITION",
        "field": "input.caseId",
        "status": "OPEN",
        "allowedFrom": ["ASSESSED", "IN_PROGRESS"],
    }
    assert await client.data(CASE, {"id": case_id}) == before


async def test_closure_is_for_the_roles_the_policy_names(client: GraphQLClient) -> None:
    client.token = token_for("education", "teacher", organization_id=str(uuid.uuid4()))
    refused = await client.execute(
        REQUEST_CLOSURE, {"input": {"caseId": "Q2FzZTox", "reason": "x"}}
    )
    assert error_of(refused)["extensions"]["code"] == "FORBIDDEN"


async def test_a_case_assigned_through_one_server_process_is_heard_on_another(
    server: str, second_server: str, client: GraphQLClient
) -> None:
    """Delivery goes through PostgreSQL: the subscriber is connected to a second process."""
    township, assignee = await organization_ids(client, "civil_affairs", 2)
    child = await register_child(client, await a_village(client, COUNTY))
    token = token_for(
        "civil_affairs", "caseworker", organization_id=key_of(assignee), region_code=COUNTY
    )
    async with subscribe(second_server, token, CASE_ASSIGNED) as on_the_other_process:
        opened = await client.data(  # `client` talks to the first process
            OPEN_CASE,
            {
                "input": {
                    "childId": child["id"],
                    "kind": "MISSING",
                    "summary": "走失",
                    "organizationId": township,
                    "assignedOrganizationIds": [assignee],
                }
            },
        )
        notice = await on_the_other_process.next()
    assert notice["data"]["caseAssigned"]["organization"]["id"] == assignee
    assert notice["data"]["caseAssigned"]["case"]["id"] == opened["openCase"]["case"]["id"]
