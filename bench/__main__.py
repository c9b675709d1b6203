"""The benchmark harness: CareGraph against the raw-SQL floor, measured side by side.

    python -m bench [--children 10000] [--children 100000] [--concurrency 1 --concurrency 10]
                    [--duration 5] [--rounds 2]

For each data size it creates a scratch database (on DATABASE_URL's server, or an embedded
PostgreSQL), seeds it with `caregraph seed`'s generator, and starts, each as its own process on
127.0.0.1: the floor (`bench.floor`), CareGraph with authorization (twice, for two processes
behind the load generator's round robin) and CareGraph without authorization (`bench.server`).
It checks that every scenario's answers are identical from CareGraph and from the floor, counts
SQL statements per request, then runs the load generator (`bench.load`, a process of its own)
against each target in turn, in rotating order, for every scenario and concurrency level.
Results go to `bench/results/benchmark.json` and a table on standard output.
"""

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.scenarios import SCENARIOS, Scenario, global_id
from core.database import create_engine
from core.plugin_registry import enabled_plugins
from core.seed.synthetic import seed_children
from core.testing import (
    TEST_JWT_SECRET,
    database_server_url,
    plain_url,
    temporary_database,
    token_for,
)

RESULTS = Path(__file__).parent / "results" / "benchmark.json"
ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("floor", "caregraph", "caregraph_without_authorization", "caregraph_two_processes")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(module: str, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "CAREGRAPH_JWT_SECRET": TEST_JWT_SECRET}
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, port


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after 60 s")


def peak_memory_mb(process: subprocess.Popen[bytes]) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def choose_inputs(database_url: str) -> dict[str, Any]:
    """The county, townships, guardianship types and children the scenarios ask about: the
    busiest county of the seeded data, so that pages are full."""
    connection = await asyncpg.connect(database_url)
    try:
        county = await connection.fetchval(
            "SELECT left(residence_region_code, 6) FROM children "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        townships = await connection.fetch(
            "SELECT left(residence_region_code, 9) AS code, guardianship_type, count(*) "
            "FROM children WHERE residence_region_code LIKE $1 || '%' "
            "AND guardianship_type IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5",
            county,
        )
        with_cases = await connection.fetch(
            "SELECT DISTINCT c.id FROM children c JOIN cases k ON k.child_id = c.id "
            "WHERE c.residence_region_code LIKE $1 || '%' ORDER BY c.id LIMIT 20",
            county,
        )
    finally:
        await connection.close()
    return {
        "county": county,
        "township_list": [
            {"region": row["code"], "types": [row["guardianship_type"]]} for row in townships
        ],
        "child_profile": [{"id": global_id("Child", row["id"])} for row in with_cases],
    }


def bodies_for(scenario: Scenario, inputs: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """The GraphQL request bodies and the floor's, for the same questions."""
    variables: list[dict[str, Any]] = inputs[scenario.name]
    graphql = [{"query": scenario.document, "variables": v} for v in variables]
    floor = [{**v, "scope": inputs["county"]} for v in variables]
    return graphql, floor


def load(
    urls: list[str], bodies: list[Any], headers: dict[str, str], concurrency: int, duration: float
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(bodies, file, ensure_ascii=False)
    command = [sys.executable, "-m", "bench.load", "--body-file", file.name]
    command += [f"--url={url}" for url in urls]
    command += [f"--header={name}: {value}" for name, value in headers.items()]
    command += ["--concurrency", str(concurrency), "--duration", str(duration)]
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    os.unlink(file.name)
    result: dict[str, Any] = json.loads(output.stdout)
    return result


async def verify_and_count(
    scenario: Scenario,
    graphql: list[Any],
    floor: list[Any],
    urls: dict[str, str],
    token: str,
) -> float:
    """Check that CareGraph (with and without authorization) answers as the floor does;
    return CareGraph's SQL statements per request."""
    headers = {"authorization": f"Bearer {token}"}
    statements_url = urls["caregraph"].replace("/graphql", "/bench/statements")
    async with httpx.AsyncClient(timeout=60) as client:
        before = (await client.get(statements_url)).json()["count"]
        for body, floor_body in zip(graphql, floor, strict=True):
            answer = (await client.post(urls["caregraph"], json=body, headers=headers)).json()
            expected = (await client.post(urls["floor"], json=floor_body)).json()
            without = urls["caregraph_without_authorization"]
            unauthorized = (await client.post(without, json=body, headers=headers)).json()
            for got in (answer, unauthorized):
                if "errors" in got or got.get("data") != expected["data"]:
                    where = first_difference(got.get("data"), expected["data"], "data")
                    raise AssertionError(
                        f"{scenario.name}: CareGraph and the floor answer differently at "
                        f"{where}; errors: {got.get('errors')}"
                    )
        after = (await client.get(statements_url)).json()["count"]
    return float(after - before) / len(graphql)


async def measure_size(
    children: int, concurrencies: list[int], duration: float, rounds: int
) -> dict[str, Any]:
    plugins = enabled_plugins()
    async with temporary_database(database_server_url(), plugins) as url:
        engine = create_engine(url, pool_size=2)
        started = time.perf_counter()
        await seed_children(engine, children, seed=2018)
        await engine.dispose()
        print(f"seeded {children} children in {time.perf_counter() - started:.0f} s", flush=True)
        database = plain_url(url)
        inputs = await choose_inputs(database)
        processes = {
            "floor": start("bench.floor", "--database-url", database),
            "caregraph": start("bench.server", "--database-url", database),
            "caregraph_second": start("bench.server", "--database-url", database),
            "caregraph_without_authorization": start(
                "bench.server", "--database-url", database, "--no-authorization"
            ),
        }
        try:
            for _, port in processes.values():
                wait_for(port)
            base = {name: f"http://127.0.0.1:{port}" for name, (_, port) in processes.items()}
            token = token_for("civil_affairs", "caseworker", region_code=inputs["county"])
            headers = {"authorization": f"Bearer {token}"}
            report: dict[str, Any] = {}
            for scenario in SCENARIOS.values():
                graphql, floor = bodies_for(scenario, inputs)
                urls = {
                    "floor": f"{base['floor']}/floor/{scenario.name}",
                    "caregraph": f"{base['caregraph']}/graphql",
                    "caregraph_without_authorization": (
                        f"{base['caregraph_without_authorization']}/graphql"
                    ),
                }
                statements = await verify_and_count(scenario, graphql, floor, urls, token)
                targets: dict[str, tuple[list[str], list[Any], dict[str, str]]] = {
                    "floor": ([urls["floor"]], floor, {}),
                    "caregraph": ([urls["caregraph"]], graphql, headers),
                    "caregraph_without_authorization": (
                        [urls["caregraph_without_authorization"]],
                        graphql,
                        headers,
                    ),
                    "caregraph_two_processes": (
                        [urls["caregraph"], f"{base['caregraph_second']}/graphql"],
                        graphql,
                        headers,
                    ),
                }
                levels: dict[str, Any] = {}
                for concurrency in concurrencies:
                    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
                    for round_number in range(rounds):
                        shift = round_number % len(TARGETS)
                        for name in TARGETS[shift:] + TARGETS[:shift]:
                            target_urls, bodies, target_headers = targets[name]
                            runs[name].append(
                                load(target_urls, bodies, target_headers, concurrency, duration)
                            )
                    levels[str(concurrency)] = summarise(runs)
                    print(f"{scenario.name} c={concurrency}: {levels[str(concurrency)]['ratios']}")
                report[scenario.name] = {
                    "description": scenario.description,
                    "statements_per_request": statements,
                    "concurrency": levels,
                }
            memory = {name: peak_memory_mb(process) for name, (process, _) in processes.items()}
        finally:
            for process, _ in processes.values():
                process.terminate()
                process.wait(timeout=10)
    return {"children": children, "scenarios": report, "peak_memory_mb": memory}


def first_difference(got: Any, expected: Any, path: str) -> str:
    """Where two JSON values first differ, e.g. `data.children.edges.3.node.age: 7 != 8`."""
    if isinstance(got, dict) and isinstance(expected, dict) and got.keys() == expected.keys():
        for key in got:
            if got[key] != expected[key]:
                return first_difference(got[key], expected[key], f"{path}.{key}")
    if isinstance(got, list) and isinstance(expected, list) and len(got) == len(expected):
        for index, (a, b) in enumerate(zip(got, expected, strict=True)):
            if a != b:
                return first_difference(a, b, f"{path}.{index}")
    return (
        f"{path}: {json.dumps(got, ensure_ascii=False)[:300]} != "
        f"{json.dumps(expected, ensure_ascii=False)[:300]}"
    )


def summarise(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Median over rounds per target, and the ratios that matter."""
    medians = {
        name: {
            key: statistics.median(run[key] for run in results)
            for key in ("requests_per_second", "p50_ms", "p95_ms", "p99_ms")
        }
        | {"failures": sum(run["failures"] for run in results)}
        for name, results in runs.items()
    }
    floor = medians["floor"]["requests_per_second"] or 1.0
    with_authorization = medians["caregraph"]["requests_per_second"] or 1.0
    ratios = {
        "caregraph_to_floor": round(with_authorization / floor, 3),
        "without_authorization_to_floor": round(
            medians["caregraph_without_authorization"]["requests_per_second"] / floor, 3
        ),
        "authorization_cost": round(
            1
            - with_authorization
            / medians["caregraph_without_authorization"]["requests_per_second"],
            3,
        ),
        "two_processes_to_one": round(
            medians["caregraph_two_processes"]["requests_per_second"] / with_authorization, 3
        ),
    }
    return {"targets": medians, "ratios": ratios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, action="append")
    parser.add_argument("--concurrency", type=int, action="append")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    sizes = arguments.children or [10_000]
    concurrencies = arguments.concurrency or [1, 10]
    report = {
        "benchmark": "CareGraph against the raw-SQL floor (hand-written asyncpg), side by side",
        "command": "python -m bench " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}",
        "duration_seconds": arguments.duration,
        "rounds": arguments.rounds,
        "sizes": [
            asyncio.run(measure_size(size, concurrencies, arguments.duration, arguments.rounds))
            for size in sizes
        ],
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
