"""The ASGI application: `/graphql` (HTTP and WebSocket), GraphiQL, static assets, probes."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from core.audit import trail
from core.authorization.control import AccessControl
from core.database import (
    create_engine,
    create_read_engine,
    create_session_factory,
    resolve_database_url,
    to_asyncpg_url,
)
from core.events import EventBus
from core.graphql.schema import build_schema
from core.http.context_factory import ContextFactory
from core.http.graphql_view import CareGraphGraphQL
from core.http.health import healthz, readyz
from core.limits.rate_limits import create_rate_limiter
from core.listener import stop
from core.notifications import NotificationHub
from core.observability import Telemetry, TracingMiddleware
from core.plugin_api import Plugin
from core.plugin_registry import enabled_plugins
from core.replicas import ReplicaSet
from core.settings import Settings, get_settings
from core.trusted_documents import DocumentRegistry
from core.workflow.sweeper import sweep_periodically

STATIC_DIR = Path(__file__).parent / "static"


def event_bus_for(plugins: Sequence[Plugin]) -> EventBus:
    bus = EventBus()
    for plugin in plugins:
        for event_name, handler in plugin.event_handlers.items():
            bus.subscribe(event_name, handler)
    return bus


def create_app(
    settings: Settings | None = None,
    plugins: Sequence[Plugin] | None = None,
    database_url: str | None = None,
    *,
    authorization: bool = True,
    telemetry: Telemetry | None = None,
) -> Starlette:
    """The application. `authorization=False` serves every field to every signed-in caller; it
    exists only so that benchmarks can measure what authorization costs."""
    settings = settings or get_settings()
    plugins = list(plugins if plugins is not None else enabled_plugins())
    schema = build_schema(plugins, authorize=authorization, federation=settings.federation)
    bus = event_bus_for(plugins)
    access_control = AccessControl(plugins, schema)
    alert_rules = {name: rule for plugin in plugins for name, rule in plugin.alert_rules.items()}
    own_telemetry = telemetry is None
    telemetry = telemetry or Telemetry()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        url = database_url or resolve_database_url(settings)
        timeout, pgbouncer = settings.request_timeout, settings.pgbouncer
        size = settings.pool_size
        engine = create_engine(url, pool_size=size, statement_timeout=timeout, pgbouncer=pgbouncer)
        read_engine = create_read_engine(
            url, pool_size=size, statement_timeout=timeout, pgbouncer=pgbouncer
        )
        # LISTEN needs a session of its own, which PgBouncer's transaction mode cannot give
        listen_url = (
            to_asyncpg_url(settings.database_listen_url) if settings.database_listen_url else url
        )
        telemetry.instrument_engine(engine)
        telemetry.instrument_engine(read_engine)
        sessions = create_session_factory(engine, event_bus=bus)
        read_sessions = create_session_factory(read_engine, event_bus=bus)
        app.state.engine = engine
        app.state.read_engine = read_engine
        app.state.sessions = sessions
        # The database may be down at start: serve /healthz and /readyz, and let the listener
        # load the policy when the database comes back.
        with contextlib.suppress(Exception):
            await access_control.reload(sessions)
            async with sessions() as session, session.begin():
                await trail.record_plugin_set(session, [plugin.name for plugin in plugins])
        access_control.start_listening(listen_url, sessions)
        notifications = NotificationHub(sessions)
        notifications.start(listen_url)
        sweeper = (
            asyncio.create_task(sweep_periodically(sessions, alert_rules, settings))
            if settings.sweep_interval.total_seconds() > 0
            else None
        )
        rate_limiter = create_rate_limiter(
            sessions,
            limit=settings.rate_limit_points,
            window=settings.rate_limit_window,
            redis_url=settings.redis_url,
        )
        replicas = ReplicaSet(
            url,
            settings.database_replica_urls,
            max_lag=settings.replica_max_lag,
            check_interval=settings.replica_check_interval,
            pool_size=settings.pool_size,
            statement_timeout=timeout,
            pgbouncer=pgbouncer,
            event_bus=bus,
        )
        for replica in replicas.replicas:  # queries on replicas are traced like the others
            telemetry.instrument_engine(replica.engine)
        replicas.start()
        app.state.replicas = replicas
        app.state.notifications = notifications
        app.state.context_factory = ContextFactory(
            settings,
            sessions,
            access_control,
            read_sessions=read_sessions,
            replicas=replicas or None,
            authorization=authorization,
            telemetry=telemetry,
            notifications=notifications,
            rate_limiter=rate_limiter,
            documents=DocumentRegistry(sessions),
        )
        try:
            yield
        finally:
            await stop(sweeper)
            await replicas.close()
            await notifications.stop()
            if rate_limiter is not None:
                await rate_limiter.close()
            await access_control.stop_listening()
            await engine.dispose()
            await read_engine.dispose()
            if own_telemetry:
                telemetry.shutdown()

    graphql_app = CareGraphGraphQL(schema, graphql_ide=None if settings.production else "graphiql")
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            # every method reaches the view, which refuses the others with a JSON error
            Route("/graphql", graphql_app, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            WebSocketRoute("/graphql", graphql_app),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        lifespan=lifespan,
        middleware=[Middleware(TracingMiddleware, telemetry=telemetry)],
    )
    app.state.plugins = plugins
    app.state.settings = settings
    app.state.schema = schema
    app.state.access_control = access_control
    return app


def create_app_from_environment() -> Starlette:
    """The application as each worker of `caregraph serve --workers N` builds it: from the
    environment, with the JSON logs `caregraph serve` configures (a worker is a fresh
    interpreter)."""
    from core.observability import configure_json_logging

    configure_json_logging()
    return create_app()
