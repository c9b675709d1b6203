"""Civil affairs' tables: a census or home visit (摸底排查, 走访) by a village child director."""

import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from core.plugin_api import Base, Versioned, enums, new_id, text_enum


class CensusVisit(Versioned, Base):
    """One visit to a child's home: whom the director met, the guardianship they saw, what had
    changed; reviewed afterwards by the township supervisor (儿童督导员)."""

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
    reviewed_by: Mapped[str | None] = mapped_column(Text)
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
