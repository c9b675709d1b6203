"""The load generator, a process of its own: `concurrency` clients on loopback send one
scenario's requests back to back for `duration` seconds, spreading them over the given URLs as
a load balancer would; prints requests per second, latency percentiles and failures as JSON.

    python -m bench.load --url http://127.0.0.1:8000/graphql --body-file B.json …

With `--flow mutations`, each client runs the mutation mix of bench.mutations instead, each
request built from the previous answers; the body file then lists each client's starting
state (`{"village": …, "case_id": …}`), and `--floor` sends the floor's bodies.
"""

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import time
from collections import Counter
from typing import Any

import httpx

from bench import mutations


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


async def run(
    urls: list[str],
    bodies: list[dict[str, Any]],
    headers: dict[str, str],
    concurrency: int,
    duration: float,
    *,
    flow: str | None = None,
    floor: bool = False,
) -> dict[str, Any]:
    latencies: list[float] = []
    failures = 0
    failure_codes: Counter[str] = Counter()  # why they failed: HTTP status and error codes
    targets = itertools.cycle(urls)
    requests = itertools.cycle(bodies)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        deadline = time.perf_counter() + duration

        async def send(body: dict[str, Any]) -> dict[str, Any] | None:
            nonlocal failures
            started = time.perf_counter()
            response = await client.post(next(targets), json=body, headers=headers)
            elapsed = time.perf_counter() - started
            answer: dict[str, Any] = response.json()
            if response.status_code == 200 and "errors" not in answer:
                latencies.append(elapsed)
                return answer
            failures += 1
            codes = [
                str(error.get("extensions", {}).get("code"))
                for error in (answer.get("errors") or [] if isinstance(answer, dict) else [])
            ]
            failure_codes[f"{response.status_code} {','.join(sorted(set(codes)))}".strip()] += 1
            return None

        async def worker() -> None:
            while time.perf_counter() < deadline:
                await send(next(requests))

        async def flow_worker(start: dict[str, Any]) -> None:
            build = mutations.floor_request if floor else mutations.graphql_request
            read = mutations.read_floor_answer if floor else mutations.read_graphql_answer
            while time.perf_counter() < deadline:
                state = mutations.FlowState(**start)
                for step in mutations.STEPS:
                    answer = await send(build(step, state))
                    if answer is None:
                        break
                    read(step, state, answer)

        began = time.perf_counter()
        if flow == "mutations":
            starts = [bodies[i % len(bodies)] for i in range(concurrency)]
            await asyncio.gather(*(flow_worker(start) for start in starts))
        else:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "failures": failures,
        "failure_codes": dict(failure_codes),
        "requests_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", required=True)
    parser.add_argument("--body-file", required=True, help="JSON list of request bodies")
    parser.add_argument("--header", action="append", default=[], help="name: value")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--flow", choices=["mutations"], help="run a flow, not fixed bodies")
    parser.add_argument("--floor", action="store_true", help="the flow's floor bodies")
    arguments = parser.parse_args()
    with open(arguments.body_file, encoding="utf-8") as file:
        bodies = json.load(file)
    headers = dict(h.split(": ", 1) for h in arguments.header)
    result = asyncio.run(
        run(
            arguments.url,
            bodies,
            headers,
            arguments.concurrency,
            arguments.duration,
            flow=arguments.flow,
            floor=arguments.floor,
        )
    )
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
