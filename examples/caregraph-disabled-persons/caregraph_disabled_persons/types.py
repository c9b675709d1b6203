"""The plugin's GraphQL types, and the field it adds to the core `Child` type."""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from caregraph_disabled_persons.models import DisabledPersonsRecord as Row
from core.plugin_api import Child, Info, batch_many_per_key, batch_one_per_key, load_nodes


def records_of_child(info: Info) -> DataLoader[uuid.UUID, list[Row]]:
    return info.context.loader(
        "disabled_persons.records_of_child",
        batch_many_per_key(
            info.context.sessions, Row, Row.child_id, order_by=[Row.recorded_on, Row.id]
        ),
    )


def record_by_id(info: Info) -> DataLoader[uuid.UUID, Row | None]:
    return info.context.loader(
        "disabled_persons.record", batch_one_per_key(info.context.sessions, Row, Row.id)
    )


@strawberry.type(description="A Disabled persons record about a child.")
class DisabledPersonsRecord(relay.Node):
    id: relay.NodeID[str]
    recorded_on: date
    note: str
    version: int
    child_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: Row) -> Self:
        return cls(
            id=str(row.id),
            recorded_on=row.recorded_on,
            note=row.note,
            version=row.version,
            child_id=row.child_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(record_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field
    async def child(self, info: Info) -> Child:
        return Child.from_row(await info.context.loaders.child.load(self.child_id))


@strawberry.type
class ChildDisabledPersonsFields:
    """Fields added to the core `Child` type."""

    @strawberry.field(description="Disabled persons records, oldest first.")
    async def disabled_persons_records(
        self, info: Info, child: strawberry.Parent[Child]
    ) -> list[DisabledPersonsRecord]:
        rows = await records_of_child(info).load(uuid.UUID(child.id))
        return [DisabledPersonsRecord.from_row(row) for row in rows]
