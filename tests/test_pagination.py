"""Relay cursor connections through the real server: paging forwards and backwards, orderings,
page-size and cursor validation, region-subtree and search filters, region and organisation
lists, and `node(id:)`."""

import base64
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest

from core.resident_id import Sex
from tests.api import REGISTER_CHILD, error_of
from tests.conftest import GraphQLClient, new_id_number, token_for

CHILDREN_PAGE = """
query Page($filter: ChildFilter, $orderBy: ChildOrder! = NAME, $direction: OrderDirection! = ASC,
           $first: Int, $after: String, $last: Int, $before: String) {
  children(filter: $filter, orderBy: $orderBy, direction: $direction,
           first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name birthDate idNumber } }
  }
}
"""

# Registered in this order; names sort by their last digit, birth dates in a third order, so
# that NAME, BIRTH_DATE and REGISTERED_AT orderings all differ.
NAME_SUFFIXES = (4, 1, 7, 2, 6, 3, 5)
BIRTH_DATES = {
    1: date(2014, 3, 9),
    2: date(2016, 11, 23),
    3: date(2012, 1, 30),
    4: date(2017, 5, 4),
    5: date(2013, 8, 17),
    6: date(2015, 2, 12),
    7: date(2011, 10, 1),
}


@dataclass(frozen=True)
class Family:
    """Seven children sharing a name fragment, registered in one village."""

    fragment: str
    village: str
    children: list[dict[str, Any]]  # in registration order

    def names_by(self, key: str) -> list[str]:
        return [c["name"] for c in sorted(self.children, key=lambda c: c[key])]


@pytest.fixture(scope="module")
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def api(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http, token=token_for())


@pytest.fixture(scope="module")
async def family(api: GraphQLClient) -> Family:
    regions = await api.data("{ regions(level: VILLAGE, first: 1) { edges { node { code } } } }")
    village: str = regions["regions"]["edges"][0]["node"]["code"]
    assert len(village) == 12, village
    fragment = f"翻页{uuid.uuid4().hex[:6]}"
    children = []
    for suffix in NAME_SUFFIXES:
        birth_date = BIRTH_DATES[suffix]
        values = {
            "name": f"张{fragment}{suffix}",
            "idNumber": new_id_number(birth_date, Sex.MALE),
            "householdRegionCode": village,
            "residenceRegionCode": village,
            "schooling": "PRIMARY",
        }
        data = await api.data(REGISTER_CHILD, {"input": values})
        children.append(data["registerChild"]["child"])
    return Family(fragment, village, children)


async def page(api: GraphQLClient, **variables: Any) -> dict[str, Any]:
    data = await api.data(CHILDREN_PAGE, variables)
    connection: dict[str, Any] = data["children"]
    return connection


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


async def walk_forwards(api: GraphQLClient, **variables: Any) -> list[str]:
    """Every name, following endCursor until hasNextPage is false."""
    seen: list[str] = []
    after = None
    for _ in range(10):
        connection = await page(api, first=3, after=after, **variables)
        assert connection["totalCount"] == 7, f"totalCount on every page: {connection}"
        assert len(connection["edges"]) <= 3
        if after is None:
            assert connection["pageInfo"]["hasPreviousPage"] is False, connection
        if connection["edges"]:
            assert connection["pageInfo"]["endCursor"] == connection["edges"][-1]["cursor"]
            assert connection["pageInfo"]["startCursor"] == connection["edges"][0]["cursor"]
        seen += names(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            return seen
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError(f"paging did not end; seen so far: {seen}")


# --- paging through children -------------------------------------------------------------------


async def test_forward_pages_see_every_child_once_in_name_order(
    api: GraphQLClient, family: Family
) -> None:
    seen = await walk_forwards(api, filter={"search": family.fragment})
    assert seen == family.names_by("name"), "7 children, once each, by name"


async def test_first_page_sizes(api: GraphQLClient, family: Family) -> None:
    sizes = []
    after = None
    while True:
        connection = await page(api, filter={"search": family.fragment}, first=3, after=after)
        sizes.append(len(connection["edges"]))
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert sizes == [3, 3, 1], f"7 children in pages of 3: {sizes}"


async def test_backward_pages_see_every_child_once_in_name_order(
    api: GraphQLClient, family: Family
) -> None:
    pages: list[list[str]] = []
    before = None
    for _ in range(10):
        connection = await page(api, filter={"search": family.fragment}, last=3, before=before)
        assert connection["totalCount"] == 7, connection
        if before is None:
            assert connection["pageInfo"]["hasNextPage"] is False, connection
        pages.insert(0, names(connection))
        if not connection["pageInfo"]["hasPreviousPage"]:
            break
        before = connection["pageInfo"]["startCursor"]
    expected = family.names_by("name")
    assert pages == [expected[:1], expected[1:4], expected[4:]], (
        f"pages of 3 from the end, each page in name order: {pages}"
    )


async def test_descending_reverses_the_order(api: GraphQLClient, family: Family) -> None:
    seen = await walk_forwards(api, filter={"search": family.fragment}, direction="DESC")
    assert seen == family.names_by("name")[::-1]


async def test_order_by_birth_date(api: GraphQLClient, family: Family) -> None:
    ascending = await walk_forwards(api, filter={"search": family.fragment}, orderBy="BIRTH_DATE")
    assert ascending == family.names_by("birthDate"), "oldest first"
    descending = await walk_forwards(
        api, filter={"search": family.fragment}, orderBy="BIRTH_DATE", direction="DESC"
    )
    assert descending == family.names_by("birthDate")[::-1], "youngest first"


async def test_order_by_registration(api: GraphQLClient, family: Family) -> None:
    seen = await walk_forwards(api, filter={"search": family.fragment}, orderBy="REGISTERED_AT")
    assert seen == [c["name"] for c in family.children], "in the order they were registered"


# --- refused page arguments ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "fields"),
    [
        ({"first": 0}, {"first"}),
        ({"first": 101}, {"first"}),
        ({"last": 0}, {"last"}),
        ({"first": -1}, {"first"}),
        ({"first": 3, "last": 3}, {"first", "last"}),
    ],
    ids=["first-0", "first-101", "last-0", "first-negative", "first-and-last"],
)
async def test_bad_page_sizes_are_refused(
    api: GraphQLClient, arguments: dict[str, Any], fields: set[str]
) -> None:
    body = await api.execute(CHILDREN_PAGE, arguments)
    error = error_of(body)
    assert error["extensions"]["code"] == "VALIDATION_FAILED", error
    assert error["extensions"]["field"] in fields, f"the error should name {fields}: {error}"


@pytest.mark.parametrize(
    ("argument", "cursor"),
    [
        ("after", "garbage!"),
        ("after", "bm90IGpzb24="),  # base64 of "not json"
        ("before", base64.urlsafe_b64encode(b'["only one value"]').decode()),
    ],
    ids=["not-base64", "not-json", "wrong-length"],
)
async def test_garbage_cursor_is_refused(api: GraphQLClient, argument: str, cursor: str) -> None:
    body = await api.execute(
        CHILDREN_PAGE, {"first" if argument == "after" else "last": 3, argument: cursor}
    )
    error = error_of(body)
    assert error["extensions"]["code"] == "VALIDATION_FAILED", error
    assert error["extensions"]["field"] == argument, error


@pytest.mark.parametrize(
    "values",
    [b'["a name", 42]', b'[42, "00000000-0000-0000-0000-000000000000"]'],
    ids=["number-for-id", "number-for-name"],
)
async def test_cursor_with_values_of_the_wrong_type_is_refused(
    api: GraphQLClient, values: bytes
) -> None:
    cursor = base64.urlsafe_b64encode(values).decode()
    body = await api.execute(CHILDREN_PAGE, {"first": 3, "after": cursor})
    error = error_of(body)
    assert error["extensions"]["code"] == "VALIDATION_FAILED", error
    assert error["extensions"]["field"] == "after", error


async def test_a_cursor_cannot_be_replayed_under_another_ordering(api: GraphQLClient) -> None:
    first_page = await api.data(CHILDREN_PAGE, {"first": 2, "orderBy": "BIRTH_DATE"})
    cursor = first_page["children"]["pageInfo"]["endCursor"]
    body = await api.execute(CHILDREN_PAGE, {"first": 2, "orderBy": "NAME", "after": cursor})
    assert error_of(body)["extensions"] == {"code": "VALIDATION_FAILED", "field": "after"}


# --- filters --------------------------------------------------------------------------------------


async def test_region_filter_covers_the_whole_subtree(api: GraphQLClient, family: Family) -> None:
    village = family.village
    for code in (village, village[:9], village[:6], "512000"):
        connection = await page(
            api, filter={"search": family.fragment, "regionCode": code}, first=10
        )
        assert connection["totalCount"] == 7, f"regionCode {code} should include the children"
        assert len(connection["edges"]) == 7, code


async def test_region_filter_excludes_another_county(api: GraphQLClient, family: Family) -> None:
    other = next(c for c in ("512002", "512021", "512022") if c != family.village[:6])
    connection = await page(api, filter={"search": family.fragment, "regionCode": other}, first=10)
    assert connection["totalCount"] == 0, connection
    assert connection["edges"] == []


async def test_invalid_region_code_is_refused(api: GraphQLClient) -> None:
    body = await api.execute(CHILDREN_PAGE, {"filter": {"regionCode": "12ab"}, "first": 3})
    error = error_of(body)
    assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": "filter.regionCode"}


async def test_search_by_full_id_number_finds_that_child(
    api: GraphQLClient, family: Family
) -> None:
    child = family.children[2]
    connection = await page(api, filter={"search": child["idNumber"]}, first=10)
    assert connection["totalCount"] == 1, connection
    assert [e["node"]["id"] for e in connection["edges"]] == [child["id"]]


async def test_search_by_id_number_prefix_finds_nobody(api: GraphQLClient, family: Family) -> None:
    prefix = family.children[2]["idNumber"][:10]
    connection = await page(api, filter={"search": prefix}, first=10)
    assert connection["totalCount"] == 0, f"no prefix scan of ID numbers: {connection}"
    assert connection["edges"] == []


# --- regions and organisations ----------------------------------------------------------------


async def test_regions_within_a_county(api: GraphQLClient, db: asyncpg.Connection) -> None:
    data = await api.data(
        '{ regions(level: TOWNSHIP, within: "512021", first: 100) '
        "{ totalCount edges { node { code level } } } }"
    )
    codes = [e["node"]["code"] for e in data["regions"]["edges"]]
    assert codes, "the county has townships"
    assert all(len(c) == 9 and c.startswith("512021") for c in codes), codes
    assert {e["node"]["level"] for e in data["regions"]["edges"]} == {"TOWNSHIP"}
    assert codes == sorted(codes), "regions come by code"
    assert data["regions"]["totalCount"] == len(codes)
    stored = await db.fetchval(
        "SELECT count(*) FROM regions WHERE level = 'TOWNSHIP' AND code LIKE '512021%'"
    )
    assert len(codes) == stored


async def test_organizations_of_one_department(api: GraphQLClient, db: asyncpg.Connection) -> None:
    data = await api.data(
        '{ organizations(department: "police", first: 100) '
        "{ totalCount edges { node { name department kind } } } }"
    )
    nodes = [e["node"] for e in data["organizations"]["edges"]]
    assert nodes, "the seed has police organisations"
    assert {n["department"] for n in nodes} == {"police"}, nodes
    stored = await db.fetchval("SELECT count(*) FROM organizations WHERE department = 'police'")
    assert data["organizations"]["totalCount"] == stored


# --- node ------------------------------------------------------------------------------------


NODE = "query($id: ID!) { node(id: $id) { id ... on Child { name } } }"


async def test_node_finds_a_child(api: GraphQLClient, family: Family) -> None:
    child = family.children[0]
    data = await api.data(NODE, {"id": child["id"]})
    assert data["node"] == {"id": child["id"], "name": child["name"]}


async def test_node_of_an_unknown_child_is_not_found(api: GraphQLClient) -> None:
    made_up = base64.b64encode(f"Child:{uuid.uuid4()}".encode()).decode()
    body = await api.execute(NODE, {"id": made_up})
    assert body["data"]["node"] is None
    assert error_of(body)["extensions"]["code"] == "NOT_FOUND"
