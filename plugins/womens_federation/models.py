"""The women's federation's tables: a family contact (亲情联系) between a working-away parent
and the child."""

import uuid
from datetime import date, datetime
from enum import Enum

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from core.plugin_api import Base, Versioned, new_id, text_enum

MAX_MINUTES = 600


class ContactChannel(Enum):
    PHONE = "PHONE"
    VIDEO_CALL = "VIDEO_CALL"
    WECHAT = "WECHAT"
    QQ = "QQ"
    LETTER = "LETTER"
    VISIT = "VISIT"


class FamilyContact(Versioned, Base):
    """One contact between a parent (or other linked guardian) and the child, often arranged
    by a women's home or children's home (Law on the Protection of Minors art. 23: at least
    weekly)."""

    __tablename__ = "womens_federation_family_contacts"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    guardian_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guardians.id"), index=True)
    contact_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[ContactChannel] = mapped_column(text_enum(ContactChannel))
    arranged_by_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id")
    )
    minutes: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(f"minutes BETWEEN 0 AND {MAX_MINUTES}", name="minutes_range"),
    )
