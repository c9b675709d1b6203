"""Civil affairs' GraphQL types, and the `Child.censusVisits` field it adds to the core type."""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from core.plugin_api import (
    Child,
    Info,
    batch_many_per_key,
    batch_one_per_key,
    enums,
    load_nodes,
    or_none,
)
from plugins.civil_affairs.models import CensusVisit as CensusVisitRow


def visits_of_child(info: Info) -> DataLoader[uuid.UUID, list[CensusVisitRow]]:
    return info.context.loader(
        "civil_affairs.census_visits_of_child",
        batch_many_per_key(
            info.context.sessions,
            CensusVisitRow,
            CensusVisitRow.child_id,
            order_by=[CensusVisitRow.visited_on, CensusVisitRow.created_at, CensusVisitRow.id],
        ),
    )


def visit_by_id(info: Info) -> DataLoader[uuid.UUID, CensusVisitRow | None]:
    return info.context.loader(
        "civil_affairs.census_visit",
        batch_one_per_key(info.context.sessions, CensusVisitRow, CensusVisitRow.id),
    )


@strawberry.type(description="Census visit (摸底排查走访)")
class CensusVisit(relay.Node):
    id: relay.NodeID[str]
    visited_on: date = strawberry.field(description="Day of the visit (走访日期).")
    visitor_name: str = strawberry.field(description="Who visited (走访人).")
    met_with: str = strawberry.field(description="Whom the visitor met (走访对象).")
    guardianship_type_observed: enums.GuardianshipType | None = strawberry.field(
        description="Guardianship type the visitor saw (监护类型)."
    )
    changes_noted: str | None = strawberry.field(description="What had changed (变化情况).")
    reviewed_by: str | None = strawberry.field(description="User id of the reviewer (审核人).")
    reviewed_on: date | None = strawberry.field(description="Day of the review (审核日期).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    child_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: CensusVisitRow) -> Self:
        return cls(
            id=str(row.id),
            visited_on=row.visited_on,
            visitor_name=row.visitor_name,
            met_with=row.met_with,
            guardianship_type_observed=row.guardianship_type_observed,
            changes_noted=row.changes_noted,
            reviewed_by=row.reviewed_by,
            reviewed_on=row.reviewed_on,
            version=row.version,
            child_id=row.child_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(visit_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field
    async def child(self, info: Info) -> Child | None:
        return or_none(Child.from_row, await info.context.loaders.child.load(self.child_id))


@strawberry.type
class ChildCivilAffairsFields:
    """Added to the core `Child` type."""

    @strawberry.field(
        description="Census and home visits (摸底排查走访), newest first. Civil affairs plugin."
    )
    async def census_visits(self, info: Info, child: strawberry.Parent[Child]) -> list[CensusVisit]:
        rows = await visits_of_child(info).load(uuid.UUID(child.id))
        return [CensusVisit.from_row(row) for row in reversed(rows)]
