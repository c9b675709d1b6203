"""Relations are batched: a nested page costs the same number of SQL statements whatever its
size. Counted in-process, on the engine the app uses."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from core.app import create_app
from core.seed.synthetic import seed_children
from tests.conftest import GraphQLClient, settings_for, token_for

NESTED_PAGE = """
query Page($first: Int!) {
  children(first: $first, filter: {regionCode: "512000"}) {
    totalCount
    edges { node {
      name isLeftBehind
      residenceRegion { name parent { name } }
      guardianships { relationship worksAway guardian { name phone } }
      openCases { kind riskLevel openedBy { name } events { kind organization { name } } }
    } }
  }
}
"""


@pytest.fixture(scope="module")
async def app(database_url: str) -> AsyncIterator[Starlette]:
    from core.database import create_engine

    engine = create_engine(database_url, pool_size=2)
    await seed_children(engine, 150, seed=99)
    await engine.dispose()
    application = create_app(settings=settings_for(database_url), database_url=database_url)
    async with application.router.lifespan_context(application):
        yield application


async def count_statements(app: Starlette, first: int) -> tuple[int, dict[str, Any]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    sync_engine = app.state.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            client = GraphQLClient(http, token=token_for())
            data = await client.data(NESTED_PAGE, {"first": first})
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
    return len(statements), data


async def test_statement_count_does_not_grow_with_page_size(app: Starlette) -> None:
    await count_statements(app, 5)  # warm the pool (pre-ping statements are not ours)
    small, _ = await count_statements(app, 5)
    large, large_data = await count_statements(app, 50)
    assert len(large_data["children"]["edges"]) == 50
    with_cases = [e for e in large_data["children"]["edges"] if e["node"]["openCases"]]
    assert with_cases, "the seeded page should include children with open cases"
    assert small == large, f"{small} statements for 5 children but {large} for 50"
    assert large <= 12, f"{large} statements for one nested page"
