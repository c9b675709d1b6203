"""The disabled_persons plugin through GraphQL, on a throwaway PostgreSQL database.

Run with `pytest` (DATABASE_URL names a PostgreSQL server; without it an embedded one starts).
"""

from datetime import date

from core.testing import plugin_test_app

REGISTER = """
mutation($input: RegisterChildInput!) { registerChild(input: $input) { child { id } } }
"""
ADD = """
mutation($input: AddDisabledPersonsRecordInput!) {
  addDisabledPersonsRecord(input: $input) { record { id note recordedOn } }
}
"""
CHILD = "query($id: ID!) { child(id: $id) { disabledPersonsRecords { note } } }"
LIST = "{ disabledPersonsRecords(first: 10) { totalCount edges { node { note } } } }"


async def test_record_added_shows_on_the_child_and_in_the_list() -> None:
    async with plugin_test_app("disabled_persons") as app:
        village = await app.graphql(
            "{ regions(level: VILLAGE, first: 1) { edges { node { code } } } }"
        )
        code = village["data"]["regions"]["edges"][0]["node"]["code"]
        child = {
            "name": "示例儿童",
            "birthDate": "2015-03-04",
            "sex": "FEMALE",
            "householdRegionCode": code,
            "residenceRegionCode": code,
            "schooling": "PRIMARY",
        }
        registered = await app.graphql(REGISTER, {"input": child})
        child_id = registered["data"]["registerChild"]["child"]["id"]

        added = await app.graphql(
            ADD,
            {"input": {"childId": child_id, "note": "first visit", "recordedOn": "2024-05-06"}},
            department="disabled_persons_federation",
            role="staff",
        )
        assert added["data"]["addDisabledPersonsRecord"]["record"]["note"] == "first visit"

        shown = await app.graphql(CHILD, {"id": child_id})
        assert shown["data"]["child"]["disabledPersonsRecords"] == [{"note": "first visit"}]
        listed = await app.graphql(LIST)
        assert listed["data"]["disabledPersonsRecords"]["totalCount"] == 1


async def test_a_future_date_is_refused_and_nothing_is_written() -> None:
    async with plugin_test_app("disabled_persons") as app:
        tomorrow = date.fromordinal(date.today().toordinal() + 1).isoformat()
        missing_child = "Q2hpbGQ6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"
        body = await app.graphql(
            ADD, {"input": {"childId": missing_child, "note": "x", "recordedOn": tomorrow}}
        )
        assert body["errors"][0]["extensions"] == {
            "code": "VALIDATION_FAILED",
            "field": "input.recordedOn",
        }
        listed = await app.graphql(LIST)
        assert listed["data"]["disabledPersonsRecords"]["totalCount"] == 0
