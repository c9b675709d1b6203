"""Civil affairs' tables: census and home visits (摸底排查, 走访) by village child directors,
enrolments in social assistance (社会救助), and the service projects it funds (童伴计划, 童村同在,
social-work projects) with the services they give each child."""

import uuid
from datetime import date, datetime
from enum import Enum

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from core.plugin_api import Base, Versioned, enums, new_id, text_enum


class AssistanceEnrollmentStatus(Enum):
    """Where an enrolment in social assistance stands."""

    APPLIED = "APPLIED"
    APPROVED = "APPROVED"
    SUSPENDED = "SUSPENDED"
    ENDED = "ENDED"


class ServiceProjectKind(Enum):
    CHILD_COMPANION = "CHILD_COMPANION"  # 童伴计划
    VILLAGE_CHILD = "VILLAGE_CHILD"  # 童村同在
    SOCIAL_WORK = "SOCIAL_WORK"  # 社会工作服务项目
    OTHER = "OTHER"


class ProjectServiceKind(Enum):
    TUTORING = "TUTORING"  # 阳光助教
    COUNSELLING = "COUNSELLING"  # 心理疏导
    LETTER_FROM_HOME = "LETTER_FROM_HOME"  # 爱心家书
    SURROGATE_PARENT = "SURROGATE_PARENT"  # 代理家长
    OTHER = "OTHER"


class CensusVisit(Versioned, Base):
    """One visit to a child's home: whom the director met, the guardianship they saw, what had
    changed; entered by one user and reviewed afterwards by another, the township supervisor
    (儿童督导员), as on the national census form (填报人 / 审核人)."""

    __tablename__ = "civil_affairs_census_visits"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    visitor_name: Mapped[str] = mapped_column(String(100))
    met_with: Mapped[str] = mapped_column(Text)
    guardianship_type_observed: Mapped[enums.GuardianshipType | None] = mapped_column(
        text_enum(enums.GuardianshipType)
    )
    changes_noted: Mapped[str | None] = mapped_column(Text)
    # User id of whoever entered the visit; null for visits entered before it was recorded.
    entered_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_by: Mapped[str | None] = mapped_column(Text)
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # the supervisors' queue: visits not yet reviewed
        Index(
            "ix_civil_affairs_census_visits_awaiting_review",
            "visited_on",
            "id",
            postgresql_where=text("reviewed_on IS NULL"),
        ),
    )


class AssistanceEnrollment(Versioned, Base):
    """A child's (family's) enrolment in one kind of social assistance: 低保, 特困供养, 临时救助 or
    the allowance for children without de-facto caregivers (事实无人抚养儿童基本生活补贴).
    Amounts are whole yuan: monthly, or once for temporary assistance."""

    __tablename__ = "civil_affairs_assistance_enrollments"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    kind: Mapped[enums.AssistanceKind] = mapped_column(text_enum(enums.AssistanceKind))
    status: Mapped[AssistanceEnrollmentStatus] = mapped_column(
        text_enum(AssistanceEnrollmentStatus), default=AssistanceEnrollmentStatus.APPLIED
    )
    monthly_amount: Mapped[int | None] = mapped_column(Integer)
    one_off_amount: Mapped[int | None] = mapped_column(Integer)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    approving_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    entered_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("monthly_amount >= 0", name="monthly_not_negative"),
        CheckConstraint("one_off_amount >= 0", name="one_off_not_negative"),
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="ends_after_start"),
        # one running enrolment per child and kind; temporary assistance may be granted again
        Index(
            "uq_civil_affairs_assistance_enrollments_running",
            "child_id",
            "kind",
            unique=True,
            postgresql_where=text("status <> 'ENDED' AND kind <> 'TEMPORARY_ASSISTANCE'"),
        ),
    )


class ServiceProject(Versioned, Base):
    """A care project civil affairs funds or coordinates in some villages: 童伴计划, 童村同在,
    a social-work service project."""

    __tablename__ = "civil_affairs_service_projects"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ServiceProjectKind] = mapped_column(text_enum(ServiceProjectKind))
    funder: Mapped[str] = mapped_column(String(200))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    entered_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="ends_after_start"),
        Index("ix_civil_affairs_service_projects_start_id", "start_on", "id"),
    )


class ServiceProjectVillage(Base):
    """A village (12-digit region code) a service project covers."""

    __tablename__ = "civil_affairs_service_project_villages"

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("civil_affairs_service_projects.id"), primary_key=True
    )
    region_code: Mapped[str] = mapped_column(
        ForeignKey("regions.code"), primary_key=True, index=True
    )


class ProjectService(Base):
    """One service a project gave one child: tutoring (阳光助教), counselling, a letter from home
    (爱心家书), a surrogate parent's visit (代理家长). Never rewritten."""

    __tablename__ = "civil_affairs_project_services"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("civil_affairs_service_projects.id"), index=True
    )
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    served_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[ProjectServiceKind] = mapped_column(text_enum(ProjectServiceKind))
    note: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
