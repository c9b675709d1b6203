"""Test fixtures: a fresh PostgreSQL database per test session, a real server process on
127.0.0.1 for HTTP tests, and an in-process app for tests that count SQL statements.

With DATABASE_URL set (CI) the database is created on that server; without it an embedded
PostgreSQL from the pgserver wheel is started in a temporary folder.
"""

import itertools
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.database import create_engine, to_asyncpg_url
from core.embedded_postgres import start_embedded_postgres
from core.identity import Caller, sign_token
from core.resident_id import Sex, make_resident_id
from core.settings import Settings

TEST_JWT_SECRET = "test-secret-for-caregraph-tests-only"
REPO_ROOT = Path(__file__).resolve().parent.parent


def _asyncpg_dsn(sqlalchemy_url: str) -> str:
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(False)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An asyncpg URL of the maintenance database of the server the tests use."""
    if os.environ.get("DATABASE_URL"):
        return to_asyncpg_url(os.environ["DATABASE_URL"])
    return start_embedded_postgres(tmp_path_factory.mktemp("embedded-pg"), database="postgres")


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """A new, migrated database for this test session, dropped afterwards."""
    from core.migrate import upgrade
    from core.seed.regions import seed_synthetic_regions
    from core.seed.synthetic import seed_organizations

    name = f"caregraph_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_asyncpg_dsn(server_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, pool_size=2)
    await upgrade(engine)
    await seed_synthetic_regions(engine)
    await seed_organizations(engine)
    await engine.dispose()
    try:
        yield url
    finally:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=4)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A raw connection, for checking what the API wrote (or refused to write)."""
    connection = await asyncpg.connect(_asyncpg_dsn(database_url))
    yield connection
    await connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _plain_url(asyncpg_url: str) -> str:
    return make_url(asyncpg_url).set(drivername="postgresql").render_as_string(False)


def start_server(
    database_url: str, *, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `caregraph serve` as a separate process on 127.0.0.1; return it and its URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _plain_url(database_url),
        "CAREGRAPH_JWT_SECRET": TEST_JWT_SECRET,
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "core", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"server exited early:\n{output}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start within 30 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


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


def token_for(
    department: str = "civil_affairs",
    role: str = "caseworker",
    *,
    organization_id: str | None = None,
    region_code: str | None = None,
    user_id: str = "tester",
) -> str:
    caller = Caller(
        user_id=user_id,
        department=department,
        role=role,
        organization_id=organization_id,
        region_code=region_code,
    )
    return sign_token(caller, TEST_JWT_SECRET)


@pytest.fixture
async def client(server: str) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=server, timeout=30) as http:
        yield GraphQLClient(http, token=token_for())


_sequence = itertools.count(1)


def new_id_number(birth_date: date, sex: Sex, address_code: str = "512099") -> str:
    """A valid resident ID number no other test uses."""
    return make_resident_id(address_code, birth_date, next(_sequence) % 500, sex)


def test_settings(database_url: str) -> Settings:
    return Settings.model_validate(
        {"database_url": _plain_url(database_url), "CAREGRAPH_JWT_SECRET": TEST_JWT_SECRET}
    )
