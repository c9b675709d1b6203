"""Composing the executable schema from the root types that the core and plugins contribute."""

from collections.abc import Sequence

import strawberry
from graphql import GraphQLError
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from core.graphql.error_masking import MaskInternalErrors


class CareGraphSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Strawberry's default logs every error message, and a message may echo a caller's
        input (a child's data). Internal errors are logged, without their message, by
        MaskInternalErrors; the rest are the caller's to read, not the log's."""


def build_schema(
    query_types: Sequence[type],
    mutation_types: Sequence[type] = (),
    subscription_types: Sequence[type] = (),
    types: Sequence[type] = (),
) -> strawberry.Schema:
    query = merge_types("Query", tuple(query_types))
    mutation = merge_types("Mutation", tuple(mutation_types)) if mutation_types else None
    subscription = (
        merge_types("Subscription", tuple(subscription_types)) if subscription_types else None
    )
    return CareGraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(types),
        extensions=[MaskInternalErrors],
    )


def core_schema() -> strawberry.Schema:
    from core.graphql import enums  # noqa: F401  (registers the GraphQL enums)
    from core.graphql.mutations import CoreMutation
    from core.graphql.queries import CoreQuery

    return build_schema([CoreQuery], [CoreMutation])
