"""Errors leave the server either as a CareGraphError the caller can act on, or masked.

An unexpected exception's message may quote SQL or a child's data, so the caller gets a generic
message with an error id; the log gets the id, the exception type and the stack, never the
message. Request errors (syntax, validation, variable coercion) get a code too.
"""

import logging
import traceback
import uuid
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from core.errors import CareGraphError

logger = logging.getLogger("caregraph.errors")


def request_error_code(error: GraphQLError) -> str:
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$") or "got invalid value" in error.message:
        return "VALIDATION_FAILED"
    return "GRAPHQL_VALIDATION_FAILED"


def mask(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None:
        if error.extensions and "code" in error.extensions:
            return error
        error.extensions = {**(error.extensions or {}), "code": request_error_code(error)}
        return error
    if isinstance(original, CareGraphError):
        return error
    if isinstance(original, GraphQLError):  # raised by the GraphQL layer itself: safe to show
        error.extensions = {**(error.extensions or {}), "code": request_error_code(error)}
        return error
    error_id = uuid.uuid4().hex[:12]
    stack = "".join(traceback.format_tb(original.__traceback__))
    logger.error(
        "internal error %s at %s: %s\n%s",
        error_id,
        ".".join(str(p) for p in error.path or []),
        type(original).__name__,
        stack,
    )
    return GraphQLError(
        f"Internal error (error id {error_id}). It has been logged.",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    )


class MaskInternalErrors(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [mask(error) for error in result.errors]
