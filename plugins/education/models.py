"""Education's tables: a pupil's enrolment (学籍), mentoring pairs (结对帮扶) and their notes,
the home-school contact log (家校联系), and children's homes at schools (留守儿童之家) with their
activities and who attended them."""

import uuid
from datetime import date, datetime
from enum import Enum

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, column_property, mapped_column

from core.plugin_api import Base, Versioned, new_id, text_enum

# Stands for "never contacted" where a date must sort (oldest first) and compare in a cursor.
NEVER_CONTACTED = date(1, 1, 1)


class EnrollmentStatus(Enum):
    ENROLLED = "ENROLLED"
    SUSPENDED = "SUSPENDED"
    TRANSFERRED = "TRANSFERRED"
    DROPPED_OUT = "DROPPED_OUT"


class HomeSchoolContactChannel(Enum):
    PHONE = "PHONE"
    QQ = "QQ"
    WECHAT = "WECHAT"
    LETTER = "LETTER"
    VISIT = "VISIT"


class HomeSchoolContactParty(Enum):
    PARENT_AWAY = "PARENT_AWAY"
    CAREGIVER = "CAREGIVER"
    OTHER = "OTHER"


class HomeSchoolContact(Base):
    """One contact between the school and a pupil's family (家校联系): a call, a QQ or WeChat
    message, a letter or a home visit. A log entry: never changed afterwards."""

    __tablename__ = "education_home_school_contacts"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"))
    guardian_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("guardians.id"), index=True)
    channel: Mapped[HomeSchoolContactChannel] = mapped_column(text_enum(HomeSchoolContactChannel))
    with_whom: Mapped[HomeSchoolContactParty] = mapped_column(text_enum(HomeSchoolContactParty))
    contacted_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # the latest contact per child: pupilsNeedingContact and dropoutRisks
        Index("ix_education_home_school_contacts_child_on", "child_id", "contacted_on"),
    )


class Enrollment(Versioned, Base):
    """A child's registration at a school in the electronic student-registration system."""

    __tablename__ = "education_enrollments"
    # a school's pupils in the order of their pages: a page costs its 50 rows, not the school's
    __table_args__ = (
        Index("ix_education_enrollments_school_page", "school_id", "student_number", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), unique=True)
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    student_number: Mapped[str] = mapped_column(String(30), unique=True)
    grade: Mapped[int] = mapped_column(Integer)
    class_name: Mapped[str | None] = mapped_column(String(30))
    boarding: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[EnrollmentStatus] = mapped_column(
        text_enum(EnrollmentStatus), default=EnrollmentStatus.ENROLLED
    )
    enrolled_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    # The pupil's latest home-school contact, NEVER_CONTACTED when none: a correlated subquery,
    # loaded only by the queries that sort or filter on it (undefer).
    last_contact_on: Mapped[date] = column_property(
        select(func.coalesce(func.max(HomeSchoolContact.contacted_on), literal(NEVER_CONTACTED)))
        .where(HomeSchoolContact.child_id == child_id)
        .correlate_except(HomeSchoolContact)
        .scalar_subquery(),
        deferred=True,
    )


class MentoringPair(Versioned, Base):
    """A teacher paired with a pupil to look after them (结对帮扶, 德育导师制)."""

    __tablename__ = "education_mentoring_pairs"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    teacher_name: Mapped[str] = mapped_column(String(100))
    teacher_user_id: Mapped[str | None] = mapped_column(String(100))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    help_agreed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="end_after_start"),
    )


class MentoringNote(Base):
    """A periodic note of the mentor's talk with, or help to, the pupil. Never changed."""

    __tablename__ = "education_mentoring_notes"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    pair_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("education_mentoring_pairs.id"), index=True
    )
    # the pair's child, so that the audit trail and row scopes see whom the note is about
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    noted_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ChildrensHome(Versioned, Base):
    """A children's home at a school (留守儿童之家): a room with books, a phone or video link
    to parents, and activities after class."""

    __tablename__ = "education_childrens_homes"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    facilities: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    opened_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (UniqueConstraint("school_id", "name"),)


class HomeActivity(Base):
    """An activity held at a children's home (留守儿童之家活动). Never changed."""

    __tablename__ = "education_home_activities"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    home_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("education_childrens_homes.id"), index=True
    )
    held_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HomeActivityAttendance(Base):
    """A child who attended an activity (参加活动)."""

    __tablename__ = "education_home_activity_attendances"

    activity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("education_home_activities.id"), primary_key=True
    )
    child_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("children.id"), primary_key=True, index=True
    )
