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
query Page($first: Int!, $filter: ChildFilter) {
  children(first: $first, filter: $filter) {
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
    await seed_children(engine, 800, seed=99)
    await engine.dispose()
    application = create_app(settings=settings_for(database_url), database_url=database_url)
    async with application.router.lifespan_context(application):
        yield application


async def count_statements(
    app: Starlette, first: int, child_filter: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    engines = [app.state.engine.sync_engine, app.state.read_engine.sync_engine]
    for sync_engine in engines:
        event.listen(sync_engine, "before_cursor_execute", record)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            client = GraphQLClient(http, token=token_for())
            data = await client.data(NESTED_PAGE, {"first": first, "filter": child_filter})
    finally:
        for sync_engine in engines:
            event.remove(sync_engine, "before_cursor_execute", record)
    return len(statements), data


@pytest.mark.parametrize(
    ("child_filter", "small_page", "large_page"),
    [
        # left-behind children always have parents recorded, so every page has guardians;
        # with open cases, every nested level is fetched
        ({"regionCode": "512000", "isLeftBehind": True, "hasOpenCase": False}, 5, 50),
        ({"regionCode": "512000", "isLeftBehind": True, "hasOpenCase": True}, 2, 8),
    ],
)
async def test_statement_count_does_not_grow_with_page_size(
    app: Starlette, child_filter: dict[str, Any], small_page: int, large_page: int
) -> None:
    await count_statements(app, small_page, child_filter)  # warm the pool
    small, _ = await count_statements(app, small_page, child_filter)
    large, data = await count_statements(app, large_page, child_filter)
    edges = data["children"]["edges"]
    assert len(edges) == large_page
    assert all(edge["node"]["guardianships"] for edge in edges), "seeded children have guardians"
    assert small == large, f"{small} statements for {small_page} children, {large} for {large_page}"
    # the page's queries, plus the audit entry recording the sensitive fields it read
    assert large <= 12, f"{large} statements for one nested page"
