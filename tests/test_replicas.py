"""Read replicas: a primary and a streaming replica of this module's own (pg_basebackup on a
second port, `tests.private_postgres`), and a CareGraph server with `DATABASE_REPLICA_URLS`.

What a deployment relies on: queries are answered by the replica; a caller reads their own
writes at once (their reads stay on the primary until the replica has replayed them, by LSN);
a replica that falls behind beyond the configured lag, or stops, is taken out of rotation and
comes back by itself. The replica is held back with `pg_wal_replay_pause()`, so what a query
sees tells which database answered it.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from core.plugin_registry import enabled_plugins
from core.replicas import PrimaryHistory, ReplicaSet
from core.testing import plain_url, temporary_database
from tests.api import a_village, register_child
from tests.conftest import GraphQLClient, start_server, stop_server, token_for
from tests.private_postgres import PrivatePostgres, StreamingReplica, private_postgres

MAX_LAG_SECONDS = 3.0
CHECK_INTERVAL_SECONDS = 0.2
NODE = "query($id: ID!) { node(id: $id) { id ... on Child { name } } }"


@pytest.fixture(scope="module")
def primary() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def replica(primary: PrivatePostgres) -> Iterator[StreamingReplica]:
    standby = StreamingReplica(primary)
    try:
        yield standby
    finally:
        standby.destroy()


@pytest.fixture(scope="module")
async def database_url(primary: PrivatePostgres, replica: StreamingReplica) -> AsyncIterator[str]:
    """A migrated database on the primary; the replica receives it by streaming."""
    async with temporary_database(primary.url(), enabled_plugins()) as url:
        yield url


def replica_url(replica: StreamingReplica, database_url: str) -> str:
    return plain_url(replica.url(make_url(database_url).database or "postgres"))


@pytest.fixture(scope="module")
def server(database_url: str, replica: StreamingReplica) -> Iterator[str]:
    process, base = start_server(
        database_url,
        extra_env={
            "DATABASE_REPLICA_URLS": replica_url(replica, database_url),
            "CAREGRAPH_REPLICA_MAX_LAG": str(MAX_LAG_SECONDS),
            "CAREGRAPH_REPLICA_CHECK_INTERVAL": str(CHECK_INTERVAL_SECONDS),
        },
    )
    try:
        yield base
    finally:
        stop_server(process)


async def on_replica(replica: StreamingReplica, database_url: str, statement: str) -> None:
    connection = await asyncpg.connect(replica_url(replica, database_url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(autouse=True)
async def replica_running_and_replaying(
    replica: StreamingReplica, database_url: str
) -> AsyncIterator[None]:
    """Each test leaves the replica as it found it: up, and replaying."""
    yield
    if not replica.running:
        replica.start()
    await on_replica(replica, database_url, "SELECT pg_wal_replay_resume()")


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        yield client


def caller(http: httpx.AsyncClient, user_id: str) -> GraphQLClient:
    return GraphQLClient(http, token=token_for("civil_affairs", "admin", user_id=user_id))


async def replica_status(http: httpx.AsyncClient) -> dict[str, Any]:
    ready = await http.get("/readyz")
    assert ready.status_code == 200, ready.text  # a replica out of rotation is not unready
    status: dict[str, Any] = ready.json()["replicas"][0]
    return status


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"not within {seconds} s: {what}")


async def in_rotation(http: httpx.AsyncClient, expected: bool = True) -> bool:
    return bool((await replica_status(http))["inRotation"]) is expected


async def sees(client: GraphQLClient, child_id: str) -> bool:
    body = await client.execute(NODE, {"id": child_id})
    if body.get("data", {}).get("node") is not None:
        return True
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", body
    return False


async def test_queries_go_to_the_replica_and_a_caller_reads_their_own_writes(
    http: httpx.AsyncClient, replica: StreamingReplica, database_url: str
) -> None:
    writer, reader = caller(http, "replica-writer"), caller(http, "replica-reader")
    await eventually(lambda: in_rotation(http), "the replica in rotation", 15)
    village = await a_village(writer)

    await on_replica(replica, database_url, "SELECT pg_wal_replay_pause()")
    child = await register_child(writer, village)  # the mutation answers from the primary
    assert child["name"]

    # Another caller's query is answered by the replica, which has not replayed the change;
    # the writer's own query is answered by the primary.
    assert not await sees(reader, child["id"])
    assert await sees(writer, child["id"])
    assert (await replica_status(http))["inRotation"]

    # Held back beyond the configured lag, the replica is taken out: the primary answers all.
    await eventually(lambda: in_rotation(http, False), "the lagging replica taken out", 15)
    status = await replica_status(http)
    assert status["lagSeconds"] > MAX_LAG_SECONDS
    assert "behind the primary" in status["problem"]
    assert await sees(reader, child["id"])

    # Caught up again, it comes back by itself, and has the change.
    await on_replica(replica, database_url, "SELECT pg_wal_replay_resume()")
    await eventually(lambda: in_rotation(http), "the replica back in rotation", 15)
    assert (await replica_status(http))["lagSeconds"] <= MAX_LAG_SECONDS
    assert await sees(reader, child["id"])

    # Once a replica has the writer's change, the writer's queries go back to it: held back
    # again, it does not have what someone else writes next, and neither does the writer.
    await on_replica(replica, database_url, "SELECT pg_wal_replay_pause()")
    other = await register_child(caller(http, "replica-other-writer"), village)
    assert not await sees(writer, other["id"])


async def test_a_stopped_replica_is_taken_out_and_comes_back(
    http: httpx.AsyncClient, replica: StreamingReplica, database_url: str
) -> None:
    writer, reader = caller(http, "replica-writer-2"), caller(http, "replica-reader-2")
    await eventually(lambda: in_rotation(http), "the replica in rotation", 15)
    village = await a_village(reader)

    await asyncio.to_thread(replica.stop)
    await eventually(lambda: in_rotation(http, False), "the stopped replica taken out", 10)
    assert "unreachable" in (await replica_status(http))["problem"]
    # The primary answers in its place: queries and writes go on without an error.
    child = await register_child(writer, village)
    for _ in range(5):
        assert await sees(reader, child["id"])

    await asyncio.to_thread(replica.start)
    await eventually(lambda: in_rotation(http), "the restarted replica back in rotation", 15)
    # It answers queries again: held back, it does not have what is written next.
    await on_replica(replica, database_url, "SELECT pg_wal_replay_pause()")
    later = await register_child(writer, village)
    assert not await sees(reader, later["id"])
    assert await sees(writer, later["id"])


def test_lag_is_how_long_ago_the_primary_passed_what_the_replica_replayed() -> None:
    history = PrimaryHistory(keep_seconds=10)
    history.add(100.0, 1_000)
    # One sample says nothing of a replica behind it: at a process's start it could be
    # hours behind, so its lag is not known (and it stays out of rotation).
    assert history.lag(replayed=500, now=100.0) == (0.0, False)
    assert history.lag(replayed=1_000, now=100.0) == (0.0, True)
    history.add(101.0, 2_000)
    history.add(102.0, 2_000)  # the primary idle
    assert history.lag(replayed=2_000, now=102.0) == (0.0, True)  # caught up
    assert history.lag(replayed=1_500, now=102.0) == (1.0, True)  # behind since the 2nd sample
    assert history.lag(replayed=500, now=102.0) == (2.0, False)  # at least 2 s: behind them all
    history.add(115.0, 3_000)  # older samples are dropped, the oldest kept still bounds it
    lag, known = history.lag(replayed=500, now=115.0)
    assert lag >= 10.0 and not known


async def test_a_replica_far_behind_is_not_in_rotation_at_start(
    primary: PrivatePostgres, replica: StreamingReplica, database_url: str
) -> None:
    """A process that starts while its replica is behind does not send it queries, though it
    has not yet watched the primary long enough to tell by how much."""
    await on_replica(replica, database_url, "SELECT pg_wal_replay_pause()")
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        await connection.execute("CREATE TABLE IF NOT EXISTS lag_probe (n int)")
        await connection.execute("INSERT INTO lag_probe VALUES (1)")
    finally:
        await connection.close()
    replicas = ReplicaSet(
        database_url,
        [replica_url(replica, database_url)],
        max_lag=timedelta(seconds=MAX_LAG_SECONDS),
        check_interval=timedelta(seconds=CHECK_INTERVAL_SECONDS),
    )
    try:
        await replicas.check()
        assert replicas.sessions_for(None) is None
        assert replicas.status()[0]["problem"] == "behind every position of the primary seen so far"
        await on_replica(replica, database_url, "SELECT pg_wal_replay_resume()")
        await eventually(
            lambda: _checked_in_rotation(replicas), "the caught-up replica in rotation", 10
        )
    finally:
        await replicas.close()


async def _checked_in_rotation(replicas: ReplicaSet) -> bool:
    await replicas.check()
    return replicas.sessions_for(None) is not None
