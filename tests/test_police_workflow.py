"""The police's part of the protection workflow, through the real server: a compulsory report
is routed to the station of its place with an acceptance deadline and pushed to the police of
that district (强制报告推送); they accept it (受理), take emergency measures (应急处置), identify
the child and refer the report for assessment (转介评估), which opens the case with its history;
then intervene with the guardian (监护干预). Every refused step says why and changes nothing."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from strawberry import relay
from websockets.asyncio.client import connect

from core.plugin_api import encode_global_id
from core.plugin_registry import enabled_plugins
from core.seed.synthetic import (
    CENTRAL_PRIMARY_SCHOOL,
    CIVIL_AFFAIRS_BUREAU,
    POLICE_STATION,
    TOWNSHIP_GOVERNMENT,
    VILLAGE_COMMITTEE,
    organization_id,
)
from core.testing import plain_url, temporary_database
from tests.api import error_of, link, register_child, register_guardian
from tests.conftest import GraphQLClient, start_server, stop_server, token_for
from tests.subscriptions import PROTOCOL, subscribe

# Two townships of Anyue county, and a township of Lezhi county.
COUNTY = "512021"
TOWNSHIP = "512021101"
VILLAGE = "512021101201"
NEIGHBOUR_TOWNSHIP = "512021102"
OTHER_COUNTY = "512022"
OTHER_COUNTY_TOWNSHIP = "512022101"
OTHER_COUNTY_VILLAGE = "512022101201"
OTHER_COUNTY_OTHER_VILLAGE = "512022101203"
ACCEPTANCE = "police.report_acceptance"


def gid(type_name: str, key: object) -> str:
    return encode_global_id(type_name, key)


def key_of(global_id: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)


def org(region: str, role: str) -> str:
    """The raw key of a seeded organisation, as an `org` claim carries it."""
    return str(organization_id(region, role))


def org_gid(region: str, role: str) -> str:
    return gid("Organization", org(region, role))


def officer(
    region: str = TOWNSHIP,
    station: str | None = TOWNSHIP,
    user_id: str = "officer-1",
    role: str = "officer",
) -> str:
    return token_for(
        "police",
        role,
        region_code=region,
        organization_id=org(station, POLICE_STATION) if station else None,
        user_id=user_id,
    )


def teacher(township: str = TOWNSHIP) -> str:
    return token_for(
        "education",
        "teacher",
        region_code=township,
        organization_id=org(township, CENTRAL_PRIMARY_SCHOOL),
        user_id="teacher-1",
    )


def as_token(client: GraphQLClient, token: str) -> GraphQLClient:
    return GraphQLClient(client.http, token=token)


FILE_REPORT = """
mutation($i: FileCompulsoryReportInput!) { fileCompulsoryReport(input: $i) { report { id } } }
"""
SUMMARY = "学生连续三天未到校，家访发现独自在家，父母均在外务工"


async def file_report(client: GraphQLClient, place: str = VILLAGE, **overrides: Any) -> str:
    """A report by the central primary school's teacher; the child not identified unless
    `childId` is given."""
    values: dict[str, Any] = {
        "description": "女孩，约九岁，穿红色外套",
        "placeRegionCode": place,
        "placeDescription": "村口小卖部",
        "reporterOrganizationId": org_gid(TOWNSHIP, CENTRAL_PRIMARY_SCHOOL),
        "trigger": "LIVING_ALONE",
        "summary": SUMMARY,
    }
    values.update(overrides)
    data = await as_token(client, teacher()).data(FILE_REPORT, {"i": values})
    report_id: str = data["fileCompulsoryReport"]["report"]["id"]
    return report_id


REPORT = """
query($id: ID!) {
  node(id: $id) {
    ... on CompulsoryReport {
      id status version acceptedAt acceptedByUserId acceptanceNote
      child { id } policeStation { id } acceptingOrganization { id }
      emergencyMeasures { id measure note takenAt officerUserId placementOrganization { id } }
      case { id status }
    }
  }
}
"""


async def read_report(client: GraphQLClient, report_id: str) -> dict[str, Any]:
    data = await client.data(REPORT, {"id": report_id})
    report: dict[str, Any] = data["node"]
    assert report is not None
    return report


async def counts(db: asyncpg.Connection) -> dict[str, int]:
    tables = (
        "police_compulsory_reports",
        "police_emergency_measures",
        "police_guardian_actions",
        "cases",
        "case_events",
        "case_assignments",
        "due_items",
    )
    return {table: await db.fetchval(f"SELECT count(*) FROM {table}") for table in tables}


ACCEPT = """
mutation($i: AcceptCompulsoryReportInput!) {
  acceptCompulsoryReport(input: $i) {
    report { id status acceptedAt acceptedByUserId acceptanceNote
             acceptingOrganization { id } }
  }
}
"""
MEASURE = """
mutation($i: RecordEmergencyMeasureInput!) {
  recordEmergencyMeasure(input: $i) {
    measure { id measure note takenAt officerUserId placementOrganization { id }
              organization { id } report { id } }
    report { id emergencyMeasures { id } }
  }
}
"""
IDENTIFY = """
mutation($i: IdentifyReportedChildInput!) {
  identifyReportedChild(input: $i) { report { id status child { id } } }
}
"""
REFER = """
mutation($i: ReferCompulsoryReportInput!) {
  referCompulsoryReport(input: $i) {
    report { id status case { id } }
    case { id kind status riskLevel summary }
  }
}
"""
GUARDIAN_ACTION = """
mutation($i: RecordGuardianActionInput!) {
  recordGuardianAction(input: $i) {
    action { id action takenOn note officerUserId guardian { id } case { id status }
             organization { id } }
  }
}
"""
CASE = """
query($id: ID!) {
  case(id: $id) {
    id status
    events { kind note actorUserId actorDepartment occurredAt organization { id } }
    compulsoryReport { id status emergencyMeasures { measure } }
    guardianActions { id action note }
  }
}
"""


async def accept(client: GraphQLClient, report_id: str, token: str | None = None) -> None:
    await as_token(client, token or officer()).data(ACCEPT, {"i": {"reportId": report_id}})


def measure_input(report_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "reportId": report_id,
        "measure": "BROUGHT_TO_SAFETY",
        "note": "民警到场将儿童带回派出所值班室",
    }
    values.update(overrides)
    return values


def referral_input(report_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "reportId": report_id,
        "caseKind": "LIVING_ALONE",
        "summary": "儿童独自在家，需评估监护情况",
        "riskLevel": "HIGH",
        "townshipOrganizationId": org_gid(TOWNSHIP, TOWNSHIP_GOVERNMENT),
        "civilAffairsOrganizationId": org_gid(COUNTY, CIVIL_AFFAIRS_BUREAU),
    }
    values.update(overrides)
    return values


# --- routing and the acceptance deadline -------------------------------------------------------


async def test_a_report_is_routed_to_the_station_of_its_place_with_an_acceptance_deadline(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    station = org(TOWNSHIP, POLICE_STATION)
    police = as_token(client, officer())
    for place in (VILLAGE, TOWNSHIP):
        report_id = await file_report(client, place)
        shown = await read_report(police, report_id)
        assert shown["policeStation"] == {"id": gid("Organization", station)}, place
        assert shown["status"] == "RECEIVED"
        row = await db.fetchrow(
            "SELECT d.*, r.reported_at FROM due_items d "
            "JOIN police_compulsory_reports r ON r.id = d.record_id "
            "WHERE d.kind = $1 AND d.record_id = $2",
            ACCEPTANCE,
            key_of(report_id),
        )
        assert row is not None, "filing sets the acceptance deadline"
        assert row["record_type"] == "CompulsoryReport"
        assert str(row["responsible_organization_id"]) == station
        assert (row["department"], row["region_code"]) == ("police", place)
        assert row["due_at"] - row["reported_at"] == timedelta(hours=1), "one hour by default"
        assert row["completed_at"] is None
        assert row["child_id"] is None
        # the deadline says what is due, not who: no description of the child
        assert "女孩" not in row["description"]

    # A place no station covers (stations are at townships): routed nowhere, yet the deadline
    # is the county police's to see.
    county_report = await file_report(client, COUNTY)
    shown = await read_report(as_token(client, officer(region=COUNTY)), county_report)
    assert shown["policeStation"] is None
    row = await db.fetchrow(
        "SELECT responsible_organization_id, region_code FROM due_items WHERE record_id = $1",
        key_of(county_report),
    )
    assert row is not None
    assert (row["responsible_organization_id"], row["region_code"]) == (None, COUNTY)


async def test_filing_notifies_with_the_report_id_only(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    report_id = await file_report(client)
    payload = await db.fetchval(
        "SELECT payload FROM notifications WHERE topic = 'police.report_filed' "
        "AND payload->>'report_id' = $1",
        str(key_of(report_id)),
    )
    assert payload is not None
    assert set(json.loads(payload)) == {"report_id"}


# --- the subscription (强制报告推送) ----------------------------------------------------------

REPORT_FILED = "subscription { compulsoryReportFiled { id status summary policeStation { id } } }"


async def test_the_police_of_the_district_hear_of_a_filed_report_and_others_do_not(
    server: str, client: GraphQLClient
) -> None:
    here = officer()
    # an officer of the station working elsewhere: the report is routed to their organisation
    routed = officer(region=OTHER_COUNTY, station=TOWNSHIP, user_id="officer-routed")
    elsewhere = officer(region=OTHER_COUNTY, station=OTHER_COUNTY_TOWNSHIP, user_id="officer-lezhi")
    async with (
        subscribe(server, here, REPORT_FILED) as local,
        subscribe(server, routed, REPORT_FILED) as station,
        subscribe(server, elsewhere, REPORT_FILED) as other,
    ):
        report_id = await file_report(client)
        for subscription in (local, station):
            result = await subscription.next()
            assert "errors" not in result, result
            delivered = result["data"]["compulsoryReportFiled"]
            assert delivered["id"] == report_id
            assert delivered["status"] == "RECEIVED"
            assert delivered["summary"] == SUMMARY
            assert delivered["policeStation"] == {"id": org_gid(TOWNSHIP, POLICE_STATION)}
        await other.nothing_within(1.5)

        # and the other way round: a report in Lezhi reaches Lezhi's police only
        lezhi_report = await file_report(
            client,
            OTHER_COUNTY_VILLAGE,
            reporterOrganizationId=org_gid(OTHER_COUNTY_VILLAGE, VILLAGE_COMMITTEE),
        )
        for subscription in (other, station):  # `station` works in Lezhi too
            result = await subscription.next()
            assert result["data"]["compulsoryReportFiled"]["id"] == lezhi_report
        await local.nothing_within(1.5)


async def first_answer(server: str, token: str, query: str) -> dict[str, Any]:
    """The first `next` or `error` message of a subscription. Unlike `tests.subscriptions`,
    nothing is read before it: a refusal arrives at once, and the helper's ping round trip
    would swallow it (leaving only `complete`)."""
    url = server.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await socket.send(json.dumps(init))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        async with asyncio.timeout(10):
            while True:
                message: dict[str, Any] = json.loads(await socket.recv())
                if message.get("id") == "1":
                    assert message["type"] in ("next", "error"), message
                    return message


async def test_a_teacher_may_not_subscribe_to_filed_reports(server: str) -> None:
    answer = await first_answer(server, teacher(), REPORT_FILED)
    errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
    assert [error["extensions"]["code"] for error in errors] == ["FORBIDDEN"], answer
    # while a police officer's subscription is accepted and waits
    async with subscribe(server, officer(), REPORT_FILED) as accepted:
        await accepted.nothing_within(0.5)


# --- who sees a report about a child not yet identified ------------------------------------------

REPORTS = """
query($region: String) {
  compulsoryReports(regionCode: $region, first: 100) { edges { node { id } } }
}
"""


async def listed(client: GraphQLClient, region: str) -> list[str]:
    data = await client.data(REPORTS, {"region": region})
    return [edge["node"]["id"] for edge in data["compulsoryReports"]["edges"]]


async def test_a_report_about_an_unidentified_child_is_for_the_police_of_its_place_only(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    report_id = await file_report(client)
    for token in (officer(), officer(region=COUNTY, station=None), officer(region="512000")):
        assert report_id in await listed(as_token(client, token), VILLAGE)
        assert (await read_report(as_token(client, token), report_id))["id"] == report_id
    routed = as_token(client, officer(region=OTHER_COUNTY, station=TOWNSHIP))
    assert report_id in await listed(routed, VILLAGE), "routed to the caller's station"

    before = await counts(db)
    for token in (
        officer(region=NEIGHBOUR_TOWNSHIP, station=NEIGHBOUR_TOWNSHIP),
        officer(region=OTHER_COUNTY, station=OTHER_COUNTY_TOWNSHIP),
        officer(region=OTHER_COUNTY, station=None),
    ):
        elsewhere = as_token(client, token)
        assert report_id not in await listed(elsewhere, VILLAGE)
        body = await elsewhere.execute(REPORT, {"id": report_id})
        assert error_of(body)["extensions"]["code"] == "NOT_FOUND"
        body = await elsewhere.execute(ACCEPT, {"i": {"reportId": report_id}})
        assert error_of(body)["extensions"] == {"code": "NOT_FOUND", "field": "input.reportId"}
    # Not the police: the county's caseworker, though reading report fields, does not see it.
    caseworker = as_token(client, token_for("civil_affairs", "caseworker", region_code=COUNTY))
    body = await caseworker.execute(REPORT, {"id": report_id})
    assert error_of(body)["extensions"]["code"] == "NOT_FOUND"
    assert await counts(db) == before
    assert (await read_report(as_token(client, officer()), report_id))["status"] == "RECEIVED"


# --- accept, measures, identify, refer, intervene ----------------------------------------------


async def test_a_report_is_accepted_helped_identified_referred_and_the_guardian_warned(
    server: str, client: GraphQLClient, db: asyncpg.Connection
) -> None:
    child = await register_child(client, VILLAGE)
    father = await register_guardian(client)
    await link(client, child["id"], father["id"])
    stranger = await register_guardian(client)  # a guardian of someone else
    police = as_token(client, officer())
    station = org_gid(TOWNSHIP, POLICE_STATION)
    report_id = await file_report(client)

    accepted = await police.data(
        ACCEPT, {"i": {"reportId": report_id, "note": "  值班民警受理，立即出警  "}}
    )
    report = accepted["acceptCompulsoryReport"]["report"]
    assert report["status"] == "ACCEPTED"
    assert report["acceptedByUserId"] == "officer-1"
    assert report["acceptanceNote"] == "值班民警受理，立即出警"
    assert report["acceptingOrganization"] == {"id": station}
    assert report["acceptedAt"]
    completed = await db.fetchval(
        "SELECT completed_at FROM due_items WHERE kind = $1 AND record_id = $2",
        ACCEPTANCE,
        key_of(report_id),
    )
    assert completed is not None, "accepting meets the acceptance deadline"

    committee = org_gid(VILLAGE, VILLAGE_COMMITTEE)
    now = datetime.now(UTC).isoformat()
    first = await police.data(MEASURE, {"i": measure_input(report_id, takenAt=now)})
    placed = await police.data(
        MEASURE,
        {
            "i": measure_input(
                report_id,
                measure="TEMPORARY_CARE_BY_VILLAGE_COMMITTEE",
                note="护送至村委会，由村儿童主任临时照看",
                placementOrganizationId=committee,
            )
        },
    )
    measure = placed["recordEmergencyMeasure"]["measure"]
    assert measure["measure"] == "TEMPORARY_CARE_BY_VILLAGE_COMMITTEE"
    assert measure["placementOrganization"] == {"id": committee}
    assert measure["organization"] == {"id": station}
    assert measure["officerUserId"] == "officer-1"
    assert measure["report"] == {"id": report_id}
    assert placed["recordEmergencyMeasure"]["report"]["emergencyMeasures"] == [
        {"id": first["recordEmergencyMeasure"]["measure"]["id"]},
        {"id": measure["id"]},
    ], "in the order taken"

    identified = await police.data(
        IDENTIFY, {"i": {"reportId": report_id, "idNumber": child["idNumber"].lower()}}
    )
    assert identified["identifyReportedChild"]["report"]["child"] == {"id": child["id"]}

    township = org(TOWNSHIP, TOWNSHIP_GOVERNMENT)
    bureau = org(COUNTY, CIVIL_AFFAIRS_BUREAU)
    assigned = "subscription { caseAssigned { reason organization { id } case { id status } } }"
    township_staff = token_for(
        "civil_affairs", "caseworker", region_code=COUNTY, organization_id=township
    )
    bureau_staff = token_for(
        "civil_affairs", "caseworker", region_code=COUNTY, organization_id=bureau, user_id="cw"
    )
    async with (
        subscribe(server, township_staff, assigned) as to_township,
        subscribe(server, bureau_staff, assigned) as to_bureau,
    ):
        referred = await police.data(REFER, {"i": referral_input(report_id)})
        notices = [await to_township.next(), await to_bureau.next()]
    case = referred["referCompulsoryReport"]["case"]
    assert (case["kind"], case["status"], case["riskLevel"]) == ("LIVING_ALONE", "OPEN", "HIGH")
    assert referred["referCompulsoryReport"]["report"] == {
        "id": report_id,
        "status": "REFERRED",
        "case": {"id": case["id"]},
    }
    for notice, organization in zip(notices, (township, bureau), strict=True):
        delivered = notice["data"]["caseAssigned"]
        assert delivered["reason"] == "referred for assessment"
        assert delivered["organization"] == {"id": gid("Organization", organization)}
        assert delivered["case"]["id"] == case["id"]

    timeline = (await police.data(CASE, {"id": case["id"]}))["case"]
    kinds = [event["kind"] for event in timeline["events"]]
    assert kinds == [
        "REPORT_FILED",
        "REPORT_ACCEPTED",
        "EMERGENCY_MEASURE",
        "EMERGENCY_MEASURE",
        "OPENED",
        "REFERRED",
        "REFERRED",
    ]
    filed, accepted_event, *_ = timeline["events"]
    assert (filed["actorUserId"], filed["actorDepartment"]) == ("teacher-1", "education")
    assert filed["organization"] == {"id": org_gid(TOWNSHIP, CENTRAL_PRIMARY_SCHOOL)}
    assert SUMMARY in filed["note"]
    assert (accepted_event["actorUserId"], accepted_event["organization"]) == (
        "officer-1",
        {"id": station},
    )
    assert accepted_event["occurredAt"] == report["acceptedAt"]
    occurred = [event["occurredAt"] for event in timeline["events"]]
    assert occurred == sorted(occurred)
    for event in timeline["events"]:
        assert child["name"] not in event["note"] and child["idNumber"] not in event["note"]
    assert timeline["compulsoryReport"] == {
        "id": report_id,
        "status": "REFERRED",
        "emergencyMeasures": [
            {"measure": "BROUGHT_TO_SAFETY"},
            {"measure": "TEMPORARY_CARE_BY_VILLAGE_COMMITTEE"},
        ],
    }

    # The county's civil affairs, who assess, read what the police did.
    caseworker = as_token(client, token_for("civil_affairs", "caseworker", region_code=COUNTY))
    assessed = (await caseworker.data(CASE, {"id": case["id"]}))["case"]
    assert assessed["compulsoryReport"] == timeline["compulsoryReport"]

    refused = await police.execute(
        GUARDIAN_ACTION,
        {
            "i": {
                "caseId": case["id"],
                "guardianId": stranger["id"],
                "action": "WARNING",
                "takenOn": date.today().isoformat(),
                "note": "当面警告",
            }
        },
    )
    assert error_of(refused)["extensions"] == {
        "code": "VALIDATION_FAILED",
        "field": "input.guardianId",
    }
    assert await police.data(CASE, {"id": case["id"]}) == {"case": timeline}

    warned = await police.data(
        GUARDIAN_ACTION,
        {
            "i": {
                "caseId": case["id"],
                "guardianId": father["id"],
                "action": "ADMONITION_LETTER",
                "takenOn": date.today().isoformat(),
                "note": "对长期不履行监护职责的父亲出具告诫书，责令其返乡或委托照护",
            }
        },
    )
    action = warned["recordGuardianAction"]["action"]
    assert action["action"] == "ADMONITION_LETTER"
    assert action["guardian"] == {"id": father["id"]}
    assert action["case"] == {"id": case["id"], "status": "OPEN"}
    assert action["organization"] == {"id": station}
    after = (await police.data(CASE, {"id": case["id"]}))["case"]
    assert [event["kind"] for event in after["events"]] == [*kinds, "GUARDIANSHIP_INTERVENTION"]
    assert "告诫书" in after["events"][-1]["note"]
    assert after["guardianActions"] == [
        {"id": action["id"], "action": "ADMONITION_LETTER", "note": action["note"]}
    ]
    assessed = (await caseworker.data(CASE, {"id": case["id"]}))["case"]
    assert assessed["guardianActions"] == after["guardianActions"]


async def test_identifying_names_any_registered_child_and_brings_them_into_scope(
    client: GraphQLClient,
) -> None:
    child = await register_child(client, OTHER_COUNTY_VILLAGE)
    police = as_token(client, officer())
    assert "errors" in await police.execute(
        "query($id: ID!) { child(id: $id) { id } }", {"id": child["id"]}
    ), "a child of another county is out of the officer's scope"
    report_id = await file_report(client)
    data = await police.data(
        IDENTIFY, {"i": {"reportId": report_id, "idNumber": child["idNumber"]}}
    )
    assert data["identifyReportedChild"]["report"]["child"] == {"id": child["id"]}
    seen = await police.data("query($id: ID!) { child(id: $id) { id } }", {"id": child["id"]})
    assert seen["child"] == {"id": child["id"]}, "the report in the officer's region brings it in"
    again = await police.data(
        IDENTIFY, {"i": {"reportId": report_id, "idNumber": child["idNumber"]}}
    )
    assert again["identifyReportedChild"]["report"]["child"] == {"id": child["id"]}, "idempotent"


# --- refused steps change nothing ---------------------------------------------------------------


async def assert_refused(
    client: GraphQLClient,
    db: asyncpg.Connection,
    report_id: str,
    mutation: str,
    variables: dict[str, Any],
    expected: dict[str, Any],
) -> dict[str, Any]:
    """The mutation is refused with exactly `expected` as extensions, and neither the report
    nor any table changed."""
    before, rows = await read_report(client, report_id), await counts(db)
    body = await client.execute(mutation, variables)
    error = error_of(body)
    assert error["extensions"] == expected, error
    assert body["data"] is None
    assert await read_report(client, report_id) == before
    assert await counts(db) == rows
    return error


async def test_emergency_measures_need_an_accepted_report(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    police = as_token(client, officer())
    report_id = await file_report(client)
    await assert_refused(
        police,
        db,
        report_id,
        MEASURE,
        {"i": measure_input(report_id)},
        {
            "code": "INVALID_TRANSITION",
            "field": "input.reportId",
            "status": "RECEIVED",
            "allowedFrom": ["ACCEPTED"],
        },
    )


async def test_a_report_is_accepted_once(client: GraphQLClient, db: asyncpg.Connection) -> None:
    police = as_token(client, officer())
    report_id = await file_report(client)
    await accept(client, report_id)
    other = as_token(client, officer(user_id="officer-2"))
    await assert_refused(
        other,
        db,
        report_id,
        ACCEPT,
        {"i": {"reportId": report_id, "note": "再次受理"}},
        {
            "code": "INVALID_TRANSITION",
            "field": "input.reportId",
            "status": "ACCEPTED",
            "allowedFrom": ["RECEIVED"],
        },
    )
    assert (await read_report(police, report_id))["acceptedByUserId"] == "officer-1"


async def test_referral_needs_acceptance_and_an_identified_child(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    police = as_token(client, officer())
    report_id = await file_report(client)
    await assert_refused(
        police,
        db,
        report_id,
        REFER,
        {"i": referral_input(report_id)},
        {
            "code": "INVALID_TRANSITION",
            "field": "input.reportId",
            "status": "RECEIVED",
            "allowedFrom": ["ACCEPTED"],
        },
    )
    await accept(client, report_id)
    error = await assert_refused(
        police,
        db,
        report_id,
        REFER,
        {"i": referral_input(report_id)},
        {"code": "VALIDATION_FAILED", "field": "input.reportId"},
    )
    assert "identify the child" in error["message"]


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"summary": "  "}, "VALIDATION_FAILED", "input.summary"),
        (
            {"townshipOrganizationId": org_gid(TOWNSHIP, POLICE_STATION)},
            "VALIDATION_FAILED",
            "input.townshipOrganizationId",
        ),
        (
            {"civilAffairsOrganizationId": org_gid(COUNTY, "education_bureau")},
            "VALIDATION_FAILED",
            "input.civilAffairsOrganizationId",
        ),
        (
            {"civilAffairsOrganizationId": gid("Organization", uuid.uuid4())},
            "NOT_FOUND",
            "input.civilAffairsOrganizationId",
        ),
    ],
)
async def test_a_bad_referral_is_refused_and_changes_nothing(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    child = await register_child(client, VILLAGE)
    police = as_token(client, officer())
    report_id = await file_report(client, childId=child["id"])
    await accept(client, report_id)
    await assert_refused(
        police,
        db,
        report_id,
        REFER,
        {"i": referral_input(report_id, **overrides)},
        {"code": code, "field": field},
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"measure": "TEMPORARY_CARE_BY_VILLAGE_COMMITTEE"}, "input.placementOrganizationId"),
        ({"measure": "TEMPORARY_CARE_IN_WELFARE_INSTITUTION"}, "input.placementOrganizationId"),
        (
            {
                "measure": "TEMPORARY_CARE_BY_VILLAGE_COMMITTEE",
                "placementOrganizationId": org_gid(TOWNSHIP, CENTRAL_PRIMARY_SCHOOL),
            },
            "input.placementOrganizationId",
        ),
        ({"takenAt": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, "input.takenAt"),
        ({"takenAt": "2020-01-01T08:00:00+08:00"}, "input.takenAt"),
        ({"takenAt": "2026-01-01T08:00:00"}, "input.takenAt"),
        ({"note": " "}, "input.note"),
    ],
)
async def test_a_bad_emergency_measure_is_refused_and_changes_nothing(
    client: GraphQLClient, db: asyncpg.Connection, overrides: dict[str, Any], field: str
) -> None:
    police = as_token(client, officer())
    report_id = await file_report(client)
    await accept(client, report_id)
    await assert_refused(
        police,
        db,
        report_id,
        MEASURE,
        {"i": measure_input(report_id, **overrides)},
        {"code": "VALIDATION_FAILED", "field": field},
    )


async def test_identifying_refuses_unknown_numbers_another_child_and_a_referred_report(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    police = as_token(client, officer())
    child = await register_child(client, VILLAGE)
    other = await register_child(client, VILLAGE)
    report_id = await file_report(client)

    unknown = "11010519491231002X"  # valid, registered to no child
    error = await assert_refused(
        police,
        db,
        report_id,
        IDENTIFY,
        {"i": {"reportId": report_id, "idNumber": unknown}},
        {"code": "NOT_FOUND", "field": "input.idNumber"},
    )
    assert unknown not in error["message"] and unknown[:6] not in error["message"]
    await assert_refused(
        police,
        db,
        report_id,
        IDENTIFY,
        {"i": {"reportId": report_id, "idNumber": "110105194912310021"}},
        {"code": "VALIDATION_FAILED", "field": "input.idNumber"},
    )

    await police.data(IDENTIFY, {"i": {"reportId": report_id, "idNumber": child["idNumber"]}})
    await assert_refused(
        police,
        db,
        report_id,
        IDENTIFY,
        {"i": {"reportId": report_id, "idNumber": other["idNumber"]}},
        {"code": "CONFLICT", "field": "input.idNumber"},
    )

    await accept(client, report_id)
    # the station chief refers it (police:admin writes a case's summary and risk level only so)
    chief = as_token(client, officer(role="admin", user_id="chief"))
    referred = await chief.data(REFER, {"i": referral_input(report_id)})
    assert referred["referCompulsoryReport"]["report"]["status"] == "REFERRED"
    await assert_refused(
        police,
        db,
        report_id,
        IDENTIFY,
        {"i": {"reportId": report_id, "idNumber": child["idNumber"]}},
        {
            "code": "INVALID_TRANSITION",
            "field": "input.reportId",
            "status": "REFERRED",
            "allowedFrom": ["RECEIVED", "ACCEPTED"],
        },
    )
    await assert_refused(
        police,
        db,
        report_id,
        MEASURE,
        {"i": measure_input(report_id)},
        {
            "code": "INVALID_TRANSITION",
            "field": "input.reportId",
            "status": "REFERRED",
            "allowedFrom": ["ACCEPTED"],
        },
    )


async def test_only_the_police_take_the_reports_steps(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    report_id = await file_report(client)
    before = await counts(db)
    for token in (
        teacher(),
        token_for("civil_affairs", "caseworker", region_code=COUNTY),
        token_for("womens_federation", "staff", region_code=COUNTY),
    ):
        for mutation, variables in (
            (ACCEPT, {"i": {"reportId": report_id}}),
            (MEASURE, {"i": measure_input(report_id)}),
            (REFER, {"i": referral_input(report_id)}),
        ):
            body = await as_token(client, token).execute(mutation, variables)
            assert error_of(body)["extensions"]["code"] == "FORBIDDEN"
    assert await counts(db) == before


# --- overdue acceptance, on a server whose deadline is one second -------------------------------

COUNTY_STATION = uuid.uuid5(uuid.NAMESPACE_URL, "caregraph:test:lezhi-county-station")
OVERDUE = """
{ overdueItems(first: 100) { edges { node { kind recordId dueAt completedAt
                                             organization { id } region { code } } } } }
"""
ALERTS = """
{ alerts(first: 100) { edges { node { rule message organization { id } region { code } } } } }
"""


@pytest.fixture(scope="module")
async def prompt_server(server_url: str) -> AsyncIterator[str]:
    """A server of its own database with a one-second acceptance deadline and a sweep every
    second; Lezhi county also has a county-wide station (a code every Lezhi place starts
    with), so that routing must pick the longest prefix."""
    async with temporary_database(server_url, enabled_plugins()) as url:
        connection = await asyncpg.connect(plain_url(url))
        try:
            await connection.execute(
                "INSERT INTO organizations (id, name, department, kind, region_code) "
                "VALUES ($1, '乐至县公安局城区派出所', 'police', 'POLICE_STATION', $2)",
                COUNTY_STATION,
                OTHER_COUNTY,
            )
        finally:
            await connection.close()
        process, base = start_server(
            url,
            extra_env={
                "CAREGRAPH_POLICE_ACCEPTANCE_DEADLINE": "1",
                "CAREGRAPH_SWEEP_INTERVAL": "1",
            },
        )
        try:
            yield base
        finally:
            stop_server(process)


@pytest.fixture
async def prompt(prompt_server: str) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=prompt_server, timeout=30) as http:
        yield GraphQLClient(http, token=token_for())


async def test_routing_picks_the_station_with_the_longest_matching_region(
    prompt: GraphQLClient,
) -> None:
    chief = as_token(prompt, officer(region=OTHER_COUNTY, station=None, role="admin"))
    for place, station in (
        (OTHER_COUNTY_VILLAGE, gid("Organization", org(OTHER_COUNTY_TOWNSHIP, POLICE_STATION))),
        (OTHER_COUNTY_TOWNSHIP, gid("Organization", org(OTHER_COUNTY_TOWNSHIP, POLICE_STATION))),
        ("512022102", gid("Organization", org("512022102", POLICE_STATION))),
        (OTHER_COUNTY, gid("Organization", COUNTY_STATION)),
    ):
        report_id = await file_report(
            prompt,
            place,
            reporterOrganizationId=org_gid(OTHER_COUNTY_TOWNSHIP, CENTRAL_PRIMARY_SCHOOL),
        )
        shown = await read_report(chief, report_id)
        assert shown["policeStation"] == {"id": station}, place


async def poll(what: str, found: Any, within: float = 15) -> Any:
    """`await found()` until it returns something truthy."""
    async with asyncio.timeout(within):
        while True:
            result = await found()
            if result:
                return result
            await asyncio.sleep(0.3)
    raise AssertionError(what)  # pragma: no cover


async def test_an_unaccepted_report_is_overdue_and_alerts_its_station_until_accepted(
    prompt: GraphQLClient,
) -> None:
    station = gid("Organization", org(OTHER_COUNTY_TOWNSHIP, POLICE_STATION))
    chief = as_token(
        prompt, officer(region=OTHER_COUNTY_TOWNSHIP, station=OTHER_COUNTY_TOWNSHIP, role="admin")
    )
    elsewhere = as_token(prompt, officer(region=TOWNSHIP, station=TOWNSHIP, role="admin"))
    report_id = await file_report(
        prompt,
        OTHER_COUNTY_OTHER_VILLAGE,
        reporterOrganizationId=org_gid(OTHER_COUNTY_OTHER_VILLAGE, VILLAGE_COMMITTEE),
    )

    async def overdue_for(client: GraphQLClient) -> list[dict[str, Any]]:
        data = await client.data(OVERDUE)
        return [
            edge["node"]
            for edge in data["overdueItems"]["edges"]
            if edge["node"]["recordId"] == report_id
        ]

    [item] = await poll("the report is overdue", lambda: overdue_for(chief))
    assert item["kind"] == ACCEPTANCE
    assert item["completedAt"] is None
    assert item["organization"] == {"id": station}
    assert item["region"] == {"code": OTHER_COUNTY_OTHER_VILLAGE}

    async def alerts_for(client: GraphQLClient) -> list[dict[str, Any]]:
        data = await client.data(ALERTS)
        return [
            edge["node"]
            for edge in data["alerts"]["edges"]
            if edge["node"]["rule"] == f"overdue:{ACCEPTANCE}"
            and edge["node"]["region"] == {"code": OTHER_COUNTY_OTHER_VILLAGE}
        ]

    [alert] = await poll("the station is alerted", lambda: alerts_for(chief))
    assert alert["organization"] == {"id": station}
    assert "女孩" not in alert["message"] and SUMMARY not in alert["message"]
    assert await overdue_for(elsewhere) == [] and await alerts_for(elsewhere) == []

    await accept(prompt, report_id, chief.token)
    assert await overdue_for(chief) == [], "accepting meets the deadline"
