"""The federation's root fields: the list of rehabilitation services and adding one, in one
transaction."""

from datetime import date

import strawberry
from sqlalchemy import select

from caregraph_disabled_persons import services
from caregraph_disabled_persons.models import RehabilitationService as Row
from caregraph_disabled_persons.models import RehabilitationServiceKind
from caregraph_disabled_persons.types import RehabilitationService
from core.plugin_api import (
    After,
    Before,
    CountedConnection,
    First,
    Info,
    Last,
    PageArguments,
    SortKey,
    fetch_page,
    unit_of_work,
)


@strawberry.type(description="A page of rehabilitation services (康复服务列表).")
class RehabilitationServiceConnection(CountedConnection[RehabilitationService]):
    pass


@strawberry.input(description="A rehabilitation service for a disabled child (添加康复服务).")
class AddRehabilitationServiceInput:
    child_id: strawberry.ID = strawberry.field(
        description="The child; must be recorded with health DISABLED."
    )
    service: RehabilitationServiceKind
    provider_organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Who provides it (服务机构), if not the federation itself."
    )
    started_on: date = strawberry.field(description="First day, not in the future.")
    ended_on: date | None = strawberry.field(
        default=None, description="Last day, not before startedOn nor in the future."
    )
    subsidy_yuan: int | None = strawberry.field(
        default=None, description="Subsidy paid, in yuan (补贴金额); not negative."
    )
    note: str | None = None


@strawberry.type
class AddRehabilitationServicePayload:
    rehabilitation_service: RehabilitationService


@strawberry.type
class DisabledPersonsQuery:
    @strawberry.field(
        description="Rehabilitation services (康复服务), newest first. Disabled persons' "
        "federation plugin."
    )
    async def rehabilitation_services(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> RehabilitationServiceConnection:
        statement = select(Row).where(info.context.visible_children(Row.child_id))
        sort = [SortKey(Row.started_on, True), SortKey(Row.id, True)]
        rows, page_info, count, cursors = await fetch_page(
            info, statement, sort=sort, page=PageArguments(first, after, last, before)
        )
        edges = [
            strawberry.relay.Edge(node=RehabilitationService.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return RehabilitationServiceConnection(
            edges=edges, page_info=page_info, count_statement=count
        )


@strawberry.type
class DisabledPersonsMutation:
    @strawberry.mutation(
        description="Add a rehabilitation service for a disabled child (添加康复服务). "
        "Disabled persons' federation plugin."
    )
    async def add_rehabilitation_service(
        self, info: Info, input: AddRehabilitationServiceInput
    ) -> AddRehabilitationServicePayload:
        async with unit_of_work(info) as session:
            row = await services.add_rehabilitation_service(
                session,
                info.context.caller,
                child_id=input.child_id,
                service=input.service,
                provider_organization_id=input.provider_organization_id,
                started_on=input.started_on,
                ended_on=input.ended_on,
                subsidy_yuan=input.subsidy_yuan,
                note=input.note,
            )
        return AddRehabilitationServicePayload(
            rehabilitation_service=RehabilitationService.from_row(row)
        )
