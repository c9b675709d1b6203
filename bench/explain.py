"""What PostgreSQL does for each scenario: every statement CareGraph sends, with its plan.

    python -m bench.explain [--children 10000] [--children 100000]

For each size it seeds a scratch database as the harness does, answers each scenario once
in-process, and runs EXPLAIN ANALYZE on every statement the answer took (with its parameters).
A scoped page should cost the same whatever the table size: the report flags every sequential
scan of a table, and gives each statement's planning and execution time. Results go to
`bench/results/explain.json` and a table on standard output.
"""

import argparse
import asyncio
import json
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from bench.__main__ import (
    RESULTS,
    bodies_for,
    choose_inputs,
    seed,
    token_for_scenario,
)
from bench.scenarios import SCENARIOS
from core.app import create_app
from core.plugin_registry import enabled_plugins
from core.settings import Settings
from core.testing import TEST_JWT_SECRET, database_server_url, plain_url, temporary_database

EXPLAINED = RESULTS.parent / "explain.json"


def plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes.extend(plan_nodes(child))
    return nodes


async def explain(
    connection: asyncpg.Connection, statement: str, parameters: Any
) -> dict[str, Any]:
    rows = await connection.fetchval(
        f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", *(parameters or ())
    )
    result = json.loads(rows)[0]
    scans = [
        {"table": node.get("Relation Name"), "rows": node.get("Actual Rows")}
        for node in plan_nodes(result["Plan"])
        if node["Node Type"] == "Seq Scan"
    ]
    return {
        "statement": " ".join(statement.split())[:120],
        "planning_ms": round(result["Planning Time"], 2),
        "execution_ms": round(result["Execution Time"], 2),
        "sequential_scans": scans,
        "plan": [
            f"{node['Node Type']} {node.get('Relation Name') or node.get('Index Name') or ''} "
            f"rows={node.get('Actual Rows')} loops={node.get('Actual Loops')}"
            for node in plan_nodes(result["Plan"])
        ],
    }


async def explain_size(children: int) -> dict[str, Any]:
    plugins = enabled_plugins()
    async with temporary_database(database_server_url(), plugins) as url:
        await seed(url, children)
        database = plain_url(url)
        connection = await asyncpg.connect(database)
        name = await connection.fetchval("SELECT current_database()")
        await connection.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')
        await connection.close()
        inputs = await choose_inputs(database)
        settings = Settings.model_validate(
            {
                "database_url": database,
                "CAREGRAPH_JWT_SECRET": TEST_JWT_SECRET,
                "CAREGRAPH_RATE_LIMIT_POINTS": 0,
                "CAREGRAPH_SWEEP_INTERVAL": 0,
            }
        )
        app = create_app(settings=settings, database_url=url)
        sent: list[tuple[str, Any]] = []

        def record(_: Any, __: Any, statement: str, parameters: Any, *___: Any) -> None:
            sent.append((statement, parameters))

        report: dict[str, Any] = {}
        async with app.router.lifespan_context(app):
            for engine in (app.state.engine, app.state.read_engine):
                event.listen(engine.sync_engine, "before_cursor_execute", record)
            transport = httpx.ASGITransport(app=app)
            connection = await asyncpg.connect(database)
            try:
                async with httpx.AsyncClient(transport=transport, base_url="http://b") as http:
                    for scenario in SCENARIOS.values():
                        token = token_for_scenario(scenario, inputs)
                        graphql, _ = bodies_for(scenario, inputs)
                        headers = {"authorization": f"Bearer {token}"}
                        await http.post("/graphql", json=graphql[0], headers=headers)  # warm
                        sent.clear()
                        answer = await http.post("/graphql", json=graphql[0], headers=headers)
                        if "errors" in answer.json():
                            raise AssertionError(f"{scenario.name}: {answer.json()['errors']}")
                        report[scenario.name] = [
                            await explain(connection, statement, parameters)
                            for statement, parameters in sent
                            if statement.lstrip().upper().startswith("SELECT")
                        ]
            finally:
                await connection.close()
    return {"children": children, "scenarios": report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, action="append")
    arguments = parser.parse_args()
    sizes = [asyncio.run(explain_size(size)) for size in arguments.children or [10_000]]
    for size in sizes:
        print(f"\n{size['children']} children")
        for scenario, statements in size["scenarios"].items():
            for item in statements:
                scans = ", ".join(
                    f"{scan['table']} ({scan['rows']} rows)" for scan in item["sequential_scans"]
                )
                print(
                    f"  {scenario:14} {item['execution_ms']:7.2f} ms  "
                    f"{item['statement'][:60]:60}  {('seq scan: ' + scans) if scans else ''}"
                )
    RESULTS.parent.mkdir(exist_ok=True)
    EXPLAINED.write_text(json.dumps(sizes, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"written to {EXPLAINED}")


if __name__ == "__main__":
    main()
