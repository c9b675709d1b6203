"""The police inbox (scenario 5): officers of a township's police station subscribed to
`compulsoryReportFiled` over WebSocket while a teacher files reports, one after another.

What is measured is how long a filed report takes to reach every subscriber (from the moment
the filing request is sent), and how many reports per second are filed and delivered. With
two processes the subscribers are connected to one and the teacher files through the other,
so every report crosses processes through PostgreSQL.

The floor (bench.floor's `/floor/report` and `/floor/inbox`) inserts the report row and sends
a NOTIFY in one transaction; one LISTEN connection reads each notified row and pushes it to
the WebSockets, as a hand-built hub would.
"""

import asyncio
import contextlib
import json
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import ClientConnection, connect

SUBSCRIPTION = "subscription Inbox { compulsoryReportFiled { id summary } }"
FILE_REPORT = """
mutation File($i: FileCompulsoryReportInput!) { fileCompulsoryReport(input: $i) { report { id } } }
"""
PROTOCOL = "graphql-transport-ws"
SUMMARY = "学生连续三天未到校，家访发现独自在家"
CHANNEL = "bench_reports"


def report_values(village: str, school_id: str) -> dict[str, Any]:
    return {
        "description": "男孩，约十岁，独自在河边",
        "placeRegionCode": village,
        "placeDescription": "河堤",
        "reporterOrganizationId": school_id,
        "trigger": "LIVING_ALONE",
        "summary": SUMMARY,
    }


@asynccontextmanager
async def graphql_inbox(url: str, token: str) -> AsyncIterator[ClientConnection]:
    """A subscribed graphql-transport-ws connection."""
    async with connect(url.replace("http://", "ws://"), subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await socket.send(json.dumps(init))
        while json.loads(await socket.recv())["type"] != "connection_ack":
            pass
        subscribe = {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}
        await socket.send(json.dumps(subscribe))
        yield socket


def graphql_report_id(message: dict[str, Any]) -> str | None:
    if message.get("type") != "next":
        return None
    report: dict[str, Any] = message["payload"]["data"]["compulsoryReportFiled"]
    return str(report["id"])


@asynccontextmanager
async def floor_inbox(url: str, token: str) -> AsyncIterator[ClientConnection]:
    async with connect(url.replace("http://", "ws://")) as socket:
        yield socket


def floor_report_id(message: dict[str, Any]) -> str | None:
    return str(message["id"])


async def measure(
    *,
    file_url: str,
    inbox_urls: list[str],
    file_body: dict[str, Any],
    file_headers: dict[str, str],
    subscriber_token: str,
    subscribers: int,
    duration: float,
    floor: bool,
    rate: float | None = None,
) -> dict[str, Any]:
    """`subscribers` inboxes spread over `inbox_urls`; one filer for `duration` seconds, one
    report after another, or `rate` reports per second (a steady load below saturation)."""
    sent: dict[str, float] = {}
    arrivals: list[tuple[str, float]] = []  # (report, when), one per subscriber reached
    arrived = asyncio.Event()
    open_inbox = floor_inbox if floor else graphql_inbox
    report_id = floor_report_id if floor else graphql_report_id

    async def listen(socket: ClientConnection) -> None:
        # a report may reach a subscriber before its filing's answer reaches the filer
        while True:
            key = report_id(json.loads(await socket.recv()))
            if key is not None:
                arrivals.append((key, time.perf_counter()))
                arrived.set()

    managers = [
        open_inbox(inbox_urls[i % len(inbox_urls)], subscriber_token) for i in range(subscribers)
    ]
    async with all_of(managers) as sockets:
        await asyncio.sleep(1.0)  # every subscription registered
        listeners = [asyncio.create_task(listen(socket)) for socket in sockets]
        async with httpx.AsyncClient(timeout=30) as client:
            began = time.perf_counter()
            while time.perf_counter() - began < duration:
                started = time.perf_counter()
                response = await client.post(file_url, json=file_body, headers=file_headers)
                answer = response.json()
                key = (
                    answer["id"]
                    if floor
                    else answer["data"]["fileCompulsoryReport"]["report"]["id"]
                )
                sent[key] = started
                if rate:
                    await asyncio.sleep(max(0.0, started + 1 / rate - time.perf_counter()))
            expected = len(sent) * subscribers
            deadline = time.perf_counter() + 10
            while len(arrivals) < expected and time.perf_counter() < deadline:
                arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(arrived.wait(), deadline - time.perf_counter())
            wall = time.perf_counter() - began
        for listener in listeners:
            listener.cancel()
    latencies = sorted(when - sent[key] for key, when in arrivals if key in sent)
    return {
        "reports_per_second": round(len(sent) / wall, 1),
        "deliveries_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else 0.0,
        "undelivered": expected - len(latencies),
    }


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, round(fraction * (len(values) - 1)))]


@asynccontextmanager
async def all_of(managers: list[Any]) -> AsyncIterator[list[ClientConnection]]:
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(manager) for manager in managers]


# --- the floor's side (served by bench.floor) ---------------------------------------------


class FloorInbox:
    """LISTEN on one connection; each notified report row goes to every open WebSocket."""

    def __init__(self, pool: asyncpg.Pool, database_url: str) -> None:
        self.pool = pool
        self.database_url = database_url
        self.queues: set[asyncio.Queue[str]] = set()
        self.listener: asyncpg.Connection | None = None
        self.insert: str | None = None

    async def start(self) -> None:
        self.listener = await asyncpg.connect(self.database_url)
        await self.listener.add_listener(CHANNEL, self._notified)

    async def stop(self) -> None:
        if self.listener is not None:
            await self.listener.close()

    def _notified(self, connection: Any, pid: int, channel: str, payload: object) -> None:
        asyncio.get_running_loop().create_task(self._push(str(payload)))

    async def _push(self, report_id: str) -> None:
        row = await self.pool.fetchrow(
            "SELECT id, summary FROM police_compulsory_reports WHERE id = $1::uuid", report_id
        )
        if row is None:
            return
        message = json.dumps({"id": str(row["id"]), "summary": row["summary"]}, ensure_ascii=False)
        for queue in self.queues:
            queue.put_nowait(message)

    async def file(self, values: dict[str, Any]) -> dict[str, Any]:
        """Insert a report like the template (a report CareGraph filed) and NOTIFY."""
        key = str(uuid.uuid4())
        async with self.pool.acquire() as connection, connection.transaction():
            if self.insert is None:
                columns = [
                    row["column_name"]
                    for row in await connection.fetch(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = 'police_compulsory_reports' ORDER BY ordinal_position"
                    )
                ]
                copied = ", ".join("$1::uuid" if c == "id" else c for c in columns)
                self.insert = (
                    f"INSERT INTO police_compulsory_reports ({', '.join(columns)}) "
                    f"SELECT {copied} FROM police_compulsory_reports WHERE id = $2::uuid"
                )
            await connection.execute(self.insert, key, values["template"])
            await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, key)
        return {"id": key}
