"""A graphql-transport-ws client for the tests: what a portal's GraphQL client does over a
WebSocket (connection_init with the token, subscribe, then `next` messages)."""

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"
_ids = itertools.count(1)


class Subscription:
    def __init__(
        self, socket: ClientConnection, operation_id: str, early: list[dict[str, Any]]
    ) -> None:
        self.socket = socket
        self.operation_id = operation_id
        self.early = early  # messages that arrived while the subscription was being set up

    async def next(self, within: float = 10.0) -> dict[str, Any]:
        """The next result (`data` and maybe `errors`); `error` messages come back as
        `{"errors": [...]}` too; fails when nothing arrives within `within` seconds."""
        async with asyncio.timeout(within):
            while True:
                message = self.early.pop(0) if self.early else json.loads(await self.socket.recv())
                if message.get("id") != self.operation_id:
                    continue
                if message["type"] == "next":
                    payload: dict[str, Any] = message["payload"]
                    return payload
                if message["type"] == "error":
                    return {"errors": message["payload"]}
                if message["type"] == "complete":
                    return {"complete": True}

    async def nothing_within(self, seconds: float) -> None:
        """Assert that no result arrives within `seconds`."""
        try:
            result = await self.next(within=seconds)
        except TimeoutError:
            return
        raise AssertionError(f"expected nothing, received {result}")


@asynccontextmanager
async def subscribe(
    server: str, token: str, query: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[Subscription]:
    """Connect, sign in through connection_init, subscribe; the subscription is live (the
    server has registered it) when the block starts."""
    url = server.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        acknowledged = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert acknowledged["type"] == "connection_ack", acknowledged
        operation_id = str(next(_ids))
        await socket.send(
            json.dumps(
                {
                    "id": operation_id,
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )
        # the server starts the operation concurrently; a ping round trip and a short pause
        # let it reach the point where it listens before the test writes anything
        await socket.send(json.dumps({"type": "ping"}))
        early: list[dict[str, Any]] = []
        while (message := json.loads(await asyncio.wait_for(socket.recv(), 10)))["type"] != "pong":
            early.append(message)  # e.g. an immediate refusal: kept for `next`
        await asyncio.sleep(0.3)
        yield Subscription(socket, operation_id, early)
