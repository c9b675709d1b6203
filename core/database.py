"""Engine and sessions. PostgreSQL only: a configured server, or the embedded one."""

from datetime import timedelta

from sqlalchemy.engine import make_url
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
    url: str, *, pool_size: int = 10, statement_timeout: timedelta | None = None
) -> AsyncEngine:
    """The pool. `statement_timeout` makes PostgreSQL itself cancel a statement that runs
    past a request's time limit, should the server's own cancellation not reach it."""
    server_settings = (
        {"statement_timeout": str(int(statement_timeout.total_seconds() * 1000))}
        if statement_timeout
        else {}
    )
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=5,
        pool_pre_ping=True,
        pool_timeout=CONNECT_TIMEOUT_SECONDS,
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS, "server_settings": server_settings},
    )


def create_session_factory(
    engine: AsyncEngine, event_bus: "EventBus | None" = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit, and carry the app's event bus so that
    write services can announce domain events to plugins."""
    return async_sessionmaker(
        engine, expire_on_commit=False, info={"event_bus": event_bus or EventBus()}
    )
