"""The rate-limit counters kept in PostgreSQL: points spent per principal per window."""

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base


class RateLimitUsage(Base):
    """Points a user or API key spent in one fixed window. Shared by every server process;
    windows older than the current one are pruned by the sweeper."""

    __tablename__ = "rate_limit_usage"

    principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    points: Mapped[int] = mapped_column(Integer)
