"""Test support for CareGraph and for plugin authors: a throwaway migrated database and an
in-process app to send GraphQL to. Real PostgreSQL always: DATABASE_URL's server when set, else
an embedded one.

    async with plugin_test_app("education,my_plugin") as app:
        body = await app.graphql("{ me { userId } }", department="education", role="teacher")
"""

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.authentication import sign_token
from core.database import create_engine, to_asyncpg_url
from core.embedded_postgres import start_embedded_postgres
from core.identity import Caller
from core.plugin_api import Plugin
from core.settings import Settings

TEST_JWT_SECRET = "test-secret-for-caregraph-tests-only"


def database_server_url() -> str:
    """asyncpg URL of the maintenance database of the server tests use: DATABASE_URL's, or an
    embedded one started for this process. Its URL is then put in DATABASE_URL, so that the
    server and command-line processes the tests start use the same server.

    The embedded server's folder is made outside pytest's temporary tree on purpose: pgserver
    opens the folders above its data to its own system user, and pytest closes its tree again
    (mode 0700) when another pytest process starts."""
    if not os.environ.get("DATABASE_URL"):
        folder = Path(tempfile.mkdtemp(prefix="caregraph-test-pg-"))
        url = start_embedded_postgres(folder, database="postgres", keep_running=False)
        os.environ["DATABASE_URL"] = plain_url(url)
    return to_asyncpg_url(os.environ["DATABASE_URL"])


def plain_url(asyncpg_url: str) -> str:
    """The same URL for libpq-style clients (asyncpg.connect, DATABASE_URL)."""
    return make_url(asyncpg_url).set(drivername="postgresql").render_as_string(False)


@asynccontextmanager
async def temporary_database(
    server_url: str, plugins: Sequence[Plugin], *, seed_places: bool = True
) -> AsyncIterator[str]:
    """A new database, migrated for `plugins` (with synthetic regions and organisations), dropped
    afterwards. Yields its asyncpg URL."""
    from core.migrate import upgrade
    from core.seed.regions import seed_synthetic_regions
    from core.seed.synthetic import seed_organizations

    name = f"caregraph_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(plain_url(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        engine = create_engine(url, pool_size=2)
        try:
            await upgrade(engine, plugins)
            if seed_places:
                await seed_synthetic_regions(engine)
                await seed_organizations(engine)
        finally:
            await engine.dispose()
        yield url
    finally:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()


def token_for(
    department: str,
    role: str,
    *,
    organization_id: str | None = None,
    region_code: str | None = None,
    user_id: str = "tester",
    secret: str = TEST_JWT_SECRET,
) -> str:
    caller = Caller(
        user_id=user_id,
        department=department,
        role=role,
        organization_id=organization_id,
        region_code=region_code,
    )
    return sign_token(caller, secret)


@dataclass
class InProcessApp:
    http: httpx.AsyncClient
    engine: AsyncEngine
    database_url: str

    async def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        department: str = "civil_affairs",
        role: str = "admin",
        **claims: Any,
    ) -> dict[str, Any]:
        headers = {
            "accept": "application/graphql-response+json",
            "authorization": f"Bearer {token_for(department, role, **claims)}",
        }
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = response.json()
        return body


@asynccontextmanager
async def plugin_test_app(plugins_setting: str | None = None) -> AsyncIterator[InProcessApp]:
    """An in-process CareGraph app with the core and the named plugins, on a fresh database."""
    from core.app import create_app
    from core.plugin_registry import enabled_plugins

    plugins = enabled_plugins(plugins_setting)
    async with temporary_database(database_server_url(), plugins) as url:
        settings = Settings.model_validate(
            {"database_url": plain_url(url), "CAREGRAPH_JWT_SECRET": TEST_JWT_SECRET}
        )
        app = create_app(settings=settings, plugins=plugins, database_url=url)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
                yield InProcessApp(http=http, engine=app.state.engine, database_url=url)
