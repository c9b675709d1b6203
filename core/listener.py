"""One PostgreSQL LISTEN loop, shared by everything a server process must hear from the others
(policy changes, notifications for subscribers): it survives the database going away."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy.engine import make_url

logger = logging.getLogger("caregraph.listener")
RECONNECT_DELAY = 2.0


def asyncpg_dsn(database_url: str) -> str:
    """A plain libpq URL for asyncpg.connect, from the SQLAlchemy URL."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


async def listen_forever(
    dsn: str,
    channel: str,
    handle: Callable[[], Awaitable[None]],
    *,
    poll_seconds: float | None = None,
) -> None:
    """Call `handle` on every (re)connection, after every NOTIFY on `channel`, and, when
    `poll_seconds` is given, at least that often (a safety net for anything missed). Reconnects
    when the connection drops; runs until cancelled."""
    notified = asyncio.Event()
    while True:
        try:
            connection = await asyncpg.connect(dsn)
            try:
                notified.clear()
                await connection.add_listener(channel, lambda *_: notified.set())
                await handle()
                while not connection.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(notified.wait(), timeout=poll_seconds or 5.0)
                    if notified.is_set() or poll_seconds is not None:
                        notified.clear()
                        await handle()
            finally:
                with contextlib.suppress(Exception):
                    await connection.close()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the database is away: try again shortly
            logger.warning("listener on %s lost its connection: %s", channel, type(error).__name__)
            await asyncio.sleep(RECONNECT_DELAY)


async def stop(task: "asyncio.Task[None] | None") -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
