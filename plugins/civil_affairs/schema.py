"""Civil affairs' root fields: recording a census visit and reviewing it."""

from datetime import date

import strawberry

from core.plugin_api import Info, enums, unit_of_work
from plugins.civil_affairs import services
from plugins.civil_affairs.types import CensusVisit


@strawberry.input(description="A census or home visit (摸底排查走访) by a village child director.")
class RecordCensusVisitInput:
    child_id: strawberry.ID
    visited_on: date = strawberry.field(
        description="Day of the visit, not in the future (走访日期)."
    )
    visitor_name: str = strawberry.field(description="Who visited (走访人).")
    met_with: str = strawberry.field(
        description="Whom the visitor met: the child, caregivers, neighbours (走访对象)."
    )
    guardianship_type_observed: enums.GuardianshipType | None = strawberry.field(
        default=None, description="Guardianship type the visitor saw (监护类型)."
    )
    changes_noted: str | None = strawberry.field(
        default=None, description="What had changed since the last visit (变化情况)."
    )


@strawberry.input(description="Review a census visit (审核走访记录), naming the version you read.")
class ReviewCensusVisitInput:
    id: strawberry.ID
    version: int


@strawberry.type
class CensusVisitPayload:
    visit: CensusVisit


@strawberry.type
class CivilAffairsMutation:
    @strawberry.mutation(
        description="Record a census or home visit (记录摸底排查走访). Civil affairs plugin."
    )
    async def record_census_visit(
        self, info: Info, input: RecordCensusVisitInput
    ) -> CensusVisitPayload:
        async with unit_of_work(info) as session:
            row = await services.record_census_visit(
                session,
                info.context.caller,
                child_id=input.child_id,
                visited_on=input.visited_on,
                visitor_name=input.visitor_name,
                met_with=input.met_with,
                guardianship_type_observed=input.guardianship_type_observed,
                changes_noted=input.changes_noted,
            )
        return CensusVisitPayload(visit=CensusVisit.from_row(row))

    @strawberry.mutation(
        description="Review a census visit (审核走访记录): records the caller as reviewer, today. "
        "Civil affairs plugin."
    )
    async def review_census_visit(
        self, info: Info, input: ReviewCensusVisitInput
    ) -> CensusVisitPayload:
        async with unit_of_work(info) as session:
            row = await services.review_census_visit(
                session, info.context.caller, visit_id=input.id, version=input.version
            )
        return CensusVisitPayload(visit=CensusVisit.from_row(row))
