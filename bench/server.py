"""A CareGraph server for the harness: the real app under uvicorn, with authorization on or
off, counting the SQL statements it sends (GET /bench/statements), which a production server
does not expose.

    python -m bench.server --port 8000 --database-url postgresql://… [--no-authorization]
                           [--no-compiled-execution]
"""

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from sqlalchemy import event
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.app import create_app
from core.settings import Settings
from core.testing import TEST_JWT_SECRET


def create_bench_app(
    database_url: str, *, authorization: bool, compiled_execution: bool = True
) -> Starlette:
    settings = Settings.model_validate(
        {
            "database_url": database_url,
            "CAREGRAPH_JWT_SECRET": os.environ.get("CAREGRAPH_JWT_SECRET", TEST_JWT_SECRET),
            "CAREGRAPH_RATE_LIMIT_POINTS": 0,  # the load would spend any budget
            "CAREGRAPH_SWEEP_INTERVAL": 0,
            "CAREGRAPH_COMPILED_EXECUTION": compiled_execution,
        }
    )
    app = create_app(settings=settings, authorization=authorization)
    statements = {"count": 0}
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def counting(app: Starlette) -> AsyncIterator[None]:
        async with inner(app):

            def count(*_: Any) -> None:
                statements["count"] += 1

            for engine in (app.state.engine, app.state.read_engine):
                event.listen(engine.sync_engine, "before_cursor_execute", count)
            yield

    async def statement_count(request: Request) -> JSONResponse:
        return JSONResponse(statements)

    app.router.lifespan_context = counting
    app.router.routes.insert(0, Route("/bench/statements", statement_count))
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--no-authorization", action="store_true")
    parser.add_argument(
        "--no-compiled-execution",
        action="store_true",
        help="graphql-core executes every query (the general path)",
    )
    arguments = parser.parse_args()
    app = create_bench_app(
        arguments.database_url,
        authorization=not arguments.no_authorization,
        compiled_execution=not arguments.no_compiled_execution,
    )
    uvicorn.run(app, host="127.0.0.1", port=arguments.port, log_level="warning")


if __name__ == "__main__":
    main()
