"""The server when its database goes away and comes back: PostgreSQL is stopped and started
under a running CareGraph server, on a PostgreSQL of this module's own (`tests.private_postgres`;
the shared server of the other tests must stay up).

What a client must be able to rely on: while the database is away every request is refused at
once with a retryable SERVICE_UNAVAILABLE (HTTP 503, Retry-After), never an internal error nor
a hang; `/readyz` says so; once it is back the same server process serves again; a write was
made exactly when it was acknowledged, with its audit entry; a retry under the same
Idempotency-Key writes once; subscribers still connected hear of what happens after, and a
subscriber that lost its connection is replayed what it missed (`since`).

A burst of clients meets the outage at random moments; the moments that matter most (after a
write committed, before its answer was complete) are also held open on purpose, by a trigger
that pauses the request at one audit entry, so that the database is stopped exactly there.
"""

import asyncio
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from strawberry import relay

from core.plugin_registry import enabled_plugins
from core.resident_id import Sex
from core.seed.synthetic import CENTRAL_PRIMARY_SCHOOL
from core.testing import plain_url, temporary_database
from tests.api import REGISTER_CHILD, a_village, child_input
from tests.conftest import GraphQLClient, new_id_number, start_server, stop_server, token_for
from tests.private_postgres import PrivatePostgres, private_postgres
from tests.subscriptions import Subscription, subscribe
from tests.test_police_workflow import FILE_REPORT, TOWNSHIP, VILLAGE, officer, org_gid, teacher

WORKERS = 6  # concurrent clients in the burst
PAUSE = 0.02  # between one client's requests
OUTAGE_SECONDS = 2.0  # how long the clients keep writing to a stopped database
FAIL_FAST_SECONDS = 5.0  # a refusal must come within this
RESUMED_WRITES = 5  # acknowledged writes after the restart that show service resumed
RECOVERY_SECONDS = 30.0  # the most the server may take to serve again once the database is up
REQUEST_SECONDS = 20.0  # the client's own limit: a request still open by then is a hang
REGISTERED = "registerChild"  # the field of the audit entries that record the registrations
# A request's time limit; an idempotency key claimed by a request that died with the database
# (its release failed too) is held for twice that before a retry may run.
REQUEST_TIMEOUT_SECONDS = 5


# --- the private database, and a server on it ------------------------------------------------


@dataclass
class Stack:
    """The private PostgreSQL, the database on it, and the CareGraph server process using it."""

    postgres: PrivatePostgres
    database_url: str  # asyncpg URL of the migrated database the server uses
    process: "subprocess.Popen[bytes]"
    base: str  # the server's URL

    @property
    def plain_database_url(self) -> str:
        return plain_url(self.database_url)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


@pytest.fixture(scope="module")
async def fault_database(postgres: PrivatePostgres) -> AsyncIterator[str]:
    """A database migrated for the enabled plugins, on the private server."""
    tests_ran = False
    try:
        async with temporary_database(postgres.url(), enabled_plugins()) as url:
            tests_ran = True
            yield url
    except (asyncpg.InterfaceError, OSError):
        # The helper's maintenance connection, opened before the tests, did not live through
        # their restarts, so the database could not be dropped: it goes with the server.
        if not tests_ran:
            raise


@pytest.fixture(scope="module")
def stack(postgres: PrivatePostgres, fault_database: str) -> Iterator[Stack]:
    process, base = start_server(
        fault_database, extra_env={"CAREGRAPH_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT_SECONDS)}
    )
    try:
        yield Stack(postgres, fault_database, process, base)
    finally:
        stop_server(process)


@pytest.fixture(autouse=True)
def database_up_again(postgres: PrivatePostgres) -> Iterator[None]:
    """Each test starts, and leaves, with the database up, whatever happened in between."""
    if not postgres.running:
        postgres.start()
    yield
    if not postgres.running:
        postgres.start()


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.base, timeout=REQUEST_SECONDS) as client:
        yield client


async def in_thread(action: Callable[[], None]) -> tuple[float, float]:
    """Run a blocking pg_ctl step without stopping the clients; returns when it began and
    ended (monotonic)."""
    began = time.monotonic()
    await asyncio.to_thread(action)
    return began, time.monotonic()


# --- one request, as the client saw it -------------------------------------------------------


@dataclass
class Outcome:
    id_number: str
    sent: float  # monotonic
    answered: float
    status: int | None = None  # None: no HTTP answer at all
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    failure: str | None = None  # the transport error, when there was no answer

    @property
    def seconds(self) -> float:
        return self.answered - self.sent

    @property
    def child_id(self) -> str | None:
        """The child's key when the write was acknowledged: HTTP 200 with the child (an error
        reading one of its fields, e.g. its region, is no refusal of the write)."""
        if self.status != 200 or self.body is None:
            return None
        child = ((self.body.get("data") or {}).get("registerChild") or {}).get("child")
        if not child or not child.get("id"):
            return None
        return str(relay.GlobalID.from_id(child["id"]).node_id)

    @property
    def acknowledged(self) -> bool:
        return self.child_id is not None

    @property
    def codes(self) -> list[str | None]:
        errors = (self.body or {}).get("errors") or []
        return [(error.get("extensions") or {}).get("code") for error in errors]

    def describe(self) -> str:
        return (
            f"{self.id_number} after {self.seconds:.2f} s: {self.status} "
            f"{self.failure or self.body} retry-after={self.headers.get('retry-after')}"
        )


def refusal_problem(outcome: Outcome) -> str | None:
    """Why a response is not a proper "the database is away, retry" refusal (None if it is)."""
    if outcome.status is None:
        return "no answer at all (the server must answer, even without its database)"
    if outcome.status != 503:
        return f"HTTP {outcome.status}, not 503"
    if "retry-after" not in outcome.headers:
        return "no Retry-After header"
    errors = (outcome.body or {}).get("errors") or []
    if not errors:
        return "no errors in the body"
    extensions = errors[0].get("extensions") or {}
    if extensions.get("code") != "SERVICE_UNAVAILABLE" or extensions.get("retryable") is not True:
        return f"errors[0] is not a retryable SERVICE_UNAVAILABLE: {errors[0]}"
    if outcome.seconds > FAIL_FAST_SECONDS:
        return f"refused only after {outcome.seconds:.1f} s"
    return None


class Births:
    """Distinct birth dates, so that every child of this module has an id number of its own
    (`new_id_number` varies only a three-digit sequence)."""

    def __init__(self) -> None:
        self.next_day = 0

    def __call__(self) -> date:
        self.next_day += 1
        assert self.next_day < 3000, "more children than this module has birth dates for"
        return date(2011, 1, 1) + timedelta(days=self.next_day)


births = Births()


def new_child(village: str) -> dict[str, Any]:
    birth_date = births()
    return child_input(
        village,
        birth_date=birth_date,
        idNumber=new_id_number(birth_date, Sex.FEMALE),
    )


def named(operation: str) -> str:
    """REGISTER_CHILD under another operation name (its audit entries carry the name)."""
    return REGISTER_CHILD.replace("mutation Register(", f"mutation {operation}(", 1)


async def register(
    http: httpx.AsyncClient,
    values: dict[str, Any],
    idempotency_key: str | None = None,
    document: str = REGISTER_CHILD,
) -> Outcome:
    """Send a registration as a front end does; what came back, or that nothing did."""
    headers = {
        "accept": "application/graphql-response+json, application/json",
        "authorization": f"Bearer {token_for()}",
    }
    if idempotency_key is not None:
        headers["idempotency-key"] = idempotency_key
    outcome = Outcome(values["idNumber"], sent=time.monotonic(), answered=0.0)
    try:
        response = await http.post(
            "/graphql",
            json={"query": document, "variables": {"input": values}},
            headers=headers,
        )
    except httpx.HTTPError as error:
        outcome.failure = f"{type(error).__name__}: {error}"
    else:
        outcome.status = response.status_code
        outcome.headers = {name.lower(): value for name, value in response.headers.items()}
        try:
            outcome.body = response.json()
        except ValueError:
            outcome.body = {"unparsable": response.text[:500]}
    outcome.answered = time.monotonic()
    return outcome


async def poll(check: Callable[[], bool], within: float, what: str, every: float = 0.1) -> None:
    """Wait until `check()` holds (the clients run meanwhile)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within:g} s")
        await asyncio.sleep(every)


HOLD_AUDIT_ENTRY = """
CREATE OR REPLACE FUNCTION test_hold_audit_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.action = '{action}' AND NEW.operation = '{operation}' THEN
    PERFORM pg_sleep({seconds});
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS a_test_hold_audit_entry ON audit_entries;
CREATE TRIGGER a_test_hold_audit_entry BEFORE INSERT ON audit_entries
  FOR EACH ROW EXECUTE FUNCTION test_hold_audit_entry();
"""
HELD = (
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event = 'PgSleep'"
)


@asynccontextmanager
async def audit_entry_held(
    stack: Stack, action: str, operation: str, seconds: float = 60
) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Hold the request that writes this audit entry at that very point (a trigger sleeps
    before the insert; it fires before the chain's trigger, so the chain is not locked), so
    that the database can be stopped exactly there. Yields a wait for a request to be held.
    The trigger is dropped at the end: the database must be up again by then."""
    connection = await asyncpg.connect(stack.plain_database_url)
    try:
        await connection.execute(
            HOLD_AUDIT_ENTRY.format(action=action, operation=operation, seconds=seconds)
        )
    finally:
        await connection.close()

    async def until_held() -> None:
        watcher = await asyncpg.connect(stack.plain_database_url)
        try:
            deadline = time.monotonic() + 15
            while not await watcher.fetchval(HELD):
                assert time.monotonic() < deadline, "no request reached the held audit entry"
                await asyncio.sleep(0.02)
        finally:
            await watcher.close()

    try:
        yield until_held
    finally:
        if not stack.postgres.running:
            await asyncio.to_thread(stack.postgres.start)
        connection = await asyncpg.connect(stack.plain_database_url)
        try:
            await connection.execute("DROP TRIGGER a_test_hold_audit_entry ON audit_entries")
        finally:
            await connection.close()


# --- 1. a burst of writes while the database stops and starts ---------------------------------


@dataclass
class Burst:
    http: httpx.AsyncClient
    village: str
    outcomes: list[Outcome] = field(default_factory=list)
    readiness: list[tuple[float, float, int | None]] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def write(self) -> None:
        while not self.done.is_set():
            self.outcomes.append(await register(self.http, new_child(self.village)))
            await asyncio.sleep(PAUSE)

    async def probe(self) -> None:
        while not self.done.is_set():
            sent = time.monotonic()
            try:
                status: int | None = (await self.http.get("/readyz")).status_code
            except httpx.HTTPError:
                status = None
            self.readiness.append((sent, time.monotonic(), status))
            await asyncio.sleep(0.1)

    def acknowledged_since(self, moment: float) -> int:
        return sum(1 for o in self.outcomes if o.acknowledged and o.sent >= moment)


async def test_a_burst_of_writes_across_a_database_restart(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    village = await a_village(GraphQLClient(http, token=token_for()))
    burst = Burst(http, village)
    tasks = [asyncio.create_task(burst.write()) for _ in range(WORKERS)]
    tasks.append(asyncio.create_task(burst.probe()))
    try:
        await poll(lambda: burst.acknowledged_since(0) >= 3 * WORKERS, 30, "first writes")
        stop_began, stop_ended = await in_thread(lambda: stack.postgres.stop("fast"))
        await asyncio.sleep(OUTAGE_SECONDS)
        start_began, start_ended = await in_thread(stack.postgres.start)
        await poll(
            lambda: burst.acknowledged_since(start_ended) >= RESUMED_WRITES,
            RECOVERY_SECONDS,
            "writes acknowledged again after the database came back",
        )
        await poll(
            lambda: any(sent > start_ended and s == 200 for sent, _, s in burst.readiness),
            RECOVERY_SECONDS,
            "/readyz answering 200 again",
        )
    finally:
        burst.done.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    outcomes = burst.outcomes
    assert len({o.id_number for o in outcomes}) == len(outcomes), "id numbers must be distinct"
    acknowledged = [o for o in outcomes if o.acknowledged]
    refused = [o for o in outcomes if not o.acknowledged]
    summary = (
        f"{len(outcomes)} requests: {len(acknowledged)} acknowledged, {len(refused)} refused "
        f"(database stopped in {stop_ended - stop_began:.2f} s, down {OUTAGE_SECONDS:g} s, "
        f"started in {start_ended - start_began:.2f} s)"
    )
    stored, audited = await stored_children(stack, outcomes)
    violations: list[str] = []

    # the server process never went down, answered every request and serves again
    if stack.process.poll() is not None:
        violations.append("the server process exited")
    if (ready := await http.get("/readyz")).status_code != 200:
        violations.append(f"/readyz after the restart: {ready.status_code} {ready.text}")
    # every refusal is the retryable refusal of a database away: no internal error, no hang
    for o in refused:
        if (problem := refusal_problem(o)) is not None:
            present = "WRITTEN" if o.id_number in stored else "not written"
            violations.append(f"bad refusal ({problem}; the child was {present}): {o.describe()}")
    # while the database was down nothing could be written, and the requests said so
    while_down = [o for o in outcomes if o.sent >= stop_ended and o.answered <= start_began]
    if not while_down:
        violations.append("no request was sent while the database was down")
    violations += [
        f"acknowledged with no database: {o.describe()}" for o in while_down if o.acknowledged
    ]
    # /readyz said the database was away, then that it was back
    down_probes = [s for sent, at, s in burst.readiness if stop_ended <= sent and at <= start_began]
    if not down_probes or set(down_probes) != {503}:
        violations.append(f"/readyz while the database was down: {down_probes}")

    # the database holds exactly the acknowledged writes, each with one audit entry
    for o in acknowledged:
        if stored.get(o.id_number) != o.child_id:
            violations.append(f"acknowledged but not in the database: {o.describe()}")
    for o in refused:
        if o.id_number in stored and refusal_problem(o) is None:
            violations.append(
                f'refused as SERVICE_UNAVAILABLE ("nothing was written") yet written: '
                f"{o.describe()}"
            )
    for id_number, child_id in stored.items():
        if audited.get(child_id, 0) != 1:
            violations.append(
                f"child {id_number} has {audited.get(child_id, 0)} {REGISTERED} entries"
            )
    assert not violations, f"{summary}\n" + "\n".join(violations)


async def stored_children(
    stack: Stack, outcomes: list[Outcome]
) -> tuple[dict[str, str], dict[str, int]]:
    """Of the children sent, those in the database (id number -> key), and how many successful
    registerChild audit entries name each key."""
    connection = await asyncpg.connect(stack.plain_database_url)
    try:
        rows = await connection.fetch(
            "SELECT id::text AS id, id_number FROM children WHERE id_number = ANY($1::text[])",
            [o.id_number for o in outcomes],
        )
        stored = {row["id_number"]: row["id"] for row in rows}
        entries = await connection.fetch(
            "SELECT child_id, count(*) AS entries FROM audit_entries, unnest(child_ids) child_id "
            "WHERE action = 'MUTATION' AND outcome = 'SUCCESS' AND operation LIKE $1 "
            "AND child_id = ANY($2::text[]) GROUP BY child_id",
            f"%:{REGISTERED}",
            list(stored.values()),
        )
    finally:
        await connection.close()
    return stored, {row["child_id"]: row["entries"] for row in entries}


# --- 2. a write committed, then the database goes away before its answer is complete ----


async def test_a_write_committed_before_the_database_stopped_is_acknowledged(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    """The moment the burst hits by chance, held open: the registration has committed (the
    child with its MUTATION entry) and the request is writing the SENSITIVE_READ entry of what
    its answer reads (idNumber, address...) when the database stops. The write was made, so
    the client must be told so: an acknowledgement, not a refusal saying nothing was written
    (nor a request error, nor the database's own message)."""
    village = await a_village(GraphQLClient(http, token=token_for()))
    values = new_child(village)
    async with audit_entry_held(stack, "SENSITIVE_READ", "RegisterThenStop") as until_held:
        request = asyncio.create_task(register(http, values, document=named("RegisterThenStop")))
        await until_held()
        await asyncio.to_thread(stack.postgres.stop, "fast")
        outcome = await request
        await asyncio.to_thread(stack.postgres.start)

    stored, audited = await stored_children(stack, [outcome])
    assert values["idNumber"] in stored, "the registration had committed before the stop"
    assert stack.process.poll() is None, "the server process exited"
    assert outcome.acknowledged, (
        f"the child was written, but the client was told: {outcome.describe()}"
    )
    assert stored[values["idNumber"]] == outcome.child_id
    assert audited == {outcome.child_id: 1}, "one registerChild entry"


async def test_a_write_committed_before_its_answer_was_read_is_acknowledged(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    """The same moment one step earlier: the registration has committed, and the connection
    reading the regions of its answer (`residenceRegion`, `householdRegion`, read after the
    commit) is lost. Those two fields fail; the write stands, so the answer is HTTP 200 with
    the child (GraphQL over HTTP: a response with data is a 2xx), not a 503 telling the client
    to send the registration again."""
    village = await a_village(GraphQLClient(http, token=token_for()))
    values = new_child(village)
    locker = await asyncpg.connect(stack.plain_database_url)
    watcher = await asyncpg.connect(stack.plain_database_url)  # sees the activity as it is
    try:
        # The mutation's own entry is held a moment, so that the lock below is queued behind
        # its transaction (which read the regions): granted at its commit, ahead of the reads
        # of the answer, which then wait for it.
        async with audit_entry_held(stack, "MUTATION", "RegionsCut:registerChild", 2) as held:
            request = asyncio.create_task(register(http, values, document=named("RegionsCut")))
            await held()
            async with locker.transaction():
                await locker.execute("LOCK TABLE regions IN ACCESS EXCLUSIVE MODE")
                deadline = time.monotonic() + 15
                while not await watcher.fetchval(WAITING_FOR_REGIONS):
                    assert time.monotonic() < deadline, "the answer's regions were not read"
                    await asyncio.sleep(0.02)
                await watcher.execute(CUT_REGION_READERS)
            outcome = await request
    finally:
        await locker.close()
        await watcher.close()

    stored, audited = await stored_children(stack, [outcome])
    assert values["idNumber"] in stored, "the registration had committed"
    failed_fields = [error.get("path") for error in (outcome.body or {}).get("errors") or []]
    assert ["registerChild", "child", "residenceRegion"] in failed_fields, outcome.describe()
    assert outcome.acknowledged, (
        f"the child was written, but the client was told: {outcome.describe()}"
    )
    assert stored[values["idNumber"]] == outcome.child_id
    assert audited == {outcome.child_id: 1}, "one registerChild entry"


REGION_READERS = (
    "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND wait_event_type = 'Lock' AND query LIKE '%FROM regions%'"
)
WAITING_FOR_REGIONS = f"SELECT count(*) > 0 {REGION_READERS}"
CUT_REGION_READERS = f"SELECT pg_terminate_backend(pid) {REGION_READERS}"  # (only ours read)


# --- 3. retries under the same Idempotency-Key across the outage -----------------------------


async def test_idempotent_retries_across_a_database_restart_write_once(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    """Two registrations with keys: one cut off in its transaction by the stop (its key was
    claimed, and could not be released with the database away), one sent while the database
    is down (its key could not even be claimed). The client retries each with its key until
    acknowledged (SERVICE_UNAVAILABLE, or IDEMPOTENCY_KEY_IN_USE until the claim of the cut
    attempt goes stale), then once more: the same answer, replayed, and one child each."""
    village = await a_village(GraphQLClient(http, token=token_for()))
    cut_values, cut_key, cut_document = new_child(village), str(uuid.uuid4()), named("Cut")
    down_values, down_key = new_child(village), str(uuid.uuid4())

    async with audit_entry_held(stack, "MUTATION", "Cut:registerChild") as until_held:
        request = asyncio.create_task(register(http, cut_values, cut_key, cut_document))
        await until_held()  # the child is inserted, the key marked `wrote`: not committed
        await asyncio.to_thread(stack.postgres.stop, "fast")
        cut = await request
        down = await register(http, down_values, down_key)
        await asyncio.to_thread(stack.postgres.start)
    for refused in (cut, down):
        assert refusal_problem(refused) is None, refused.describe()

    cut_first, down_first = await asyncio.gather(
        retry_until_acknowledged(http, cut, cut_values, cut_key, cut_document),
        retry_until_acknowledged(http, down, down_values, down_key, REGISTER_CHILD),
    )
    for values, key, document, first in (
        (cut_values, cut_key, cut_document, cut_first),
        (down_values, down_key, REGISTER_CHILD, down_first),
    ):
        again = await register(http, values, key, document)
        assert again.status == 200, again.describe()
        assert again.headers.get("idempotent-replayed") == "true", again.headers
        assert again.body == first.body
    stored, audited = await stored_children(stack, [cut_first, down_first])
    assert audited == dict.fromkeys(stored.values(), 1), "one registerChild entry per child"
    assert stored == {
        cut_values["idNumber"]: cut_first.child_id,
        down_values["idNumber"]: down_first.child_id,
    }
    connection = await asyncpg.connect(stack.plain_database_url)
    try:
        children = await connection.fetchval(
            "SELECT count(*) FROM children WHERE id_number = ANY($1::text[])",
            [cut_values["idNumber"], down_values["idNumber"]],
        )
    finally:
        await connection.close()
    assert children == 2


async def retry_until_acknowledged(
    http: httpx.AsyncClient, refused: Outcome, values: dict[str, Any], key: str, document: str
) -> Outcome:
    """What a client does with a retryable refusal: wait Retry-After, send the same again."""
    attempts = [refused]
    deadline = time.monotonic() + RECOVERY_SECONDS
    while not attempts[-1].acknowledged:
        answer = attempts[-1]
        history = "\n".join(o.describe() for o in attempts)
        assert time.monotonic() < deadline, f"not acknowledged in time:\n{history}"
        assert (answer.status, answer.codes) in (
            (503, ["SERVICE_UNAVAILABLE"]),
            (409, ["IDEMPOTENCY_KEY_IN_USE"]),
        ), history
        assert answer.body is not None
        assert answer.body["errors"][0]["extensions"]["retryable"] is True, history
        await asyncio.sleep(min(float(answer.headers.get("retry-after", "1")), 1.0))
        attempts.append(await register(http, values, key, document))
    first = attempts[-1]
    assert "idempotent-replayed" not in first.headers, "the acknowledged attempt ran"
    return first


# --- 4. subscribers across the outage ---------------------------------------------------------

REPORT_FILED_SINCE = """
subscription($since: DateTime) { compulsoryReportFiled(since: $since) { id } }
"""


def report_values() -> dict[str, Any]:
    return {
        "description": "男孩，约十岁，独自在河边",
        "placeRegionCode": VILLAGE,
        "placeDescription": "河堤",
        "reporterOrganizationId": org_gid(TOWNSHIP, CENTRAL_PRIMARY_SCHOOL),
        "trigger": "LIVING_ALONE",
        "summary": "学生多日未到校，家中无人照看",
    }


async def file_report(http: httpx.AsyncClient, within: float = RECOVERY_SECONDS) -> str:
    """A teacher's compulsory report, sent again while the database is not (yet) there."""
    client = GraphQLClient(http, token=teacher())
    deadline = time.monotonic() + within
    while True:
        response = await client.post(FILE_REPORT, {"i": report_values()})
        body = response.json()
        if response.status_code == 200 and not body.get("errors"):
            report_id: str = body["data"]["fileCompulsoryReport"]["report"]["id"]
            return report_id
        codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
        assert codes == {"SERVICE_UNAVAILABLE"}, body
        assert time.monotonic() < deadline, f"no report filed within {within:g} s: {body}"
        await asyncio.sleep(0.2)


async def delivered(subscription: Subscription, within: float) -> str:
    result = await subscription.next(within=within)
    assert "errors" not in result and "data" in result, result
    report_id: str = result["data"]["compulsoryReportFiled"]["id"]
    return report_id


async def test_subscribers_hear_of_what_happens_after_the_database_restarts(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    async with subscribe(stack.base, officer(), REPORT_FILED_SINCE) as live:
        # a second subscriber listens a while, then loses its connection
        async with subscribe(stack.base, officer(user_id="officer-2"), REPORT_FILED_SINCE) as lost:
            before = await file_report(http)
            assert await delivered(lost, 15) == before
            assert await delivered(live, 15) == before
        last_heard = datetime.now(UTC)
        missed = await file_report(http)  # while the second is away
        assert await delivered(live, 15) == missed

        await asyncio.to_thread(stack.postgres.stop, "fast")
        await asyncio.sleep(1.0)
        await asyncio.to_thread(stack.postgres.start)
        after = await file_report(http)
        # the listener reconnects (every 2 s) and reads what it missed: a few seconds at most
        assert await delivered(live, 20) == after, "the live subscriber heard nothing after"

        # the second subscriber comes back, with the time it last heard from the server
        since = {"since": last_heard.isoformat()}
        async with subscribe(
            stack.base, officer(user_id="officer-2"), REPORT_FILED_SINCE, since
        ) as back:
            replayed = [await delivered(back, 15), await delivered(back, 15)]
            assert replayed == [missed, after]
            await back.nothing_within(0.5)
        await live.nothing_within(0.5)
