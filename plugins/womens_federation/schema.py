"""The women's federation's root fields: family contacts; women's and children's homes and their
care services; family-education guidance sessions; surrogate mothers."""

from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy import select

from core.plugin_api import (
    After,
    Before,
    CountedConnection,
    First,
    Info,
    Last,
    PageArguments,
    SortKey,
    ValidationFailed,
    decode_global_id,
    fetch_page,
    region_condition,
    unit_of_work,
)
from plugins.womens_federation import services
from plugins.womens_federation.models import CareHome as CareHomeRow
from plugins.womens_federation.models import CareHomeKind, CareServiceKind, ContactChannel
from plugins.womens_federation.models import GuidanceSession as GuidanceSessionRow
from plugins.womens_federation.scopes import home_in_callers_region
from plugins.womens_federation.types import (
    CareHome,
    CareService,
    FamilyContact,
    GuidanceSession,
    SurrogateMother,
)


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


@strawberry.type(name="CareHomeConnection", description="A page of homes (妇女之家/儿童之家列表).")
class CareHomeConnection(CountedConnection[CareHome]):
    pass


@strawberry.type(
    name="GuidanceSessionConnection",
    description="A page of family-education guidance sessions (家庭教育指导列表).",
)
class GuidanceSessionConnection(CountedConnection[GuidanceSession]):
    pass


@strawberry.input(
    description="Register a women's home or children's home (登记妇女之家/儿童之家): a registered "
    "organisation, or a name and a region."
)
class RegisterCareHomeInput:
    organization_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The organisation the home is; its name and region are the home's by "
        "default (单位).",
    )
    name: str | None = strawberry.field(
        default=None, description="Name, unique in its region; needed without an organisation."
    )
    kind: CareHomeKind
    region_code: str | None = strawberry.field(
        default=None,
        description="Region of the home, inside the caller's region; needed without an "
        "organisation (所在行政区划代码).",
    )


@strawberry.type
class CareHomePayload:
    home: CareHome


@strawberry.input(description="A care service a home gave (关爱服务活动).")
class RecordCareServiceInput:
    home_id: strawberry.ID
    provided_on: date = strawberry.field(
        description="Day of the service, not in the future (服务日期)."
    )
    kind: CareServiceKind
    child_ids: list[strawberry.ID] = strawberry.field(
        description="The children who took part, at least one (参与儿童)."
    )
    description: str | None = strawberry.field(
        default=None, description="What was done (服务内容); needed for kind OTHER."
    )


@strawberry.type
class CareServicePayload:
    service: CareService


@strawberry.input(
    description="A family-education guidance session for parents and caregivers (家庭教育指导)."
)
class RecordGuidanceSessionInput:
    home_id: strawberry.ID
    held_on: date = strawberry.field(description="Day of the session, not in the future.")
    topic: str = strawberry.field(description="Topic (主题).")
    guardian_ids: list[strawberry.ID] = strawberry.field(
        description="The parents and caregivers who attended, each linked to a child (参加人员)."
    )
    note: str | None = None


@strawberry.type
class GuidanceSessionPayload:
    guidance_session: GuidanceSession


@strawberry.input(description="Pair a surrogate mother (代理妈妈) with a child.")
class PairSurrogateMotherInput:
    child_id: strawberry.ID
    name: str = strawberry.field(description="The volunteer's name (姓名).")
    phone: str = strawberry.field(description="The volunteer's phone (联系电话).")
    user_id: str | None = strawberry.field(
        default=None, description="The volunteer's user id, when she uses CareGraph."
    )
    started_on: date = strawberry.field(description="First day, not in the future (结对日期).")


@strawberry.input(description="End a surrogate mother's pairing (解除代理妈妈结对).")
class EndSurrogateMotherPairingInput:
    id: strawberry.ID
    version: int
    ended_on: date = strawberry.field(
        description="Last day, not in the future nor before the start (解除日期)."
    )
    end_reason: str | None = strawberry.field(default=None, description="Why (解除原因).")


@strawberry.type
class SurrogateMotherPayload:
    surrogate_mother: SurrogateMother


@strawberry.type
class WomensFederationQuery:
    @strawberry.field(
        description="Women's homes and children's homes (妇女之家, 儿童之家) in the caller's "
        "region, by name. Women's federation plugin."
    )
    async def care_homes(
        self,
        info: Info,
        region_code: Annotated[
            str | None,
            strawberry.argument(description="Only homes in this region's subtree (辖区)."),
        ] = None,
        kind: list[CareHomeKind] | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> CareHomeConnection:
        statement = select(CareHomeRow).where(home_in_callers_region(info.context.caller))
        if region_code is not None:
            statement = statement.where(
                region_condition(CareHomeRow.region_code, region_code, "regionCode")
            )
        if kind:
            statement = statement.where(CareHomeRow.kind.in_(kind))
        sort = [SortKey(CareHomeRow.name), SortKey(CareHomeRow.id)]
        rows, page_info, count, cursors = await fetch_page(
            info, statement, sort=sort, page=PageArguments(first, after, last, before)
        )
        edges = [
            strawberry.relay.Edge(node=CareHome.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return CareHomeConnection(edges=edges, page_info=page_info, count_statement=count)

    @strawberry.field(
        description="Family-education guidance sessions (家庭教育指导) held at homes in the "
        "caller's region, newest first. Women's federation plugin."
    )
    async def guidance_sessions(
        self,
        info: Info,
        home_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this home's sessions.")
        ] = None,
        region_code: Annotated[
            str | None,
            strawberry.argument(description="Only sessions at homes in this region's subtree."),
        ] = None,
        since: Annotated[
            date | None, strawberry.argument(description="Held on or after this day.")
        ] = None,
        until: Annotated[
            date | None, strawberry.argument(description="Held on or before this day.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> GuidanceSessionConnection:
        homes = select(CareHomeRow.id).where(home_in_callers_region(info.context.caller))
        if region_code is not None:
            homes = homes.where(
                region_condition(CareHomeRow.region_code, region_code, "regionCode")
            )
        statement = select(GuidanceSessionRow).where(GuidanceSessionRow.home_id.in_(homes))
        if home_id is not None:
            home_key = decode_global_id(home_id, "CareHome", field="homeId")
            statement = statement.where(GuidanceSessionRow.home_id == home_key)
        if since is not None and until is not None and until < since:
            raise ValidationFailed("is before since", field="until")
        if since is not None:
            statement = statement.where(GuidanceSessionRow.held_on >= since)
        if until is not None:
            statement = statement.where(GuidanceSessionRow.held_on <= until)
        sort = [SortKey(GuidanceSessionRow.held_on, True), SortKey(GuidanceSessionRow.id, True)]
        rows, page_info, count, cursors = await fetch_page(
            info, statement, sort=sort, page=PageArguments(first, after, last, before)
        )
        edges = [
            strawberry.relay.Edge(node=GuidanceSession.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return GuidanceSessionConnection(edges=edges, page_info=page_info, count_statement=count)


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

    @strawberry.mutation(
        description="Register a women's home or children's home (登记妇女之家/儿童之家) in the "
        "caller's region. Women's federation plugin."
    )
    async def register_care_home(self, info: Info, input: RegisterCareHomeInput) -> CareHomePayload:
        async with unit_of_work(info) as session:
            row = await services.register_care_home(
                session,
                info.context.caller,
                organization_id=input.organization_id,
                name=input.name,
                kind=input.kind,
                region_code=input.region_code,
            )
        return CareHomePayload(home=CareHome.from_row(row))

    @strawberry.mutation(
        description="Record a care service a home gave and the children who took part "
        "(记录关爱服务). Women's federation plugin."
    )
    async def record_care_service(
        self, info: Info, input: RecordCareServiceInput
    ) -> CareServicePayload:
        async with unit_of_work(info) as session:
            row = await services.record_care_service(
                session,
                info.context.caller,
                home_id=input.home_id,
                provided_on=input.provided_on,
                kind=input.kind,
                child_ids=input.child_ids,
                description=input.description,
            )
        return CareServicePayload(service=CareService.from_row(row))

    @strawberry.mutation(
        description="Record a family-education guidance session and who attended "
        "(记录家庭教育指导). Women's federation plugin."
    )
    async def record_guidance_session(
        self, info: Info, input: RecordGuidanceSessionInput
    ) -> GuidanceSessionPayload:
        async with unit_of_work(info) as session:
            row = await services.record_guidance_session(
                session,
                info.context.caller,
                home_id=input.home_id,
                held_on=input.held_on,
                topic=input.topic,
                guardian_ids=input.guardian_ids,
                note=input.note,
            )
        return GuidanceSessionPayload(guidance_session=GuidanceSession.from_row(row))

    @strawberry.mutation(
        description="Pair a surrogate mother (代理妈妈) with a child; a child has one at a time. "
        "Women's federation plugin."
    )
    async def pair_surrogate_mother(
        self, info: Info, input: PairSurrogateMotherInput
    ) -> SurrogateMotherPayload:
        async with unit_of_work(info) as session:
            row = await services.pair_surrogate_mother(
                session,
                info.context.caller,
                child_id=input.child_id,
                name=input.name,
                phone=input.phone,
                user_id=input.user_id,
                started_on=input.started_on,
            )
        return SurrogateMotherPayload(surrogate_mother=SurrogateMother.from_row(row))

    @strawberry.mutation(
        description="End a surrogate mother's pairing (解除代理妈妈结对), naming the version you "
        "read. Women's federation plugin."
    )
    async def end_surrogate_mother_pairing(
        self, info: Info, input: EndSurrogateMotherPairingInput
    ) -> SurrogateMotherPayload:
        async with unit_of_work(info) as session:
            row = await services.end_surrogate_mother_pairing(
                session,
                info.context.caller,
                pairing_id=input.id,
                version=input.version,
                ended_on=input.ended_on,
                end_reason=input.end_reason,
            )
        return SurrogateMotherPayload(surrogate_mother=SurrogateMother.from_row(row))
