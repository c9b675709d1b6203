"""What one request may cost: page sizes, nodes, depth, aliases, tokens, body size and time,
each refusal naming the limit and by how much (docs/operations.md)."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from core.graphql.global_ids import decode_global_id
from core.testing import plain_url
from tests.api import a_village, child_input, error_of, register_child
from tests.conftest import GraphQLClient, start_server, stop_server

PUPILS = """
query($first: Int) {
  children(first: $first) { edges { node { id guardianships { id } } } }
}
"""


async def test_a_response_reports_what_it_cost(client: GraphQLClient) -> None:
    body = await client.execute(PUPILS, {"first": 50})
    assert "errors" not in body
    # 50 children, and a plain list of guardianships counted as 10 per child
    assert body["extensions"]["cost"] == {"nodes": 550, "points": 6}


async def test_every_connection_needs_first_or_last(client: GraphQLClient) -> None:
    body = await client.execute("{ children { edges { node { id } } } }")
    assert "data" not in body
    error = error_of(body)
    assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": "first", "maximum": 100}
    assert "children" in error["message"]


@pytest.mark.parametrize("first", [0, -1, 101, 10_000])
async def test_page_sizes_outside_one_to_the_maximum_are_refused(
    client: GraphQLClient, first: int
) -> None:
    body = await client.execute(PUPILS, {"first": first})
    assert error_of(body)["extensions"] == {
        "code": "VALIDATION_FAILED",
        "field": "first",
        "maximum": 100,
    }


async def test_the_node_limit_multiplies_page_sizes_down_the_nesting(
    client: GraphQLClient,
) -> None:
    query = """{ children(first: 100) { edges { node { guardianships { guardian {
        guardianships { child { guardianships { id } } } } } } } } }"""
    response = await client.post(query)
    error = error_of(response.json())
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert error["extensions"]["limit"] == "nodes"
    assert error["extensions"]["maximum"] == 50_000
    assert error["extensions"]["actual"] > 50_000
    assert response.status_code == 400  # a request error: nothing ran


@pytest.mark.parametrize(
    ("query", "limit", "maximum"),
    [
        ("{ " + " ".join(f"a{i}: me {{ userId }}" for i in range(31)) + " }", "aliases", 30),
        (
            "{ regions(first: 1) { edges { node { parent { parent { parent { parent { parent {"
            " parent { parent { parent { parent { parent { parent { parent { code }"
            " } } } } } } } } } } } } } } }",
            "depth",
            15,
        ),
    ],
)
async def test_depth_and_alias_limits_say_by_how_much(
    client: GraphQLClient, query: str, limit: str, maximum: int
) -> None:
    extensions = error_of(await client.execute(query))["extensions"]
    assert extensions["code"] == "LIMIT_EXCEEDED"
    assert extensions["limit"] == limit
    assert extensions["maximum"] == maximum
    assert extensions["actual"] == maximum + 1


async def test_a_document_of_too_many_tokens_is_not_parsed(client: GraphQLClient) -> None:
    query = "{ me { " + "userId " * 5_001 + "} }"
    extensions = error_of(await client.execute(query))["extensions"]
    assert extensions == {"code": "LIMIT_EXCEEDED", "limit": "tokens", "maximum": 5_000}


async def test_the_introspection_query_of_graphiql_fits_the_limits(client: GraphQLClient) -> None:
    from graphql import get_introspection_query

    body = await client.execute(get_introspection_query())
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_a_body_larger_than_the_limit_is_refused_unread(client: GraphQLClient) -> None:
    huge = {"query": "{ me { userId } }", "variables": {"padding": "x" * 150_000}}
    response = await client.http.post(
        "/graphql", json=huge, headers={"authorization": f"Bearer {client.token}"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": "bodyBytes",
        "maximum": 100_000,
    }


async def test_malformed_requests_get_json_errors_with_a_code(client: GraphQLClient) -> None:
    headers = {"authorization": f"Bearer {client.token}", "content-type": "application/json"}
    for content in (b'[{"query": "{ me { userId } }"}]', b'"a string"', b"{not json"):
        response = await client.http.post("/graphql", content=content, headers=headers)
        assert response.status_code == 400, content
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST", content


@pytest.fixture(scope="module")
async def impatient_server(database_url: str) -> AsyncIterator[str]:
    """A server that gives each request one second."""
    process, base = start_server(database_url, extra_env={"CAREGRAPH_REQUEST_TIMEOUT": "1"})
    yield base
    stop_server(process)


async def test_a_request_past_the_time_limit_is_stopped_with_its_database_work(
    client: GraphQLClient, impatient_server: str, database_url: str
) -> None:
    village = await a_village(client)
    child = await register_child(client, village)
    blocker = await asyncpg.connect(plain_url(database_url))
    update = """mutation($input: UpdateChildInput!) {
      updateChild(input: $input) { child { id address version } } }"""
    variables = {"input": {"id": child["id"], "version": child["version"], "address": "新地址"}}
    try:
        async with blocker.transaction():
            # Hold the child's row: the update waits on it until the time limit stops it.
            await blocker.execute(
                "SELECT 1 FROM children WHERE id = $1 FOR UPDATE",
                decode_global_id(child["id"], "Child", field="id"),
            )
            async with httpx.AsyncClient(base_url=impatient_server, timeout=30) as http:
                slow = GraphQLClient(http, token=client.token)
                body = await slow.execute(update, variables)
            extensions = error_of(body)["extensions"]
            assert extensions == {"code": "LIMIT_EXCEEDED", "limit": "time", "maximum": 1}
            assert await _waiting_statements(blocker) == 0  # cancelled in the database too
    finally:
        await blocker.close()
    after = await client.data("query($id: ID!) { child(id: $id) { address version } }", child)
    assert after["child"] == {"address": child["address"], "version": child["version"]}


async def _waiting_statements(connection: asyncpg.Connection) -> int:
    """Statements of other sessions waiting on a lock, polled briefly (cancellation is async)."""
    count = 0
    for _ in range(20):
        count = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND pid <> pg_backend_pid()"
        )
        if count == 0:
            return 0
        await asyncio.sleep(0.1)
    return int(count)


async def test_fragments_spreading_each_other_twice_are_measured_not_expanded(
    client: GraphQLClient,
) -> None:
    # Each fragment spreads the next twice: expanded, 2^50 selections; as execution merges
    # them, one per level. Answered at once, not after the heat death of the server.
    chain = "\n".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ... on Query {{ ...F{i + 1} }} }}"
        for i in range(50)
    )
    flat = await client.execute("{ ...F0 }\n" + chain + "\nfragment F50 on Query { me { userId } }")
    assert flat["data"] == {"me": {"userId": "tester"}}
    # Doubling through a field at each level runs into the depth limit instead.
    nested = "\n".join(
        f"fragment R{i} on Region {{ parent {{ ...R{i + 1} }} up: parent {{ ...R{i + 1} }} }}"
        for i in range(40)
    )
    body = await client.execute(
        "{ regions(first: 1) { edges { node { ...R0 } } } }\n"
        + nested
        + "\nfragment R40 on Region { code }"
    )
    assert error_of(body)["extensions"]["code"] == "LIMIT_EXCEEDED"


async def test_a_document_that_only_multiplies_scalars_is_refused_quickly(
    client: GraphQLClient,
) -> None:
    # Few nodes, but hundreds of thousands of selections once fragments are expanded.
    parents = " ".join(["parent { ...R1 }"] * 35)
    document = (
        "{ regions(first: 1) { edges { node { ...R0 } } } }\n"
        + f"fragment R0 on Region {{ {parents} }}\n"
        + f"fragment R1 on Region {{ {parents.replace('R1', 'R2')} }}\n"
        + "fragment R2 on Region { "
        + " ".join(["... on Region { code }"] * 650)
        + " }"
    )
    extensions = error_of(await client.execute(document))["extensions"]
    assert extensions["code"] == "LIMIT_EXCEEDED"
    assert extensions["limit"] == "selections"
    assert (await client.data("{ me { userId } }"))["me"]["userId"] == "tester"


async def test_mutation_fields_cost_their_points_inside_fragments_too(
    client: GraphQLClient,
) -> None:
    village = await a_village(client)
    plain = "mutation($a: RegisterChildInput!) { a: registerChild(input: $a) { child { id } } }"
    wrapped = (
        "mutation($a: RegisterChildInput!) { ... on Mutation { "
        "a: registerChild(input: $a) { child { id } } } }"
    )
    costs = []
    for document in (plain, wrapped):
        body = await client.execute(document, {"a": child_input(village)})
        assert "errors" not in body, body
        costs.append(body["extensions"]["cost"]["points"])
    assert costs[0] == costs[1] == 6  # one point for the answer, five for the mutation


async def test_a_body_that_is_not_json_gets_415(client: GraphQLClient) -> None:
    response = await client.http.post(
        "/graphql",
        content=b"{ me { userId } }",
        headers={"authorization": f"Bearer {client.token}", "content-type": "text/plain"},
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
