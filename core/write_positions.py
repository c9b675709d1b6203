"""Read-your-writes with replicas: where in the primary's write-ahead log each caller's last
change ends.

After a mutation commits, the caller's position is stored on the primary (one row per user or
API key, shared by every server process). A later query by that caller may go to a replica
only once the replica has replayed up to that position (`core.replicas`): by LSN, not by a
guess of seconds. Only deployments with replicas record positions.
"""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base

# Evaluated after the commit returned. The insert position is at or beyond the end of that
# commit's record even with `synchronous_commit = off`, when the write position may not be yet
# (further on only makes the wait a little longer).
WAL_POSITION_NOW = text("pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")


class WritePosition(Base):
    __tablename__ = "write_positions"

    principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    written_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


async def record_write(sessions: async_sessionmaker[AsyncSession], principal: str) -> None:
    """Remember that `principal`'s changes so far end at the primary's position now."""
    statement = insert(WritePosition).values(principal=principal, position=WAL_POSITION_NOW)
    statement = statement.on_conflict_do_update(
        index_elements=[WritePosition.principal],
        set_={
            # two processes may record for the same caller at once: keep the later position
            "position": func.greatest(WritePosition.position, statement.excluded.position),
            "written_at": func.now(),
        },
    )
    async with sessions() as session, session.begin():
        await session.execute(statement)


async def written_up_to(sessions: async_sessionmaker[AsyncSession], principal: str) -> int | None:
    """Where `principal`'s last change ends; None when they never changed anything."""
    async with sessions() as session:
        position: int | None = await session.scalar(
            select(WritePosition.position).where(WritePosition.principal == principal)
        )
        return position
