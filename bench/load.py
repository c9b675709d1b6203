"""The load generator, a process of its own: `concurrency` clients on loopback send one
scenario's requests back to back for `duration` seconds, spreading them over the given URLs as
a load balancer would; prints requests per second, latency percentiles and failures as JSON.

    python -m bench.load --url http://127.0.0.1:8000/graphql --body-file B.json …
"""

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import time
from typing import Any

import httpx


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
) -> dict[str, Any]:
    latencies: list[float] = []
    failures = 0
    targets = itertools.cycle(urls)
    requests = itertools.cycle(bodies)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        deadline = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal failures
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.post(next(targets), json=next(requests), headers=headers)
                elapsed = time.perf_counter() - started
                ok = response.status_code == 200 and "errors" not in response.json()
                if ok:
                    latencies.append(elapsed)
                else:
                    failures += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "failures": failures,
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
    arguments = parser.parse_args()
    with open(arguments.body_file, encoding="utf-8") as file:
        bodies = json.load(file)
    headers = dict(h.split(": ", 1) for h in arguments.header)
    result = asyncio.run(
        run(arguments.url, bodies, headers, arguments.concurrency, arguments.duration)
    )
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
