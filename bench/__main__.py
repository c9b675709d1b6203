"""The benchmark harness: CareGraph against the raw-SQL floor, measured side by side.

    python -m bench [--children 10000] [--children 100000] [--concurrency 1 --concurrency 10]
                    [--duration 5] [--rounds 2] [--only police_inbox …] [--inbox-rate 10]

For each data size it creates a scratch database (on DATABASE_URL's server, or an embedded
PostgreSQL), seeds it with `caregraph seed`'s generator and the education plugin's enrolments,
and starts, each as its own process on 127.0.0.1: the floor (`bench.floor`: the same answers
from hand-written SQL through asyncpg), CareGraph with authorization (twice, for two processes
behind the load generator's round robin), CareGraph without authorization, and CareGraph with
the query fast path off (`bench.server`). Before any load it checks that every query scenario's
answers are identical from every CareGraph and from the floor, and counts SQL statements per
request. The load generator (`bench.load`, a process of its own) then runs against each target
in turn, rotating the order every round, for every scenario (`bench.scenarios`, the mutation
mix of `bench.mutations`) and concurrency level; the police inbox (`bench.subscriptions`)
measures delivery over WebSockets. Results go to `bench/results/benchmark.json`.
"""

import argparse
import asyncio
import base64
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import mutations, subscriptions
from bench.scenarios import SCENARIOS, Scenario, global_id
from core.database import create_engine
from core.plugin_registry import enabled_plugins
from core.seed.synthetic import (
    CENTRAL_PRIMARY_SCHOOL,
    CIVIL_AFFAIRS_BUREAU,
    POLICE_STATION,
    organization_id,
    seed_children,
)
from core.testing import (
    TEST_JWT_SECRET,
    database_server_url,
    plain_url,
    temporary_database,
    token_for,
)

RESULTS = Path(__file__).parent / "results" / "benchmark.json"
INBOX_SUBSCRIBERS = 10
ROOT = Path(__file__).resolve().parent.parent
TARGETS = (
    "floor",
    "caregraph",
    "caregraph_without_authorization",
    "caregraph_two_processes",
    "caregraph_general_path",
)


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


def stop(process: subprocess.Popen[bytes], seconds: float = 15) -> None:
    """Stop a server, killing it if it has not stopped after `seconds`."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
        open_cases = await connection.fetch(
            "SELECT k.id, left(c.residence_region_code, 12) AS village FROM cases k "
            "JOIN children c ON c.id = k.child_id "
            "WHERE c.residence_region_code LIKE $1 || '%' AND k.status <> 'CLOSED' "
            "AND length(c.residence_region_code) = 12 ORDER BY k.id LIMIT 50",
            county,
        )
        township = townships[0]["code"]
        village = await connection.fetchval(
            "SELECT code FROM regions WHERE code LIKE $1 || '%' AND length(code) = 12 "
            "ORDER BY code LIMIT 1",
            township,
        )
        school = await connection.fetchval(
            "SELECT school_id FROM education_enrollments WHERE status <> 'TRANSFERRED' "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
    finally:
        await connection.close()
    return {
        "county": county,
        "school": str(school),
        "teacher_page": [{"school": global_id("Organization", school)}],
        "police_inbox": {"township": township, "village": village},
        "mutation_mix": [
            {"village": row["village"], "case_id": global_id("Case", row["id"])}
            for row in open_cases
        ],
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


@dataclass(frozen=True)
class Target:
    """Where the load generator sends a scenario's requests, and which."""

    urls: list[str]
    bodies: list[Any]
    headers: dict[str, str]
    flow: str | None = None  # "mutations": the mutation mix, built step by step
    floor: bool = False


def load(target: Target, concurrency: int, duration: float) -> dict[str, Any]:
    urls, bodies, headers = target.urls, target.bodies, target.headers
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(bodies, file, ensure_ascii=False)
    command = [sys.executable, "-m", "bench.load", "--body-file", file.name]
    command += [f"--url={url}" for url in urls]
    command += [f"--header={name}: {value}" for name, value in headers.items()]
    command += ["--concurrency", str(concurrency), "--duration", str(duration)]
    if target.flow:
        command += ["--flow", target.flow] + (["--floor"] if target.floor else [])
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
            general = urls["caregraph_general_path"]
            generally = (await client.post(general, json=body, headers=headers)).json()
            for got in (answer, unauthorized, generally):
                if "errors" in got or got.get("data") != expected["data"]:
                    where = first_difference(got.get("data"), expected["data"], "data")
                    raise AssertionError(
                        f"{scenario.name}: CareGraph and the floor answer differently at "
                        f"{where}; errors: {got.get('errors')}"
                    )
        after = (await client.get(statements_url)).json()["count"]
    return float(after - before) / len(graphql)


def token_for_scenario(scenario: Scenario, inputs: dict[str, Any]) -> str:
    """A caller of the scenario's department: a teacher of the school, a caseworker of the
    county."""
    if scenario.department == "education":
        return token_for(scenario.department, scenario.role, organization_id=inputs["school"])
    return token_for(scenario.department, scenario.role, region_code=inputs["county"])


# Every school-age child is enrolled at the school of their township, in one statement (the
# education plugin's demo loader enrols a demo-sized set one record at a time).
ENROL = """
INSERT INTO education_enrollments (id, child_id, school_id, student_number, grade, class_name,
                                   boarding, status, enrolled_on, version)
SELECT gen_random_uuid(), c.id, s.id,
       'B' || left(c.residence_region_code, 6)
           || lpad((row_number() OVER (ORDER BY c.id))::text, 8, '0'),
       least(12, greatest(1, date_part('year', age(DATE '2026-09-01', c.birth_date))::int - 6)),
       (1 + abs(hashtext(c.id::text)) % 3)::text || '班',
       c.boarding, 'ENROLLED', DATE '2026-09-01', 1
FROM children c
JOIN organizations s ON s.kind = 'SCHOOL' AND s.region_code = left(c.residence_region_code, 9)
WHERE c.schooling IN ('PRIMARY', 'JUNIOR_SECONDARY', 'SENIOR_SECONDARY')
ON CONFLICT DO NOTHING
"""
# Two pupils in three had a home-school contact in the last term, some several.
CONTACTS = """
INSERT INTO education_home_school_contacts (id, child_id, channel, with_whom, contacted_on,
                                            summary, recorded_by)
SELECT gen_random_uuid(), e.child_id, 'PHONE', 'PARENT_AWAY',
       DATE '2026-09-01' + (abs(hashtext(e.child_id::text || n::text)) % 80),
       '电话联系家长，了解学生在家情况', 'seed'
FROM education_enrollments e, generate_series(1, 1 + abs(hashtext(e.id::text)) % 3) AS n
WHERE abs(hashtext(e.child_id::text)) % 3 <> 0
"""


async def seed(url: str, children: int) -> None:
    """`caregraph seed`'s children, guardians and cases, the school enrolments and home-school
    contacts, then fresh planner statistics."""
    engine = create_engine(url, pool_size=2)
    try:
        await seed_children(engine, children, seed=2018)
        async with engine.begin() as connection:
            await connection.exec_driver_sql(ENROL)
            await connection.exec_driver_sql(CONTACTS)
        async with engine.connect() as connection:
            await connection.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()


async def measure_size(
    children: int,
    concurrencies: list[int],
    duration: float,
    rounds: int,
    only: set[str] | None = None,
    inbox_rate: float | None = None,
) -> dict[str, Any]:
    plugins = enabled_plugins()
    async with temporary_database(database_server_url(), plugins) as url:
        started = time.perf_counter()
        await seed(url, children)
        print(f"seeded {children} children in {time.perf_counter() - started:.0f} s", flush=True)
        database = plain_url(url)
        # what CareGraph sets on its own connections (core.database), for the floor too
        admin = await asyncpg.connect(database)
        try:
            name = await admin.fetchval("SELECT current_database()")
            await admin.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')
        finally:
            await admin.close()
        inputs = await choose_inputs(database)
        processes = {
            "floor": start("bench.floor", "--database-url", database),
            "caregraph": start("bench.server", "--database-url", database),
            "caregraph_second": start("bench.server", "--database-url", database),
            "caregraph_without_authorization": start(
                "bench.server", "--database-url", database, "--no-authorization"
            ),
            "caregraph_general_path": start(
                "bench.server", "--database-url", database, "--no-compiled-execution"
            ),
        }
        try:
            for _, port in processes.values():
                wait_for(port)
            base = {name: f"http://127.0.0.1:{port}" for name, (_, port) in processes.items()}
            report: dict[str, Any] = {}
            for scenario in SCENARIOS.values():
                if only and scenario.name not in only:
                    continue
                token = token_for_scenario(scenario, inputs)
                headers = {"authorization": f"Bearer {token}"}
                graphql, floor = bodies_for(scenario, inputs)
                urls = {
                    "floor": f"{base['floor']}/floor/{scenario.name}",
                    "caregraph": f"{base['caregraph']}/graphql",
                    "caregraph_without_authorization": (
                        f"{base['caregraph_without_authorization']}/graphql"
                    ),
                    "caregraph_general_path": f"{base['caregraph_general_path']}/graphql",
                }
                statements = await verify_and_count(scenario, graphql, floor, urls, token)
                targets = {
                    "floor": Target([urls["floor"]], floor, {}),
                    "caregraph": Target([urls["caregraph"]], graphql, headers),
                    "caregraph_without_authorization": Target(
                        [urls["caregraph_without_authorization"]], graphql, headers
                    ),
                    "caregraph_two_processes": Target(
                        [urls["caregraph"], f"{base['caregraph_second']}/graphql"],
                        graphql,
                        headers,
                    ),
                    "caregraph_general_path": Target(
                        [urls["caregraph_general_path"]], graphql, headers
                    ),
                }
                levels = measure_targets(scenario.name, targets, concurrencies, rounds, duration)
                report[scenario.name] = {
                    "description": scenario.description,
                    "statements_per_request": statements,
                    "concurrency": levels,
                }
            if not only or "mutation_mix" in only:
                report["mutation_mix"] = await measure_mutation_mix(
                    base, inputs, concurrencies, rounds, duration
                )
            if not only or "police_inbox" in only:
                report["police_inbox"] = await measure_police_inbox(
                    base, inputs, rounds, duration, inbox_rate
                )
            memory = {name: peak_memory_mb(process) for name, (process, _) in processes.items()}
        finally:
            for process, _ in processes.values():
                stop(process)
    return {"children": children, "scenarios": report, "peak_memory_mb": memory}


def measure_targets(
    label: str,
    targets: dict[str, Target],
    concurrencies: list[int],
    rounds: int,
    duration: float,
) -> dict[str, Any]:
    """Each target under load in turn, rotating the order every round, at each level."""
    order = [name for name in TARGETS if name in targets]
    levels: dict[str, Any] = {}
    for concurrency in concurrencies:
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in order}
        for round_number in range(rounds):
            shift = round_number % len(order)
            for name in order[shift:] + order[:shift]:
                runs[name].append(load(targets[name], concurrency, duration))
        levels[str(concurrency)] = summarise(runs)
        print(f"{label} c={concurrency}: {levels[str(concurrency)]['ratios']}", flush=True)
    return levels


async def measure_mutation_mix(
    base: dict[str, str],
    inputs: dict[str, Any],
    concurrencies: list[int],
    rounds: int,
    duration: float,
) -> dict[str, Any]:
    """Scenario 4 (bench.mutations): one flow is run first against CareGraph and the floor,
    which must both accept every step, counting CareGraph's statements per mutation."""
    bureau = str(organization_id(inputs["county"], CIVIL_AFFAIRS_BUREAU))
    starts = [{**start, "organization_id": bureau} for start in inputs["mutation_mix"]]
    token = token_for(
        "civil_affairs", "caseworker", region_code=inputs["county"], organization_id=bureau
    )
    headers = {"authorization": f"Bearer {token}"}
    statements_url = f"{base['caregraph']}/bench/statements"
    async with httpx.AsyncClient(timeout=60) as client:
        before = (await client.get(statements_url)).json()["count"]
        state = mutations.FlowState(**starts[0])
        floor_state = mutations.FlowState(**starts[0])
        for step in mutations.STEPS:
            answer = (
                await client.post(
                    f"{base['caregraph']}/graphql",
                    json=mutations.graphql_request(step, state),
                    headers=headers,
                )
            ).json()
            if "errors" in answer:
                raise AssertionError(f"mutation mix, {step}: {answer['errors']}")
            mutations.read_graphql_answer(step, state, answer)
            floor_answer = await client.post(
                f"{base['floor']}/floor/mutation_mix",
                json=mutations.floor_request(step, floor_state),
            )
            floor_answer.raise_for_status()
            mutations.read_floor_answer(step, floor_state, floor_answer.json())
        after = (await client.get(statements_url)).json()["count"]
    graphql_url = f"{base['caregraph']}/graphql"
    targets = {
        "floor": Target([f"{base['floor']}/floor/mutation_mix"], starts, {}, "mutations", True),
        "caregraph": Target([graphql_url], starts, headers, "mutations"),
        "caregraph_without_authorization": Target(
            [f"{base['caregraph_without_authorization']}/graphql"], starts, headers, "mutations"
        ),
        "caregraph_two_processes": Target(
            [graphql_url, f"{base['caregraph_second']}/graphql"], starts, headers, "mutations"
        ),
    }
    return {
        "description": "a caseworker registers a child, updates it with the version read, "
        "and records a follow-up on an open case (bench/mutations.py); each mutation counts "
        "as a request",
        "statements_per_request": (after - before) / len(mutations.STEPS),
        "concurrency": measure_targets("mutation_mix", targets, concurrencies, rounds, duration),
    }


async def measure_police_inbox(
    base: dict[str, str],
    inputs: dict[str, Any],
    rounds: int,
    duration: float,
    rate: float | None = None,
) -> dict[str, Any]:
    """Scenario 5 (bench.subscriptions): 10 officers' inboxes, one teacher filing reports."""
    township, village = inputs["police_inbox"]["township"], inputs["police_inbox"]["village"]
    school = organization_id(township, CENTRAL_PRIMARY_SCHOOL)
    officer = token_for(
        "police",
        "officer",
        region_code=township,
        organization_id=str(organization_id(township, POLICE_STATION)),
    )
    teacher = token_for("education", "teacher", region_code=township, organization_id=str(school))
    body = {
        "query": subscriptions.FILE_REPORT,
        "variables": {"i": subscriptions.report_values(village, global_id("Organization", school))},
    }
    headers = {"authorization": f"Bearer {teacher}"}
    async with httpx.AsyncClient(timeout=60) as client:
        answer = (
            await client.post(f"{base['caregraph']}/graphql", json=body, headers=headers)
        ).json()
    if "errors" in answer:
        raise AssertionError(f"police inbox: filing a report: {answer['errors']}")
    template = answer["data"]["fileCompulsoryReport"]["report"]["id"]
    template_key = base64.b64decode(template).decode().split(":", 1)[1]
    graphql = f"{base['caregraph']}/graphql"
    targets: dict[str, dict[str, Any]] = {
        "floor": {
            "file_url": f"{base['floor']}/floor/report",
            "inbox_urls": [f"{base['floor']}/floor/inbox"],
            "file_body": {"template": template_key},
            "file_headers": {},
            "floor": True,
        },
        "caregraph": {
            "file_url": graphql,
            "inbox_urls": [graphql],
            "file_body": body,
            "file_headers": headers,
            "floor": False,
        },
        "caregraph_two_processes": {
            "file_url": graphql,
            "inbox_urls": [f"{base['caregraph_second']}/graphql"],
            "file_body": body,
            "file_headers": headers,
            "floor": False,
        },
    }
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    order = list(targets)
    for round_number in range(rounds):
        shift = round_number % len(order)
        for name in order[shift:] + order[:shift]:
            runs[name].append(
                await subscriptions.measure(
                    **targets[name],
                    subscriber_token=officer,
                    subscribers=INBOX_SUBSCRIBERS,
                    duration=duration,
                    rate=rate,
                )
            )
    medians = {
        name: {key: statistics.median(run[key] for run in results) for key in results[0]}
        for name, results in runs.items()
    }
    floor_rate = medians["floor"]["reports_per_second"] or 1.0
    ratios = {
        "caregraph_to_floor": round(medians["caregraph"]["reports_per_second"] / floor_rate, 3),
        "two_processes_to_one": round(
            medians["caregraph_two_processes"]["reports_per_second"]
            / (medians["caregraph"]["reports_per_second"] or 1.0),
            3,
        ),
    }
    print(f"police_inbox: {ratios}", flush=True)
    return {
        "description": f"{INBOX_SUBSCRIBERS} police officers subscribed to compulsoryReportFiled "
        "over WebSocket while a teacher files reports one after another (bench/subscriptions.py); "
        "latency is from sending the filing to each subscriber receiving the report; with two "
        "processes the subscribers are on the other process",
        "targets": medians,
        "ratios": ratios,
    }


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
    if "caregraph_general_path" in medians:
        general = medians["caregraph_general_path"]["requests_per_second"] or 1.0
        ratios["fast_path_to_general_path"] = round(with_authorization / general, 3)
    return {"targets": medians, "ratios": ratios}


def machine() -> str:
    """What the figures were measured on, for the results file."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, action="append")
    parser.add_argument("--concurrency", type=int, action="append")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--only",
        action="append",
        help="measure only these scenarios (teacher_page, township_list, child_profile, "
        "mutation_mix, police_inbox)",
    )
    parser.add_argument(
        "--inbox-rate",
        type=float,
        help="reports filed per second in the police inbox (default: one after another)",
    )
    arguments = parser.parse_args()
    sizes = arguments.children or [10_000]
    concurrencies = arguments.concurrency or [1, 10]
    report = {
        "benchmark": "CareGraph against the raw-SQL floor (hand-written asyncpg), side by side",
        "command": "python -m bench " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "duration_seconds": arguments.duration,
        "rounds": arguments.rounds,
        "sizes": [],
    }
    RESULTS.parent.mkdir(exist_ok=True)
    for size in sizes:  # written after each size: a long run keeps what it measured
        measured = asyncio.run(
            measure_size(
                size,
                concurrencies,
                arguments.duration,
                arguments.rounds,
                set(arguments.only) if arguments.only else None,
                arguments.inbox_rate,
            )
        )
        report["sizes"].append(measured)
        RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"written to {RESULTS}", flush=True)


if __name__ == "__main__":
    main()
