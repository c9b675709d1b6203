"""Police's tables: compulsory reports (强制报告) received about children, officers' home and
school visits (走访), and inspections of venues minors may not enter (网吧/游戏厅/录像厅巡查)."""

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
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from core.plugin_api import Base, Versioned, new_id, text_enum


class ReportTrigger(Enum):
    """What a mandated reporter found (Law on the Protection of Minors art. 11)."""

    LIVING_ALONE = "LIVING_ALONE"
    MISSING = "MISSING"
    GUARDIAN_WITHOUT_CAPACITY = "GUARDIAN_WITHOUT_CAPACITY"
    GUARDIAN_NOT_ACTING = "GUARDIAN_NOT_ACTING"
    SUSPECTED_VIOLENCE = "SUSPECTED_VIOLENCE"
    ACCIDENT = "ACCIDENT"
    UNLAWFUL_HARM = "UNLAWFUL_HARM"


class CompulsoryReportStatus(Enum):
    RECEIVED = "RECEIVED"
    ACCEPTED = "ACCEPTED"
    CLOSED = "CLOSED"


class CompulsoryReport(Versioned, Base):
    """A report a mandated reporter made to the police about a child out of guardianship or
    harmed. The child may not be identified yet; then `description` says who they are."""

    __tablename__ = "police_compulsory_reports"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    child_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("children.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    place_region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    place_description: Mapped[str | None] = mapped_column(String(300))
    reporter_organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    trigger: Mapped[ReportTrigger] = mapped_column(text_enum(ReportTrigger))
    reported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[CompulsoryReportStatus] = mapped_column(
        text_enum(CompulsoryReportStatus), default=CompulsoryReportStatus.RECEIVED
    )

    __table_args__ = (
        Index(
            "ix_police_compulsory_reports_place_pattern",
            "place_region_code",
            postgresql_ops={"place_region_code": "text_pattern_ops"},
        ),
        Index("ix_police_compulsory_reports_reported_id", "reported_at", "id"),
    )


class PoliceVisitMetWith(Enum):
    """Whom an officer met on a home or school visit (走访对象)."""

    GUARDIAN = "GUARDIAN"
    TEACHER = "TEACHER"
    VILLAGE_CADRE = "VILLAGE_CADRE"
    CHILD = "CHILD"
    OTHER = "OTHER"


class PoliceVisitConcernLevel(Enum):
    """How worried the officer came away (关注程度)."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class PoliceVisit(Versioned, Base):
    """A home or school visit (走访) by a police officer about one child: whom the officer met
    and what they learned about the child's life, schooling and safety. The officer's
    organisation (the station) then has the child in its `jurisdiction` row scope."""

    __tablename__ = "police_visits"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    officer_user_id: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    met_with: Mapped[list[str]] = mapped_column(ARRAY(Text))
    life_situation: Mapped[str | None] = mapped_column(Text)
    schooling_situation: Mapped[str | None] = mapped_column(Text)
    safety_situation: Mapped[str | None] = mapped_column(Text)
    concern_level: Mapped[PoliceVisitConcernLevel | None] = mapped_column(
        text_enum(PoliceVisitConcernLevel)
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # the `jurisdiction` row scope: children visited by the caller's organisation
        Index("ix_police_visits_organization_child", "organization_id", "child_id"),
    )


class VenueKind(Enum):
    """Venues minors may not enter (Law on the Protection of Minors art. 58)."""

    INTERNET_CAFE = "INTERNET_CAFE"
    GAME_HALL = "GAME_HALL"
    VIDEO_HALL = "VIDEO_HALL"


class VenueInspectionResult(Enum):
    COMPLIANT = "COMPLIANT"
    VIOLATION_FOUND = "VIOLATION_FOUND"


class Venue(Versioned, Base):
    """An internet café, game hall or video hall (网吧, 游戏厅, 录像厅) the police inspect for
    minors. Not about one child: who sees it follows the venue's region."""

    __tablename__ = "police_venues"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[VenueKind] = mapped_column(text_enum(VenueKind))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    address: Mapped[str] = mapped_column(String(300))
    registered_by_user_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("region_code", "name"),
        Index(
            "ix_police_venues_region_pattern",
            "region_code",
            postgresql_ops={"region_code": "text_pattern_ops"},
        ),
        Index("ix_police_venues_name_id", "name", "id"),
    )


class VenueInspection(Versioned, Base):
    """One inspection of a venue (巡查): minors found, whether the no-minors sign (未成年人禁入
    标志) was displayed, the result and the follow-up (整改) due."""

    __tablename__ = "police_venue_inspections"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("police_venues.id"), index=True)
    inspected_on: Mapped[date] = mapped_column(Date)
    minors_found: Mapped[int] = mapped_column(Integer)
    no_minors_sign_displayed: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[VenueInspectionResult] = mapped_column(text_enum(VenueInspectionResult))
    follow_up: Mapped[str | None] = mapped_column(Text)
    follow_up_due_on: Mapped[date | None] = mapped_column(Date)
    inspector_user_id: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("minors_found >= 0", name="minors_found_not_negative"),
        CheckConstraint(
            "follow_up_due_on IS NULL OR follow_up_due_on >= inspected_on",
            name="follow_up_due_after_inspection",
        ),
    )
