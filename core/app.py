"""The ASGI application: `/graphql` (HTTP and WebSocket), GraphiQL, static assets, probes."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import strawberry
from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from core.database import create_engine, create_session_factory, resolve_database_url
from core.graphql.context import RequestContext
from core.graphql.loaders import Loaders
from core.graphql.schema import core_schema
from core.http.graphql_view import CareGraphGraphQL
from core.http.health import healthz, readyz
from core.identity import caller_from_bearer
from core.migrate import alembic_config
from core.settings import Settings, get_settings

STATIC_DIR = Path(__file__).parent / "static"


def create_app(
    settings: Settings | None = None,
    schema: strawberry.Schema | None = None,
    database_url: str | None = None,
) -> Starlette:
    settings = settings or get_settings()
    schema = schema or core_schema()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(database_url or resolve_database_url(settings))
        sessions = create_session_factory(engine)
        app.state.engine = engine
        app.state.alembic_config = alembic_config()
        app.state.context_factory = _context_factory(settings, sessions)
        try:
            yield
        finally:
            await engine.dispose()

    graphql_app = CareGraphGraphQL(schema)
    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        lifespan=lifespan,
    )


def _context_factory(
    settings: Settings, sessions: object
) -> Callable[[HTTPConnection], RequestContext]:
    def build(connection: HTTPConnection) -> RequestContext:
        caller = caller_from_bearer(connection.headers.get("authorization"), settings.jwt_secret)
        return RequestContext(
            caller=caller,
            sessions=sessions,  # type: ignore[arg-type]
            settings=settings,
            loaders=Loaders(sessions),  # type: ignore[arg-type]
        )

    return build
