"""The outbox hub delivers a notification whose transaction commits after others with higher
ids, including one that was still open when the hub started."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.database import create_session_factory
from core.notifications import Delivery, NotificationHub, notify

TOPIC = "test.hub_order"


@pytest.fixture
async def sessions(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    yield create_session_factory(engine)


async def next_delivery(queue: "asyncio.Queue[Delivery]") -> Delivery:
    return await asyncio.wait_for(queue.get(), timeout=10)


async def test_a_transaction_open_while_the_hub_starts_is_delivered_when_it_commits(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    async with sessions() as open_session:
        await open_session.begin()
        await notify(open_session, TOPIC, {"n": "open at start"})  # its id, not yet committed
        async with sessions() as session, session.begin():
            await notify(session, TOPIC, {"n": "committed before"})  # a higher id, committed
        hub = NotificationHub(sessions)
        hub.start(database_url)
        try:
            await asyncio.sleep(1.0)  # the hub has read what was there when it started
            async with hub.subscribe([TOPIC]) as queue:
                await open_session.commit()
                delivery = await next_delivery(queue)
                assert delivery.payload == {"n": "open at start"}
                async with sessions() as session, session.begin():
                    await notify(session, TOPIC, {"n": "after"})
                assert (await next_delivery(queue)).payload == {"n": "after"}
                assert queue.empty(), "each notification once"
        finally:
            await hub.stop()


async def test_a_later_id_committed_first_does_not_hide_an_earlier_one(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    hub = NotificationHub(sessions)
    hub.start(database_url)
    try:
        await asyncio.sleep(1.0)
        async with hub.subscribe([TOPIC]) as queue:
            async with sessions() as slow:
                await slow.begin()
                await notify(slow, TOPIC, {"n": "slow"})
                async with sessions() as fast, fast.begin():
                    await notify(fast, TOPIC, {"n": "fast"})
                assert (await next_delivery(queue)).payload == {"n": "fast"}
                await slow.commit()
            assert (await next_delivery(queue)).payload == {"n": "slow"}
    finally:
        await hub.stop()
