"""The ASGI application: `/graphql` (HTTP and WebSocket), GraphiQL, static assets, probes."""

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from core.database import create_engine, create_session_factory, resolve_database_url
from core.events import EventBus
from core.graphql.context import RequestContext
from core.graphql.loaders import Loaders
from core.graphql.schema import build_schema
from core.http.graphql_view import CareGraphGraphQL
from core.http.health import healthz, readyz
from core.identity import caller_from_bearer
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
) -> Starlette:
    settings = settings or get_settings()
    plugins = list(plugins if plugins is not None else enabled_plugins())
    schema = build_schema(plugins)
    bus = event_bus_for(plugins)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(database_url or resolve_database_url(settings))
        sessions = create_session_factory(engine, event_bus=bus)
        app.state.engine = engine
        app.state.context_factory = _context_factory(settings, sessions)
        try:
            yield
        finally:
            await engine.dispose()

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
    )
    app.state.plugins = plugins
    app.state.schema = schema
    return app


def _context_factory(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> Callable[[HTTPConnection], RequestContext]:
    def build(connection: HTTPConnection) -> RequestContext:
        caller = caller_from_bearer(connection.headers.get("authorization"), settings.jwt_secret)
        return RequestContext(
            caller=caller, sessions=sessions, settings=settings, loaders=Loaders(sessions)
        )

    return build
