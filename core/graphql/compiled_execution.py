"""The fast path for queries: answering a query without graphql-core's per-field machinery.

graphql-core completes every value of every field on its own: a resolve-info object, a
middleware call, an awaitable check and often a Task per field per row. For a page of 100
children with their guardians and cases that is thousands of steps, and it, not the database,
is where a request's time goes (docs/performance.md).

This executor answers the same query level by level instead. At each level it collects the
selection once, then resolves each field for every object of the level together:

- plain attributes are read directly; resolvers are called exactly as graphql-core would call
  them (same arguments, same resolve info), so every relation still goes through the
  request's DataLoaders, their row scopes and their batching;
- the awaitables of a whole level are awaited together, so sibling relations batch into one
  statement each, as they do on the general path;
- field authorization applies the same checks as the `Authorize` extension
  (`check_root_field`, `check_record_field`, masks), and sensitive reads are recorded the same.

It answers only when it can answer exactly as the general path would. Whatever it does not
handle (mutations, subscriptions, introspection, interfaces and unions, variables that do not
coerce) it leaves to graphql-core from the start, and at the first sign of an error (a field
the caller may not read, a resolver that raises, a null where the schema promises a value) it
gives up and lets graphql-core answer, errors and partial data included. The tests compare
both paths' answers on every benchmark scenario and more (tests/test_compiled_execution.py).

Query resolvers must not change anything (GraphQL queries are reads): after giving up, the
general path calls them again.
"""

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
    get_variable_values,
)
from graphql.pyutils import Path
from graphql.utilities import get_operation_ast
from opentelemetry import trace
from strawberry import relay
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import SchemaExtension
from strawberry.relay import GlobalID
from strawberry.schema.schema import _OperationContextAwareGraphQLResolveInfo
from strawberry.types import Info as StrawberryInfo

from core.authorization.access import FieldAccess
from core.authorization.enforcement import (
    INTROSPECTION_FIELDS,
    check_record_field,
    check_root_field,
    is_checked_record_field,
)
from core.authorization.masking import mask_value
from core.graphql.batching import BatchResolver, batch_resolver_of

logger = logging.getLogger("caregraph.execution")
STRAWBERRY_DEFINITION = "strawberry-definition"
# Scalars whose values of these Python types graphql-core serialises unchanged.
_PLAIN_SCALARS: dict[str, type] = {"String": str, "Boolean": bool}
_NODE_ID = relay.Node._id.__func__
_RESOLVE_ID = relay.Node.resolve_id.__func__  # type: ignore[attr-defined]
_RESOLVE_TYPENAME = relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]


class GiveUp(Exception):
    """The fast path cannot answer exactly as graphql-core would; graphql-core answers."""


@dataclass(frozen=True)
class FieldPlan:
    """How to resolve one response key of one object type, for every object of a level."""

    key: str
    name: str
    definition: GraphQLField | None  # None for __typename
    nodes: tuple[FieldNode, ...]
    strawberry_field: Any
    attribute: str | None  # a plain attribute, read directly (no resolver to call)
    batch: BatchResolver | None  # the resolver's batch form (core.graphql.batching)
    global_id: bool  # relay's `id`, computed as strawberry's Node would
    arguments: dict[str, Any]
    checked: bool  # reading it goes through check_record_field
    # for records every role of the caller sees (no `visible_through`): the decision, when
    # reading the field records nothing (not sensitive) and so needs no call per row
    plain_decision: FieldAccess | None = None


@dataclass
class Entry:
    """One object of a level: its value, the dict its answer goes to, and its path."""

    source: Any
    target: dict[str, Any]
    path: Path | None


@dataclass
class Level:
    """Objects of one type that share one selection, resolved together."""

    object_type: GraphQLObjectType
    selections: list[SelectionSetNode]
    entries: list[Entry]


@dataclass
class Resolution:
    """One field of one level: each entry's value (or awaitable), and which are masked."""

    level: Level
    plan: FieldPlan
    values: list[Any]
    masked: list[bool] | None


class CompiledExecution(SchemaExtension):
    """Answers queries on the fast path when it can, before graphql-core would execute them.
    Listed last among the extensions, so that every check before execution has run."""

    async def on_execute(self) -> Any:
        execution = self.execution_context
        context = execution.context
        settings = getattr(context, "settings", None)
        if (
            settings is not None
            and settings.compiled_execution
            and execution.result is None
            and not execution.pre_execution_errors
            and execution.graphql_document is not None
        ):
            data = await answer(
                execution.schema._schema,  # strawberry keeps graphql-core's schema here
                execution.graphql_document,
                execution.operation_name,
                execution.variables or {},
                context,
                execution.root_value,
            )
            # operators see how many queries take the fast path, on the operation's span
            trace.get_current_span().set_attribute("caregraph.fast_path", data is not None)
            if data is not None:
                execution.result = GraphQLExecutionResult(data=data, errors=None)
            elif hasattr(context, "fresh_loaders"):
                # graphql-core starts as if the fast path had not run: with warm caches its
                # resolvers would finish, and report errors, in another order
                context.fresh_loaders()
        yield


async def answer(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None,
    variables: dict[str, Any],
    context: Any,
    root_value: Any,
) -> dict[str, Any] | None:
    """The query's `data`, or None when graphql-core must answer instead."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    if schema.query_type is None:
        return None
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
    if not isinstance(coerced, VariableValues):
        return None  # graphql-core reports what is wrong with them
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    run = _Run(schema, fragments, operation, coerced, context, root_value)
    data: dict[str, Any] = {}
    root = Level(schema.query_type, [operation.selection_set], [Entry(root_value, data, None)])
    try:
        await run.complete([root])
    except GiveUp:
        return None
    except Exception as error:  # the general path reports it, masked as it should be
        logger.debug("the fast path gave way to graphql-core: %s", type(error).__name__)
        return None
    return data


class _Run:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        operation: OperationDefinitionNode,
        variables: VariableValues,
        context: Any,
        root_value: Any,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.operation = operation
        self.variables = variables
        self.context = context
        self.root_value = root_value
        self.access = getattr(context, "access", None)
        self.enforced = self.access is not None and self.access.enforced
        self.operation_extensions: dict[str, Any] = {}
        self.enum_names: dict[str, dict[Any, str]] = {}
        # awaitables made by resolvers and not yet awaited, to close should the level fail
        self.started: list[Any] = []

    async def complete(self, levels: list[Level]) -> None:
        """Resolve every field of every level, then the levels their objects make, together
        (so that the relations of sibling fields batch into one statement each)."""
        while levels:
            resolutions: list[Resolution] = []
            pending: list[Awaitable[Any]] = []
            # which value each awaitable settles: an index, or None for a batch's whole list
            settle: list[tuple[Resolution, int | None]] = []
            try:
                for level in levels:
                    for plan in self.plan(level):
                        resolution = self.resolve(level, plan)
                        resolutions.append(resolution)
                        if plan.batch is not None and resolution.values:
                            pending.append(self.call_batch(level, plan, resolution.values))
                            settle.append((resolution, None))
                        elif plan.attribute is None and plan.definition is not None:
                            for index, value in enumerate(resolution.values):
                                if optimized_is_awaitable(value):
                                    pending.append(value)
                                    settle.append((resolution, index))
            except BaseException:
                self.discard(self.started)  # resolvers called but never to be awaited
                raise
            self.started.clear()
            if pending:
                # every awaitable runs to its end, even after one fails: none is left behind
                settled: list[Any] = await asyncio.gather(*pending, return_exceptions=True)
                if any(isinstance(value, BaseException) for value in settled):
                    raise GiveUp
                for (resolution, at), value in zip(settle, settled, strict=True):
                    if at is None:
                        if len(value) != len(resolution.values):
                            raise GiveUp
                        resolution.values = list(value)
                    else:
                        resolution.values[at] = value
            next_levels: dict[tuple[int, str], Level] = {}
            for resolution in resolutions:
                self.complete_field(resolution, next_levels)
            levels = list(next_levels.values())

    def resolve(self, level: Level, plan: FieldPlan) -> Resolution:
        """Check and start resolving `plan`'s field on every entry of the level."""
        object_type = level.object_type
        entries = level.entries
        if plan.definition is None:
            return Resolution(level, plan, [object_type.name] * len(entries), None)
        masked: list[bool] | None = None
        if plan.checked:
            decisions = [self.decision(object_type, plan, entry.source) for entry in entries]
            if FieldAccess.MASKED in decisions:
                masked = [decision is FieldAccess.MASKED for decision in decisions]
        if plan.attribute is not None:
            attribute = plan.attribute
            values = [getattr(entry.source, attribute) for entry in entries]
        elif plan.global_id:
            values = [
                GlobalID(
                    object_type.name,
                    str(getattr(entry.source, type(entry.source).resolve_id_attr())),
                )
                for entry in entries
            ]
        elif plan.batch is not None:
            values = [entry.source for entry in entries]  # replaced by the batch's answer
        else:
            assert plan.definition.resolve is not None
            values = []
            for entry in entries:
                value = plan.definition.resolve(
                    entry.source, self.resolve_info(level, plan, entry), **plan.arguments
                )
                if optimized_is_awaitable(value):
                    self.started.append(value)
                values.append(value)
        return Resolution(level, plan, values, masked)

    def decision(self, object_type: GraphQLObjectType, plan: FieldPlan, source: Any) -> FieldAccess:
        decision = plan.plain_decision
        if decision is None or getattr(source, "visible_through", None) is not None:
            decision = check_record_field(self.context, object_type.name, plan.name, source)
        return decision

    def call_batch(self, level: Level, plan: FieldPlan, sources: list[Any]) -> Awaitable[Any]:
        assert plan.batch is not None
        info = StrawberryInfo(
            _raw_info=self.resolve_info(level, plan, level.entries[0]),
            _field=plan.strawberry_field,
        )
        batch = plan.batch(sources, info)
        self.started.append(batch)
        return batch

    def resolve_info(self, level: Level, plan: FieldPlan, entry: Entry) -> Any:
        """The resolve info graphql-core would give the field's resolver."""
        assert plan.definition is not None
        return _OperationContextAwareGraphQLResolveInfo(
            plan.name,
            list(plan.nodes),
            plan.definition.type,
            level.object_type,
            Path(entry.path, plan.key, level.object_type.name),
            self.schema,
            self.fragments,
            self.root_value,
            self.operation,
            self.variables.coerced,
            self.context,
            optimized_is_awaitable,
            None,
            None,
            self.operation_extensions,
        )

    def complete_field(
        self, resolution: Resolution, next_levels: dict[tuple[int, str], Level]
    ) -> None:
        plan = resolution.plan
        entries = resolution.level.entries
        values = resolution.values
        if plan.definition is None:
            for entry, value in zip(entries, values, strict=True):
                entry.target[plan.key] = value
            return
        if resolution.masked is not None:
            values = [
                mask_value(plan.name, value) if masked else value
                for value, masked in zip(values, resolution.masked, strict=True)
            ]
        return_type = plan.definition.type
        type_name = resolution.level.object_type.name
        for entry, value in zip(entries, values, strict=True):
            entry.target[plan.key] = self.complete_value(
                return_type, plan, value, entry, type_name, None, next_levels
            )

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        plan: FieldPlan,
        value: Any,
        parent: Entry,
        type_name: str,
        indices: tuple[int, ...] | None,
        next_levels: dict[tuple[int, str], Level],
    ) -> Any:
        if isinstance(return_type, GraphQLNonNull):
            if value is None:
                raise GiveUp  # graphql-core reports the null and nulls the parent
            return_type = return_type.of_type
        if value is None:
            return None
        if isinstance(return_type, GraphQLScalarType):
            shortcut = _PLAIN_SCALARS.get(return_type.name)
            if shortcut is not None and type(value) is shortcut:
                return value
            return self.serialize(return_type, value)
        if isinstance(return_type, GraphQLEnumType):
            # strawberry's enum serialisation scans the enum's values on every call
            cache = self.enum_names.setdefault(return_type.name, {})
            name = cache.get(value)
            if name is None:
                name = cache[value] = self.serialize(return_type, value)
            return name
        if isinstance(return_type, GraphQLList):
            if isinstance(value, str | bytes | dict) or not hasattr(value, "__iter__"):
                raise GiveUp
            item_type = return_type.of_type
            prefix = indices or ()
            return [
                self.complete_value(
                    item_type, plan, item, parent, type_name, (*prefix, index), next_levels
                )
                for index, item in enumerate(value)
            ]
        if isinstance(return_type, GraphQLObjectType):
            path = Path(parent.path, plan.key, type_name)
            for index in indices or ():
                path = path.add_key(index)
            target: dict[str, Any] = {}
            key = (id(plan), return_type.name)
            level = next_levels.get(key)
            if level is None:
                selections = [node.selection_set for node in plan.nodes if node.selection_set]
                level = next_levels[key] = Level(return_type, selections, [])
            level.entries.append(Entry(value, target, path))
            return target
        raise GiveUp

    def plan(self, level: Level) -> list[FieldPlan]:
        """The level's fields, by response key, and how each is resolved; the root's are
        checked for `execute` here, as the Authorize extension would."""
        object_type = level.object_type
        fields: dict[str, list[FieldNode]] = {}
        for selection_set in level.selections:
            self.collect(object_type, selection_set, fields, set())
        plans = []
        for key, nodes in fields.items():
            name = nodes[0].name.value
            if name == "__typename":
                plans.append(
                    FieldPlan(key, name, None, tuple(nodes), None, None, None, False, {}, False)
                )
                continue
            if name in INTROSPECTION_FIELDS:
                raise GiveUp
            definition = object_type.fields.get(name)
            if definition is None:
                raise GiveUp
            named = definition.type
            while isinstance(named, GraphQLNonNull | GraphQLList):
                named = named.of_type
            if not (is_leaf_type(named) or is_object_type(named)):
                raise GiveUp  # interfaces and unions: graphql-core resolves their types
            arguments = get_argument_values(definition, nodes[0], self.variables)
            if self.enforced and object_type is self.schema.query_type:
                check_root_field(self.context, object_type.name, name, arguments)
            strawberry_field = (definition.extensions or {}).get(STRAWBERRY_DEFINITION)
            attribute = (
                strawberry_field.python_name
                if strawberry_field is not None
                and strawberry_field.is_basic_field
                and getattr(definition.resolve, "_is_default", False)
                else None
            )
            checked = is_checked_record_field(self.access, object_type.name, name)
            plans.append(
                FieldPlan(
                    key=key,
                    name=name,
                    definition=definition,
                    nodes=tuple(nodes),
                    strawberry_field=strawberry_field,
                    attribute=attribute,
                    batch=(
                        batch_resolver_of(strawberry_field.metadata)
                        if strawberry_field is not None
                        and not arguments
                        and not strawberry_field.extensions  # they wrap the resolver itself
                        else None
                    ),
                    global_id=self.is_default_global_id(strawberry_field, level),
                    arguments=arguments,
                    checked=checked,
                    plain_decision=self.plain_decision(object_type.name, name) if checked else None,
                )
            )
        return plans

    @staticmethod
    def is_default_global_id(strawberry_field: Any, level: Level) -> bool:
        """Whether the field is relay's `id` on Nodes that keep strawberry's way of making it
        (`resolve_id` reading the id attribute, the GraphQL type name as the type)."""
        resolver = getattr(strawberry_field, "base_resolver", None)
        if resolver is None or getattr(resolver, "wrapped_func", None) is not _NODE_ID:
            return False
        return all(
            isinstance(entry.source, relay.Node)
            and type(entry.source).resolve_id.__func__ is _RESOLVE_ID  # type: ignore[attr-defined]
            and type(entry.source).resolve_typename.__func__ is _RESOLVE_TYPENAME  # type: ignore[attr-defined]
            for entry in level.entries
        )

    def plain_decision(self, type_name: str, name: str) -> FieldAccess | None:
        if f"{type_name}.{name}" in self.context.access_control.sensitive_fields:
            return None
        assert self.access is not None  # fields are checked only under enforced access
        decision = self.access.field_access(type_name, None).get(name, FieldAccess.NONE)
        return None if decision is FieldAccess.NONE else decision

    def collect(
        self,
        object_type: GraphQLObjectType,
        selection_set: SelectionSetNode,
        fields: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        """The fields of `selection_set` for `object_type`, by response key, in document
        order, following fragments and @skip/@include as graphql-core does."""
        for selection in selection_set.selections:
            if not self.included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self.applies(condition.name.value, object_type):
                    self.collect(object_type, selection.selection_set, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if selection.arguments:
                    raise GiveUp  # fragment arguments (experimental) are graphql-core's
                if name in visited:
                    continue
                visited.add(name)
                fragment = self.fragments.get(name)
                if fragment is None:
                    raise GiveUp
                if self.applies(fragment.type_condition.name.value, object_type):
                    self.collect(object_type, fragment.selection_set, fields, visited)

    def included(self, node: Any) -> bool:
        if not node.directives:
            return True
        for directive in node.directives:
            if directive.name.value not in ("skip", "include"):
                raise GiveUp  # @defer, @stream and others are graphql-core's
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def applies(self, type_name: str, object_type: GraphQLObjectType) -> bool:
        if type_name == object_type.name:
            return True
        condition = self.schema.get_type(type_name)
        if condition is None or is_object_type(condition):
            return False
        return self.schema.is_sub_type(condition, object_type)  # type: ignore[arg-type]

    @staticmethod
    def discard(awaitables: list[Any]) -> None:
        for awaitable in awaitables:
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            elif isinstance(awaitable, asyncio.Future):
                awaitable.cancel()
        awaitables.clear()

    @staticmethod
    def serialize(leaf_type: GraphQLScalarType | GraphQLEnumType, value: Any) -> Any:
        serialized = leaf_type.serialize(value)
        if serialized is Undefined or serialized is None:
            raise GiveUp  # graphql-core reports the value it cannot serialise
        return serialized
