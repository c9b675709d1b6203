"""Read replicas: which PostgreSQL streaming replicas may answer a query now.

Each server process measures its replicas every `replica_check_interval`: how far each has
replayed the primary's write-ahead log, and for how long it has been behind. A replica that
cannot be reached, is not a standby, or is further behind than `replica_max_lag` is out of
rotation until a later check finds it well again. A query is sent to a replica in rotation
that has replayed at least the caller's own last write (`core.write_positions`), else to the
primary. Lag is measured against the primary's position as this process saw it over time, so
the servers' clocks never enter into it.
"""

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.database import create_read_engine, create_session_factory, to_asyncpg_url
from core.events import EventBus
from core.listener import stop

logger = logging.getLogger("caregraph.replicas")

# LSNs are compared as byte positions (bigint): pg_lsn has no asyncpg codec of its own.
PRIMARY_POSITION = text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
REPLAYED_POSITION = text(
    "SELECT pg_is_in_recovery(), pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint"
)


@dataclass
class Replica:
    """One replica as this process last found it. `name` is "replica N": the URL may hold a
    password and never appears in logs or probes."""

    name: str
    engine: AsyncEngine  # the queries' pool
    sessions: async_sessionmaker[AsyncSession]
    monitor: AsyncEngine  # one connection of its own for the checks: a busy pool is not down
    replayed: int | None = None  # the WAL position it has replayed, in bytes
    lag_seconds: float | None = None
    in_rotation: bool = False
    problem: str | None = None  # why it is out of rotation

    def status(self) -> dict[str, object]:
        return {
            "name": self.name,
            "inRotation": self.in_rotation,
            "lagSeconds": None if self.lag_seconds is None else round(self.lag_seconds, 3),
            **({"problem": self.problem} if self.problem else {}),
        }


@dataclass
class PrimaryHistory:
    """The primary's WAL position at each check, kept long enough to tell how long ago the
    primary passed a position that a replica has not yet replayed."""

    keep_seconds: float
    samples: deque[tuple[float, int]] = field(default_factory=deque)

    def add(self, at: float, position: int) -> None:
        self.samples.append((at, position))
        while len(self.samples) > 2 and at - self.samples[1][0] > self.keep_seconds:
            self.samples.popleft()

    def lag(self, replayed: int, now: float) -> tuple[float, bool]:
        """Seconds since the primary first stood beyond `replayed` (0: caught up), and whether
        that is known. A replica behind every kept sample is behind for at least as long as
        they reach back, and maybe far longer: at a process's start, when one sample reaches
        back no time at all, that says nothing."""
        for at, position in self.samples:
            if position > replayed:
                return now - at, at != self.samples[0][0]
        return 0.0, True


class ReplicaSet:
    """The replicas of `DATABASE_REPLICA_URLS`, measured in the background."""

    def __init__(
        self,
        primary_url: str,
        replica_urls: Sequence[str],
        *,
        max_lag: timedelta,
        check_interval: timedelta,
        pool_size: int = 10,
        statement_timeout: timedelta | None = None,
        pgbouncer: bool = False,
        event_bus: EventBus | None = None,
    ) -> None:
        # the checks have connections of their own: a pool busy with queries is not down
        self.primary = create_read_engine(primary_url, pool_size=1, pgbouncer=pgbouncer)
        self.max_lag = max_lag.total_seconds()
        self.check_interval = check_interval.total_seconds()
        self.replicas = []
        for number, replica_url in enumerate(replica_urls, start=1):
            url = to_asyncpg_url(replica_url)
            engine = create_read_engine(
                url, pool_size=pool_size, statement_timeout=statement_timeout, pgbouncer=pgbouncer
            )
            self.replicas.append(
                Replica(
                    name=f"replica {number}",
                    engine=engine,
                    sessions=create_session_factory(engine, event_bus=event_bus),
                    monitor=create_read_engine(url, pool_size=1, pgbouncer=pgbouncer),
                )
            )
        for replica in self.replicas:
            event.listen(replica.engine.sync_engine, "handle_error", self._on_error(replica))
        self.history = PrimaryHistory(keep_seconds=max(2 * self.max_lag, 4 * self.check_interval))
        self._turn = itertools.count()
        self._task: asyncio.Task[None] | None = None

    def __bool__(self) -> bool:
        return bool(self.replicas)

    def sessions_for(self, written_up_to: int | None) -> async_sessionmaker[AsyncSession] | None:
        """A replica in rotation that has replayed the caller's writes (`written_up_to`, None:
        the caller never wrote), taken in turn; None: only the primary will do."""
        eligible = [
            replica
            for replica in self.replicas
            if replica.in_rotation
            and replica.replayed is not None
            and (written_up_to is None or replica.replayed >= written_up_to)
        ]
        if not eligible:
            return None
        return eligible[next(self._turn) % len(eligible)].sessions

    def status(self) -> list[dict[str, object]]:
        return [replica.status() for replica in self.replicas]

    @staticmethod
    def _on_error(replica: Replica) -> Callable[[ExceptionContext], None]:
        """A replica that drops a connection leaves rotation at once, not at the next check:
        the queries after it go elsewhere (the one that met the error is refused as
        SERVICE_UNAVAILABLE, which a client may retry)."""

        def on_error(context: ExceptionContext) -> None:
            if context.is_disconnect and replica.in_rotation:
                replica.in_rotation, replica.problem = False, "connection lost"
                logger.warning("%s out of rotation: connection lost", replica.name)

        return on_error

    async def check(self) -> None:
        """Measure every replica once, against the primary's position now. Should the primary
        not answer, the replicas are still measured against what it was last seen at: a
        replica that stops replaying leaves rotation all the same."""
        now = time.monotonic()
        try:
            async with asyncio.timeout(max(self.check_interval, 1.0)):
                async with self.primary.connect() as connection:
                    position = int((await connection.execute(PRIMARY_POSITION)).scalar_one())
        except Exception as error:
            logger.warning("replica check: primary unreachable: %s", type(error).__name__)
        else:
            self.history.add(now, position)
        await asyncio.gather(*(self._check(replica, now) for replica in self.replicas))

    async def _check(self, replica: Replica, now: float) -> None:
        was_in_rotation = replica.in_rotation
        try:
            async with asyncio.timeout(max(self.check_interval, 1.0)):
                async with replica.monitor.connect() as connection:
                    recovering, replayed = (await connection.execute(REPLAYED_POSITION)).one()
        except Exception as error:
            replica.in_rotation, replica.lag_seconds = False, None
            replica.problem = f"unreachable ({type(error).__name__})"
        else:
            if not recovering or replayed is None:
                replica.in_rotation, replica.replayed, replica.lag_seconds = False, None, None
                replica.problem = "not a standby"
            else:
                replica.replayed = int(replayed)
                lag, known = self.history.lag(replica.replayed, now)
                replica.lag_seconds = lag
                replica.in_rotation = known and lag <= self.max_lag
                replica.problem = (
                    None
                    if replica.in_rotation
                    else f"behind the primary by {lag:.1f} s"
                    if known
                    else "behind every position of the primary seen so far"
                )
        if was_in_rotation != replica.in_rotation:
            change = "back in rotation" if replica.in_rotation else "out of rotation"
            problem = f": {replica.problem}" if replica.problem else ""
            logger.warning("%s %s%s", replica.name, change, problem)

    def start(self) -> None:
        if self.replicas and self._task is None:
            self._task = asyncio.create_task(self._check_forever())

    async def _check_forever(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.check_interval)

    async def close(self) -> None:
        await stop(self._task)
        self._task = None
        for engine in [
            *(replica.engine for replica in self.replicas),
            *(replica.monitor for replica in self.replicas),
            self.primary,
        ]:
            with contextlib.suppress(Exception):
                await engine.dispose()
