"""Engine and sessions. PostgreSQL only: a configured server, or the embedded one."""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from core.embedded_postgres import start_embedded_postgres
from core.events import EventBus
from core.settings import Settings


def resolve_database_url(settings: Settings) -> str:
    """The asyncpg URL to use: `DATABASE_URL` when set, else the embedded server's."""
    if not settings.database_url:
        return start_embedded_postgres(settings.data_dir)
    return to_asyncpg_url(settings.database_url)


def to_asyncpg_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError("CareGraph runs on PostgreSQL only; DATABASE_URL must be postgresql://…")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


CONNECT_TIMEOUT_SECONDS = 3  # fail fast when the database is away, rather than hang


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    statement_timeout: timedelta | None = None,
    pre_ping: bool = True,
    pgbouncer: bool = False,
    isolation_level: str | None = None,
) -> AsyncEngine:
    """The pool. `statement_timeout` makes PostgreSQL itself cancel a statement that runs
    past a request's time limit, should the server's own cancellation not reach it.
    `pre_ping` tests each connection as it leaves the pool, so that a unit of work never
    starts on a connection the database dropped: one round trip on an autocommit pool, three
    (BEGIN, an empty statement, ROLLBACK) on a pool of transactions.

    `pgbouncer`: the URL is a PgBouncer in transaction mode, where consecutive transactions
    of one connection reach different server sessions. No statement stays prepared between
    them (asyncpg's cache off, each statement named uniquely so that two clients never
    collide on a server session), and nothing is set at connection start: PgBouncer passes
    no such settings on, so they belong on the database role (docs/deployment.md)."""
    server_settings = {
        # CareGraph's reads are index lookups by key (`= ANY($1)`, EXISTS on a primary key)
        # over data that is cached in memory or on SSD; PostgreSQL's default of 4, meant for
        # spinning disks, makes the planner hash whole tables instead (docs/performance.md).
        "random_page_cost": "1.1",
    }
    if statement_timeout:
        server_settings["statement_timeout"] = str(int(statement_timeout.total_seconds() * 1000))
    connect_args: dict[str, Any] = {"timeout": CONNECT_TIMEOUT_SECONDS}
    engine_url: str | URL = url
    if pgbouncer:
        engine_url = make_url(url).update_query_dict({"prepared_statement_cache_size": "0"})
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = unique_statement_name
    else:
        connect_args["server_settings"] = server_settings
    return create_async_engine(
        engine_url,
        pool_size=pool_size,
        max_overflow=5,
        pool_pre_ping=pre_ping,
        pool_timeout=CONNECT_TIMEOUT_SECONDS,
        connect_args=connect_args,
        **({"isolation_level": isolation_level} if isolation_level else {}),
    )


def unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def create_read_engine(
    url: str,
    *,
    pool_size: int = 10,
    statement_timeout: timedelta | None = None,
    pgbouncer: bool = False,
) -> AsyncEngine:
    """The pool that answers queries: each statement on its own (autocommit), as each
    DataLoader batch already reads in a session of its own, so there is no BEGIN and ROLLBACK
    around it (two round trips of the four a read took; docs/performance.md). Connections
    are still tested as they leave the pool: after a database restart a read must find a
    live connection, not an error.

    Behind PgBouncer in transaction mode reads keep their transaction: asyncpg prepares a
    statement in one round trip and runs it in the next, and outside a transaction PgBouncer
    may hand the second to another server session, which never saw the first."""
    # Autocommit for the whole pool, not per connection (`execution_options`): connections then
    # stay in autocommit between uses, and their pre-ping is one round trip instead of three
    # (more than half the cost of a read under load; docs/performance.md).
    return create_engine(
        url,
        pool_size=pool_size,
        statement_timeout=statement_timeout,
        pgbouncer=pgbouncer,
        isolation_level=None if pgbouncer else "AUTOCOMMIT",
    )


def create_session_factory(
    engine: AsyncEngine, event_bus: "EventBus | None" = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit, and carry the app's event bus so that
    write services can announce domain events to plugins."""
    return async_sessionmaker(
        engine, expire_on_commit=False, info={"event_bus": event_bus or EventBus()}
    )
