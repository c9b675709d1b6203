"""The raw-SQL floor: the scenarios answered by hand-written SQL through asyncpg, served over
HTTP by Starlette and serialised to the same JSON, as a hand-built endpoint would.

    python -m bench.floor --port 8100 --database-url postgresql://…
"""

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from bench.mutations import floor_step
from bench.scenarios import SCENARIOS
from bench.subscriptions import FloorInbox


def create_floor_app(database_url: str) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(database_url, min_size=2, max_size=10)
        app.state.inbox = FloorInbox(app.state.pool, database_url)
        await app.state.inbox.start()
        yield
        await app.state.inbox.stop()
        await app.state.pool.close()

    async def answer(request: Request) -> Response:
        scenario = SCENARIOS[request.path_params["name"]]
        variables = await request.json()
        data = await scenario.floor(request.app.state.pool, variables)
        body = json.dumps({"data": data}, ensure_ascii=False, separators=(",", ":"))
        return Response(body, media_type="application/json")

    async def mutate(request: Request) -> Response:
        answer = await floor_step(request.app.state.pool, await request.json())
        return Response(json.dumps(answer), media_type="application/json")

    async def file_report(request: Request) -> Response:
        answer = await request.app.state.inbox.file(await request.json())
        return Response(json.dumps(answer), media_type="application/json")

    async def inbox(socket: WebSocket) -> None:
        await socket.accept()
        queue: asyncio.Queue[str] = asyncio.Queue()
        hub: FloorInbox = socket.app.state.inbox
        hub.queues.add(queue)

        async def forward() -> None:
            while True:
                await socket.send_text(await queue.get())

        sender = asyncio.create_task(forward())
        try:  # until the client goes away
            while (await socket.receive())["type"] != "websocket.disconnect":
                pass
        finally:
            sender.cancel()
            hub.queues.discard(queue)

    return Starlette(
        routes=[
            Route("/floor/report", file_report, methods=["POST"]),
            WebSocketRoute("/floor/inbox", inbox),
            Route("/floor/mutation_mix", mutate, methods=["POST"]),
            Route("/floor/{name}", answer, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    arguments = parser.parse_args()
    app = create_floor_app(arguments.database_url)
    uvicorn.run(app, host="127.0.0.1", port=arguments.port, log_level="warning")


if __name__ == "__main__":
    main()
