"""The ASGI application: `/graphql` (HTTP and WebSocket), GraphiQL, static assets, probes."""

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from core.audit import trail
from core.audit.recorder import RequestAudit
from core.authentication import Authenticator
from core.authorization.control import AccessControl
from core.database import create_engine, create_session_factory, resolve_database_url
from core.events import EventBus
from core.graphql.context import RequestContext
from core.graphql.loaders import Loaders
from core.graphql.schema import build_schema
from core.http.graphql_view import CareGraphGraphQL
from core.http.health import healthz, readyz
from core.observability import Telemetry, TracingMiddleware
from core.plugin_api import Plugin
from core.plugin_registry import enabled_plugins
from core.settings import Settings, get_settings

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
    schema = build_schema(plugins, authorize=authorization)
    bus = event_bus_for(plugins)
    access_control = AccessControl(plugins, schema)
    own_telemetry = telemetry is None
    telemetry = telemetry or Telemetry()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        url = database_url or resolve_database_url(settings)
        engine = create_engine(url)
        telemetry.instrument_engine(engine)
        sessions = create_session_factory(engine, event_bus=bus)
        app.state.engine = engine
        app.state.sessions = sessions
        # The database may be down at start: serve /healthz and /readyz, and let the listener
        # load the policy when the database comes back.
        with contextlib.suppress(Exception):
            await access_control.reload(sessions)
            async with sessions() as session, session.begin():
                await trail.record_plugin_set(session, [plugin.name for plugin in plugins])
        access_control.start_listening(url, sessions)
        app.state.context_factory = _context_factory(
            settings, sessions, access_control, authorization, telemetry
        )
        try:
            yield
        finally:
            await access_control.stop_listening()
            await engine.dispose()
            if own_telemetry:
                telemetry.shutdown()

    graphql_app = CareGraphGraphQL(schema)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        lifespan=lifespan,
        middleware=[Middleware(TracingMiddleware, telemetry=telemetry)],
    )
    app.state.plugins = plugins
    app.state.schema = schema
    app.state.access_control = access_control
    return app


def _context_factory(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    access_control: AccessControl,
    authorization: bool,
    telemetry: Telemetry,
) -> Callable[[HTTPConnection], Awaitable[RequestContext]]:
    authenticator = Authenticator(settings, sessions, access_control.known_subject)

    async def build(connection: HTTPConnection) -> RequestContext:
        if access_control.compiled is None:  # the database was away at start-up
            await access_control.reload(sessions)
        caller = await authenticator.authenticate(connection.headers)
        access = access_control.request_access(caller, enforced=authorization)
        scope = access_control.child_scope(caller, access)
        client = connection.client.host if connection.client else None
        purpose = connection.headers.get("x-access-purpose", "").strip()[:500] or None
        return RequestContext(
            audit=RequestAudit(caller=caller, client_address=client, purpose=purpose),
            caller=caller,
            sessions=sessions,
            settings=settings,
            loaders=Loaders(sessions, scope),
            access=access,
            child_scope=scope,
            write_targets=access_control.write_targets,
            access_control=access_control,
            telemetry=telemetry,
        )

    return build
