"""The audit table. Rows are written only through `append`; the database refuses UPDATE,
DELETE and TRUNCATE, and a BEFORE INSERT trigger chains each entry's hash to the previous one
under a lock, so the order of the chain is the order of the ids."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    # The trigger numbers each entry under the chain's lock; the default is a placeholder.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, server_default=text("0"))
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )
    action: Mapped[str] = mapped_column(String(20), index=True)
    outcome: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[str | None] = mapped_column(String(100), index=True)
    department: Mapped[str | None] = mapped_column(String(40), index=True)
    role: Mapped[str | None] = mapped_column(String(40))
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    organization_id: Mapped[str | None] = mapped_column(String(40))
    client_address: Mapped[str | None] = mapped_column(String(64))
    operation: Mapped[str | None] = mapped_column(String(200), index=True)
    record_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    child_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    fields: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    purpose: Mapped[str | None] = mapped_column(String(500))
    detail: Mapped[str | None] = mapped_column(Text)
    previous_hash: Mapped[str] = mapped_column(String(64), default="")
    entry_hash: Mapped[str] = mapped_column(String(64), default="")
