"""Education's tables: a pupil's enrolment (学籍)."""

import uuid
from datetime import date, datetime
from enum import Enum

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from core.plugin_api import Base, Versioned, new_id, text_enum


class EnrollmentStatus(Enum):
    ENROLLED = "ENROLLED"
    SUSPENDED = "SUSPENDED"
    TRANSFERRED = "TRANSFERRED"
    DROPPED_OUT = "DROPPED_OUT"


class Enrollment(Versioned, Base):
    """A child's registration at a school in the electronic student-registration system."""

    __tablename__ = "education_enrollments"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), unique=True)
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    student_number: Mapped[str] = mapped_column(String(30), unique=True)
    grade: Mapped[int] = mapped_column(Integer)
    class_name: Mapped[str | None] = mapped_column(String(30))
    boarding: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[EnrollmentStatus] = mapped_column(
        text_enum(EnrollmentStatus), default=EnrollmentStatus.ENROLLED
    )
    enrolled_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
