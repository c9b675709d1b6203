"""The women's federation's root fields: recording a family contact."""

from datetime import date

import strawberry

from core.plugin_api import Info, unit_of_work
from plugins.womens_federation import services
from plugins.womens_federation.models import ContactChannel
from plugins.womens_federation.types import FamilyContact


@strawberry.input(description="A contact between a working-away parent and the child (亲情联系).")
class RecordFamilyContactInput:
    child_id: strawberry.ID
    guardian_id: strawberry.ID = strawberry.field(
        description="The parent or guardian; must be linked to the child (监护人)."
    )
    contact_on: date = strawberry.field(description="Day of the contact, not in the future.")
    channel: ContactChannel
    arranged_by_organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The women's or children's home that arranged it (组织单位)."
    )
    minutes: int | None = strawberry.field(default=None, description="How long, 0-600 minutes.")
    note: str | None = None


@strawberry.type
class FamilyContactPayload:
    contact: FamilyContact


@strawberry.type
class WomensFederationMutation:
    @strawberry.mutation(
        description="Record a contact between a working-away parent and the child (记录亲情联系). "
        "Women's federation plugin."
    )
    async def record_family_contact(
        self, info: Info, input: RecordFamilyContactInput
    ) -> FamilyContactPayload:
        async with unit_of_work(info) as session:
            row = await services.record_family_contact(
                session,
                info.context.caller,
                child_id=input.child_id,
                guardian_id=input.guardian_id,
                contact_on=input.contact_on,
                channel=input.channel,
                arranged_by_organization_id=input.arranged_by_organization_id,
                minutes=input.minutes,
                note=input.note,
            )
        return FamilyContactPayload(contact=FamilyContact.from_row(row))
