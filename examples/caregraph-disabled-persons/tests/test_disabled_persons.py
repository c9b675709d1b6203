"""The disabled persons' federation plugin through GraphQL, on a throwaway PostgreSQL database.

Install the distribution first (`pip install -e .`: the tests find the plugin through its entry
point), then run `pytest` here. DATABASE_URL names a PostgreSQL server; without it an embedded
one starts.
"""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from caregraph_disabled_persons.models import RehabilitationService
from core.testing import InProcessApp, plugin_test_app

DEPARTMENT = "disabled_persons_federation"
TODAY = date.today()

VILLAGE = "{ regions(level: VILLAGE, first: 1) { edges { node { code } } } }"
COUNTIES = "{ regions(level: COUNTY, first: 10) { edges { node { code } } } }"
ORGANIZATION = "{ organizations(first: 1) { edges { node { id name } } } }"
REGISTER = """
mutation($input: RegisterChildInput!) { registerChild(input: $input) { child { id } } }
"""
ADD = """
mutation($input: AddRehabilitationServiceInput!) {
  addRehabilitationService(input: $input) {
    rehabilitationService {
      id service startedOn endedOn subsidyYuan note version provider { name } child { id }
    }
  }
}
"""
CHILD = """
query($id: ID!) {
  child(id: $id) {
    name health disabilityGrade
    rehabilitationServices { service startedOn endedOn subsidyYuan provider { name } }
  }
}
"""
LIST = "{ rehabilitationServices(first: 10) { totalCount edges { node { service } } } }"


async def a_village(app: InProcessApp) -> str:
    body = await app.graphql(VILLAGE)
    code: str = body["data"]["regions"]["edges"][0]["node"]["code"]
    return code


async def register_child(app: InProcessApp, village: str, **health: Any) -> str:
    child = {
        "name": "示例儿童",
        "birthDate": "2014-03-04",
        "sex": "MALE",
        "householdRegionCode": village,
        "residenceRegionCode": village,
        "schooling": "PRIMARY",
        **health,
    }
    body = await app.graphql(REGISTER, {"input": child})
    assert "errors" not in body, body
    child_id: str = body["data"]["registerChild"]["child"]["id"]
    return child_id


async def register_disabled_child(app: InProcessApp, village: str) -> str:
    return await register_child(
        app, village, health="DISABLED", disabilityCategory="PHYSICAL", disabilityGrade=2
    )


async def as_staff(
    app: InProcessApp, query: str, variables: dict[str, Any], village: str
) -> dict[str, Any]:
    """A federation staff member of the village's county."""
    return await app.graphql(
        query, variables, department=DEPARTMENT, role="staff", region_code=village[:6]
    )


async def rows_written(app: InProcessApp) -> int:
    async with app.engine.connect() as connection:
        count = await connection.scalar(select(func.count()).select_from(RehabilitationService))
    return int(count or 0)


async def test_a_service_for_a_disabled_child_shows_on_the_child_and_in_the_list() -> None:
    async with plugin_test_app("disabled_persons") as app:
        village = await a_village(app)
        child_id = await register_disabled_child(app, village)
        organization = (await app.graphql(ORGANIZATION))["data"]["organizations"]["edges"][0]
        started = (TODAY - timedelta(days=30)).isoformat()
        service = {
            "childId": child_id,
            "service": "REHABILITATION_TRAINING",
            "providerOrganizationId": organization["node"]["id"],
            "startedOn": started,
            "subsidyYuan": 2000,
            "note": "每周两次康复训练",
        }

        added = await as_staff(app, ADD, {"input": service}, village)

        assert "errors" not in added, added
        record = added["data"]["addRehabilitationService"]["rehabilitationService"]
        assert record["service"] == "REHABILITATION_TRAINING"
        assert record["startedOn"] == started
        assert record["endedOn"] is None
        assert record["subsidyYuan"] == 2000
        assert record["note"] == "每周两次康复训练"
        assert record["version"] == 1
        assert record["provider"] == {"name": organization["node"]["name"]}
        assert record["child"] == {"id": child_id}

        shown = await as_staff(app, CHILD, {"id": child_id}, village)
        assert "errors" not in shown, shown
        child = shown["data"]["child"]
        assert child["health"] == "DISABLED"
        assert child["rehabilitationServices"] == [
            {
                "service": "REHABILITATION_TRAINING",
                "startedOn": started,
                "endedOn": None,
                "subsidyYuan": 2000,
                "provider": {"name": organization["node"]["name"]},
            }
        ]
        listed = await as_staff(app, LIST, {}, village)
        assert listed["data"]["rehabilitationServices"]["totalCount"] == 1
        # Civil affairs, which leads the work, reads the services too.
        seen = await app.graphql(CHILD, {"id": child_id})
        assert len(seen["data"]["child"]["rehabilitationServices"]) == 1


async def test_a_child_not_recorded_as_disabled_is_refused_and_nothing_is_written() -> None:
    async with plugin_test_app("disabled_persons") as app:
        village = await a_village(app)
        child_id = await register_child(app, village)
        service = {
            "childId": child_id,
            "service": "HOME_VISIT",
            "startedOn": (TODAY - timedelta(days=3)).isoformat(),
        }

        body = await as_staff(app, ADD, {"input": service}, village)

        assert body["data"] is None
        [error] = body["errors"]
        assert error["message"] == (
            "only a child recorded as disabled receives rehabilitation services"
        )
        assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": "input.childId"}
        assert await rows_written(app) == 0
        listed = await as_staff(app, LIST, {}, village)
        assert listed["data"]["rehabilitationServices"]["totalCount"] == 0


async def test_an_end_before_the_start_and_other_bad_input_are_refused_writing_nothing() -> None:
    async with plugin_test_app("disabled_persons") as app:
        village = await a_village(app)
        child_id = await register_disabled_child(app, village)
        valid = {
            "childId": child_id,
            "service": "ASSISTIVE_DEVICE",
            "startedOn": (TODAY - timedelta(days=10)).isoformat(),
            "endedOn": (TODAY - timedelta(days=2)).isoformat(),
            "subsidyYuan": 800,
        }
        refusals: list[tuple[dict[str, Any], str]] = [
            ({"endedOn": (TODAY - timedelta(days=11)).isoformat()}, "input.endedOn"),
            ({"startedOn": (TODAY + timedelta(days=1)).isoformat()}, "input.startedOn"),
            ({"endedOn": (TODAY + timedelta(days=1)).isoformat()}, "input.endedOn"),
            ({"startedOn": "2010-01-01"}, "input.startedOn"),  # before the child's birth
            ({"subsidyYuan": -1}, "input.subsidyYuan"),
        ]
        for change, field in refusals:
            body = await as_staff(app, ADD, {"input": {**valid, **change}}, village)
            [error] = body["errors"]
            assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": field}, change

        # Staff of another county do not see the child: for them it does not exist.
        counties = await app.graphql(COUNTIES)
        other = next(
            edge["node"]["code"]
            for edge in counties["data"]["regions"]["edges"]
            if edge["node"]["code"] != village[:6]
        )
        elsewhere = await app.graphql(
            ADD, {"input": valid}, department=DEPARTMENT, role="staff", region_code=other
        )
        assert elsewhere["errors"][0]["extensions"] == {
            "code": "NOT_FOUND",
            "field": "input.childId",
        }
        assert await rows_written(app) == 0

        accepted = await as_staff(app, ADD, {"input": valid}, village)
        assert "errors" not in accepted, accepted
        assert await rows_written(app) == 1
