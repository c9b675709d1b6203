"""Probes for the orchestrator: alive, and ready (database reachable, migrations current)."""

import os

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from core.migrate import pending_migrations


async def healthz(request: Request) -> JSONResponse:
    # The process id tells an operator (and the tests) which of `--workers N` answered.
    return JSONResponse({"status": "alive", "process": os.getpid()})


async def readyz(request: Request) -> JSONResponse:
    engine = request.app.state.engine
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        pending = await pending_migrations(engine, request.app.state.plugins)
    except Exception as error:  # any failure to reach the database means "not ready"
        return JSONResponse(
            {"status": "unready", "database": "unreachable", "error": type(error).__name__},
            status_code=503,
        )
    if pending:
        return JSONResponse(
            {
                "status": "unready",
                "database": "reachable",
                "pendingMigrations": {name: sorted(heads) for name, heads in pending.items()},
            },
            status_code=503,
        )
    ready: dict[str, object] = {"status": "ready", "database": "reachable", "migrations": "current"}
    replicas = getattr(request.app.state, "replicas", None)
    if replicas:  # out of rotation is not unready: the primary answers in its place
        ready["replicas"] = replicas.status()
    return JSONResponse(ready)
