"""The women's federation's GraphQL types, and the `Child.familyContacts` field it adds to the
core type."""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from core.plugin_api import (
    Child,
    Guardian,
    Info,
    Organization,
    batch_many_per_key,
    batch_one_per_key,
    load_nodes,
    or_none,
)
from plugins.womens_federation.models import ContactChannel
from plugins.womens_federation.models import FamilyContact as FamilyContactRow

strawberry.enum(
    ContactChannel,
    description="How the parent and child were in touch (联系方式): phone, video call, WeChat, "
    "QQ, letter or a visit home.",
)


def contacts_of_child(info: Info) -> DataLoader[uuid.UUID, list[FamilyContactRow]]:
    return info.context.loader(
        "womens_federation.family_contacts_of_child",
        batch_many_per_key(
            info.context.sessions,
            FamilyContactRow,
            FamilyContactRow.child_id,
            order_by=[
                FamilyContactRow.contact_on,
                FamilyContactRow.created_at,
                FamilyContactRow.id,
            ],
        ),
    )


def contact_by_id(info: Info) -> DataLoader[uuid.UUID, FamilyContactRow | None]:
    return info.context.loader(
        "womens_federation.family_contact",
        batch_one_per_key(info.context.sessions, FamilyContactRow, FamilyContactRow.id),
    )


@strawberry.type(description="Family contact (亲情联系)")
class FamilyContact(relay.Node):
    id: relay.NodeID[str]
    contact_on: date = strawberry.field(description="Day of the contact (联系日期).")
    channel: ContactChannel
    minutes: int | None = strawberry.field(description="How long, in minutes (通话时长).")
    note: str | None = strawberry.field(description="Note (备注).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    child_id: strawberry.Private[uuid.UUID]
    guardian_id: strawberry.Private[uuid.UUID]
    arranged_by_organization_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: FamilyContactRow) -> Self:
        return cls(
            id=str(row.id),
            contact_on=row.contact_on,
            channel=row.channel,
            minutes=row.minutes,
            note=row.note,
            version=row.version,
            child_id=row.child_id,
            guardian_id=row.guardian_id,
            arranged_by_organization_id=row.arranged_by_organization_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(contact_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field
    async def child(self, info: Info) -> Child | None:
        return or_none(Child.from_row, await info.context.loaders.child.load(self.child_id))

    @strawberry.field(description="The parent or guardian in touch with the child (监护人).")
    async def guardian(self, info: Info) -> Guardian | None:
        return or_none(
            Guardian.from_row, await info.context.loaders.guardian.load(self.guardian_id)
        )

    @strawberry.field(description="Who arranged it: a women's or children's home (组织单位).")
    async def arranged_by(self, info: Info) -> Organization | None:
        if self.arranged_by_organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.arranged_by_organization_id)
        return Organization.from_row(row) if row else None


@strawberry.type
class ChildWomensFederationFields:
    """Added to the core `Child` type."""

    @strawberry.field(
        description="Contacts with working-away parents (亲情联系), newest first. "
        "Women's federation plugin."
    )
    async def family_contacts(
        self, info: Info, child: strawberry.Parent[Child]
    ) -> list[FamilyContact]:
        rows = await contacts_of_child(info).load(uuid.UUID(child.id))
        return [FamilyContact.from_row(row) for row in reversed(rows)]
