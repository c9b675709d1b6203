"""Errors on WebSocket operations, masked as they leave.

Over graphql-transport-ws, strawberry sends a query's or mutation's result from inside the
operation, before the schema extensions' closing steps run, so MaskInternalErrors does not see
it. Every error message passes through here instead: an error addressed to the caller carries
its `extensions.code` and goes out as it is; anything else (an exception's own message, which may
quote SQL or a child's data) is replaced by an error id, as over HTTP.
"""

import logging
import uuid
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message

logger = logging.getLogger("caregraph.errors")


def masked(error: Any) -> Any:
    if isinstance(error, dict) and (error.get("extensions") or {}).get("code"):
        return error
    error_id = uuid.uuid4().hex[:12]
    logger.error("internal error %s on a WebSocket operation (message withheld)", error_id)
    return {
        "message": f"Internal error (error id {error_id}). It has been logged.",
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    }


class MaskingTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    async def send_message(self, message: Message) -> None:
        payload: Any = message.get("payload")
        if message["type"] == "error" and isinstance(payload, list):
            message = {**message, "payload": [masked(error) for error in payload]}
        elif message["type"] == "next" and isinstance(payload, dict) and payload.get("errors"):
            payload = {**payload, "errors": [masked(error) for error in payload["errors"]]}
            message = {**message, "payload": payload}
        await super().send_message(message)
