"""What authorization costs: the same 100-child page with authorization on and off.

Both apps run in this process against the same PostgreSQL database and are measured in
alternation, request by request, so that the ratio is fair on a shared, noisy machine.

    python -m bench.authorization_overhead [--children 2000] [--rounds 40]

DATABASE_URL names the server (a scratch database is created and dropped); without it an
embedded PostgreSQL is started.
"""

import argparse
import asyncio
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from core.app import create_app
from core.database import create_engine
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

PAGE = """
query Page($region: String) {
  children(first: 100, filter: {regionCode: $region}) {
    totalCount
    edges { node {
      id name sex birthDate age schooling boarding isLeftBehind guardianshipType
      residenceRegion { name }
      guardianships { relationship worksAway workDestination guardian { name } }
    } }
  }
}
"""
# The same page with sensitive fields: each request also writes its audit entry.
SENSITIVE_PAGE = PAGE.replace("id name sex", "id name idNumber address sex").replace(
    "guardian { name }", "guardian { name phone }"
)
CALLERS = {
    "civil_affairs:admin (all children: field checks)": (
        "civil_affairs",
        "admin",
        "512000",
        PAGE,
    ),
    "civil_affairs:caseworker (county row scope + field checks)": (
        "civil_affairs",
        "caseworker",
        "512021",
        PAGE,
    ),
    "civil_affairs:caseworker, sensitive fields (+ audit entry)": (
        "civil_affairs",
        "caseworker",
        "512021",
        SENSITIVE_PAGE,
    ),
}
RESULTS = Path(__file__).parent / "results" / "authorization.json"


async def timed(http: httpx.AsyncClient, token: str, region: str, query: str) -> float:
    started = time.perf_counter()
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": {"region": region}},
        headers={"authorization": f"Bearer {token}"},
    )
    elapsed = time.perf_counter() - started
    body = response.json()
    assert "errors" not in body, body["errors"][:1]
    assert len(body["data"]["children"]["edges"]) == 100
    return elapsed


async def run(children: int, rounds: int) -> dict[str, Any]:
    plugins = enabled_plugins()
    async with temporary_database(database_server_url(), plugins) as url:
        engine = create_engine(url, pool_size=2)
        await seed_children(engine, children, seed=7)
        await engine.dispose()
        settings = Settings.model_validate(
            {
                "database_url": plain_url(url),
                "CAREGRAPH_JWT_SECRET": TEST_JWT_SECRET,
                # measured: authorization; not measured: the rate limit running out mid-run
                "CAREGRAPH_RATE_LIMIT_POINTS": 0,
            }
        )
        on = create_app(settings=settings, plugins=plugins, database_url=url)
        off = create_app(settings=settings, plugins=plugins, database_url=url, authorization=False)
        results: dict[str, Any] = {}
        async with on.router.lifespan_context(on), off.router.lifespan_context(off):
            clients = {
                name: httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
                )
                for name, app in (("on", on), ("off", off))
            }
            for label, (department, role, region, query) in CALLERS.items():
                token = token_for(department, role, region_code=region)
                times: dict[str, list[float]] = {"on": [], "off": []}
                for _ in range(5):  # warm caches and pools
                    for name in ("on", "off"):
                        await timed(clients[name], token, region, query)
                for index in range(rounds):
                    order = ("on", "off") if index % 2 == 0 else ("off", "on")
                    for name in order:
                        times[name].append(await timed(clients[name], token, region, query))
                median_on = statistics.median(times["on"])
                median_off = statistics.median(times["off"])
                results[label] = {
                    "median_ms_authorization_on": round(median_on * 1000, 2),
                    "median_ms_authorization_off": round(median_off * 1000, 2),
                    "overhead_ratio": round(median_on / median_off, 3),
                }
            for client in clients.values():
                await client.aclose()
    return {
        "benchmark": "100-child page with region, guardians: authorization on vs off",
        "children_in_database": children,
        "rounds": rounds,
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=40)
    arguments = parser.parse_args()
    report = asyncio.run(run(arguments.children, arguments.rounds))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"{'caller':58} {'on ms':>8} {'off ms':>8} {'ratio':>6}")
    for label, row in report["results"].items():
        print(
            f"{label:62} {row['median_ms_authorization_on']:8.1f} "
            f"{row['median_ms_authorization_off']:8.1f} {row['overhead_ratio']:6.3f}"
        )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
