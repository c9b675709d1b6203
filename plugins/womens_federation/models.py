"""The women's federation's tables: family contacts (亲情联系) between working-away parents and
their children; women's and children's homes (妇女之家, 儿童之家) and the care services they give;
family-education guidance sessions (家庭教育指导); surrogate mothers (代理妈妈)."""

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
    UniqueConstraint,
    func,
    text,
)
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


class CareHomeKind(Enum):
    WOMENS_HOME = "WOMENS_HOME"
    CHILDRENS_HOME = "CHILDRENS_HOME"


class CareHome(Versioned, Base):
    """A women's home or children's home (妇女之家, 儿童之家) where volunteers give care
    services. Often a registered organisation; otherwise known by name and region."""

    __tablename__ = "womens_federation_care_homes"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CareHomeKind] = mapped_column(text_enum(CareHomeKind))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), unique=True
    )
    registered_by_user_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("region_code", "name"),
        Index(
            "ix_womens_federation_care_homes_region_pattern",
            "region_code",
            postgresql_ops={"region_code": "text_pattern_ops"},
        ),
    )


class CareServiceKind(Enum):
    COMPANIONSHIP = "COMPANIONSHIP"
    HOMEWORK_HELP = "HOMEWORK_HELP"
    PSYCHOLOGICAL_SUPPORT = "PSYCHOLOGICAL_SUPPORT"
    SAFETY_EDUCATION = "SAFETY_EDUCATION"
    OTHER = "OTHER"


class CareService(Versioned, Base):
    """A care service a home gave on one day (关爱服务活动), and the children who took part."""

    __tablename__ = "womens_federation_care_services"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    home_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("womens_federation_care_homes.id"), index=True
    )
    provided_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[CareServiceKind] = mapped_column(text_enum(CareServiceKind))
    description: Mapped[str | None] = mapped_column(Text)
    recorded_by_user_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CareServiceParticipant(Base):
    """A child who took part in a care service."""

    __tablename__ = "womens_federation_care_service_participants"

    service_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("womens_federation_care_services.id"), primary_key=True
    )
    child_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("children.id"), primary_key=True, index=True
    )


class GuidanceSession(Versioned, Base):
    """A family-education guidance session (家庭教育指导) for parents and caregivers, held by a
    women's or children's home."""

    __tablename__ = "womens_federation_guidance_sessions"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    home_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("womens_federation_care_homes.id"), index=True
    )
    held_on: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_user_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_womens_federation_guidance_sessions_held_id", "held_on", "id"),)


class GuidanceSessionAttendee(Base):
    """A guardian who attended a guidance session."""

    __tablename__ = "womens_federation_guidance_session_attendees"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("womens_federation_guidance_sessions.id"), primary_key=True
    )
    guardian_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("guardians.id"), primary_key=True, index=True
    )


class SurrogateMother(Versioned, Base):
    """A surrogate mother (代理妈妈): a volunteer paired with a left-behind child from a start
    day until the pairing ends. A child has at most one pairing not yet ended."""

    __tablename__ = "womens_federation_surrogate_mothers"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str | None] = mapped_column(String(100))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(Text)
    paired_by_user_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ended_after_started"),
        Index(
            "uq_womens_federation_surrogate_mothers_active_child",
            "child_id",
            unique=True,
            postgresql_where=text("ended_on IS NULL"),
        ),
    )
