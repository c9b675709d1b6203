"""What a request may cost, measured from its document before anything runs.

As GitHub's GraphQL API does, the number of nodes a response may hold is computed from the page
sizes: a connection asked for `first: 50` inside one asked for `first: 100` may return 5,000
nodes. Every connection must say `first` or `last`; a plain list field (a child's guardianships)
counts as `list_estimate` nodes per parent. The walk stops as soon as a limit is passed, so a
document built to explode (fragments spread inside fragments) costs no more to refuse than the
limit itself: every selection the walk visits, scalar fields and fragments included, counts
against `MAX_SELECTIONS`.

Plain lists are estimated, not bounded: a recursive list (a region's subregions) may hold more
than its estimate.
"""

import math
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    value_from_ast_untyped,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from core.errors import LimitExceeded, ValidationFailed

PAGE_ARGUMENTS = ("first", "last")
CONNECTION_PARTS = ("edges", "nodes", "node", "pageInfo")
# The most selections the walk visits for one document, after fragments are expanded: far more
# than any screen asks for, and refused in a few milliseconds.
MAX_SELECTIONS = 20_000
META_FIELDS = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}


@dataclass(frozen=True)
class RequestLimits:
    max_depth: int
    max_aliases: int
    max_nodes: int
    max_page_size: int
    list_estimate: int
    mutation_points: int


@dataclass(frozen=True)
class RequestCost:
    """`nodes`: the most objects the response may hold; `points`: what the request is charged
    against the caller's rate limit (one point per hundred nodes, at least one, plus
    `mutation_points` per mutation field)."""

    nodes: int
    depth: int
    aliases: int
    mutations: int

    def points(self, mutation_points: int) -> int:
        return max(1, math.ceil(self.nodes / 100)) + self.mutations * mutation_points


def _is_connection(named: GraphQLNamedType) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and "edges" in named.fields
        and "pageInfo" in named.fields
    )


def _unwrap(output: GraphQLOutputType) -> tuple[GraphQLNamedType, bool]:
    """The named type under the wrappers, and whether a list is among them."""
    is_list = False
    while isinstance(output, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(output, GraphQLList)
        output = output.of_type
    return output, is_list


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        limits: RequestLimits,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.limits = limits
        self.nodes = 0
        self.depth = 0
        self.aliases = 0
        self.selections = 0
        self.root_fields = 0

    def selection_set(
        self,
        selections: SelectionSetNode,
        parent: GraphQLNamedType,
        multiplier: int,
        depth: int,
        in_connection: bool,
        spread: set[str] | None = None,
    ) -> None:
        # As execution does, a fragment counts once per field's selection, however often and
        # however deep in inline fragments it is spread there: else fragments spreading each
        # other twice would make the walk itself exponential.
        spread = set() if spread is None else spread
        for selection in selections.selections:
            self.selections += 1
            self._check("selections", self.selections, MAX_SELECTIONS)
            if isinstance(selection, FieldNode):
                self.field(selection, parent, multiplier, depth, in_connection)
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                if condition is not None:
                    self.selection_set(
                        selection.selection_set,
                        condition,
                        multiplier,
                        depth,
                        in_connection,
                        spread,
                    )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spread:
                    continue
                spread.add(name)
                condition = self.schema.get_type(fragment.type_condition.name.value)
                if condition is not None:
                    self.selection_set(
                        fragment.selection_set,
                        condition,
                        multiplier,
                        depth,
                        in_connection,
                        spread,
                    )

    def field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType,
        multiplier: int,
        depth: int,
        in_connection: bool,
    ) -> None:
        if depth == 0:
            self.root_fields += 1  # through fragments too: each mutation field is charged
        if node.alias is not None:
            self.aliases += 1
            self._check("aliases", self.aliases, self.limits.max_aliases)
        depth += 1
        self.depth = max(self.depth, depth)
        self._check("depth", depth, self.limits.max_depth)
        definition = self._definition(parent, node.name.value)
        if definition is None or node.selection_set is None:
            return
        named, is_list = _unwrap(definition.type)
        name = node.name.value
        if _is_connection(named):
            multiplier *= self._page_size(node)
            self.nodes += multiplier
            inside_connection = True
        elif in_connection and name in CONNECTION_PARTS:
            inside_connection = name == "edges"  # counted with the connection's page
        else:
            if is_list:
                multiplier *= self.limits.list_estimate
            self.nodes += multiplier
            inside_connection = False
        self._check("nodes", self.nodes, self.limits.max_nodes)
        self.selection_set(node.selection_set, named, multiplier, depth, inside_connection)

    def _definition(self, parent: GraphQLNamedType, name: str) -> GraphQLField | None:
        if name in META_FIELDS:
            return META_FIELDS[name]
        fields: dict[str, GraphQLField] | None = getattr(parent, "fields", None)
        return fields.get(name) if fields else None

    def _page_size(self, node: FieldNode) -> int:
        given: dict[str, Any] = {}
        for argument in node.arguments or ():
            name = argument.name.value
            if name not in PAGE_ARGUMENTS:
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                if value.name.value in self.variables:
                    given[name] = self.variables[value.name.value]
            elif isinstance(value, IntValueNode):
                given[name] = int(value.value)
            else:
                given[name] = value_from_ast_untyped(value)
        sizes = [size for size in given.values() if size is not None]
        maximum = self.limits.max_page_size
        if not sizes:
            raise ValidationFailed(
                f"{node.name.value} is a connection: say how many nodes you want with first "
                f"or last (1 to {maximum})",
                field="first",
                maximum=maximum,
            )
        largest = 0
        for name, size in given.items():
            if size is None:
                continue
            if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= maximum:
                raise ValidationFailed(
                    f"{name} must be between 1 and {maximum}", field=name, maximum=maximum
                )
            largest = max(largest, size)
        return largest

    def _check(self, limit: str, actual: int, maximum: int) -> None:
        if actual > maximum:
            raise LimitExceeded(
                f"the request exceeds the {limit} limit of {maximum}",
                limit=limit,
                maximum=maximum,
                actual=actual,
            )


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name and op.name.value == name), None)


def _variables(operation: OperationDefinitionNode, given: dict[str, Any] | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if given and name in given:
            values[name] = given[name]
        elif definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    return values


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    limits: RequestLimits,
) -> RequestCost | None:
    """The cost of the operation the request runs, or None when the document names no single
    operation (execution then reports that). Raises LimitExceeded or ValidationFailed."""
    operation = _operation(document, operation_name)
    if operation is None:
        return None
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    if root is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments, _variables(operation, variables), limits)
    walk.selection_set(operation.selection_set, root, 1, 0, False)
    mutations = walk.root_fields if operation.operation is OperationType.MUTATION else 0
    return RequestCost(
        nodes=walk.nodes, depth=walk.depth, aliases=walk.aliases, mutations=mutations
    )
