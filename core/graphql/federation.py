"""CareGraph as an Apollo Federation 2 subgraph (docs/federation.md, CAREGRAPH_FEDERATION).

`Child`, `Guardian`, `Case` and `Organization` are entities keyed by their global `id`. A
gateway fetches them by reference through `Query._entities`, which loads each record through
the request's DataLoaders as `node(id:)` does: under the caller's row scope (a record outside it
is null, exactly like one that does not exist) and, field by field, under the caller's policy
(the Authorize extension treats an entity like any other record). `Query._service { sdl }` is
the subgraph SDL a gateway composes.

The core types are shared by every schema built in a process (tests build several), so the
`@key` directives are set anew for each build, as `schema._extend_core_types` does for fields.
"""

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import strawberry
from strawberry.federation import Schema as FederationSchema
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types.base import get_object_definition
from strawberry.types.unset import UNSET

from core.errors import ValidationFailed
from core.graphql.context import Info
from core.graphql.global_ids import decode_global_id
from core.graphql.types import Case, Child, Guardian, Organization, RecordNode

ENTITIES: Mapping[str, type[RecordNode]] = {
    cls.__name__: cls for cls in (Case, Child, Guardian, Organization)
}
# `resolvable` left unset so the SDL reads `@key(fields: "id")`, true being the default anyway
KEY = Key(fields=FieldSet("id"), resolvable=UNSET)

_original_directives: dict[type, list[object]] = {}

Entity = Annotated[Case | Child | Guardian | Organization, strawberry.union("_Entity")]


def mark_entities(*, federation: bool) -> None:
    """`@key(fields: "id")` on the entity types for a federation build; none for another."""
    for cls in ENTITIES.values():
        definition = get_object_definition(cls, strict=True)
        original = _original_directives.setdefault(cls, list(definition.directives or ()))
        definition.directives = [*original, KEY] if federation else list(original)


def _reference(representation: object, index: int) -> tuple[type[RecordNode], uuid.UUID]:
    """The entity type and primary key a representation names; VALIDATION_FAILED (naming
    where, never echoing the value) for one no CareGraph record could answer."""
    where = f"representations.{index}"
    if not isinstance(representation, dict):
        raise ValidationFailed("is not an entity representation", field=where)
    type_name = representation.get("__typename")
    entity = ENTITIES.get(type_name) if isinstance(type_name, str) else None
    if entity is None:
        raise ValidationFailed(
            f"is not an entity of this subgraph ({', '.join(ENTITIES)})",
            field=f"{where}.__typename",
        )
    node_id = representation.get("id")
    if not isinstance(node_id, str):
        raise ValidationFailed(f"is not the ID of a {entity.__name__}", field=f"{where}.id")
    # A well-formed ID of another type is refused here, before any lookup, as `child(id:)`
    # refuses it: a gateway that sends one has a bug to see, and the check reveals nothing.
    return entity, decode_global_id(node_id, entity.__name__, field=f"{where}.id")


async def resolve_references(info: Info, representations: Sequence[object]) -> list[Any]:
    """Each representation's record, in order: None for one that does not exist or that the
    caller's scope excludes (the same answer: no existence leak), a ValidationFailed (null
    with the error at its index) for one that is not a CareGraph reference. References to one
    type load together, through the loaders that apply the request's row scope."""
    results: list[Any] = [None] * len(representations)
    wanted: dict[type[RecordNode], list[tuple[int, uuid.UUID]]] = {}
    for index, representation in enumerate(representations):
        try:
            entity, key = _reference(representation, index)
        except ValidationFailed as refusal:
            results[index] = refusal
            continue
        wanted.setdefault(entity, []).append((index, key))
    loaded = await asyncio.gather(
        *(
            entity.resolve_nodes(info=info, node_ids=[str(key) for _, key in references])
            for entity, references in wanted.items()
        )
    )
    for references, records in zip(wanted.values(), loaded, strict=True):
        for (index, _), record in zip(references, records, strict=True):
            results[index] = record
    return results


@strawberry.type(name="_Service")
class Service:
    sdl: str


@strawberry.type
class SubgraphQuery:
    """Federation's root fields, defined here rather than left to strawberry so that
    references resolve through CareGraph's loaders and the SDL is the one printed at build."""

    @strawberry.field(name="_entities")
    async def subgraph_entities(
        self, info: Info, representations: list[FederationAny]
    ) -> list[Entity | None]:
        return await resolve_references(info, representations)

    @strawberry.field(name="_service")
    def subgraph_service(self, info: Info) -> Service:
        return Service(sdl=served_sdl(info.schema))


class SubgraphSchema(FederationSchema):
    """A federation schema that prints its SDL once, when built: printing reads the types'
    directives, which a later build in the same process sets anew."""

    subgraph_sdl: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subgraph_sdl = self.as_str()


def served_sdl(schema: strawberry.Schema) -> str:
    """What `_service { sdl }` answers for `schema` (a federation build)."""
    if not isinstance(schema, SubgraphSchema):
        raise TypeError("the schema was not built with federation=True")
    return schema.subgraph_sdl
