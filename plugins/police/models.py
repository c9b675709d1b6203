"""Police's tables: compulsory reports (强制报告) received about children, what the police did
about them (受理, 应急处置, 转介), their guardianship interventions (监护干预) on cases, officers'
home and school visits (走访), and inspections of venues minors may not enter (网吧/游戏厅/录像厅
巡查)."""

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
    """Received (接报) → accepted (受理) → referred for assessment (转介), or closed (办结)."""

    RECEIVED = "RECEIVED"
    ACCEPTED = "ACCEPTED"
    REFERRED = "REFERRED"
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
    # who filed it, for the case's timeline once it is referred (null on reports filed before
    # the workflow recorded it)
    reported_by_user_id: Mapped[str | None] = mapped_column(String(100))
    reported_by_department: Mapped[str | None] = mapped_column(String(40))
    # the station of the place's jurisdiction (辖区派出所), null where no station covers it
    police_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_by_user_id: Mapped[str | None] = mapped_column(String(100))
    accepting_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id")
    )
    acceptance_note: Mapped[str | None] = mapped_column(Text)
    # the protection case the referral opened (转介); one report, one case
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), unique=True)

    __table_args__ = (
        Index(
            "ix_police_compulsory_reports_place_pattern",
            "place_region_code",
            postgresql_ops={"place_region_code": "text_pattern_ops"},
        ),
        Index("ix_police_compulsory_reports_reported_id", "reported_at", "id"),
    )


class EmergencyMeasureKind(Enum):
    """What the police did at once (应急处置): the measures the seed and the law name for a child
    alone, with parents unreachable, missing, or facing violence."""

    BROUGHT_TO_SAFETY = "BROUGHT_TO_SAFETY"
    MEDICAL_CARE = "MEDICAL_CARE"
    TEMPORARY_CARE_WITH_RELATIVES = "TEMPORARY_CARE_WITH_RELATIVES"
    TEMPORARY_CARE_BY_VILLAGE_COMMITTEE = "TEMPORARY_CARE_BY_VILLAGE_COMMITTEE"
    TEMPORARY_CARE_IN_WELFARE_INSTITUTION = "TEMPORARY_CARE_IN_WELFARE_INSTITUTION"
    SEARCH_FOR_MISSING_CHILD = "SEARCH_FOR_MISSING_CHILD"
    VIOLENCE_STOPPED = "VIOLENCE_STOPPED"
    PARENTS_ORDERED_BACK = "PARENTS_ORDERED_BACK"


class EmergencyMeasure(Versioned, Base):
    """One emergency measure (应急处置) the police took on an accepted report. A placement in
    a village committee's or welfare institution's care names that organisation."""

    __tablename__ = "police_emergency_measures"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("police_compulsory_reports.id"), index=True
    )
    measure: Mapped[EmergencyMeasureKind] = mapped_column(text_enum(EmergencyMeasureKind))
    note: Mapped[str] = mapped_column(Text)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    placement_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id")
    )
    officer_user_id: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class GuardianActionKind(Enum):
    """What the police did about a guardian's violence, abuse or abandonment (监护干预), from
    the mildest to a criminal case."""

    CRITICISM_AND_EDUCATION = "CRITICISM_AND_EDUCATION"
    WARNING = "WARNING"
    ADMONITION_LETTER = "ADMONITION_LETTER"
    ADMINISTRATIVE_PENALTY = "ADMINISTRATIVE_PENALTY"
    CRIMINAL_CASE_FILED = "CRIMINAL_CASE_FILED"


class GuardianAction(Versioned, Base):
    """A guardianship intervention (监护干预) by the police against one guardian of the case's
    child; it is also the case's GUARDIANSHIP_INTERVENTION timeline entry (`case_event_id`)."""

    __tablename__ = "police_guardian_actions"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    guardian_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guardians.id"), index=True)
    action: Mapped[GuardianActionKind] = mapped_column(text_enum(GuardianActionKind))
    taken_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    officer_user_id: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    case_event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_events.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


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
