"""GraphQL over HTTP (the GraphQL-over-HTTP specification) on Strawberry's ASGI view.

Strawberry answers `application/json` only; this view adds `application/graphql-response+json`:
when the client accepts it, a request error (unparsable document, failed validation, bad
variables) is a 400 with no `data` entry, and an executed operation is a 200 even with field
errors. Clients that accept only `application/json` get the legacy 200 behaviour.
"""

import asyncio
import contextlib
import json
import logging
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette import status
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from core import idempotency
from core.audit import trail
from core.audit.recorder import write_entries
from core.errors import CareGraphError, LimitExceeded
from core.graphql.context import RequestContext
from core.graphql.error_masking import as_caller_error, mask, time_limit_exceeded
from core.graphql.storable_text import lone_surrogate_in
from core.http.graphiql import GRAPHIQL_HTML
from core.http.websocket_errors import MaskingTransportWSHandler
from core.trusted_documents import requested_hash

logger = logging.getLogger("caregraph.http")
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
ACKNOWLEDGE: UnsetType = UNSET  # connection_ack without a payload
CLEANUP_SECONDS = 2.0  # for closing an idempotency key after the time limit struck


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


# HTTP statuses for refusals a client or proxy should act on whatever the media type: back off,
# retry later, or stop resending.
STATUS_BY_CODE = {
    "RATE_LIMITED": status.HTTP_429_TOO_MANY_REQUESTS,
    "SERVICE_UNAVAILABLE": status.HTTP_503_SERVICE_UNAVAILABLE,
    "IDEMPOTENCY_KEY_IN_USE": status.HTTP_409_CONFLICT,
    "IDEMPOTENCY_KEY_REUSED": status.HTTP_422_UNPROCESSABLE_CONTENT,
}
CODE_BY_STATUS = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "LIMIT_EXCEEDED",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class BodyTooLarge(Exception):
    pass


def _limit_body(receive: Any, maximum: int) -> Any:
    """`receive` that stops a request body at `maximum` bytes, however it is sent."""
    received = 0

    async def limited() -> Any:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > maximum:
                raise BodyTooLarge
        return message

    return limited


def _error_body(error: CareGraphError) -> dict[str, Any]:
    return {"errors": [{"message": error.message, "extensions": error.extensions}]}


def _is_request_error(result: ExecutionResult) -> bool:
    """Parse, validation and variable errors stop before execution: no error has a path."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


class CareGraphGraphQL(GraphQL[RequestContext, None]):
    graphql_transport_ws_handler_class = MaskingTransportWSHandler

    def encode_json(self, data: object) -> str:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        build = request.app.state.context_factory
        context: RequestContext = await build(request)
        if isinstance(request, Request):
            context.response = response
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
            data = await super().parse_http_body(request)
        except (AttributeError, TypeError):
            raise HTTPException(400, "the request body must be a JSON object") from None
        except (RecursionError, ValueError):  # nested too deep, a number too long, not JSON
            raise HTTPException(400, "the request body is not JSON this server reads") from None
        if isinstance(data, GraphQLRequestData) and lone_surrogate_in(
            [data.query, data.operation_name, data.extensions]
        ):
            raise HTTPException(400, "the request holds text that is not valid Unicode")
        if isinstance(data, GraphQLRequestData) and data.query is None:
            # A trusted document sent by id (GraphQL over HTTP's `documentId`) travels on as
            # an extension, where the TrustedDocuments extension looks for it.
            if request.method == "GET":
                document_id = request.query_params.get("documentId")
            else:
                body = json.loads(await request.get_body())
                document_id = body.get("documentId")
            if isinstance(document_id, str):
                data.extensions = {**(data.extensions or {}), "documentId": document_id}
        return data

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """One operation, within the time limit, answered once per Idempotency-Key."""
        limit = context.settings.request_timeout.total_seconds()
        try:
            async with asyncio.timeout(limit):
                result = await self._execute_once(
                    request, request_adapter, sub_response, context, request_data
                )
        except TimeoutError:
            timeout = time_limit_exceeded(limit)
            result = ExecutionResult(
                data=None, errors=[GraphQLError(timeout.message, extensions=timeout.extensions)]
            )
        _set_status(result, sub_response)
        return result

    async def _execute_once(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: RequestContext,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        key = request_adapter.headers.get(idempotency.HEADER) or (
            request_data.extensions or {}
        ).get(idempotency.EXTENSION)
        held: idempotency.Claim | None = None
        if (
            key is not None
            and request_adapter.method == "POST"  # a mutation by GET is refused anyway
            and (text := await self._mutation_text(context, request_data))
        ):
            try:
                outcome = await idempotency.claim(
                    context.sessions,
                    idempotency.principal_of(context.caller),
                    idempotency.checked_key(key),
                    idempotency.request_fingerprint(
                        text, request_data.operation_name, request_data.variables
                    ),
                    stale_after=2 * context.settings.request_timeout,
                )
            except Exception as error:
                refusal = as_caller_error(error, "idempotency", time_limit=0)
                result = ExecutionResult(
                    data=None, errors=[GraphQLError(refusal.message, extensions=refusal.extensions)]
                )
                _set_status(result, sub_response)
                return result
            if isinstance(outcome, idempotency.Replay):
                request.state.replayed = outcome.response
                sub_response.headers["Idempotent-Replayed"] = "true"
                if outcome.status_code:
                    sub_response.status_code = outcome.status_code
                return ExecutionResult(data=None, errors=None)
            held = context.idempotency = outcome
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, None, request_data
            )
        except asyncio.CancelledError:  # the time limit: release or close the key, briefly
            if held is not None:
                stopped = time_limit_exceeded(context.settings.request_timeout.total_seconds())
                answer: dict[str, Any] = {
                    "errors": [{"message": stopped.message, "extensions": stopped.extensions}]
                }
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        idempotency.finish(context.sessions, held, answer, None),
                        timeout=CLEANUP_SECONDS,
                    )
            raise
        if result.errors:  # a safety net: an error that escaped an extension is masked here
            limit = context.settings.request_timeout.total_seconds()
            result.errors = [mask(error, time_limit=limit) for error in result.errors]
        _set_status(result, sub_response)
        if held is not None:
            processed = await self.process_result(request, result)
            try:
                await idempotency.finish(
                    context.sessions, held, dict(processed), sub_response.status_code
                )
            except Exception:  # the database went away: the key stays claimed until stale
                logger.warning("could not store the answer of an idempotent request")
        return result

    async def _mutation_text(
        self, context: RequestContext, request_data: GraphQLRequestData
    ) -> str | None:
        """The document text when the request runs a mutation (idempotency keys apply to
        mutations only); None otherwise, or when the document cannot be read (execution will
        say why)."""
        text = request_data.query
        if text is None and (digest := requested_hash(request_data.extensions)):
            try:
                text = await context.documents.body(digest)
            except Exception:
                return None
        if not text:
            return None
        try:
            document = parse(text, no_location=True, max_tokens=context.settings.max_tokens)
        except GraphQLError:
            return None
        operation = get_operation_ast(document, request_data.operation_name)
        if operation is None or operation.operation is not OperationType.MUTATION:
            return None
        return text

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
        replayed = (
            getattr(request.state, "replayed", None) if isinstance(request, Request) else None
        )
        if replayed is not None:
            replay: GraphQLHTTPResponse = replayed
            return replay
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
        if _wants_graphiql(scope) and not scope["app"].state.settings.production:
            # The page is static code with no data; it signs in with the token the user gives
            # it, so it is served before authentication.
            await HTMLResponse(GRAPHIQL_HTML)(scope, receive, send)
            return
        if scope["type"] == "http":
            receive = _limit_body(receive, scope["app"].state.settings.max_body_bytes)
        try:
            await super().__call__(scope, receive, send)
        except BodyTooLarge:
            maximum = scope["app"].state.settings.max_body_bytes
            too_large = LimitExceeded(
                f"the request body is larger than {maximum} bytes",
                limit="bodyBytes",
                maximum=maximum,
            )
            await JSONResponse(_error_body(too_large), status_code=413, media_type=JSON)(
                scope, receive, send
            )
        except CareGraphError as error:  # raised while building the context, e.g. a bad token
            await _audit_refusal(scope, error)
            body = {"errors": [{"message": error.message, "extensions": error.extensions}]}
            status_code = 401 if error.code == "UNAUTHENTICATED" else 400
            response = JSONResponse(body, status_code=status_code, media_type=JSON)
            if scope["type"] == "http":
                await response(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 4401, "reason": error.message})
        except ClientDisconnect:  # the caller gave up while sending: nobody to answer
            return
        except Exception as error:  # e.g. the database went away while signing the caller in
            refusal = as_caller_error(error, "request", time_limit=0)
            if scope["type"] != "http":
                await send({"type": "websocket.close", "code": 1011, "reason": refusal.message})
                return
            code = STATUS_BY_CODE.get(refusal.code, status.HTTP_500_INTERNAL_SERVER_ERROR)
            headers = (
                {"Retry-After": str(refusal.extensions["retryAfter"])}
                if ("retryAfter" in refusal.extensions)
                else None
            )
            await JSONResponse(
                _error_body(refusal), status_code=code, media_type=JSON, headers=headers
            )(scope, receive, send)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry answers a malformed HTTP request in plain text; callers get JSON with a
        code like every other error."""
        try:
            return await super().run(request, context, root_value)
        except HTTPException as error:
            if error.reason == "Unsupported content type":
                error = HTTPException(415, "send application/json (or GET with a query string)")
            code = CODE_BY_STATUS.get(error.status_code, "BAD_REQUEST")
            body = {"errors": [{"message": error.reason, "extensions": {"code": code}}]}
            return JSONResponse(body, status_code=error.status_code, media_type=JSON)


def _set_status(result: ExecutionResult, sub_response: Response) -> None:
    """429, 503, 409 or 422 when the request produced nothing; an answer with data is a 200
    whatever its field errors (a committed mutation must not look like one to retry)."""
    if result.data and any(value is not None for value in result.data.values()):
        return
    for error in result.errors or []:
        code = (error.extensions or {}).get("code")
        if code in STATUS_BY_CODE:
            sub_response.status_code = STATUS_BY_CODE[code]
            if retry_after := (error.extensions or {}).get("retryAfter"):
                sub_response.headers["Retry-After"] = str(retry_after)
            return


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
