"""The disabled persons' federation's tables: rehabilitation services (康复服务) for disabled
children. They reference core tables; the core never references them."""

import uuid
from datetime import date
from enum import Enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from core.plugin_api import Base, Versioned, new_id, text_enum


class RehabilitationServiceKind(Enum):
    REHABILITATION_TRAINING = "REHABILITATION_TRAINING"  # 康复训练
    ASSISTIVE_DEVICE = "ASSISTIVE_DEVICE"  # 辅助器具
    SURGERY_SUBSIDY = "SURGERY_SUBSIDY"  # 手术补贴
    HOME_VISIT = "HOME_VISIT"  # 上门服务


class RehabilitationService(Versioned, Base):
    """One rehabilitation service that the federation arranged or funded for a disabled child,
    from the day it started to the day it ended (open while it goes on)."""

    __tablename__ = "disabled_persons_rehabilitation_services"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    service: Mapped[RehabilitationServiceKind] = mapped_column(text_enum(RehabilitationServiceKind))
    provider_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id")
    )
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    subsidy_yuan: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates_in_order"),
        CheckConstraint("subsidy_yuan IS NULL OR subsidy_yuan >= 0", name="subsidy_min_zero"),
    )
