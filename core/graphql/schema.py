"""Composing the executable schema from what the core and the enabled plugins contribute.

Root types are merged field by field; fields that plugins add to core types (`type_fields`) are
attached to those types' definitions for this build only, so a schema built without a plugin
has none of its fields. Two contributions of the same field or type name stop the build with a
message naming both. A federation build (`federation=True`) is an Apollo Federation 2 subgraph
(core.graphql.federation).
"""

from collections.abc import Iterable, Mapping, Sequence
from copy import copy

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.base import StrawberryOptional, get_object_definition
from strawberry.types.field import StrawberryField

from core.audit.recorder import AuditReads
from core.authorization.enforcement import Authorize
from core.graphql.compiled_execution import CompiledExecution
from core.graphql.error_masking import MaskInternalErrors
from core.graphql.federation import SubgraphQuery, SubgraphSchema, mark_entities
from core.graphql.read_routing import RouteReads
from core.graphql.scalars import SCALAR_OVERRIDES
from core.limits.enforcement import EnforceRequestLimits
from core.observability import OperationTelemetry
from core.plugin_api import Plugin
from core.trusted_documents import TrustedDocuments


class SchemaConflict(RuntimeError):
    """Two plugins claim the same type or field name."""


class CareGraphSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Strawberry's default logs every error message, and a message may echo a caller's
        input (a child's data). Internal errors are logged, without their message, by
        MaskInternalErrors; the rest are the caller's to read, not the log's."""


class CareGraphSubgraphSchema(CareGraphSchema, SubgraphSchema):
    """The same schema served as an Apollo Federation 2 subgraph."""


_original_fields: dict[type, list[StrawberryField]] = {}


def _graphql_names(cls: type) -> dict[str, StrawberryField]:
    definition = get_object_definition(cls, strict=True)
    return {f.graphql_name or strawberry_camel(f.python_name): f for f in definition.fields}


def strawberry_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _merge_roots(name: str, contributions: Sequence[tuple[str, type]]) -> type | None:
    if not contributions:
        return None
    owner: dict[str, str] = {}
    for plugin_name, root in contributions:
        for field_name in _graphql_names(root):
            if field_name in owner:
                raise SchemaConflict(
                    f"{name}.{field_name} is contributed by both {owner[field_name]!r} "
                    f"and {plugin_name!r}"
                )
            owner[field_name] = plugin_name
    merged: type = merge_types(name, tuple(root for _, root in contributions))
    return merged


def _extend_core_types(plugins: Sequence[Plugin], core_types: Mapping[str, type]) -> None:
    for target in core_types.values():
        definition = get_object_definition(target, strict=True)
        definition.fields = list(_original_fields.setdefault(target, list(definition.fields)))
    owner: dict[tuple[str, str], str] = {}
    for type_name, target in core_types.items():
        for field_name in _graphql_names(target):
            owner[(type_name, field_name)] = "core"
    for plugin in plugins:
        for type_name, extension in plugin.type_fields.items():
            if type_name not in core_types:
                raise SchemaConflict(
                    f"plugin {plugin.name!r} extends {type_name!r}, which is not a core type "
                    f"(extensible: {', '.join(sorted(core_types))})"
                )
            definition = get_object_definition(core_types[type_name], strict=True)
            for field_name, field in _graphql_names(extension).items():
                key = (type_name, field_name)
                if key in owner:
                    raise SchemaConflict(
                        f"{type_name}.{field_name} is contributed by both {owner[key]!r} "
                        f"and {plugin.name!r}"
                    )
                owner[key] = plugin.name
                added = copy(field)
                added.origin = core_types[type_name]
                definition.fields.append(added)


def _record_types() -> list[type]:
    found: list[type] = []
    pending = list(relay.Node.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if get_object_definition(cls) is not None:
            found.append(cls)
    return found


def _make_record_fields_nullable() -> None:
    """Every field of a record except `id` is nullable: the policy may withhold any of them
    from a role, and a withheld field is null with FORBIDDEN at its path while the rest of
    the query answers (a non-null field would null out its whole parent instead)."""
    for cls in _record_types():
        definition = get_object_definition(cls, strict=True)
        for field in definition.fields:
            if field.python_name == "id" or field.graphql_name == "id":
                continue
            field_type = field.type
            if not isinstance(field_type, StrawberryOptional):
                field.type = StrawberryOptional(field_type)


def _check_type_names(plugins: Sequence[Plugin]) -> None:
    owner: dict[str, str] = {}
    for plugin in plugins:
        for cls in plugin.types:
            definition = get_object_definition(cls, strict=False)
            name = definition.name if definition else cls.__name__
            if name in owner:
                raise SchemaConflict(
                    f"type {name!r} is declared by both {owner[name]!r} and {plugin.name!r}"
                )
            owner[name] = plugin.name


def build_schema(
    plugins: Iterable[Plugin], *, authorize: bool = True, federation: bool = False
) -> CareGraphSchema:
    from core.graphql import types as core_types_module

    plugins = list(plugins)
    core_types = {
        cls.__name__: cls
        for cls in (
            core_types_module.Child,
            core_types_module.Guardian,
            core_types_module.Guardianship,
            core_types_module.Case,
            core_types_module.CaseEvent,
            core_types_module.Region,
            core_types_module.Organization,
        )
    }
    _check_type_names(plugins)
    _extend_core_types(plugins, core_types)
    _make_record_fields_nullable()
    mark_entities(federation=federation)
    queries = [(p.name, p.query) for p in plugins if p.query]
    if queries and federation:
        queries.append(("federation", SubgraphQuery))
    query = _merge_roots("Query", queries)
    if query is None:
        raise SchemaConflict("no plugin contributes a Query type")
    mutation = _merge_roots("Mutation", [(p.name, p.mutation) for p in plugins if p.mutation])
    subscription = _merge_roots(
        "Subscription", [(p.name, p.subscription) for p in plugins if p.subscription]
    )
    schema_class = CareGraphSubgraphSchema if federation else CareGraphSchema
    try:
        return schema_class(
            query=query,
            mutation=mutation,
            subscription=subscription,
            types=[t for p in plugins for t in p.types],
            scalar_overrides=SCALAR_OVERRIDES,
            extensions=[
                OperationTelemetry,
                MaskInternalErrors,
                TrustedDocuments,
                EnforceRequestLimits,
                AuditReads,
                *([Authorize] if authorize else []),
                RouteReads,  # before the fast path, which reads through the chosen database
                CompiledExecution,  # last: every check before execution has run
            ],
        )
    except Exception as error:  # strawberry's own duplicate-name checks, made readable
        raise SchemaConflict(f"the plugins' types do not fit together: {error}") from error


def schema_for(setting: str | None = None, *, federation: bool = False) -> CareGraphSchema:
    """The schema of the core and the plugins enabled by CAREGRAPH_PLUGINS (or `setting`)."""
    from core.plugin_registry import enabled_plugins

    return build_schema(enabled_plugins(setting), federation=federation)


def contributed_fields(plugin: Plugin) -> list[str]:
    """`Type.field` for every field the plugin adds to the root types and to core types."""
    fields = []
    for root_name, root in (
        ("Query", plugin.query),
        ("Mutation", plugin.mutation),
        ("Subscription", plugin.subscription),
    ):
        if root is not None:
            fields += [f"{root_name}.{name}" for name in _graphql_names(root)]
    for type_name, extension in plugin.type_fields.items():
        fields += [f"{type_name}.{name}" for name in _graphql_names(extension)]
    return fields
