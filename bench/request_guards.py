"""What the request guards cost: the same requests with no rate limit, with the counters in
PostgreSQL, and in Redis; and a mutation with and without an Idempotency-Key.

The apps run in this process against one PostgreSQL database and are measured in alternation,
request by request, so that the ratios are fair on a shared, noisy machine. Every app measures
and limits each request's cost (that part is always on); what differs is where the rate-limit
counters live, and whether the answer is kept under an idempotency key.

    python -m bench.request_guards [--children 2000] [--rounds 60]

DATABASE_URL names the server (a scratch database is created and dropped); without it an
embedded PostgreSQL is started. Redis is expected on 127.0.0.1:6379 (skipped when absent).
"""

import argparse
import asyncio
import json
import platform
import socket
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from core.app import create_app
from core.database import create_engine
from core.graphql.global_ids import encode_global_id
from core.plugin_registry import enabled_plugins
from core.seed.synthetic import seed_children
from core.settings import Settings
from core.testing import (
    TEST_JWT_SECRET,
    database_server_url,
    plain_url,
    temporary_database,
    token_for,
)

RESULTS = Path(__file__).parent / "results" / "request_guards.json"
PAGE = """
query Page {
  children(first: 50) {
    edges { node { id name age isLeftBehind residenceRegion { name }
                   guardianships { relationship guardian { name } } } }
  }
}
"""
UPDATE = """
mutation Update($input: UpdateChildInput!) { updateChild(input: $input) { child { id version } } }
"""
REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


async def timed(
    client: httpx.AsyncClient, token: str, body: dict[str, Any], headers: dict[str, str]
) -> float:
    started = time.perf_counter()
    response = await client.post(
        "/graphql", json=body, headers={"authorization": f"Bearer {token}", **headers}
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    return elapsed


async def alternate(
    clients: dict[str, httpx.AsyncClient],
    rounds: int,
    request: Any,
) -> dict[str, float]:
    """Median seconds per variant, the variants taking turns in a rotating order."""
    names = list(clients)
    times: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds + 5):
        order = names[index % len(names) :] + names[: index % len(names)]
        for name in order:
            elapsed = await request(name, clients[name])
            if index >= 5:  # the first rounds warm pools and caches
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


async def run(children: int, rounds: int) -> dict[str, Any]:
    plugins = enabled_plugins()
    async with temporary_database(database_server_url(), plugins) as url:
        engine = create_engine(url, pool_size=2)
        await seed_children(engine, children, seed=7)
        async with engine.connect() as connection:
            statement = text("SELECT id, version FROM children LIMIT 1")
            child = (await connection.execute(statement)).one()
        await engine.dispose()
        base = {"database_url": plain_url(url), "CAREGRAPH_JWT_SECRET": TEST_JWT_SECRET}
        variants: dict[str, dict[str, Any]] = {"no rate limit": {"CAREGRAPH_RATE_LIMIT_POINTS": 0}}
        variants["rate limit in PostgreSQL"] = {"CAREGRAPH_RATE_LIMIT_POINTS": 10_000_000}
        if redis_available():
            variants["rate limit in Redis"] = {
                "CAREGRAPH_RATE_LIMIT_POINTS": 10_000_000,
                "CAREGRAPH_REDIS_URL": REDIS_URL,
            }
        apps = {
            name: create_app(
                settings=Settings.model_validate({**base, **extra}),
                plugins=plugins,
                database_url=url,
            )
            for name, extra in variants.items()
        }
        token = token_for(
            "civil_affairs", "admin", region_code="512000", user_id=f"bench-{uuid.uuid4().hex}"
        )
        results: dict[str, Any] = {}
        contexts = [app.router.lifespan_context(app) for app in apps.values()]
        for context in contexts:
            await context.__aenter__()
        try:
            clients = {
                name: httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
                )
                for name, app in apps.items()
            }

            async def page(name: str, client: httpx.AsyncClient) -> float:
                return await timed(client, token, {"query": PAGE}, {})

            medians = await alternate(clients, rounds, page)
            floor = medians["no rate limit"]
            results["page of 50 children"] = {
                name: {"median_ms": round(value * 1000, 2), "ratio": round(value / floor, 3)}
                for name, value in medians.items()
            }

            child_id = encode_global_id("Child", child.id)
            version = {"value": child.version}
            unlimited = clients["no rate limit"]
            one = {"without key": unlimited, "with key": unlimited}

            async def update(name: str, client: httpx.AsyncClient) -> float:
                variables = {
                    "input": {
                        "id": child_id,
                        "version": version["value"],
                        "address": f"三组{version['value']}号",
                    }
                }
                headers = {"Idempotency-Key": str(uuid.uuid4())} if name == "with key" else {}
                body = {"query": UPDATE, "variables": variables}
                elapsed = await timed(client, token, body, headers)
                version["value"] += 1
                return elapsed

            medians = await alternate(one, rounds, update)
            floor = medians["without key"]
            results["updateChild with version"] = {
                name: {"median_ms": round(value * 1000, 2), "ratio": round(value / floor, 3)}
                for name, value in medians.items()
            }
            for client in clients.values():
                await client.aclose()
        finally:
            for context in contexts:
                await context.__aexit__(None, None, None)
    return {
        "benchmark": "request guards: rate-limit counters and idempotency keys, side by side",
        "children_in_database": children,
        "rounds": rounds,
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=60)
    arguments = parser.parse_args()
    report = asyncio.run(run(arguments.children, arguments.rounds))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    for scenario, rows in report["results"].items():
        print(scenario)
        for name, row in rows.items():
            print(f"  {name:28} {row['median_ms']:8.1f} ms  {row['ratio']:6.3f}")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
