"""Errors leave the server either as a CareGraphError the caller can act on, or masked.

An unexpected exception's message may quote SQL or a child's data, so the caller gets a generic
message with an error id; the log gets the id, the exception type and the stack, never the
message. Request errors (syntax, validation, variable coercion) get a code too.
"""

import logging
import re
import traceback
import uuid
from collections.abc import Iterator

import asyncpg
from graphql import GraphQLError
from sqlalchemy import exc as sa_exc
from strawberry.extensions import SchemaExtension

from core.errors import CareGraphError, LimitExceeded, ServiceUnavailable, ValidationFailed
from core.graphql.variable_paths import argument_paths, input_path

logger = logging.getLogger("caregraph.errors")


# Failures that mean "the database is away (or restarting)", not "this request is wrong": the
# caller may retry the same request once it is back.
UNAVAILABLE = (
    OSError,  # refused or reset connections; TimeoutError (connecting) is one too
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
    sa_exc.TimeoutError,  # no pooled connection came free in time
)
RETRY_AFTER_SECONDS = 2
TOKEN_LIMIT = re.compile(r"Document contains more than (\d+) tokens")


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__, getattr(current, "orig", None)]


def database_unavailable(error: BaseException) -> bool:
    for cause in _causes(error):
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, UNAVAILABLE):
            return True
    return False


def statement_cancelled(error: BaseException) -> bool:
    """The database cancelled a statement that ran past the request time limit."""
    return any(isinstance(cause, asyncpg.QueryCanceledError) for cause in _causes(error))


def unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "the database is unavailable; nothing was written by what failed, retry shortly",
        retryable=True,
        retryAfter=RETRY_AFTER_SECONDS,
    )


def time_limit_exceeded(maximum_seconds: float) -> LimitExceeded:
    return LimitExceeded(
        f"the request ran longer than the time limit of {maximum_seconds:g} s and was stopped",
        limit="time",
        maximum=maximum_seconds,
    )


def log_internal(error: BaseException, where: str) -> str:
    """Log an unexpected exception without its message (it may quote a child's data or SQL);
    returns the id the caller is given."""
    error_id = uuid.uuid4().hex[:12]
    stack = "".join(traceback.format_tb(error.__traceback__))
    logger.error("internal error %s at %s: %s\n%s", error_id, where, type(error).__name__, stack)
    return error_id


def as_caller_error(error: BaseException, where: str, *, time_limit: float) -> CareGraphError:
    """What the caller is told about an exception: itself when it is addressed to them, a
    retryable SERVICE_UNAVAILABLE when the database is away, LIMIT_EXCEEDED when the database
    cancelled a statement at the time limit, otherwise an error id."""
    if isinstance(error, CareGraphError):
        return error
    if statement_cancelled(error):
        return time_limit_exceeded(time_limit)
    if database_unavailable(error):
        return unavailable()
    if isinstance(error, RecursionError):
        return ValidationFailed("an input nests too deeply")
    if any(isinstance(cause, asyncpg.DataError) for cause in _causes(error)):
        # e.g. a date beyond what PostgreSQL stores: the input's fault, said without its value
        return ValidationFailed("a value is outside what can be stored (a date, a number)")
    error_id = log_internal(error, where)
    internal = CareGraphError(f"Internal error (error id {error_id}). It has been logged.")
    internal.extensions["errorId"] = error_id
    return internal


# graphql-core's messages for variable values (bad input), as opposed to a document that uses
# its variables wrongly (an invalid document).
BAD_VARIABLE_VALUE = re.compile(
    r"^Variable '\$(?P<name>\w+)' (?:(?:got|has) invalid value"
    r"|of required type .* was not provided|of non-null type .* must not be null)"
)
VALUE_PATH = re.compile(
    r"invalid value(?: .*?)? at (?:'(?P<quoted>[^']+)'|(?P<dotted>[.\[][^:;]*))"
)


def request_error_code(error: GraphQLError) -> str:
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if BAD_VARIABLE_VALUE.match(error.message) or "got invalid value" in error.message:
        return "VALIDATION_FAILED"
    return "GRAPHQL_VALIDATION_FAILED"


def _bad_variable_field(error: GraphQLError) -> str | None:
    """The input a variable-coercion error is about: `input.alertId`, or the variable."""
    match = BAD_VARIABLE_VALUE.match(error.message)
    if match is None:
        return None
    path = VALUE_PATH.search(error.message)
    if path is None:
        return match.group("name")
    if path.group("quoted"):
        return path.group("quoted")
    dotted = path.group("dotted").replace("[", ".").replace("]", "")
    return match.group("name") + dotted


def _request_error(error: GraphQLError, variable_paths: dict[str, str]) -> GraphQLError:
    """A parse, validation or coercion error, with its code; the parser's token limit is
    reported as the limit it is."""
    if error.extensions and "code" in error.extensions:
        return error
    if match := TOKEN_LIMIT.search(error.message):
        maximum = int(match.group(1))
        refusal = LimitExceeded(
            f"the document has more than {maximum} tokens", limit="tokens", maximum=maximum
        )
        return GraphQLError(refusal.message, extensions=refusal.extensions)
    code = request_error_code(error)
    extensions: dict[str, object] = {**(error.extensions or {}), "code": code}
    if code == "VALIDATION_FAILED" and (field := _bad_variable_field(error)):
        extensions["field"] = input_path(field, variable_paths)
    error.extensions = extensions
    return error


def mask(
    error: GraphQLError, *, time_limit: float, variable_paths: dict[str, str] | None = None
) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        # raised by the GraphQL layer itself: safe to show
        return _request_error(error, variable_paths or {})
    if isinstance(original, CareGraphError):
        return error
    refusal = as_caller_error(
        original, ".".join(str(p) for p in error.path or []), time_limit=time_limit
    )
    return GraphQLError(
        refusal.message, nodes=error.nodes, path=error.path, extensions=refusal.extensions
    )


class MaskInternalErrors(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            time_limit = self.execution_context.context.settings.request_timeout.total_seconds()
            paths = argument_paths(self.execution_context.graphql_document)
            result.errors = [
                mask(error, time_limit=time_limit, variable_paths=paths) for error in result.errors
            ]
