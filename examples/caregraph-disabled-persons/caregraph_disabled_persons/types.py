"""The federation's GraphQL types, and the `Child.rehabilitationServices` field it adds to the
core `Child` type."""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from caregraph_disabled_persons.models import RehabilitationService as Row
from caregraph_disabled_persons.models import RehabilitationServiceKind
from core.plugin_api import (
    Child,
    Info,
    Organization,
    batch_many_per_key,
    batch_one_per_key,
    load_nodes,
    or_none,
)

strawberry.enum(
    RehabilitationServiceKind,
    description="Kind of rehabilitation service (康复服务类型): REHABILITATION_TRAINING 康复训练, "
    "ASSISTIVE_DEVICE 辅助器具, SURGERY_SUBSIDY 手术补贴, HOME_VISIT 上门服务.",
)


def services_of_child(info: Info) -> DataLoader[uuid.UUID, list[Row]]:
    """Every child's services in one statement per batch of children (oldest first)."""
    return info.context.loader(
        "disabled_persons.services_of_child",
        batch_many_per_key(
            info.context.sessions, Row, Row.child_id, order_by=[Row.started_on, Row.id]
        ),
    )


def service_by_id(info: Info) -> DataLoader[uuid.UUID, Row | None]:
    """Services by id, only those about children the request may see."""
    return info.context.loader(
        "disabled_persons.service",
        batch_one_per_key(
            info.context.sessions,
            Row,
            Row.id,
            where=[info.context.visible_children(Row.child_id)],
        ),
    )


@strawberry.type(description="Rehabilitation service (康复服务)")
class RehabilitationService(relay.Node):
    id: relay.NodeID[str]
    service: RehabilitationServiceKind
    started_on: date = strawberry.field(description="First day of the service (开始日期).")
    ended_on: date | None = strawberry.field(
        description="Last day of the service (结束日期); null while it goes on."
    )
    subsidy_yuan: int | None = strawberry.field(description="Subsidy paid, in yuan (补贴金额).")
    note: str | None = strawberry.field(description="Note (备注).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    child_id: strawberry.Private[uuid.UUID]
    provider_organization_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: Row) -> Self:
        return cls(
            id=str(row.id),
            service=row.service,
            started_on=row.started_on,
            ended_on=row.ended_on,
            subsidy_yuan=row.subsidy_yuan,
            note=row.note,
            version=row.version,
            child_id=row.child_id,
            provider_organization_id=row.provider_organization_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(service_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The child served (儿童); null outside what your role may see.")
    async def child(self, info: Info) -> Child | None:
        return or_none(Child.from_row, await info.context.loaders.child.load(self.child_id))

    @strawberry.field(
        description="Who provides it (服务机构): a hospital, welfare institution, "
        "social-work agency or village committee; null when the federation itself does."
    )
    async def provider(self, info: Info) -> Organization | None:
        if self.provider_organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.provider_organization_id)
        return or_none(Organization.from_row, row)


@strawberry.type
class ChildDisabledPersonsFields:
    """Added to the core `Child` type."""

    @strawberry.field(
        description="Rehabilitation services (康复服务), oldest first. Disabled persons' "
        "federation plugin."
    )
    async def rehabilitation_services(
        self, info: Info, child: strawberry.Parent[Child]
    ) -> list[RehabilitationService]:
        rows = await services_of_child(info).load(uuid.UUID(child.id))
        return [RehabilitationService.from_row(row) for row in rows]
