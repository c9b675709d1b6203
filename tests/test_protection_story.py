"""The whole story of issue 6, through the real API with each department's own token: a teacher
reports an unidentified child; the police of the district hear it by subscription, accept it,
act and refer it; the township assesses; civil affairs plans assistance, applies to the court to
revoke the violent father's guardianship; the court designates the grandmother; the plan is
delivered and the lead department approves closure. The case's timeline tells it all, in order,
with who did what in which department."""

from datetime import date, timedelta
from typing import Any

import httpx

from core.plugin_api import encode_global_id
from core.seed.synthetic import (
    CENTRAL_PRIMARY_SCHOOL,
    CIVIL_AFFAIRS_BUREAU,
    POLICE_STATION,
    TOWNSHIP_GOVERNMENT,
    WOMENS_HOME,
    organization_id,
)
from tests.api import error_of, link, register_child, register_guardian
from tests.conftest import GraphQLClient, token_for
from tests.subscriptions import subscribe

COUNTY = "512021"
TOWNSHIP = "512021101"
VILLAGE = "512021101201"
OTHER_TOWNSHIP = "512022101"


def org(region: str, role: str) -> str:
    return str(organization_id(region, role))


def org_gid(region: str, role: str) -> str:
    return encode_global_id("Organization", organization_id(region, role))


TEACHER = token_for(
    "education",
    "teacher",
    region_code=TOWNSHIP,
    organization_id=org(TOWNSHIP, CENTRAL_PRIMARY_SCHOOL),
    user_id="teacher-wang",
)
OFFICER = token_for(
    "police",
    "officer",
    region_code=TOWNSHIP,
    organization_id=org(TOWNSHIP, POLICE_STATION),
    user_id="officer-li",
)
OTHER_OFFICER = token_for(
    "police",
    "officer",
    region_code=OTHER_TOWNSHIP,
    organization_id=org(OTHER_TOWNSHIP, POLICE_STATION),
    user_id="officer-zhao",
)
SUPERVISOR = token_for(  # the township's child-welfare supervisor (儿童督导员)
    "civil_affairs",
    "supervisor",
    region_code=TOWNSHIP,
    organization_id=org(TOWNSHIP, TOWNSHIP_GOVERNMENT),
    user_id="supervisor-chen",
)
CASEWORKER = token_for(  # the county civil affairs bureau
    "civil_affairs",
    "caseworker",
    region_code=COUNTY,
    organization_id=org(COUNTY, CIVIL_AFFAIRS_BUREAU),
    user_id="caseworker-liu",
)

REPORT_FILED = "subscription { compulsoryReportFiled { id status trigger description } }"
CASE_ASSIGNED = "subscription { caseAssigned { reason organization { id } case { id status } } }"
TIMELINE = """
query($id: ID!) {
  case(id: $id) {
    id status riskLevel
    events { kind actorUserId actorDepartment organization { id } occurredAt }
    child { guardianships { kind relationship livesWithChild revokedOn guardian { id } } }
  }
}
"""


async def run(client: GraphQLClient, token: str, query: str, variables: dict[str, Any]) -> Any:
    return await GraphQLClient(client.http, token=token).data(query, variables)


async def test_from_compulsory_report_to_guardianship_intervention_and_closure(
    server: str,
) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=30) as http:
        admin = GraphQLClient(http, token=token_for("civil_affairs", "admin", region_code="512000"))
        # Registered beforehand: the child, the violent father she lives with, her grandmother.
        child = await register_child(admin, VILLAGE)
        father = await register_guardian(admin)
        await link(
            admin,
            child["id"],
            father["id"],
            livesWithChild=True,
            worksAway=False,
            workDestination=None,
        )
        grandmother = await register_guardian(admin)
        await link(
            admin,
            child["id"],
            grandmother["id"],
            relationship="GRANDMOTHER",
            kind="ENTRUSTED_CAREGIVER",
            worksAway=False,
            workDestination=None,
        )

        # 1. A teacher reports a child she does not know by name; the police of the district
        #    hear it at once, the police of another district do not.
        async with (
            subscribe(server, OFFICER, REPORT_FILED) as district_police,
            subscribe(server, OTHER_OFFICER, REPORT_FILED) as other_police,
        ):
            filed = await run(
                admin,
                TEACHER,
                "mutation($i: FileCompulsoryReportInput!) "
                "{ fileCompulsoryReport(input: $i) { report { id status } } }",
                {
                    "i": {
                        "description": "女孩，约十岁，手臂有淤青",
                        "placeRegionCode": VILLAGE,
                        "placeDescription": "学校门口",
                        "reporterOrganizationId": org_gid(TOWNSHIP, CENTRAL_PRIMARY_SCHOOL),
                        "trigger": "SUSPECTED_VIOLENCE",
                        "summary": "学生手臂多处淤青，称父亲殴打",
                    }
                },
            )
            report_id = filed["fileCompulsoryReport"]["report"]["id"]
            heard = await district_police.next()
            await other_police.nothing_within(1.5)
        assert heard["data"]["compulsoryReportFiled"]["id"] == report_id
        assert heard["data"]["compulsoryReportFiled"]["status"] == "RECEIVED"

        # 2. The police accept it (受理), bring the child to safety, identify her.
        refused = await GraphQLClient(http, token=OFFICER).execute(
            "mutation($i: RecordEmergencyMeasureInput!) "
            "{ recordEmergencyMeasure(input: $i) { measure { id } } }",
            {"i": {"reportId": report_id, "measure": "BROUGHT_TO_SAFETY", "note": "安置"}},
        )
        assert error_of(refused)["extensions"]["code"] == "INVALID_TRANSITION"
        await run(
            admin,
            OFFICER,
            "mutation($i: AcceptCompulsoryReportInput!) "
            "{ acceptCompulsoryReport(input: $i) { report { status } } }",
            {"i": {"reportId": report_id, "note": "已受理，派员出警"}},
        )
        for measure in ("BROUGHT_TO_SAFETY", "MEDICAL_CARE"):
            await run(
                admin,
                OFFICER,
                "mutation($i: RecordEmergencyMeasureInput!) "
                "{ recordEmergencyMeasure(input: $i) { measure { id } } }",
                {"i": {"reportId": report_id, "measure": measure, "note": "已处置"}},
            )
        await run(
            admin,
            OFFICER,
            "mutation($i: IdentifyReportedChildInput!) "
            "{ identifyReportedChild(input: $i) { report { id } } }",
            {"i": {"reportId": report_id, "idNumber": child["idNumber"]}},
        )

        # 3. They refer it for assessment: the township and the county bureau are told.
        async with (
            subscribe(server, SUPERVISOR, CASE_ASSIGNED) as township,
            subscribe(server, CASEWORKER, CASE_ASSIGNED) as bureau,
        ):
            referred = await run(
                admin,
                OFFICER,
                "mutation($i: ReferCompulsoryReportInput!) "
                "{ referCompulsoryReport(input: $i) { case { id status } } }",
                {
                    "i": {
                        "reportId": report_id,
                        "caseKind": "UNLAWFUL_HARM",
                        "summary": "疑似家庭暴力，儿童已临时安置",
                        "riskLevel": "HIGH",
                        "townshipOrganizationId": org_gid(TOWNSHIP, TOWNSHIP_GOVERNMENT),
                        "civilAffairsOrganizationId": org_gid(COUNTY, CIVIL_AFFAIRS_BUREAU),
                    }
                },
            )
            case_id = referred["referCompulsoryReport"]["case"]["id"]
            for listener in (township, bureau):
                notice = (await listener.next())["data"]["caseAssigned"]
                assert notice["case"]["id"] == case_id
                assert notice["reason"] == "referred for assessment"

        # 4. The township assesses (评估); a plan before that would have been refused.
        today = date.today()
        await run(
            admin,
            SUPERVISOR,
            "mutation($i: RecordAssessmentInput!) "
            "{ recordAssessment(input: $i) { case { status riskLevel } } }",
            {
                "i": {
                    "caseId": case_id,
                    "safety": {"finding": "SERIOUS", "note": "父亲多次殴打"},
                    "guardianship": {"finding": "SERIOUS", "note": "父亲不宜监护"},
                    "health": {"finding": "CONCERNING", "note": "轻微外伤"},
                    "riskLevel": "HIGH",
                    "assessedOn": today.isoformat(),
                }
            },
        )

        # 5. Civil affairs plans assistance: counselling by the women's home, enrolment in
        #    social assistance by the township.
        plan = await run(
            admin,
            CASEWORKER,
            "mutation($i: AdoptAssistancePlanInput!) "
            "{ adoptAssistancePlan(input: $i) { plan { items { id } } case { status } } }",
            {
                "i": {
                    "caseId": case_id,
                    "goal": "保障儿童安全，落实监护",
                    "items": [
                        {
                            "service": "COUNSELLING",
                            "organizationId": org_gid(TOWNSHIP, WOMENS_HOME),
                            "dueOn": (today + timedelta(days=30)).isoformat(),
                        },
                        {
                            "service": "SOCIAL_ASSISTANCE_ENROLMENT",
                            "organizationId": org_gid(TOWNSHIP, TOWNSHIP_GOVERNMENT),
                            "dueOn": (today + timedelta(days=14)).isoformat(),
                        },
                    ],
                }
            },
        )
        assert plan["adoptAssistancePlan"]["case"]["status"] == "IN_PROGRESS"
        items = [item["id"] for item in plan["adoptAssistancePlan"]["plan"]["items"]]

        # 6. Guardianship intervention: the police admonish the father (告诫书); civil affairs
        #    applies to revoke his guardianship; the court designates the grandmother.
        await run(
            admin,
            OFFICER,
            "mutation($i: RecordGuardianActionInput!) "
            "{ recordGuardianAction(input: $i) { action { id } } }",
            {
                "i": {
                    "caseId": case_id,
                    "guardianId": father["id"],
                    "action": "ADMONITION_LETTER",
                    "takenOn": today.isoformat(),
                    "note": "出具家庭暴力告诫书",
                }
            },
        )
        application = await run(
            admin,
            CASEWORKER,
            "mutation($i: FileGuardianshipRevocationInput!) "
            "{ fileGuardianshipRevocation(input: $i) { application { id } } }",
            {
                "i": {
                    "caseId": case_id,
                    "guardianId": father["id"],
                    "grounds": ["VIOLENCE_ABUSE_ABANDONMENT"],
                    "court": "安岳县人民法院",
                    "filedOn": today.isoformat(),
                }
            },
        )
        application_id = application["fileGuardianshipRevocation"]["application"]["id"]
        premature = await GraphQLClient(http, token=SUPERVISOR).execute(
            "mutation($i: RequestCaseClosureInput!) "
            "{ requestCaseClosure(input: $i) { case { status } } }",
            {"i": {"caseId": case_id, "reason": "已安置"}},
        )
        assert error_of(premature)["extensions"]["code"] == "INVALID_TRANSITION"
        await run(
            admin,
            CASEWORKER,
            "mutation($i: RecordCourtDecisionInput!) "
            "{ recordCourtDecision(input: $i) { application { id } } }",
            {
                "i": {
                    "applicationId": application_id,
                    "outcome": "REVOKED",
                    "decidedOn": today.isoformat(),
                    "designatedGuardianId": grandmother["id"],
                    "relationship": "GRANDMOTHER",
                    "livesWithChild": True,
                }
            },
        )

        # 7. The services are delivered; the township asks to close; the bureau approves.
        for item in items:
            await run(
                admin,
                CASEWORKER,
                "mutation($i: RecordFollowUpInput!) "
                "{ recordFollowUp(input: $i) { planItem { id } } }",
                {"i": {"planItemId": item, "progress": "已完成", "completed": True}},
            )
        await run(
            admin,
            SUPERVISOR,
            "mutation($i: RequestCaseClosureInput!) "
            "{ requestCaseClosure(input: $i) { case { status } } }",
            {"i": {"caseId": case_id, "reason": "儿童由祖母监护，帮扶完成"}},
        )
        closed = await run(
            admin,
            CASEWORKER,
            "mutation($i: DecideCaseClosureInput!) "
            "{ decideCaseClosure(input: $i) { case { status } } }",
            {"i": {"caseId": case_id, "approve": True, "note": "同意结案"}},
        )
        assert closed["decideCaseClosure"]["case"]["status"] == "CLOSED"

        # The timeline, in one query: who did what, when, in which department, in order.
        story = (await run(admin, CASEWORKER, TIMELINE, {"id": case_id}))["case"]
        events = story["events"]
        assert [event["occurredAt"] for event in events] == sorted(
            event["occurredAt"] for event in events
        )
        steps = [(event["kind"], event["actorDepartment"]) for event in events]
        expected_order = [
            ("REPORT_FILED", "education"),
            ("REPORT_ACCEPTED", "police"),
            ("EMERGENCY_MEASURE", "police"),
            ("OPENED", "police"),
            ("REFERRED", "police"),
            ("ASSESSMENT", "civil_affairs"),
            ("ASSISTANCE_PLAN", "civil_affairs"),
            ("GUARDIANSHIP_INTERVENTION", "police"),
            ("GUARDIANSHIP_INTERVENTION", "civil_affairs"),
            ("FOLLOW_UP", "civil_affairs"),
            ("CLOSURE_REQUESTED", "civil_affairs"),
            ("CLOSURE_APPROVED", "civil_affairs"),
        ]
        position = 0
        for step in steps:  # each expected step appears, in this order
            if position < len(expected_order) and step == expected_order[position]:
                position += 1
        assert position == len(expected_order), steps
        assert sum(1 for kind, _ in steps if kind == "EMERGENCY_MEASURE") == 2
        assert sum(1 for kind, _ in steps if kind == "REFERRED") == 2
        assert events[0]["actorUserId"] == "teacher-wang"
        assert events[-1]["actorUserId"] == "caseworker-liu"

        # The court's decision changed who the child's guardian is.
        links = {link["guardian"]["id"]: link for link in story["child"]["guardianships"]}
        assert links[father["id"]]["revokedOn"] == today.isoformat()
        assert links[father["id"]]["livesWithChild"] is False
        assert links[grandmother["id"]]["kind"] == "LEGAL_GUARDIAN"
        assert links[grandmother["id"]]["livesWithChild"] is True
