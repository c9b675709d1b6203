"""`caregraph serve --workers N`: N worker processes on one port that share everything through
PostgreSQL. Every request here goes on a fresh connection, so that the kernel spreads them over
the workers, and `/healthz` on that same connection tells which worker answered: a policy
change, an idempotency key, a compulsory report pushed to the police and a rate-limit budget
hold whichever process a request reaches."""

import asyncio
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from core.seed.synthetic import POLICE_STATION
from tests.api import REGISTER_CHILD, a_village, child_input, error_of, register_child
from tests.conftest import GraphQLClient, start_server, stop_server, token_for
from tests.subscriptions import subscribe
from tests.test_idempotency import children_numbered
from tests.test_police_workflow import (
    OTHER_COUNTY,
    OTHER_COUNTY_TOWNSHIP,
    REPORT_FILED,
    SUMMARY,
    TOWNSHIP,
    file_report,
    officer,
    org_gid,
)
from tests.test_policy_admin import (
    ADMIN,
    BIRTH_DATE,
    EXTRA_LINE,
    GRANT,
    REVOKE,
    VOLUNTEER,
    code_of,
    post,
)
from tests.test_rate_limits import QUERY

WORKERS = 2
BUDGET = 10  # rate-limit points of the limited server
PROPAGATION = 1.0  # seconds within which every worker must enforce a policy change
REQUESTS = 20  # requests (at least) on fresh connections after a policy change
MAX_CONNECTIONS = 60  # fresh connections tried to reach the workers


@dataclass(frozen=True)
class Served:
    process: subprocess.Popen[bytes]
    url: str


@dataclass(frozen=True)
class Answer:
    """A GraphQL answer and the worker process that gave it."""

    worker: int
    response: httpx.Response

    @property
    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = self.response.json()
        return body


def start_workers(database_url: str, extra_env: dict[str, str]) -> Served:
    """A `--workers` server whose every worker answers: the first /healthz may come from a
    worker while the other is still importing."""
    process, url = start_server(
        database_url, extra_env=extra_env, extra_args=["--workers", str(WORKERS)]
    )
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while len(seen) < WORKERS and time.monotonic() < deadline:
        with httpx.Client(base_url=url, timeout=5) as fresh:
            seen.add(fresh.get("/healthz").json()["process"])
        if len(seen) < WORKERS:
            time.sleep(0.05)
    return Served(process, url)


@pytest.fixture(scope="module")
def both_servers(database_url: str) -> Iterator[tuple[Served, Served]]:
    """Two `caregraph serve --workers 2` on the session's database, started side by side: one
    without rate limits, one whose callers may spend BUDGET points each."""
    limits: list[dict[str, str]] = [{}, {"CAREGRAPH_RATE_LIMIT_POINTS": str(BUDGET)}]
    with ThreadPoolExecutor(len(limits)) as pool:
        starting = [pool.submit(start_workers, database_url, env) for env in limits]
    started = [future.result() for future in starting if future.exception() is None]
    try:
        for future in starting:
            if (error := future.exception()) is not None:
                raise error
        yield started[0], started[1]
    finally:
        with ThreadPoolExecutor(len(limits)) as pool:
            list(pool.map(stop_server, [served.process for served in started]))


@pytest.fixture(scope="module")
def workers(both_servers: tuple[Served, Served]) -> Served:
    return both_servers[0]


@pytest.fixture(scope="module")
def limited_workers(both_servers: tuple[Served, Served]) -> Served:
    return both_servers[1]


def client_address(response: httpx.Response) -> tuple[str, int]:
    address: tuple[str, int] = response.extensions["network_stream"].get_extra_info("client_addr")
    return address


@dataclass(frozen=True)
class Connection:
    """One new, kept-alive connection and the worker process that answers on it."""

    http: httpx.AsyncClient
    worker: int
    address: tuple[str, int]

    async def post(
        self, token: str | None, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> Answer:
        response = await GraphQLClient(self.http, token=token).post(query, variables, **headers)
        assert client_address(response) == self.address, "the request went on the connection"
        return Answer(self.worker, response)


@asynccontextmanager
async def fresh_connection(base: str) -> AsyncIterator[Connection]:
    """A new connection; `/healthz` on it tells which worker accepted it."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        health = await http.get("/healthz")
        assert health.status_code == 200, health.text
        body = health.json()
        assert body["status"] == "alive", body
        # the address is read while the connection is open
        yield Connection(http, body["process"], client_address(health))


@asynccontextmanager
async def connection_to(base: str, worker: int) -> AsyncIterator[Connection]:
    """A fresh connection that the given worker accepted (fails after MAX_CONNECTIONS tries)."""
    for _ in range(MAX_CONNECTIONS):
        async with fresh_connection(base) as connection:
            if connection.worker == worker:
                yield connection
                return
    pytest.fail(f"no connection reached worker {worker} in {MAX_CONNECTIONS} tries")


async def ask(
    base: str,
    token: str | None,
    query: str,
    variables: dict[str, Any] | None = None,
    **headers: str,
) -> Answer:
    """The GraphQL request on a fresh connection, whichever worker accepts it."""
    async with fresh_connection(base) as connection:
        return await connection.post(token, query, variables, **headers)


async def ask_worker(
    base: str, worker: int, token: str | None, query: str, variables: dict[str, Any] | None = None
) -> Answer:
    """The GraphQL request on a fresh connection that `worker` accepted."""
    async with connection_to(base, worker) as connection:
        return await connection.post(token, query, variables)


async def spread(
    base: str, token: str, query: str, variables: dict[str, Any], *, each: int
) -> list[Answer]:
    """The request on fresh connections, one after the other, until every worker answered it
    `each` times; fails when MAX_CONNECTIONS connections do not reach them all."""
    answers: list[Answer] = []
    for _ in range(MAX_CONNECTIONS):
        answers.append(await ask(base, token, query, variables))
        counts = Counter(answer.worker for answer in answers)
        if len(counts) == WORKERS and min(counts.values()) >= each:
            return answers
    pytest.fail(f"{MAX_CONNECTIONS} fresh connections reached the workers {dict(counts)}")


async def worker_processes(base: str) -> list[int]:
    """The processes that answer fresh connections, in the order first seen; stops at WORKERS."""
    seen: list[int] = []
    for _ in range(MAX_CONNECTIONS):
        async with fresh_connection(base) as connection:
            if connection.worker not in seen:
                seen.append(connection.worker)
        if len(seen) >= WORKERS:
            break
    return seen


def parent_of(pid: int) -> int:
    # /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ")"
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


# --- the workers -------------------------------------------------------------------------------


async def test_fresh_connections_are_answered_by_two_worker_processes(workers: Served) -> None:
    processes = await worker_processes(workers.url)
    assert len(processes) == WORKERS, f"fresh connections reached only {processes}"
    for pid in processes:
        assert parent_of(pid) == workers.process.pid, f"{pid} is not a worker of the server"


# --- a policy change is enforced by every worker -----------------------------------------------


@pytest.fixture(scope="module")
async def volunteers_child(workers: Served) -> str:
    """A child the womens_federation volunteer of 512000 sees (but not its birth date)."""
    async with httpx.AsyncClient(base_url=workers.url, timeout=30) as http:
        child = await register_child(
            GraphQLClient(http, token=token_for(region_code="512000")), "512022103201"
        )
    child_id: str = child["id"]
    return child_id


async def test_a_policy_change_through_one_worker_is_enforced_by_every_worker_within_a_second(
    workers: Served, volunteers_child: str
) -> None:
    async def everyone(what: str, allowed: bool, each: int = REQUESTS // WORKERS) -> None:
        """Requests on fresh connections until every worker answered `each` of them: every
        answer is as `allowed` says."""
        answers = await spread(
            workers.url, VOLUNTEER, BIRTH_DATE, {"id": volunteers_child}, each=each
        )
        for answer in answers:
            if allowed:
                assert "errors" not in answer.body, f"{what}, worker {answer.worker}: {answer.body}"
                assert answer.body["data"]["child"]["birthDate"] == "2015-06-01", answer.body
            else:
                assert code_of(answer.body) == "FORBIDDEN", (
                    f"{what}, worker {answer.worker}: {answer.body}"
                )

    async def change(mutation: str) -> int:
        """Grant or revoke EXTRA_LINE on a fresh connection; the worker that made it."""
        async with fresh_connection(workers.url) as connection:
            body = await post(connection.http, ADMIN, mutation, {"i": EXTRA_LINE})
        assert "errors" not in body, body
        return connection.worker

    await everyone("before the grant", allowed=False, each=2)
    granted = True
    try:
        by = await change(GRANT)
        await asyncio.sleep(PROPAGATION)
        await everyone(f"{PROPAGATION} s after worker {by} granted the line", allowed=True)

        granted = False
        by = await change(REVOKE)
        await asyncio.sleep(PROPAGATION)
        await everyone(f"{PROPAGATION} s after worker {by} revoked the line", allowed=False)
    finally:
        if granted:  # leave the policy as other tests expect it
            async with httpx.AsyncClient(base_url=workers.url, timeout=30) as http:
                await post(http, ADMIN, REVOKE, {"i": EXTRA_LINE})


# --- idempotency keys --------------------------------------------------------------------------


async def test_an_idempotency_key_holds_across_processes(
    server: str, workers: Served, client: GraphQLClient, db: asyncpg.Connection
) -> None:
    token = token_for("civil_affairs", "admin", user_id=f"idem-{uuid.uuid4().hex[:8]}")
    key = str(uuid.uuid4())
    variables = {"input": child_input(await a_village(client))}

    def send(base: str) -> Awaitable[Answer]:
        return ask(base, token, REGISTER_CHILD, variables, Idempotency_Key=key)

    # three at once to the single-process server and three to the workers
    answers = await asyncio.gather(*(send(base) for base in [server, workers.url] * 3))

    ran = [
        answer
        for answer in answers
        if answer.response.status_code == 200
        and "Idempotent-Replayed" not in answer.response.headers
    ]
    assert len(ran) == 1, [(answer.response.status_code, answer.body) for answer in answers]
    (original,) = ran
    assert "errors" not in original.body, original.body
    registered = original.body["data"]["registerChild"]["child"]
    assert registered["idNumber"] == variables["input"]["idNumber"]
    for answer in answers:
        if answer is original:
            continue
        if answer.response.status_code == 200:
            assert answer.response.headers["Idempotent-Replayed"] == "true"
            assert answer.body == original.body, "a replay is the first answer"
        else:
            assert answer.response.status_code == 409, answer.body
            assert error_of(answer.body)["extensions"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
            assert "data" not in answer.body or answer.body["data"] is None, answer.body
    assert await children_numbered(db, variables["input"]["idNumber"]) == 1
    assert await db.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key) == 1

    # later retries: the session's server and each worker replay the first answer
    retries = [await send(server)]
    processes = await worker_processes(workers.url)
    assert len(processes) == WORKERS, processes
    for worker in processes:
        async with connection_to(workers.url, worker) as connection:
            retries.append(
                await connection.post(token, REGISTER_CHILD, variables, Idempotency_Key=key)
            )
    for retry in retries:
        assert retry.response.status_code == 200, f"worker {retry.worker}: {retry.body}"
        assert retry.response.headers["Idempotent-Replayed"] == "true", retry.worker
        assert retry.body == original.body, f"worker {retry.worker} replays the first answer"
    assert await children_numbered(db, variables["input"]["idNumber"]) == 1


# --- a compulsory report reaches the police on another process ----------------------------------


async def test_a_report_filed_through_one_process_reaches_the_police_subscribed_on_another(
    server: str, workers: Served
) -> None:
    here = officer(user_id="officer-workers-1")
    also_here = officer(user_id="officer-workers-2")
    elsewhere = officer(region=OTHER_COUNTY, station=OTHER_COUNTY_TOWNSHIP, user_id="officer-far")
    station = org_gid(TOWNSHIP, POLICE_STATION)

    async def filed_through(base: str) -> tuple[int, str]:
        async with fresh_connection(base) as connection:
            return connection.worker, await file_report(GraphQLClient(connection.http))

    async with (
        subscribe(server, here, REPORT_FILED) as on_server,
        subscribe(workers.url, here, REPORT_FILED) as on_workers,
        subscribe(workers.url, also_here, REPORT_FILED) as also_on_workers,
        subscribe(server, elsewhere, REPORT_FILED) as far_on_server,
        subscribe(workers.url, elsewhere, REPORT_FILED) as far_on_workers,
    ):
        # filed through a worker: heard on the session's server, another process; then filed
        # through the session's server: heard on the workers
        worker, through_worker = await filed_through(workers.url)
        _, through_server = await filed_through(server)

        for subscription in (on_server, on_workers, also_on_workers):
            for report_id in (through_worker, through_server):
                result = await subscription.next()
                assert "errors" not in result, result
                delivered = result["data"]["compulsoryReportFiled"]
                assert delivered["id"] == report_id, f"filed through worker {worker}: {delivered}"
                assert delivered["summary"] == SUMMARY
                assert delivered["policeStation"] == {"id": station}
        # out of the reports' jurisdiction: nothing, on either server
        await asyncio.gather(far_on_server.nothing_within(1.5), far_on_workers.nothing_within(1.5))


# --- the rate-limit budget ---------------------------------------------------------------------


async def test_the_rate_limit_budget_is_shared_by_the_workers(limited_workers: Served) -> None:
    base = limited_workers.url
    token = token_for("civil_affairs", "caseworker", user_id=f"rate-{uuid.uuid4().hex[:8]}")
    processes = await worker_processes(base)
    assert len(processes) == WORKERS, processes
    first, second = processes

    async def spend(worker: int) -> httpx.Response:
        answer = await ask_worker(base, worker, token, QUERY, {"first": 10})
        return answer.response

    remaining: list[int] = []
    for turn in range(BUDGET):  # one point each, alternately through each worker
        response = await spend((first, second)[turn % 2])
        assert response.status_code == 200, f"turn {turn}: {response.text}"
        assert response.headers["X-RateLimit-Limit"] == str(BUDGET)
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == list(range(BUDGET - 1, -1, -1)), "one budget for both workers"

    for worker in (first, second, first, second):  # not twice the budget: both refuse now
        refused = await spend(worker)
        assert refused.status_code == 429, f"worker {worker}: {refused.text}"
        error = error_of(refused.json())
        assert error["extensions"]["code"] == "RATE_LIMITED", error
        assert error["extensions"]["limit"] == BUDGET
        assert error["extensions"]["remaining"] == 0
