"""The harness's results as the Markdown tables of docs/performance.md.

python -m bench.report [bench/results/benchmark.json]
"""

import json
import sys
from pathlib import Path
from typing import Any

from bench.__main__ import RESULTS


def _k(count: int) -> str:
    return f"{count // 1000}k" if count >= 1000 else str(count)


def request_table(sizes: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| scenario | children | clients | floor req/s | CareGraph req/s | to floor "
        "| p50 / p95 ms (floor) | p50 / p95 ms | authorization cost | 2 processes / 1 "
        "| fast path / general path | SQL statements per request |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size in sizes:
        for name, scenario in size["scenarios"].items():
            if "concurrency" not in scenario:
                continue
            for clients, level in scenario["concurrency"].items():
                targets, ratios = level["targets"], level["ratios"]
                floor, caregraph = targets["floor"], targets["caregraph"]
                general = ratios.get("fast_path_to_general_path")
                lines.append(
                    f"| {name.replace('_', ' ')} | {_k(size['children'])} | {clients} "
                    f"| {floor['requests_per_second']:.0f} "
                    f"| {caregraph['requests_per_second']:.1f} "
                    f"| {ratios['caregraph_to_floor']:.2f} "
                    f"| {floor['p50_ms']:.1f} / {floor['p95_ms']:.1f} "
                    f"| {caregraph['p50_ms']:.1f} / {caregraph['p95_ms']:.1f} "
                    f"| {ratios['authorization_cost']:.0%} "
                    f"| {ratios['two_processes_to_one']:.2f} "
                    f"| {f'{general:.2f}' if general is not None else '–'} "
                    f"| {scenario['statements_per_request']:.1f} |"
                )
    return lines


def inbox_table(sizes: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| children | target | reports/s | deliveries/s | latency p50 / p95 / p99 ms "
        "| undelivered |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for size in sizes:
        inbox = size["scenarios"].get("police_inbox")
        if inbox is None:
            continue
        for target, figures in inbox["targets"].items():
            lines.append(
                f"| {_k(size['children'])} | {target.replace('_', ' ')} "
                f"| {figures['reports_per_second']:.1f} | {figures['deliveries_per_second']:.0f} "
                f"| {figures['p50_ms']:.0f} / {figures['p95_ms']:.0f} / {figures['p99_ms']:.0f} "
                f"| {figures['undelivered']:.0f} |"
            )
    return lines


def memory_line(sizes: list[dict[str, Any]]) -> str:
    parts = []
    for size in sizes:
        memory = size["peak_memory_mb"]
        parts.append(
            f"{_k(size['children'])}: floor {memory['floor']:.0f} MB, CareGraph "
            f"{memory['caregraph']:.0f} MB"
        )
    return "Peak resident memory per process: " + "; ".join(parts) + "."


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS
    report = json.loads(path.read_text(encoding="utf-8"))
    print(f"`{report['command']}` on {report['machine']}:\n")
    print("\n".join(request_table(report["sizes"])))
    print()
    print("\n".join(inbox_table(report["sizes"])))
    print()
    print(memory_line(report["sizes"]))


if __name__ == "__main__":
    main()
