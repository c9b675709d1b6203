"""The core's root mutation fields. Each takes one input object and runs in one transaction."""

import strawberry

from core.graphql import inputs
from core.graphql.context import Info
from core.graphql.types import Case, CaseEvent, Child, Guardian, Guardianship
from core.graphql.unit_of_work import unit_of_work
from core.services import cases, children, guardians


@strawberry.type
class ChildPayload:
    child: Child


@strawberry.type
class GuardianPayload:
    guardian: Guardian


@strawberry.type
class GuardianshipPayload:
    guardianship: Guardianship


@strawberry.type
class CasePayload:
    case: Case


@strawberry.type
class CaseEventPayload:
    event: CaseEvent


@strawberry.type
class CoreMutation:
    @strawberry.mutation(description="Register a child (儿童登记).")
    async def register_child(self, info: Info, input: inputs.RegisterChildInput) -> ChildPayload:
        async with unit_of_work(info) as session:
            row = await children.register_child(session, info.context.caller, input)
        return ChildPayload(child=Child.from_row(row))

    @strawberry.mutation(description="Change a child's record, naming the version you read.")
    async def update_child(self, info: Info, input: inputs.UpdateChildInput) -> ChildPayload:
        async with unit_of_work(info) as session:
            row = await children.update_child(session, info.context.caller, input)
        return ChildPayload(child=Child.from_row(row))

    @strawberry.mutation(description="Register a guardian or caregiver (监护人登记).")
    async def register_guardian(
        self, info: Info, input: inputs.RegisterGuardianInput
    ) -> GuardianPayload:
        async with unit_of_work(info) as session:
            row = await guardians.register_guardian(session, info.context.caller, input)
        return GuardianPayload(guardian=Guardian.from_row(row))

    @strawberry.mutation(description="Link a guardian to a child (建立监护关系).")
    async def link_guardian(
        self, info: Info, input: inputs.LinkGuardianInput
    ) -> GuardianshipPayload:
        async with unit_of_work(info) as session:
            row = await guardians.link_guardian(session, info.context.caller, input)
        return GuardianshipPayload(guardianship=Guardianship.from_row(row))

    @strawberry.mutation(description="Change a guardianship: a parent leaves or comes home…")
    async def update_guardianship(
        self, info: Info, input: inputs.UpdateGuardianshipInput
    ) -> GuardianshipPayload:
        async with unit_of_work(info) as session:
            row = await guardians.update_guardianship(session, info.context.caller, input)
        return GuardianshipPayload(guardianship=Guardianship.from_row(row))

    @strawberry.mutation(description="Open a protection case about a child (立案).")
    async def open_case(self, info: Info, input: inputs.OpenCaseInput) -> CasePayload:
        async with unit_of_work(info) as session:
            row = await cases.open_case(session, info.context.caller, input)
        return CasePayload(case=Case.from_row(row))

    @strawberry.mutation(description="Add a note or visit to a case's timeline (记录个案事件).")
    async def add_case_event(self, info: Info, input: inputs.AddCaseEventInput) -> CaseEventPayload:
        async with unit_of_work(info) as session:
            row = await cases.add_case_event(session, info.context.caller, input)
        return CaseEventPayload(event=CaseEvent.from_row(row))
