"""Registering and updating children through the GraphQL endpoint: valid records, every kind
of bad input (each refused with a code and the field, writing nothing) and version conflicts."""

from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest

from core.resident_id import Sex, make_resident_id
from tests.api import (
    CHILD,
    REGISTER_CHILD,
    UPDATE_CHILD,
    a_village,
    child_input,
    error_of,
    register_child,
    unique_name,
)
from tests.conftest import GraphQLClient, new_id_number


async def children_count(db: asyncpg.Connection) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM children")
    return count


async def test_register_child_derives_birth_date_and_sex_from_the_id_number(
    client: GraphQLClient,
) -> None:
    village = await a_village(client)
    number = new_id_number(date(2013, 9, 17), Sex.MALE)
    child = await register_child(client, village, idNumber=number)
    assert child["idNumber"] == number
    assert child["birthDate"] == "2013-09-17"
    assert child["sex"] == "MALE"
    assert child["version"] == 1
    assert child["status"] == "ACTIVE"
    assert child["residenceRegion"]["code"] == village
    assert child["isLeftBehind"] is False, "no guardians recorded yet"
    fetched = await client.data(CHILD, {"id": child["id"]})
    assert fetched["child"] == child


async def test_child_without_registered_household_needs_birth_date_and_sex(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    village = await a_village(client)
    before = await children_count(db)
    body = await client.execute(REGISTER_CHILD, {"input": child_input(village, idNumber=None)})
    error = error_of(body)
    assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": "input.birthDate"}
    assert await children_count(db) == before

    child = await register_child(
        client, village, idNumber=None, birthDate="2019-03-02", sex="FEMALE"
    )
    assert child["idNumber"] is None
    assert child["age"] >= 6


def _invalid_check_character(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"idNumber": "51202120150601123"}, "input.idNumber", "17 digits"),
        ("bad-check", "input.idNumber", "check character"),
        ({"birthDate": "2015-06-02"}, "input.idNumber", "birth date disagrees"),
        ({"sex": "MALE"}, "input.idNumber", "sex disagrees"),
        ({"residenceRegionCode": "512021999999"}, "input.residenceRegionCode", "no region"),
        ({"householdRegionCode": "12ab"}, "input.householdRegionCode", "6, 9 or 12 digits"),
        ({"name": "   "}, "input.name", "empty"),
        ({"health": "DISABLED"}, "input.disabilityCategory", "disability category"),
        ({"disabilityGrade": 2}, "input.disabilityCategory", "DISABLED"),
    ],
)
async def test_bad_input_is_refused_with_its_field_and_writes_nothing(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any] | str,
    field: str,
    message: str,
) -> None:
    village = await a_village(client)
    values = child_input(village)
    if overrides == "bad-check":
        values["idNumber"] = _invalid_check_character(values["idNumber"])
    else:
        assert isinstance(overrides, dict)
        values.update(overrides)
    before = await children_count(db)
    error = error_of(await client.execute(REGISTER_CHILD, {"input": values}))
    assert error["extensions"]["code"] == "VALIDATION_FAILED"
    assert error["extensions"]["field"] == field
    assert message in error["message"]
    assert await children_count(db) == before
    if values.get("idNumber"):
        assert values["idNumber"] not in error["message"], "errors never echo an ID number"


async def test_birth_date_in_the_future_is_refused(client: GraphQLClient) -> None:
    village = await a_village(client)
    tomorrow = date.today() + timedelta(days=1)
    values = child_input(village, idNumber=None, birthDate=tomorrow.isoformat(), sex="MALE")
    error = error_of(await client.execute(REGISTER_CHILD, {"input": values}))
    assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": "input.birthDate"}
    assert "future" in error["message"]

    future_number = make_resident_id("512099", tomorrow, 7, Sex.MALE)
    values = child_input(village, idNumber=future_number)
    error = error_of(await client.execute(REGISTER_CHILD, {"input": values}))
    assert error["extensions"]["field"] == "input.birthDate"


async def test_duplicate_id_number_names_the_existing_record(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    village = await a_village(client)
    first = await register_child(client, village)
    before = await children_count(db)
    values = child_input(village, idNumber=first["idNumber"], name=unique_name())
    error = error_of(await client.execute(REGISTER_CHILD, {"input": values}))
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["field"] == "input.idNumber"
    assert error["extensions"]["existingId"] == first["id"]
    assert await children_count(db) == before


async def test_update_with_the_version_read_applies_and_bumps_the_version(
    client: GraphQLClient,
) -> None:
    village = await a_village(client)
    child = await register_child(client, village)
    data = await client.data(
        UPDATE_CHILD,
        {
            "input": {
                "id": child["id"],
                "version": 1,
                "schooling": "JUNIOR_SECONDARY",
                "boarding": True,
                "address": None,
                "difficultyCategories": ["FAMILY_POVERTY", "FAMILY_POVERTY"],
            }
        },
    )
    updated = data["updateChild"]["child"]
    assert updated["version"] == 2
    assert updated["schooling"] == "JUNIOR_SECONDARY"
    assert updated["boarding"] is True
    assert updated["address"] is None, "an explicit null clears an optional field"
    assert updated["difficultyCategories"] == ["FAMILY_POVERTY"]
    assert updated["name"] == child["name"], "fields left out are unchanged"


async def test_stale_version_is_a_conflict_and_changes_nothing(client: GraphQLClient) -> None:
    village = await a_village(client)
    child = await register_child(client, village)
    await client.data(UPDATE_CHILD, {"input": {"id": child["id"], "version": 1, "boarding": True}})
    # A second department still holds version 1 and tries to overwrite.
    body = await client.execute(
        UPDATE_CHILD, {"input": {"id": child["id"], "version": 1, "schooling": "DROPPED_OUT"}}
    )
    error = error_of(body)
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["field"] == "input.version"
    assert error["extensions"]["currentVersion"] == 2
    current = (await client.data(CHILD, {"id": child["id"]}))["child"]
    assert current["schooling"] == "PRIMARY"
    assert current["version"] == 2


async def test_update_checks_the_id_number_against_the_stored_birth_date(
    client: GraphQLClient,
) -> None:
    village = await a_village(client)
    child = await register_child(
        client, village, idNumber=None, birthDate="2016-01-05", sex="FEMALE"
    )
    wrong = new_id_number(date(2016, 1, 6), Sex.FEMALE)
    error = error_of(
        await client.execute(
            UPDATE_CHILD, {"input": {"id": child["id"], "version": 1, "idNumber": wrong}}
        )
    )
    assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": "input.idNumber"}

    right = new_id_number(date(2016, 1, 5), Sex.FEMALE)
    data = await client.data(
        UPDATE_CHILD, {"input": {"id": child["id"], "version": 1, "idNumber": right}}
    )
    assert data["updateChild"]["child"]["idNumber"] == right


async def test_required_fields_cannot_be_cleared(client: GraphQLClient) -> None:
    village = await a_village(client)
    child = await register_child(client, village)
    error = error_of(
        await client.execute(
            UPDATE_CHILD, {"input": {"id": child["id"], "version": 1, "schooling": None}}
        )
    )
    assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": "input.schooling"}


async def test_unknown_and_malformed_ids(client: GraphQLClient) -> None:
    error = error_of(await client.execute(UPDATE_CHILD, {"input": {"id": "garbage", "version": 1}}))
    assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": "input.id"}
    unknown = "Q2hpbGQ6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"  # Child:0000…
    error = error_of(await client.execute(UPDATE_CHILD, {"input": {"id": unknown, "version": 1}}))
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "input.id"}
    error = error_of(await client.execute(CHILD, {"id": unknown}))
    assert error["extensions"]["code"] == "NOT_FOUND"
