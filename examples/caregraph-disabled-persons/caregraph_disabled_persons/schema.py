"""The plugin's root fields: a list query and a mutation, each in one transaction."""

import datetime

import strawberry
from sqlalchemy import select

from caregraph_disabled_persons.models import DisabledPersonsRecord as Row
from caregraph_disabled_persons.types import DisabledPersonsRecord
from core.plugin_api import (
    CountedConnection,
    Info,
    PageArguments,
    SortKey,
    decode_global_id,
    fetch_page,
    models,
    not_found,
    unit_of_work,
    validation,
)


@strawberry.type(description="A page of Disabled persons records.")
class DisabledPersonsRecordConnection(CountedConnection[DisabledPersonsRecord]):
    pass


@strawberry.input(description="Record a Disabled persons note about a child.")
class AddDisabledPersonsRecordInput:
    child_id: strawberry.ID
    note: str
    recorded_on: datetime.date


@strawberry.type
class AddDisabledPersonsRecordPayload:
    record: DisabledPersonsRecord


@strawberry.type
class DisabledPersonsQuery:
    @strawberry.field(description="Disabled persons records, newest first.")
    async def disabled_persons_records(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> DisabledPersonsRecordConnection:
        sort = [SortKey(Row.recorded_on, True), SortKey(Row.id, True)]
        rows, page_info, count, cursors = await fetch_page(
            info, select(Row), sort=sort, page=PageArguments(first, after, last, before)
        )
        edges = [
            strawberry.relay.Edge(node=DisabledPersonsRecord.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return DisabledPersonsRecordConnection(
            edges=edges, page_info=page_info, count_statement=count
        )


@strawberry.type
class DisabledPersonsMutation:
    @strawberry.mutation(description="Record a Disabled persons note about a child.")
    async def add_disabled_persons_record(
        self, info: Info, input: AddDisabledPersonsRecordInput
    ) -> AddDisabledPersonsRecordPayload:
        child_key = decode_global_id(input.child_id, "Child", field="input.childId")
        note = validation.required_text(input.note, "input.note", max_length=4000)
        validation.not_in_future(input.recorded_on, "input.recordedOn")
        async with unit_of_work(info) as session:
            if await session.get(models.Child, child_key) is None:
                raise not_found("Child", "input.childId")
            row = Row(child_id=child_key, note=note, recorded_on=input.recorded_on)
            session.add(row)
            await session.flush()
        return AddDisabledPersonsRecordPayload(record=DisabledPersonsRecord.from_row(row))
