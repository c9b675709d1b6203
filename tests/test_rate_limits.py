"""Rate limits per user or API key, in cost points over a window, shared by every server process:
kept in PostgreSQL, or in Redis when CAREGRAPH_REDIS_URL is set."""

import socket
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.conftest import GraphQLClient, start_server, stop_server, token_for

BUDGET = 20
QUERY = "query($first: Int!) { regions(first: $first) { edges { node { code } } } }"
REDIS = ("127.0.0.1", 6379)


def redis_available() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


def two_servers(database_url: str, extra_env: dict[str, str]) -> Iterator[tuple[str, str]]:
    env = {"CAREGRAPH_RATE_LIMIT_POINTS": str(BUDGET), **extra_env}
    first, first_url = start_server(database_url, extra_env=env)
    try:
        second, second_url = start_server(database_url, extra_env=env)
        try:
            yield first_url, second_url
        finally:
            stop_server(second)
    finally:
        stop_server(first)


@pytest.fixture(scope="module", params=["postgresql", "redis"])
def servers(request: pytest.FixtureRequest, database_url: str) -> Iterator[tuple[str, str]]:
    """Two server processes sharing one rate limit, counted in PostgreSQL or in Redis."""
    if request.param == "redis":
        if not redis_available():
            pytest.skip("no Redis on 127.0.0.1:6379")
        yield from two_servers(database_url, {"CAREGRAPH_REDIS_URL": "redis://127.0.0.1:6379/0"})
    else:
        yield from two_servers(database_url, {})


@pytest.fixture
async def clients(servers: tuple[str, str]) -> AsyncIterator[tuple[GraphQLClient, GraphQLClient]]:
    token = token_for("civil_affairs", "caseworker", user_id=f"rate-{uuid.uuid4().hex[:8]}")
    async with (
        httpx.AsyncClient(base_url=servers[0], timeout=30) as one,
        httpx.AsyncClient(base_url=servers[1], timeout=30) as other,
    ):
        yield GraphQLClient(one, token=token), GraphQLClient(other, token=token)


async def test_the_budget_is_shared_by_every_server_process(
    clients: tuple[GraphQLClient, GraphQLClient],
) -> None:
    remaining = []
    for turn in range(BUDGET):
        response = await clients[turn % 2].post(QUERY, {"first": 10})
        assert response.status_code == 200, response.text
        assert response.headers["X-RateLimit-Limit"] == str(BUDGET)
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
        assert response.json()["extensions"]["cost"]["remaining"] == remaining[-1]
    assert remaining == list(range(BUDGET - 1, -1, -1))

    refused = await clients[0].post(QUERY, {"first": 10})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["remaining"] == 0
    assert error["extensions"]["limit"] == BUDGET
    assert error["extensions"]["retryAfter"] >= 1
    assert "data" not in refused.json()  # nothing ran


async def test_a_request_costs_by_the_nodes_it_may_return_and_a_refusal_costs_nothing(
    clients: tuple[GraphQLClient, GraphQLClient],
) -> None:
    # One point per hundred nodes the answer may hold, at least one.
    big = await clients[0].post(QUERY, {"first": 100})
    assert big.json()["extensions"]["cost"]["points"] == 1
    assert big.headers["X-RateLimit-Remaining"] == str(BUDGET - 1)
    heavy = "{ regions(first: 100) { edges { node { code subregions { code } } } } }"
    response = await clients[1].post(heavy)
    points = response.json()["extensions"]["cost"]["points"]
    assert points == 11  # 100 regions + 10 subregions counted for each
    left = BUDGET - 1 - points
    assert response.headers["X-RateLimit-Remaining"] == str(left)
    too_heavy = "{ regions(first: 100) { edges { node { subregions { subregions { code } } } } } }"
    refused = await clients[0].post(too_heavy)
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["cost"] == 111
    after = await clients[1].post(QUERY, {"first": 1})
    assert after.headers["X-RateLimit-Remaining"] == str(left - 1)


async def test_each_caller_has_a_budget_of_their_own(
    clients: tuple[GraphQLClient, GraphQLClient], servers: tuple[str, str]
) -> None:
    for _ in range(BUDGET):
        await clients[0].post(QUERY, {"first": 1})
    assert (await clients[0].post(QUERY, {"first": 1})).status_code == 429
    someone_else = token_for("civil_affairs", "caseworker", user_id=f"other-{uuid.uuid4().hex}")
    async with httpx.AsyncClient(base_url=servers[1], timeout=30) as http:
        response = await GraphQLClient(http, token=someone_else).post(QUERY, {"first": 1})
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == str(BUDGET - 1)
