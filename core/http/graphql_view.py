"""GraphQL over HTTP (the GraphQL-over-HTTP specification) on Strawberry's ASGI view.

Strawberry answers `application/json` only; this view adds `application/graphql-response+json`:
when the client accepts it, a request error (unparsable document, failed validation, bad
variables) is a 400 with no `data` entry, and an executed operation is a 200 even with field
errors. Clients that accept only `application/json` get the legacy 200 behaviour.
"""

import json
import logging
from typing import Any

from cross_web import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette import status
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from core.audit import trail
from core.audit.recorder import write_entries
from core.errors import CareGraphError
from core.graphql.context import RequestContext
from core.http.graphiql import GRAPHIQL_HTML

logger = logging.getLogger("caregraph.http")
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
ACKNOWLEDGE: UnsetType = UNSET  # connection_ack without a payload


def negotiate_media_type(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when neither is acceptable."""
    if not accept:
        return JSON
    ranges = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        ranges.append((quality, -position, media.lower()))
    for quality, _, media in sorted(ranges, reverse=True):
        if quality <= 0:
            continue
        if media == GRAPHQL_RESPONSE_JSON:
            return GRAPHQL_RESPONSE_JSON
        if media in (JSON, "application/*", "*/*"):
            return JSON
    return None


def _wants_graphiql(scope: Any) -> bool:
    if scope["type"] != "http" or scope.get("method") != "GET" or scope.get("query_string"):
        return False
    headers = dict(scope.get("headers", []))
    return "text/html" in headers.get(b"accept", b"").decode("latin-1")


class _SubResponse(Response):
    media_type_chosen: str = JSON
    request_error: bool = False


def _is_request_error(result: ExecutionResult) -> bool:
    """Parse, validation and variable errors stop before execution: no error has a path."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


class CareGraphGraphQL(GraphQL[RequestContext, None]):
    def encode_json(self, data: object) -> str:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        build = request.app.state.context_factory
        context: RequestContext = await build(request)
        return context

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = _SubResponse()
        sub_response.status_code = None  # type: ignore[assignment]
        del sub_response.headers["content-length"]
        if isinstance(request, Request):
            media_type = negotiate_media_type(request.headers.get("accept"))
            if media_type is None and request.method == "POST":
                raise HTTPException(
                    status.HTTP_406_NOT_ACCEPTABLE,
                    f"Accept must allow {GRAPHQL_RESPONSE_JSON} or {JSON}",
                )
            sub_response.media_type_chosen = media_type or JSON
        return sub_response

    async def parse_http_body(self, request: Any) -> Any:
        """Strawberry expects a JSON object; any other JSON value is a malformed request."""
        try:
            return await super().parse_http_body(request)
        except (AttributeError, TypeError):
            raise HTTPException(400, "the request body must be a JSON object") from None

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        """Sign in a WebSocket that sent no credentials in its headers from its connection_init
        payload; refused credentials close it (4403), recorded like a refused HTTP request."""
        if not context.awaiting_authentication:
            return ACKNOWLEDGE
        try:
            await context.factory.authenticate_connection(context, context.connection_params or {})
        except CareGraphError as error:
            await _audit_refusal_by(context.sessions, context.audit.client_address, error)
            raise ConnectionRejectionError({"message": error.message, **error.extensions}) from None
        return ACKNOWLEDGE

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(GRAPHIQL_HTML)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if _is_request_error(result):
            response.pop("data", None)
        return response

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        media_type = getattr(sub_response, "media_type_chosen", JSON)
        response.headers["content-type"] = f"{media_type}; charset=utf-8"
        is_request_error = isinstance(response_data, dict) and "data" not in response_data
        if (
            media_type == GRAPHQL_RESPONSE_JSON
            and is_request_error
            and not sub_response.status_code
        ):
            response.status_code = status.HTTP_400_BAD_REQUEST
        return response

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if _wants_graphiql(scope):
            # The page is static code with no data; it signs in with the token the user gives
            # it, so it is served before authentication.
            await HTMLResponse(GRAPHIQL_HTML)(scope, receive, send)
            return
        try:
            await super().__call__(scope, receive, send)
        except CareGraphError as error:  # raised while building the context, e.g. a bad token
            await _audit_refusal(scope, error)
            body = {"errors": [{"message": error.message, "extensions": error.extensions}]}
            status_code = 401 if error.code == "UNAUTHENTICATED" else 400
            response = JSONResponse(body, status_code=status_code, media_type=JSON)
            if scope["type"] == "http":
                await response(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 4401, "reason": error.message})


async def _audit_refusal(scope: Any, error: CareGraphError) -> None:
    """Record a request refused before anyone was identified (a bad token, a revoked key)."""
    sessions = getattr(scope["app"].state, "sessions", None)
    if sessions is None:
        return
    client = scope.get("client")
    await _audit_refusal_by(sessions, client[0] if client else None, error)


async def _audit_refusal_by(
    sessions: async_sessionmaker[AsyncSession], client_address: str | None, error: CareGraphError
) -> None:
    entry = trail.AuditRecord(
        action=trail.UNAUTHENTICATED,
        outcome=trail.REFUSED,
        caller=None,
        client_address=client_address,
        detail=error.message,
    )
    try:
        await write_entries(sessions, [entry])
    except Exception:  # the database is away: the refusal stands, unrecorded
        logger.warning("could not record a refused request: the database is unreachable")


__all__ = ["CareGraphGraphQL", "negotiate_media_type"]
