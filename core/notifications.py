"""Live updates between server processes: an outbox table announced by NOTIFY.

A write calls `notify(session, topic, payload)` inside its transaction: the row commits with
the change (or not at all), and PostgreSQL delivers the NOTIFY only at commit. Every server
process runs one `NotificationHub`, which LISTENs, reads the new outbox rows and hands them to
its local subscribers. Payloads carry record ids only; each subscriber reads the record under
its own policies and scope, so a notification never carries data to someone not allowed it.

Outbox ids come from a sequence and transactions commit in any order, so "ids above the last
one seen" is not enough: an id below it may belong to a transaction still running. The hub reads
the ids above the highest it has seen, and the gaps below it (ids it has not seen, which a later
commit may still fill, or a rollback never will) until they are WINDOW old. So each read costs
what is new, not everything written in the window. After the database was away, the first read
picks up everything written meanwhile (by processes that kept a connection), as ids only grow.
A client that lost its WebSocket resubscribes with `since` and is replayed what it missed
(`history`).
"""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.listener import asyncpg_dsn, listen_forever, stop
from core.models import Notification

CHANNEL = "caregraph_notifications"
# a transaction that commits later than this after writing its notification is not delivered
WINDOW = timedelta(minutes=2)
POLL_SECONDS = 5.0
QUEUE_LIMIT = 1000
RETENTION = timedelta(days=7)
REPLAY_LIMIT = 1000  # the most notifications one resubscription replays
MAX_GAPS = 10_000  # unseen ids looked for at once (rollbacks leave them; they expire)
START_LOOKBACK = 1_000  # ids below the highest a starting hub looks for open transactions in
logger = logging.getLogger("caregraph.notifications")


@dataclass(frozen=True)
class Delivery:
    id: int
    topic: str
    payload: dict[str, Any]


async def notify(session: AsyncSession, topic: str, payload: dict[str, Any]) -> None:
    """Tell subscribers of `topic`, in every server process, once this transaction commits.
    `payload` must hold ids and codes only: it is stored, and read by other processes."""
    session.add(Notification(topic=topic, payload=payload))
    await session.flush()
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


async def prune(session: AsyncSession) -> int:
    """Drop notifications older than the retention period; returns how many."""
    result = await session.execute(
        delete(Notification).where(Notification.created_at < func.now() - RETENTION)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class NotificationHub:
    """This process's end of the outbox: LISTEN, read new rows, fan out to local subscribers."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._queues: dict[str, set[asyncio.Queue[Delivery]]] = defaultdict(set)
        self._highest: int | None = None  # the highest outbox id read so far
        self._gaps: dict[int, datetime] = {}  # ids below it not (yet) read → until when to look
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def start(self, database_url: str) -> None:
        self._task = asyncio.create_task(
            listen_forever(
                asyncpg_dsn(database_url), CHANNEL, self._read_new, poll_seconds=POLL_SECONDS
            )
        )

    async def stop(self) -> None:
        await stop(self._task)

    @contextlib.asynccontextmanager
    async def subscribe(self, topics: Iterable[str]) -> AsyncIterator[asyncio.Queue[Delivery]]:
        """A queue receiving every notification of `topics` from now until the block ends."""
        queue: asyncio.Queue[Delivery] = asyncio.Queue(QUEUE_LIMIT)
        names = list(topics)
        for topic in names:
            self._queues[topic].add(queue)
        try:
            yield queue
        finally:
            for topic in names:
                self._queues[topic].discard(queue)

    async def history(self, topics: Iterable[str], since: datetime) -> list[Delivery]:
        """Notifications of `topics` written after `since` (within the retention), oldest
        first, for a subscriber catching up after a lost connection."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(Notification.id, Notification.topic, Notification.payload)
                    .where(Notification.topic.in_(list(topics)), Notification.created_at > since)
                    .order_by(Notification.id)
                    .limit(REPLAY_LIMIT)
                )
            ).all()
        return [Delivery(row_id, topic, payload) for row_id, topic, payload in rows]

    async def _read_new(self) -> None:
        async with self._lock:  # a NOTIFY and the poll may arrive together
            async with self._sessions() as session:
                now = (await session.execute(select(func.now()))).scalar_one()
                if self._highest is None:
                    await self._start_from(session, now)
                    return
                columns = (Notification.id, Notification.topic, Notification.payload)
                new = Notification.id > self._highest
                condition = or_(new, Notification.id.in_(list(self._gaps))) if self._gaps else new
                rows = (
                    await session.execute(
                        select(*columns).where(condition).order_by(Notification.id)
                    )
                ).all()
            for row_id, topic, payload in rows:
                self._gaps.pop(row_id, None)
                self._fan_out(Delivery(row_id, topic, payload))
            self._remember_gaps([row[0] for row in rows if row[0] > self._highest], now)

    async def _start_from(self, session: AsyncSession, now: datetime) -> None:
        """What is already there is not news; but an id missing just below the highest may
        belong to a transaction still open, which is news once it commits (ids that never
        come, rolled back, are forgotten after WINDOW)."""
        highest = (
            await session.execute(select(func.coalesce(func.max(Notification.id), 0)))
        ).scalar_one()
        start = max(1, highest - START_LOOKBACK)
        present = set(
            (
                await session.execute(select(Notification.id).where(Notification.id >= start))
            ).scalars()
        )
        self._highest = highest
        self._add_gaps(range(start, highest), present, now)

    def _remember_gaps(self, new_ids: list[int], now: datetime) -> None:
        """Ids skipped between the previous highest and the new one: a transaction that has
        not committed yet may still fill them, for WINDOW."""
        assert self._highest is not None
        if new_ids:
            top = max(new_ids)
            # a jump of the sequence (setval after a restore) is not a run of open transactions
            self._add_gaps(range(max(self._highest + 1, top - MAX_GAPS), top), set(new_ids), now)
            self._highest = top
        for gap in [gap for gap, until in self._gaps.items() if until <= now]:
            del self._gaps[gap]

    def _add_gaps(self, candidates: range, seen: set[int], now: datetime) -> None:
        for missing in candidates:
            if missing not in seen:
                self._gaps[missing] = now + WINDOW
        if len(self._gaps) > MAX_GAPS:  # the newest matter most: drop the oldest
            logger.warning("more than %s notification ids unseen; the oldest are dropped", MAX_GAPS)
            for gap in sorted(self._gaps)[: len(self._gaps) - MAX_GAPS]:
                del self._gaps[gap]

    def _fan_out(self, delivery: Delivery) -> None:
        for queue in list(self._queues.get(delivery.topic, ())):
            try:
                queue.put_nowait(delivery)
            except asyncio.QueueFull:
                logger.warning("slow subscriber: a %s notification dropped", delivery.topic)
