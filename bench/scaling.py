"""How CareGraph scales with server processes on one host: `caregraph serve --workers N`,
measured side by side for each N, against the same seeded database.

    python -m bench.scaling [--children 10000] [--workers 1 --workers 2 --workers 4]
                            [--concurrency 20] [--duration 5] [--rounds 2]

It seeds a scratch database as `python -m bench` does; then, every round, it starts
`caregraph serve --workers N` for each N in turn (the command a deployment runs, on 127.0.0.1;
the order rotates every round, and only one runs at a time, so that no other holds
PostgreSQL's connections), and runs the load generator (`bench.load`, a process of its own)
against it for the query scenarios of `bench.scenarios` and the mutation mix. Results
go to `bench/results/scaling.json`, and its Markdown table (docs/deployment.md) is printed;
`python -m bench.scaling --report` prints the table again from the file.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.__main__ import (
    ROOT,
    Target,
    bodies_for,
    choose_inputs,
    free_port,
    load,
    machine,
    seed,
    stop,
    token_for_scenario,
    wait_for,
)
from bench.scenarios import SCENARIOS
from core.plugin_registry import enabled_plugins
from core.seed.synthetic import CIVIL_AFFAIRS_BUREAU, organization_id
from core.testing import TEST_JWT_SECRET, database_server_url, plain_url, temporary_database
from core.testing import token_for as sign

RESULTS = Path(__file__).parent / "results" / "scaling.json"


def serve(database: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "CAREGRAPH_JWT_SECRET": TEST_JWT_SECRET,
        "CAREGRAPH_RATE_LIMIT_POINTS": "0",  # the load would spend any budget
        "CAREGRAPH_SWEEP_INTERVAL": "0",
    }
    command = [sys.executable, "-m", "core", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


def tree_memory_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and all its descendants, in MB."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        status = Path(f"/proc/{current}/status")
        if not status.exists():
            continue
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            pending += [int(child) for child in task.read_text().split()]
    return round(total / 1024, 1)


def summarise(label: str, runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    medians = {
        name: {
            key: statistics.median(run[key] for run in results)
            for key in ("requests_per_second", "p50_ms", "p95_ms", "p99_ms")
        }
        | {
            "failures": sum(run["failures"] for run in results),
            "failure_codes": dict(
                sum((Counter(run["failure_codes"]) for run in results), Counter())
            ),
        }
        for name, results in runs.items()
    }
    one = next(iter(medians.values()))["requests_per_second"] or 1.0
    ratios = {name: round(m["requests_per_second"] / one, 3) for name, m in medians.items()}
    print(f"{label}: {ratios}", flush=True)
    return {"targets": medians, "throughput_to_one_process": ratios}


def scenario_targets(base: str, inputs: dict[str, Any]) -> dict[str, Target]:
    """Every scenario's requests, sent to the server at `base`."""
    targets = {}
    for scenario in SCENARIOS.values():
        headers = {"authorization": f"Bearer {token_for_scenario(scenario, inputs)}"}
        graphql, _ = bodies_for(scenario, inputs)
        targets[scenario.name] = Target([f"{base}/graphql"], graphql, headers)
    bureau = str(organization_id(inputs["county"], CIVIL_AFFAIRS_BUREAU))
    starts = [{**start, "organization_id": bureau} for start in inputs["mutation_mix"]]
    token = sign(
        "civil_affairs", "caseworker", region_code=inputs["county"], organization_id=bureau
    )
    targets["mutation_mix"] = Target(
        [f"{base}/graphql"], starts, {"authorization": f"Bearer {token}"}, "mutations"
    )
    return targets


def wait_for_workers(base: str, workers: int) -> None:
    """Until fresh connections have reached every worker (the first may answer while the
    others are still importing)."""
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while len(seen) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(seen)} of {workers} workers answer after 60 s")
        with httpx.Client(base_url=base, timeout=5) as fresh:
            seen.add(fresh.get("/healthz").json()["process"])


async def measure_size(
    children: int, workers: list[int], concurrency: int, duration: float, rounds: int
) -> dict[str, Any]:
    """Each round starts each server in turn (the order rotating), runs every scenario against
    it, and stops it: only one holds connections to PostgreSQL at a time, as in a deployment
    sized for it."""
    async with temporary_database(database_server_url(), enabled_plugins()) as url:
        started = time.perf_counter()
        await seed(url, children)
        print(f"seeded {children} children in {time.perf_counter() - started:.0f} s", flush=True)
        database = plain_url(url)
        inputs = await choose_inputs(database)
        names = [f"{n}_processes" for n in workers]
        runs: dict[str, dict[str, list[dict[str, Any]]]] = {}
        memory: dict[str, float] = {}
        for round_number in range(rounds):
            shift = round_number % len(workers)
            for count in workers[shift:] + workers[:shift]:
                name = f"{count}_processes"
                process, base = serve(database, count)
                try:
                    wait_for(int(base.rsplit(":", 1)[1]))
                    wait_for_workers(base, count)
                    for scenario, target in scenario_targets(base, inputs).items():
                        per_target = runs.setdefault(scenario, {n: [] for n in names})
                        per_target[name].append(load(target, concurrency, duration))
                    memory[name] = max(memory.get(name, 0.0), tree_memory_mb(process.pid))
                finally:
                    stop(process)
        report = {scenario: summarise(scenario, per) for scenario, per in runs.items()}
    return {"children": children, "scenarios": report, "peak_memory_mb": memory}


def table(report: dict[str, Any]) -> str:
    names = list(report["peak_memory_mb"])
    header = " | ".join(f"{name.split('_')[0]} process(es) req/s (× 1), p50 ms" for name in names)
    lines = [f"| scenario | {header} |", "| --- |" + " --- |" * len(names)]
    for scenario, figures in report["scenarios"].items():
        cells = []
        for name in names:
            target = figures["targets"][name]
            ratio = figures["throughput_to_one_process"][name]
            cells.append(
                f"{target['requests_per_second']:.1f} (× {ratio:.2f}), {target['p50_ms']:.0f}"
            )
        lines.append(f"| {scenario.replace('_', ' ')} | " + " | ".join(cells) + " |")
    memory = ", ".join(
        f"{name.split('_')[0]}: {mb:.0f} MB" for name, mb in report["peak_memory_mb"].items()
    )
    lines += ["", f"Peak resident memory of all processes together: {memory}."]
    return f"`{report['command']}` on {report['machine']}:\n\n" + "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="print the table of the last run")
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--workers", type=int, action="append")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    if arguments.report:
        print(table(json.loads(RESULTS.read_text(encoding="utf-8"))))
        return
    workers = arguments.workers or [1, 2, 4]
    measured = asyncio.run(
        measure_size(
            arguments.children, workers, arguments.concurrency, arguments.duration, arguments.rounds
        )
    )
    report = {
        "benchmark": "caregraph serve --workers N, side by side on one host",
        "command": "python -m bench.scaling " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "concurrency": arguments.concurrency,
        "duration_seconds": arguments.duration,
        "rounds": arguments.rounds,
        **measured,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"written to {RESULTS}\n\n{table(report)}", flush=True)


if __name__ == "__main__":
    main()
