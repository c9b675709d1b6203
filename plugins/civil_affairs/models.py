"""Civil affairs' tables: census and home visits (摸底排查, 走访) by village child directors,
enrolments in social assistance (社会救助), the service projects it funds (童伴计划, 童村同在,
social-work projects) with the services they give each child, and its part of the protection
workflow: assessments (评估), assistance plans with their items and follow-ups (帮扶计划, 跟踪回访)
and applications to the court to revoke a guardian's status (撤销监护人资格)."""

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
    func,
    text,
)
from sqlalchemy import Enum as SqlEnum
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


# --- assessment and assistance (评估帮扶), guardianship intervention (监护干预) ---------------


class AssessmentFinding(Enum):
    """What an assessment found on one dimension."""

    SATISFACTORY = "SATISFACTORY"  # 良好
    CONCERNING = "CONCERNING"  # 存在隐患
    SERIOUS = "SERIOUS"  # 严重


class AssistanceService(Enum):
    """The services an assistance plan arranges (the seed's list after an assessment)."""

    GUARDIANSHIP_GUIDANCE = "GUARDIANSHIP_GUIDANCE"  # 监护指导
    MEDICAL_CARE = "MEDICAL_CARE"  # 医疗救治
    COUNSELLING = "COUNSELLING"  # 心理疏导
    BEHAVIOUR_CORRECTION = "BEHAVIOUR_CORRECTION"  # 行为矫治
    LEGAL_AID = "LEGAL_AID"  # 法律援助
    SOCIAL_ASSISTANCE_ENROLMENT = "SOCIAL_ASSISTANCE_ENROLMENT"  # 社会救助


class RevocationGround(Enum):
    """Grounds on which the court may revoke a guardian's status (撤销监护人资格)."""

    LEFT_UNSUPERVISED_IN_DANGER = "LEFT_UNSUPERVISED_IN_DANGER"
    REFUSED_GUARDIANSHIP_SIX_MONTHS = "REFUSED_GUARDIANSHIP_SIX_MONTHS"
    VIOLENCE_ABUSE_ABANDONMENT = "VIOLENCE_ABUSE_ABANDONMENT"
    OTHER_SERIOUS_HARM = "OTHER_SERIOUS_HARM"


class CourtApplicationStatus(Enum):
    PENDING = "PENDING"
    REVOKED = "REVOKED"  # the court revoked the guardian's status
    REJECTED = "REJECTED"  # the court rejected the application


class CourtOutcome(Enum):
    """What the court decided on an application (法院判决)."""

    REVOKED = "REVOKED"
    REJECTED = "REJECTED"


def finding_type(dimension: str) -> SqlEnum:
    """`text_enum(AssessmentFinding)` under a name of its own: the three finding columns of one
    table each need a CHECK constraint, and constraint names come from the enum's name."""
    return SqlEnum(
        AssessmentFinding,
        native_enum=False,
        create_constraint=True,
        length=40,
        name=f"{dimension}_finding",
        values_callable=lambda members: [member.value for member in members],
    )


class Assessment(Base):
    """An assessment (评估) of the child of a case: safety situation (安全处境), guardianship
    (监护情况) and physical and mental health (身心健康), and the risk level they add up to.
    Never rewritten; a later assessment supersedes it. `child_id` is the case's child, kept for
    the row scope."""

    __tablename__ = "civil_affairs_assessments"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    assessed_on: Mapped[date] = mapped_column(Date)
    safety_finding: Mapped[AssessmentFinding] = mapped_column(finding_type("safety"))
    safety_note: Mapped[str | None] = mapped_column(Text)
    guardianship_finding: Mapped[AssessmentFinding] = mapped_column(finding_type("guardianship"))
    guardianship_note: Mapped[str | None] = mapped_column(Text)
    health_finding: Mapped[AssessmentFinding] = mapped_column(finding_type("health"))
    health_note: Mapped[str | None] = mapped_column(Text)
    risk_level: Mapped[enums.RiskLevel] = mapped_column(text_enum(enums.RiskLevel))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    assessed_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AssessmentParticipant(Base):
    """An organisation that took part in an assessment: the village committee, school, medical
    institution or social workers helping the township (协助评估)."""

    __tablename__ = "civil_affairs_assessment_participants"

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("civil_affairs_assessments.id"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), primary_key=True, index=True
    )


class AssistancePlan(Base):
    """An assistance plan (帮扶计划) adopted after an assessment: its goal and the services
    (items) organisations deliver by a date. Never rewritten; a case may adopt further plans."""

    __tablename__ = "civil_affairs_assistance_plans"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    goal: Mapped[str] = mapped_column(Text)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    adopted_by: Mapped[str] = mapped_column(String(100))
    adopted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PlanItem(Versioned, Base):
    """One service of a plan: what, by which organisation, by when; completed once a follow-up
    says it was delivered."""

    __tablename__ = "civil_affairs_plan_items"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("civil_affairs_assistance_plans.id"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # order within the plan
    service: Mapped[AssistanceService] = mapped_column(text_enum(AssistanceService))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    completed_on: Mapped[date | None] = mapped_column(Date)


class FollowUp(Base):
    """A follow-up (跟踪回访) on one plan item: how the service is going, and whether it is now
    delivered. Never rewritten."""

    __tablename__ = "civil_affairs_follow_ups"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    plan_item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("civil_affairs_plan_items.id"), index=True
    )
    progress: Mapped[str] = mapped_column(Text)
    completed: Mapped[bool] = mapped_column(Boolean)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )


class CourtApplication(Versioned, Base):
    """An application to the court to revoke a guardian's status (申请撤销监护人资格), filed by
    county civil affairs, and the court's decision: revoked, with another guardian designated
    (另行指定监护人), or rejected."""

    __tablename__ = "civil_affairs_court_applications"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    guardian_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guardians.id"))
    guardianship_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guardianships.id"))
    grounds: Mapped[list[str]] = mapped_column(ARRAY(Text))
    court: Mapped[str] = mapped_column(String(200))
    filed_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CourtApplicationStatus] = mapped_column(
        text_enum(CourtApplicationStatus), default=CourtApplicationStatus.PENDING
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    filed_by: Mapped[str] = mapped_column(String(100))
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_note: Mapped[str | None] = mapped_column(Text)
    designated_guardian_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("guardians.id"))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("cardinality(grounds) > 0", name="has_grounds"),
        CheckConstraint(
            "decided_on IS NULL OR decided_on >= filed_on", name="decided_after_filing"
        ),
        CheckConstraint(
            "(status = 'PENDING') = (decided_on IS NULL)", name="decided_unless_pending"
        ),
        CheckConstraint(
            "status <> 'REVOKED' OR designated_guardian_id IS NOT NULL",
            name="revocation_designates_guardian",
        ),
        # one application at a time against one guardianship
        Index(
            "uq_civil_affairs_court_applications_pending",
            "guardianship_id",
            unique=True,
            postgresql_where=text("status = 'PENDING'"),
        ),
    )
