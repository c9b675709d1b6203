"""Police's tables: a compulsory report (强制报告) received about a child."""

import uuid
from datetime import datetime
from enum import Enum

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, func
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
