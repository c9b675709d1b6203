"""Left-behind status is derived from age and the parents' facts, never typed in."""

from collections.abc import Mapping
from datetime import date

from tests.api import (
    CHILD,
    UPDATE_GUARDIANSHIP,
    a_village,
    link,
    register_child,
    register_guardian,
    unique_name,
)
from tests.conftest import GraphQLClient


def _years_ago(years: int, days: int = 0) -> date:
    today = date.today()
    birthday = (
        today.replace(year=today.year - years)
        if (today.month, today.day) != (2, 29)
        else (today.replace(year=today.year - years, day=28))
    )
    return date.fromordinal(birthday.toordinal() + days)


async def _child_with_parents(
    client: GraphQLClient,
    birth_date: date,
    father: Mapping[str, object],
    mother: Mapping[str, object],
) -> tuple[dict[str, object], dict[str, object], dict[str, object]]:
    village = await a_village(client)
    child = await register_child(
        client, village, idNumber=None, birthDate=birth_date.isoformat(), sex="MALE"
    )
    dad = await register_guardian(client)
    mum = await register_guardian(client)
    father_link = await link(client, str(child["id"]), dad["id"], relationship="FATHER", **father)
    mother_link = await link(client, str(child["id"]), mum["id"], relationship="MOTHER", **mother)
    return child, father_link, mother_link


AWAY = {"worksAway": True, "workDestination": "浙江宁波", "worksAwaySince": "2022-02-10"}
HOME = {"worksAway": False, "workDestination": None, "livesWithChild": True}


async def is_left_behind(client: GraphQLClient, child_id: object) -> bool:
    data = await client.data(CHILD, {"id": child_id})
    value: bool = data["child"]["isLeftBehind"]
    return value


async def test_both_parents_away_is_left_behind_until_one_comes_home(
    client: GraphQLClient,
) -> None:
    child, father, _ = await _child_with_parents(client, date(2016, 4, 1), AWAY, AWAY)
    assert await is_left_behind(client, child["id"])

    data = await client.data(
        UPDATE_GUARDIANSHIP, {"input": {"id": father["id"], "version": 1, "worksAway": False}}
    )
    came_home = data["updateGuardianship"]["guardianship"]
    assert came_home["worksAway"] is False
    assert came_home["workDestination"] is None, "coming home clears the destination"
    assert came_home["child"]["isLeftBehind"] is False
    assert not await is_left_behind(client, child["id"])


async def test_one_parent_away_and_the_other_without_capacity(client: GraphQLClient) -> None:
    child, _, _ = await _child_with_parents(
        client, date(2017, 8, 9), AWAY, {**HOME, "capacity": "NONE"}
    )
    assert await is_left_behind(client, child["id"])
    child, _, _ = await _child_with_parents(client, date(2017, 8, 9), AWAY, HOME)
    assert not await is_left_behind(client, child["id"]), "the other parent is at home and able"


async def test_one_parent_recorded_is_not_enough(client: GraphQLClient) -> None:
    village = await a_village(client)
    child = await register_child(client, village)
    dad = await register_guardian(client)
    await link(client, child["id"], dad["id"], relationship="FATHER", **AWAY)
    assert not await is_left_behind(client, child["id"])


async def test_status_ends_on_the_sixteenth_birthday_without_any_edit(
    client: GraphQLClient,
) -> None:
    sixteen_today, _, _ = await _child_with_parents(client, _years_ago(16), AWAY, AWAY)
    sixteen_tomorrow, _, _ = await _child_with_parents(client, _years_ago(16, days=1), AWAY, AWAY)
    assert not await is_left_behind(client, sixteen_today["id"])
    assert await is_left_behind(client, sixteen_tomorrow["id"])


async def test_left_behind_filter_agrees_with_the_field(client: GraphQLClient) -> None:
    marker = unique_name("留守")
    away, _, _ = await _child_with_parents(client, date(2015, 1, 1), AWAY, AWAY)
    home, _, _ = await _child_with_parents(client, date(2015, 1, 1), HOME, HOME)
    for child in (away, home):
        await client.data(
            "mutation($i: UpdateChildInput!) { updateChild(input: $i) { child { id } } }",
            {"i": {"id": child["id"], "version": 1, "name": f"{marker}{child['id']!s:.4}"}},
        )
    query = """query($f: ChildFilter) { children(filter: $f, first: 10) {
        totalCount edges { node { id isLeftBehind } } } }"""
    left = await client.data(query, {"f": {"search": marker, "isLeftBehind": True}})
    assert [e["node"]["id"] for e in left["children"]["edges"]] == [away["id"]]
    assert left["children"]["totalCount"] == 1
    not_left = await client.data(query, {"f": {"search": marker, "isLeftBehind": False}})
    assert [e["node"]["id"] for e in not_left["children"]["edges"]] == [home["id"]]
