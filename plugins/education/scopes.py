"""Education's row scope `school`: a teacher sees the pupils enrolled at their school."""

import uuid

from sqlalchemy import ColumnElement, exists, false, select

from core.plugin_api import Caller, models
from plugins.education.models import Enrollment, EnrollmentStatus


def pupils_of_callers_school(caller: Caller) -> ColumnElement[bool]:
    try:
        school = uuid.UUID(caller.organization_id) if caller.organization_id else None
    except ValueError:
        school = None
    if school is None:
        return false()
    return exists(
        select(Enrollment.id).where(
            Enrollment.child_id == models.Child.id,
            Enrollment.school_id == school,
            Enrollment.status != EnrollmentStatus.TRANSFERRED,
        )
    )
