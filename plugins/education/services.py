"""Education's writes: enrolling a pupil, and following the core's schooling changes."""

import re
import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import ID

from core.plugin_api import (
    Caller,
    Conflict,
    DomainEvent,
    ValidationFailed,
    decode_global_id,
    encode_global_id,
    enums,
    models,
    not_found,
    publish,
    validation,
)
from plugins.education.models import Enrollment, EnrollmentStatus

STUDENT_NUMBER = re.compile(r"^[A-Z0-9]{6,30}$")
CHILD_ENROLLED = "education.child_enrolled"


async def enroll_child(
    session: AsyncSession,
    caller: Caller,
    *,
    child_id: ID,
    school_id: ID,
    student_number: str,
    grade: int,
    class_name: str | None,
    boarding: bool,
    enrolled_on: date,
) -> Enrollment:
    child_key = decode_global_id(child_id, "Child", field="input.childId")
    school_key = decode_global_id(school_id, "Organization", field="input.schoolId")
    await validation.visible_child(session, child_key, "input.childId")
    school = await session.get(models.Organization, school_key)
    if school is None:
        raise not_found("Organization", "input.schoolId")
    if school.kind not in (enums.OrganizationKind.SCHOOL, enums.OrganizationKind.KINDERGARTEN):
        raise ValidationFailed("is not a school or kindergarten", field="input.schoolId")
    number = student_number.strip().upper()
    if not STUDENT_NUMBER.match(number):
        raise ValidationFailed(
            "a student registration number is 6-30 letters and digits", field="input.studentNumber"
        )
    if not 1 <= grade <= 12:
        raise ValidationFailed("grades run from 1 to 12", field="input.grade")
    validation.not_in_future(enrolled_on, "input.enrolledOn")
    existing = await session.scalar(select(Enrollment.id).where(Enrollment.child_id == child_key))
    if existing is not None:
        raise Conflict(
            "the child is already enrolled; update that enrolment instead",
            field="input.childId",
            existingId=encode_global_id("Enrollment", existing),
        )
    taken = await session.scalar(select(Enrollment.id).where(Enrollment.student_number == number))
    if taken is not None:
        raise Conflict(
            "another pupil has this student registration number",
            field="input.studentNumber",
            existingId=encode_global_id("Enrollment", taken),
        )
    enrollment = Enrollment(
        child_id=child_key,
        school_id=school_key,
        student_number=number,
        grade=grade,
        class_name=validation.optional_text(class_name, "input.className", max_length=30),
        boarding=boarding,
        enrolled_on=enrolled_on,
    )
    session.add(enrollment)
    await session.flush()
    await publish(session, DomainEvent(CHILD_ENROLLED, enrollment.id, caller.user_id))
    return enrollment


async def follow_schooling_change(session: AsyncSession, event: DomainEvent) -> None:
    """When the shared record says a child dropped out, the enrolment says so too (控辍保学)."""
    if event.data.get("schooling") != enums.Schooling.DROPPED_OUT.value:
        return
    enrollment = await session.scalar(
        select(Enrollment).where(Enrollment.child_id == uuid.UUID(str(event.record_id)))
    )
    if enrollment is not None and enrollment.status is not EnrollmentStatus.DROPPED_OUT:
        enrollment.status = EnrollmentStatus.DROPPED_OUT
        await session.flush()
