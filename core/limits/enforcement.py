"""The schema extension that admits or refuses each operation before it runs.

In order: the parser stops at `max_tokens`; the document is validated; its cost is measured
(`core.limits.request_cost`); the caller's rate limit is charged. Any refusal is a request
error naming the limit, and nothing runs. The response's `extensions.cost` and the
`X-RateLimit-*` headers tell the caller what the request cost and what the window has left.
"""

from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from core.errors import RateLimited
from core.graphql.error_masking import as_caller_error
from core.graphql.storable_text import check_storable
from core.limits.rate_limits import Allowance
from core.limits.request_cost import RequestCost, RequestLimits, measure
from core.settings import Settings

UNMETERED = ("pending", "system")  # not yet signed in (refused anyway), or the platform itself


# Documents this process found valid. Validation costs as much as running a small query, and
# portals send the same few documents all day; the schema does not change while a process runs.
VALID_DOCUMENTS_LIMIT = 2_000


def validated(execution: ExecutionContext) -> list[GraphQLError]:
    """The document's validation errors; a document found valid once against this schema is
    not validated again."""
    assert execution.graphql_document is not None
    schema = execution.schema
    known: set[str] = schema.__dict__.setdefault("valid_documents", set())
    if execution.query and execution.query in known:
        return []
    errors = validate_document(
        schema._schema, execution.graphql_document, execution.validation_rules
    )
    if not errors and execution.query:
        if len(known) >= VALID_DOCUMENTS_LIMIT:
            known.clear()
        known.add(execution.query)
    return errors


def limits_from(settings: Settings) -> RequestLimits:
    return RequestLimits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_nodes=settings.max_nodes,
        max_page_size=settings.max_page_size,
        list_estimate=settings.list_estimate,
        mutation_points=settings.mutation_points,
    )


def rate_limit_headers(allowance: Allowance) -> dict[str, str]:
    headers = {
        "X-RateLimit-Limit": str(allowance.limit),
        "X-RateLimit-Remaining": str(allowance.remaining),
        "X-RateLimit-Used": str(allowance.limit - allowance.remaining),
        "X-RateLimit-Reset": str(int(allowance.reset_at.timestamp())),
    }
    if not allowance.allowed:
        headers["Retry-After"] = str(allowance.retry_after)
    return headers


class EnforceRequestLimits(SchemaExtension):
    cost: RequestCost | None = None
    allowance: Allowance | None = None

    def on_operation(self) -> Iterator[None]:
        settings: Settings = self.execution_context.context.settings
        self.execution_context.parse_options["max_tokens"] = settings.max_tokens
        self.cost = None
        self.allowance = None
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        execution = self.execution_context
        if execution.pre_execution_errors:  # refused already (an untrusted document)
            yield
            return
        assert execution.graphql_document is not None
        errors = validated(execution)
        if not errors:
            try:
                await self._admit()
            except Exception as error:
                settings = execution.context.settings
                refusal = as_caller_error(
                    error, "request admission", time_limit=settings.request_timeout.total_seconds()
                )
                errors = [GraphQLError(refusal.message, extensions=refusal.extensions)]
        # Set even when empty: strawberry then does not validate a second time.
        execution.pre_execution_errors = errors
        yield

    async def _admit(self) -> None:
        execution = self.execution_context
        context = execution.context
        settings: Settings = context.settings
        assert execution.graphql_document is not None
        check_storable(execution.graphql_document, execution.variables, execution.query)
        self.cost = measure(
            execution.schema._schema,
            execution.graphql_document,
            execution.operation_name,
            execution.variables,
            limits_from(settings),
        )
        limiter = getattr(context, "rate_limiter", None)
        caller = context.caller
        if self.cost is None or limiter is None or caller.via in UNMETERED:
            return
        allowance = await limiter.charge(caller.user_id, self.cost.points(settings.mutation_points))
        self.allowance = allowance
        response = getattr(context, "response", None)
        if response is not None and hasattr(response, "headers"):
            response.headers.update(rate_limit_headers(allowance))
            if not allowance.allowed:
                response.status_code = 429
        if not allowance.allowed:
            raise RateLimited(
                f"this request costs {allowance.cost} points and {allowance.remaining} of your "
                f"{allowance.limit} are left in this window; retry after "
                f"{allowance.retry_after} s",
                cost=allowance.cost,
                remaining=allowance.remaining,
                limit=allowance.limit,
                retryAfter=allowance.retry_after,
            )

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        settings: Settings = self.execution_context.context.settings
        cost: dict[str, Any] = {
            "nodes": self.cost.nodes,
            "points": self.cost.points(settings.mutation_points),
        }
        if self.allowance is not None:
            cost |= {
                "limit": self.allowance.limit,
                "remaining": self.allowance.remaining,
                "resetAt": self.allowance.reset_at.isoformat(),
            }
        return {"cost": cost}
