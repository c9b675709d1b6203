"""Rate limits per principal (a user or an API key), in cost points over a fixed window.

The counters live where every server process sees them: in PostgreSQL by default, or in Redis
when `CAREGRAPH_REDIS_URL` is set. A request is charged only when the points fit; a refused one
spends nothing. Windows are fixed (aligned to the epoch), like GitHub's hourly budget: simple to
explain to an integrator, at the price of a burst of up to twice the budget across a boundary.
"""

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.limits.model import RateLimitUsage


@dataclass(frozen=True)
class Allowance:
    """The outcome of a charge: whether it fitted and what the window has left."""

    allowed: bool
    cost: int
    limit: int
    remaining: int
    reset_at: datetime

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil((self.reset_at - datetime.now(UTC)).total_seconds()))


class RateLimiter(Protocol):
    limit: int

    async def charge(self, principal: str, points: int) -> Allowance: ...

    async def close(self) -> None: ...


def _window(window: timedelta) -> tuple[datetime, datetime]:
    seconds = window.total_seconds()
    start = math.floor(time.time() / seconds) * seconds
    return datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(start + seconds, UTC)


class PostgresRateLimiter:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], limit: int, window: timedelta
    ) -> None:
        self.sessions = sessions
        self.limit = limit
        self.window = window

    async def charge(self, principal: str, points: int) -> Allowance:
        start, reset_at = _window(self.window)
        usage = RateLimitUsage
        async with self.sessions() as session, session.begin():
            if points <= self.limit:
                # Charged only if it fits: the row is locked by the upsert, so two processes
                # charging at once cannot both squeeze into the last points.
                insertion = insert(usage).values(
                    principal=principal, window_start=start, points=points
                )
                upsert = insertion.on_conflict_do_update(
                    index_elements=[usage.principal, usage.window_start],
                    set_={"points": usage.points + points},
                    where=usage.points + points <= self.limit,
                ).returning(usage.points)
                spent = (await session.execute(upsert)).scalar_one_or_none()
                if spent is not None:
                    return Allowance(True, points, self.limit, self.limit - spent, reset_at)
            spent = await session.scalar(
                select(func.coalesce(func.max(usage.points), literal(0))).where(
                    usage.principal == principal, usage.window_start == start
                )
            )
        return Allowance(False, points, self.limit, max(0, self.limit - int(spent or 0)), reset_at)

    async def close(self) -> None:
        return None


async def prune_usage(session: AsyncSession, window: timedelta) -> int:
    """Drop the counters of windows that have ended."""
    start, _ = _window(window)
    result = await session.execute(
        delete(RateLimitUsage).where(RateLimitUsage.window_start < start)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# Charge only when the points fit; return {charged (1/0), points spent in the window}.
_CHARGE_SCRIPT = """
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
local points = tonumber(ARGV[1])
if spent + points > tonumber(ARGV[2]) then
  return {0, spent}
end
spent = redis.call('INCRBY', KEYS[1], points)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, spent}
"""


class RedisRateLimiter:
    def __init__(self, url: str, limit: int, window: timedelta) -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.script = self.redis.register_script(_CHARGE_SCRIPT)
        self.limit = limit
        self.window = window

    async def charge(self, principal: str, points: int) -> Allowance:
        start, reset_at = _window(self.window)
        key = f"caregraph:rate:{principal}:{int(start.timestamp())}"
        expiry = math.ceil(self.window.total_seconds()) + 60
        charged, spent = await self.script(keys=[key], args=[points, self.limit, expiry])
        remaining = max(0, self.limit - int(spent))
        return Allowance(bool(charged), points, self.limit, remaining, reset_at)

    async def close(self) -> None:
        await self.redis.aclose()


def create_rate_limiter(
    sessions: async_sessionmaker[AsyncSession],
    *,
    limit: int,
    window: timedelta,
    redis_url: str | None,
) -> RateLimiter | None:
    """The configured limiter; None when rate limiting is off (`limit` 0)."""
    if limit <= 0:
        return None
    if redis_url:
        return RedisRateLimiter(redis_url, limit, window)
    return PostgresRateLimiter(sessions, limit, window)
