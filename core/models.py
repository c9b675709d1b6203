"""Core tables: regions, organisations, children, guardians, guardianships, cases and events.

Plugins add tables of their own that may reference these; these never reference theirs.
Every mutable record carries `version`, bumped by SQLAlchemy on each UPDATE and checked in its
WHERE clause, so a concurrent edit fails instead of silently overwriting (optimistic locking).
"""

import uuid
from datetime import date, datetime
from enum import Enum as PyEnum
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column

from core import enums
from core.left_behind import left_behind_condition, left_behind_expression
from core.resident_id import Sex

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def text_enum(enum_class: type[PyEnum]) -> Enum:
    """Store an enum as text with a CHECK constraint, so adding a member needs no type change."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=40,
        name=enum_class.__name__.lower(),
        values_callable=lambda members: [member.value for member in members],
    )


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class Versioned:
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012


class Region(Base):
    """行政区划: GB/T 2260 codes extended to 9-digit townships and 12-digit villages."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(12))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)

    __table_args__ = (
        Index("ix_regions_code_pattern", "code", postgresql_ops={"code": "text_pattern_ops"}),
    )


class Organization(Base):
    """单位: a school, police station, township government, village committee, hospital…"""

    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[enums.OrganizationKind] = mapped_column(text_enum(enums.OrganizationKind))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Guardian(Versioned, Base):
    """监护人: a person who is, or cares for the child as, a guardian."""

    __tablename__ = "guardians"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    sex: Mapped[Sex | None] = mapped_column(text_enum(Sex))
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Guardianship(Versioned, Base):
    """监护关系: the link between one child and one guardian."""

    __tablename__ = "guardianships"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    guardian_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guardians.id"), index=True)
    relationship: Mapped[enums.Relationship] = mapped_column(text_enum(enums.Relationship))
    kind: Mapped[enums.GuardianshipKind] = mapped_column(text_enum(enums.GuardianshipKind))
    lives_with_child: Mapped[bool] = mapped_column(Boolean)
    works_away: Mapped[bool] = mapped_column(Boolean, default=False)
    work_destination: Mapped[str | None] = mapped_column(String(200))
    works_away_since: Mapped[date | None] = mapped_column(Date)
    capacity: Mapped[enums.GuardianCapacity] = mapped_column(text_enum(enums.GuardianCapacity))
    # the court revoked this guardian's status (撤销监护人资格); the record stays
    revoked_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (UniqueConstraint("child_id", "guardian_id"),)


class Child(Versioned, Base):
    """儿童: a child registered in the shared records."""

    __tablename__ = "children"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[Sex] = mapped_column(text_enum(Sex))
    birth_date: Mapped[date] = mapped_column(Date)
    household_region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    residence_region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    address: Mapped[str | None] = mapped_column(String(300))
    schooling: Mapped[enums.Schooling] = mapped_column(text_enum(enums.Schooling))
    boarding: Mapped[bool] = mapped_column(Boolean, default=False)
    health: Mapped[enums.HealthStatus] = mapped_column(text_enum(enums.HealthStatus))
    disability_category: Mapped[enums.DisabilityCategory | None] = mapped_column(
        text_enum(enums.DisabilityCategory)
    )
    disability_grade: Mapped[int | None] = mapped_column(Integer)
    illness: Mapped[str | None] = mapped_column(String(200))
    difficulty_categories: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    guardianship_type: Mapped[enums.GuardianshipType | None] = mapped_column(
        text_enum(enums.GuardianshipType)
    )
    family_income_sources: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    assistance_received: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    status: Mapped[enums.ChildStatus] = mapped_column(
        text_enum(enums.ChildStatus), default=enums.ChildStatus.ACTIVE
    )
    registered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    is_left_behind: Mapped[bool] = column_property(
        left_behind_expression(
            child_id=id,
            birth_date=birth_date,
            guardianships=Guardianship.__table__,
        )
    )

    __table_args__ = (
        Index(
            "ix_children_residence_pattern",
            "residence_region_code",
            postgresql_ops={"residence_region_code": "text_pattern_ops"},
        ),
        Index("ix_children_name_id", "name", "id"),
        Index("ix_children_registered_id", "registered_at", "id"),
        Index("ix_children_birth_id", "birth_date", "id"),
    )


def is_left_behind_condition(child: Any = Child) -> ColumnElement[bool]:
    """`Child.is_left_behind` written for WHERE clauses over many children (see
    core.left_behind), for `Child` or an alias of it."""
    return left_behind_condition(
        child_id=child.id, birth_date=child.birth_date, guardianships=Guardianship.__table__
    )


class Case(Versioned, Base):
    """个案: one protection case about one child."""

    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    kind: Mapped[enums.CaseKind] = mapped_column(text_enum(enums.CaseKind))
    status: Mapped[enums.CaseStatus] = mapped_column(
        text_enum(enums.CaseStatus), default=enums.CaseStatus.OPEN
    )
    risk_level: Mapped[enums.RiskLevel | None] = mapped_column(text_enum(enums.RiskLevel))
    summary: Mapped[str] = mapped_column(Text)
    opened_by_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_cases_child_status", "child_id", "status"),)


class CaseAssignment(Base):
    """An organisation the case is assigned to, besides the one that opened it."""

    __tablename__ = "case_assignments"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), primary_key=True
    )
    assigned_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class CaseEvent(Base):
    """One entry of a case's timeline. Append-only: the database refuses UPDATE and DELETE."""

    __tablename__ = "case_events"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )
    kind: Mapped[enums.CaseEventKind] = mapped_column(text_enum(enums.CaseEventKind))
    actor_user_id: Mapped[str] = mapped_column(String(100))
    actor_department: Mapped[str | None] = mapped_column(String(40))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    note: Mapped[str] = mapped_column(Text)


class ApiKey(Base):
    """A key for another government system, bound to one department, role, organisation and
    region. Only the SHA-256 of the key is stored; the key itself is shown once, at creation."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    department: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(40))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PolicyChange(Base):
    """A policy line added or removed at run time by an administrator. The effective policy is
    the plugins' policy files with these changes applied in order."""

    __tablename__ = "policy_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change: Mapped[str] = mapped_column(String(6))  # "add" or "remove"
    subject: Mapped[str] = mapped_column(String(100))
    object: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DueItem(Base):
    """Something an organisation must do by a time: accept a report (受理时限), assess a case,
    deliver a plan's service. Overdue items are listed by `overdueItems` and raise an alert to
    the organisation (or department and region) responsible. Plugins create and complete them
    through `core.workflow.deadlines`; `description` never holds a child's personal data."""

    __tablename__ = "due_items"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(80))  # `<plugin>.<what>`, e.g. police.acceptance
    record_type: Mapped[str] = mapped_column(String(80))  # the GraphQL type of the record
    record_id: Mapped[uuid.UUID] = mapped_column(UUID)
    description: Mapped[str] = mapped_column(String(300))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), index=True)
    child_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("children.id"))
    responsible_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    department: Mapped[str | None] = mapped_column(String(40))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    alerted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("kind", "record_id"),
        # the open items, by deadline: what `overdueItems` and the sweeper read
        Index(
            "ix_due_items_open_due_at",
            "due_at",
            postgresql_where=text("completed_at IS NULL"),
        ),
    )


class Alert(Base):
    """An alert (预警) to an organisation, or to a department in a region: a deadline missed,
    or a rule that found a child at risk without anyone filing a report. One open alert per
    rule and subject: a rule that keeps finding the same thing does not repeat itself until the
    alert is acknowledged. `message` never holds a child's personal data; `child` links it."""

    __tablename__ = "alerts"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    rule: Mapped[str] = mapped_column(String(80))
    subject_key: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(String(300))
    child_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("children.id"), index=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    due_item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("due_items.id"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    department: Mapped[str | None] = mapped_column(String(40))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    raised_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index(
            "uq_alerts_open_rule_subject",
            "rule",
            "subject_key",
            unique=True,
            postgresql_where=text("acknowledged_at IS NULL"),
        ),
        Index("ix_alerts_raised_id", "raised_at", "id"),
    )


class Notification(Base):
    """The outbox: what subscribers must hear, written in the transaction of the change and
    announced by NOTIFY at its commit, so that every server process delivers it and nothing is
    announced that rolled back. The payload holds record ids only, never personal data; each
    subscriber reads the record itself, under its own policies and scope."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp(), index=True
    )
