"""Test fixtures: a fresh PostgreSQL database per test session, a real server process on
127.0.0.1 for HTTP tests, and an in-process app for tests that count SQL statements.

With DATABASE_URL set (CI) the database is created on that server; without it an embedded
PostgreSQL from the pgserver wheel is started in a temporary folder.
"""

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core import testing
from core.database import create_engine
from core.plugin_registry import enabled_plugins
from core.resident_id import Sex, make_resident_id
from core.settings import Settings
from core.testing import TEST_JWT_SECRET, database_server_url, plain_url, temporary_database

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def server_url() -> str:
    """An asyncpg URL of the maintenance database of the server the tests use."""
    return database_server_url()


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """A new database for this test session, migrated for the core and the default plugins."""
    async with temporary_database(server_url, enabled_plugins()) as url:
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=4)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A raw connection, for checking what the API wrote (or refused to write)."""
    connection = await asyncpg.connect(plain_url(database_url))
    yield connection
    await connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    database_url: str,
    *,
    extra_env: dict[str, str] | None = None,
    extra_args: Sequence[str] = (),
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `caregraph serve` as a separate process on 127.0.0.1; return it and its URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": plain_url(database_url),
        "CAREGRAPH_JWT_SECRET": TEST_JWT_SECRET,
        # Tests share a few user ids; the rate-limit tests start servers with their own limits.
        "CAREGRAPH_RATE_LIMIT_POINTS": "0",
        **(extra_env or {}),
    }
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115  (closed with the process)
        prefix="caregraph-server-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "core",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *extra_args,
        ],
        env=env,
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: `--workers` children are stopped too
    )
    process.log_path = log.name  # type: ignore[attr-defined]
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = Path(log.name).read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(f"server exited early:\n{output}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    kill_group(process)
    raise RuntimeError("server did not start within 30 s")


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the server and any worker processes it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server; its log is printed so that a failing test shows what the server saw."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        kill_group(process)
    log_path = getattr(process, "log_path", None)
    if log_path:
        errors = [
            line
            for line in Path(log_path).read_text(encoding="utf-8", errors="replace").splitlines()
            if "internal error" in line or "Traceback" in line
        ]
        if errors:
            print("server log errors:\n" + "\n".join(errors))


@pytest.fixture(scope="session")
def server(database_url: str) -> Iterator[str]:
    """Base URL of a real CareGraph server process on the test database."""
    process, base = start_server(database_url)
    yield base
    stop_server(process)


@dataclass
class GraphQLClient:
    """Posts GraphQL documents to a running server, as a front end would."""

    http: httpx.AsyncClient
    token: str | None = None

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        sent = {"accept": "application/graphql-response+json, application/json"}
        if self.token:
            sent["authorization"] = f"Bearer {self.token}"
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
        )

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.post(query, variables)
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a response that must have no errors."""
        body = await self.execute(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


def token_for(department: str = "civil_affairs", role: str = "admin", **claims: Any) -> str:
    return testing.token_for(department, role, **claims)


@pytest.fixture
async def client(server: str) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=server, timeout=30) as http:
        yield GraphQLClient(http, token=token_for())


_sequence = itertools.count(1)


def new_id_number(birth_date: date, sex: Sex, address_code: str | None = None) -> str:
    """A valid resident ID number no other test uses: an order code has 500 values per birth
    date and sex, so the default address code moves on (5120 99, 98, …) every 500 numbers."""
    number = next(_sequence)
    address_code = address_code or f"5120{99 - number // 500 % 90:02d}"
    return make_resident_id(address_code, birth_date, number % 500, sex)


def settings_for(database_url: str) -> Settings:
    return Settings.model_validate(
        {"database_url": plain_url(database_url), "CAREGRAPH_JWT_SECRET": TEST_JWT_SECRET}
    )
