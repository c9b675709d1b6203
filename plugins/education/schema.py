"""Education's root fields: enrolments by school, and enrolling a pupil."""

from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy import select

from core.plugin_api import (
    CountedConnection,
    Info,
    PageArguments,
    SortKey,
    decode_global_id,
    fetch_page,
    unit_of_work,
)
from plugins.education import services
from plugins.education.models import Enrollment as EnrollmentRow
from plugins.education.models import EnrollmentStatus
from plugins.education.types import Enrollment


@strawberry.type(name="EnrollmentConnection", description="A page of enrolments (学籍列表).")
class EnrollmentConnection(CountedConnection[Enrollment]):
    pass


@strawberry.input(description="Enrol a child at a school (学籍登记).")
class EnrollChildInput:
    child_id: strawberry.ID
    school_id: strawberry.ID
    student_number: str = strawberry.field(description="学籍号.")
    grade: int
    class_name: str | None = None
    boarding: bool = False
    enrolled_on: date


@strawberry.type
class EnrollmentPayload:
    enrollment: Enrollment


@strawberry.type
class EducationQuery:
    @strawberry.field(description="Enrolments (学籍), by school and status. Education plugin.")
    async def enrollments(
        self,
        info: Info,
        school_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this school's pupils.")
        ] = None,
        status: list[EnrollmentStatus] | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> EnrollmentConnection:
        statement = select(EnrollmentRow).where(
            info.context.visible_children(EnrollmentRow.child_id)
        )
        if school_id is not None:
            school_key = decode_global_id(school_id, "Organization", field="schoolId")
            statement = statement.where(EnrollmentRow.school_id == school_key)
        if status:
            statement = statement.where(EnrollmentRow.status.in_(status))
        sort = [SortKey(EnrollmentRow.student_number), SortKey(EnrollmentRow.id)]
        rows, page_info, count, cursors = await fetch_page(
            info, statement, sort=sort, page=PageArguments(first, after, last, before)
        )
        edges = [
            strawberry.relay.Edge(node=Enrollment.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return EnrollmentConnection(edges=edges, page_info=page_info, count_statement=count)


@strawberry.type
class EducationMutation:
    @strawberry.mutation(description="Enrol a child at a school (学籍登记). Education plugin.")
    async def enroll_child(self, info: Info, input: EnrollChildInput) -> EnrollmentPayload:
        async with unit_of_work(info) as session:
            row = await services.enroll_child(
                session,
                info.context.caller,
                child_id=input.child_id,
                school_id=input.school_id,
                student_number=input.student_number,
                grade=input.grade,
                class_name=input.class_name,
                boarding=input.boarding,
                enrolled_on=input.enrolled_on,
            )
        return EnrollmentPayload(enrollment=Enrollment.from_row(row))
