"""Education's GraphQL types, and the `Child.enrollment` field it adds to the core type."""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from core.plugin_api import Child, Info, Organization, batch_one_per_key, load_nodes, or_none
from plugins.education.models import Enrollment as EnrollmentRow
from plugins.education.models import EnrollmentStatus

strawberry.enum(EnrollmentStatus, description="Enrolment status (学籍状态).")


def enrollment_of_child(info: Info) -> DataLoader[uuid.UUID, EnrollmentRow | None]:
    return info.context.loader(
        "education.enrollment_of_child",
        batch_one_per_key(info.context.sessions, EnrollmentRow, EnrollmentRow.child_id),
    )


def enrollment_by_id(info: Info) -> DataLoader[uuid.UUID, EnrollmentRow | None]:
    return info.context.loader(
        "education.enrollment",
        batch_one_per_key(info.context.sessions, EnrollmentRow, EnrollmentRow.id),
    )


@strawberry.type(description="A pupil's enrolment (学籍) in the electronic registration system.")
class Enrollment(relay.Node):
    id: relay.NodeID[str]
    student_number: str = strawberry.field(description="Student registration number (学籍号).")
    grade: int = strawberry.field(description="Grade 1-12 (年级).")
    class_name: str | None = strawberry.field(description="Class (班级).")
    boarding: bool = strawberry.field(description="Boards at school (寄宿).")
    status: EnrollmentStatus
    enrolled_on: date
    version: int
    child_id: strawberry.Private[uuid.UUID]
    school_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: EnrollmentRow) -> Self:
        return cls(
            id=str(row.id),
            student_number=row.student_number,
            grade=row.grade,
            class_name=row.class_name,
            boarding=row.boarding,
            status=row.status,
            enrolled_on=row.enrolled_on,
            version=row.version,
            child_id=row.child_id,
            school_id=row.school_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(enrollment_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The school (学校).")
    async def school(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.school_id)
        return Organization.from_row(row)

    @strawberry.field
    async def child(self, info: Info) -> Child | None:
        return or_none(Child.from_row, await info.context.loaders.child.load(self.child_id))


@strawberry.type
class ChildEducationFields:
    """Added to the core `Child` type."""

    @strawberry.field(description="Current school enrolment (学籍), if any. Education plugin.")
    async def enrollment(self, info: Info, child: strawberry.Parent[Child]) -> Enrollment | None:
        row = await enrollment_of_child(info).load(uuid.UUID(child.id))
        return Enrollment.from_row(row) if row else None
