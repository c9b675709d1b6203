"""CareGraph behind PgBouncer in transaction mode, as docs/deployment.md sets it up: a real
PgBouncer (the Debian package's binary; the module is skipped where it is not installed) in
front of a PostgreSQL of this module's own, with a pool of two server connections, so that
consecutive transactions of one client connection run on different server sessions.

With `CAREGRAPH_PGBOUNCER=true` and `DATABASE_LISTEN_URL` on the server directly, concurrent
queries and mutations all succeed, and policy changes still reach the server; without the
setting the same load fails (PgBouncer refuses the settings sent at connection start), which
shows the test can tell. After the load no server session holds a prepared statement.
"""

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from core.plugin_registry import enabled_plugins
from core.testing import plain_url, temporary_database
from tests.api import CHILD_FIELDS, child_input
from tests.conftest import GraphQLClient, free_port, start_server, stop_server, token_for
from tests.private_postgres import PrivatePostgres, private_postgres
from tests.test_policy_admin import (
    ADMIN,
    BIRTH_DATE,
    EXTRA_LINE,
    GRANT,
    REVOKE,
    VOLUNTEER,
    eventually,
    post,
)

PGBOUNCER = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
)
pytestmark = pytest.mark.skipif(PGBOUNCER is None, reason="PgBouncer is not installed")

CLIENTS = 8
ROUNDS = 4
REGISTER = f"""
mutation Register($input: RegisterChildInput!) {{
  registerChild(input: $input) {{ child {{ {CHILD_FIELDS} }} }}
}}
"""
VILLAGE = "512022103201"  # a village of the seeded regions
LIST = "query { children(first: 20) { totalCount edges { node { id name isLeftBehind } } } }"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


@pytest.fixture(scope="module")
async def database_url(postgres: PrivatePostgres) -> AsyncIterator[str]:
    async with temporary_database(postgres.url(), enabled_plugins()) as url:
        yield url


@pytest.fixture(scope="module")
def pgbouncer(postgres: PrivatePostgres) -> Iterator[int]:
    """PgBouncer in transaction mode on a free port; yields the port."""
    assert PGBOUNCER is not None
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="caregraph-pgbouncer-"))
    (folder / "userlist.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host=127.0.0.1 port={postgres.port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\n"
        f"unix_socket_dir = {folder}\n"
        "auth_type = trust\n"
        f"auth_file = {folder / 'userlist.txt'}\n"
        "pool_mode = transaction\n"
        # what docs/deployment.md asks for: statements prepared in a transaction do not
        # outlive it on the server session (asyncpg closes them only later, elsewhere)
        "server_reset_query = DEALLOCATE ALL\nserver_reset_query_always = 1\n"
        "default_pool_size = 2\nmin_pool_size = 0\nreserve_pool_size = 0\n"
        "max_client_conn = 200\n"
        f"logfile = {folder / 'pgbouncer.log'}\n"
    )
    os.chmod(folder, 0o755)  # PgBouncer refuses to run as root: it runs as postgres
    user = "postgres" if os.geteuid() == 0 else None
    if user is not None:
        shutil.chown(folder, user=user)
    process = subprocess.Popen(
        [PGBOUNCER, str(folder / "pgbouncer.ini")],
        user=user,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while not (folder / f".s.PGSQL.{port}").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                log = folder / "pgbouncer.log"
                pytest.fail(f"PgBouncer did not start: {log.read_text() if log.exists() else ''}")
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def through(pgbouncer: int, database_url: str) -> str:
    url = make_url(database_url).set(host="127.0.0.1", port=pgbouncer)
    return plain_url(url.render_as_string(hide_password=False))


@pytest.fixture(scope="module")
def server(pgbouncer: int, database_url: str) -> Iterator[str]:
    process, base = start_server(
        through(pgbouncer, database_url),
        extra_env={
            "CAREGRAPH_PGBOUNCER": "true",
            "DATABASE_LISTEN_URL": plain_url(database_url),
        },
    )
    try:
        yield base
    finally:
        stop_server(process)


async def load(base: str) -> list[dict[str, Any]]:
    """CLIENTS concurrent clients, each registering a child and listing children ROUNDS
    times; every answer."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        client = GraphQLClient(http, token=token_for())

        async def one_client() -> list[dict[str, Any]]:
            answers = []
            for _ in range(ROUNDS):
                answers.append(await client.execute(REGISTER, {"input": child_input(VILLAGE)}))
                answers.append(await client.execute(LIST))
            return answers

        per_client = await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
        return [answer for answers in per_client for answer in answers]


async def test_queries_and_mutations_through_pgbouncer_in_transaction_mode(
    server: str, pgbouncer: int, database_url: str
) -> None:
    answers = await load(server)
    errors = [answer["errors"] for answer in answers if "errors" in answer]
    assert errors == []
    registered = [
        a["data"]["registerChild"]["child"] for a in answers if "registerChild" in a["data"]
    ]
    assert len({child["id"] for child in registered}) == CLIENTS * ROUNDS
    # No server session is left holding the statements it prepared: two transactions at once
    # hold both of PgBouncer's server sessions, and each sees only its own.
    held = await prepared_statements_per_server_session(pgbouncer, database_url)
    assert held == {0}, f"statements left prepared on PgBouncer's server sessions: {held}"


async def prepared_statements_per_server_session(pgbouncer: int, database_url: str) -> set[int]:
    url = through(pgbouncer, database_url)
    connections = [await asyncpg.connect(url, statement_cache_size=0) for _ in range(2)]
    try:
        transactions = [connection.transaction() for connection in connections]
        for transaction in transactions:
            await transaction.start()
        pids = {await connection.fetchval("SELECT pg_backend_pid()") for connection in connections}
        assert len(pids) == 2, "both server sessions"
        counts = {
            await connection.fetchval("SELECT count(*) FROM pg_prepared_statements")
            for connection in connections
        }
        for transaction in transactions:
            await transaction.rollback()
        return counts
    finally:
        for connection in connections:
            await connection.close()


async def test_a_policy_change_reaches_the_server_through_the_direct_listen_url(
    server: str, database_url: str
) -> None:
    """LISTEN cannot go through PgBouncer in transaction mode: the server listens on
    DATABASE_LISTEN_URL, and hears a grant made through another server process."""
    direct, direct_base = start_server(database_url)
    try:
        async with (
            httpx.AsyncClient(base_url=server, timeout=30) as behind,
            httpx.AsyncClient(base_url=direct_base, timeout=30) as other,
        ):
            admin = GraphQLClient(behind, token=token_for(region_code="512000"))
            child = await admin.data(REGISTER, {"input": child_input(VILLAGE)})
            child_id = child["registerChild"]["child"]["id"]

            async def volunteer_reads_birth_date() -> bool:
                body = await post(behind, VOLUNTEER, BIRTH_DATE, {"id": child_id})
                return "errors" not in body

            assert not await volunteer_reads_birth_date()
            assert "errors" not in await post(other, ADMIN, GRANT, {"i": EXTRA_LINE})
            try:
                took = await eventually(volunteer_reads_birth_date, "the grant heard", 5)
                assert took < 1.0, f"the grant took {took:.2f} s to reach the server"
            finally:
                assert "errors" not in await post(other, ADMIN, REVOKE, {"i": EXTRA_LINE})
    finally:
        stop_server(direct)


def test_without_the_setting_the_same_load_fails(pgbouncer: int, database_url: str) -> None:
    process, base = start_server(through(pgbouncer, database_url))
    try:
        answers = asyncio.run(load(base))
    finally:
        stop_server(process)
    codes = {
        error["extensions"]["code"] for answer in answers for error in answer.get("errors", [])
    }
    # PgBouncer refuses the settings CareGraph otherwise sends at connection start: the
    # database is unavailable to that server
    assert codes == {"SERVICE_UNAVAILABLE"}, codes
