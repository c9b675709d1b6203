"""Idempotency keys: a mutation retried with the same key answers as the first time and writes
nothing new.

A request carrying `Idempotency-Key` (header, or `extensions.idempotencyKey` in the body)
claims the key for its caller before it runs. Every unit of work it commits marks the claim
`wrote` in the same transaction, so whether its changes committed is never in doubt. When the
request ends its answer is stored under the key; a retry gets that answer back. The same key
with a different request is IDEMPOTENCY_KEY_REUSED; a retry while the first is still running
is IDEMPOTENCY_KEY_IN_USE. A first attempt that failed before writing anything (the database
went away, the time limit) releases its key, so the retry runs for real.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, String, delete, func, select, update
from sqlalchemy.dialects.postgresql import JSON, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from core.errors import Conflict, IdempotencyKeyInUse, IdempotencyKeyReused, ValidationFailed
from core.identity import Caller
from core.models import Base

HEADER = "idempotency-key"
EXTENSION = "idempotencyKey"
MAX_KEY_LENGTH = 200
# Answers with these codes wrote nothing and may succeed if sent again: they are not kept.
RETRYABLE_CODES = frozenset({"SERVICE_UNAVAILABLE", "INTERNAL_SERVER_ERROR", "RATE_LIMITED"})


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    wrote: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # json, not jsonb: the answer is replayed with its keys in the order GraphQL gave them
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Claim:
    """This request holds the key: it runs, and its answer is stored under the key."""

    principal: str
    key: str


@dataclass(frozen=True)
class Replay:
    """The key's first request has answered: this is its answer."""

    response: dict[str, Any]
    status_code: int | None


def principal_of(caller: Caller) -> str:
    """Whose key it is: the user or API key, in the roles it acts as now. A token of the same
    user with other roles does not see the answers given to the first (it may not be allowed
    them)."""
    return f"{caller.user_id}|{','.join(sorted(caller.subjects))}"[:200]


def checked_key(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= MAX_KEY_LENGTH
        or not value.isprintable()
    ):
        raise ValidationFailed(
            f"an Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable characters",
            field="Idempotency-Key",
        )
    return value


def request_fingerprint(
    query: str | None, operation_name: str | None, variables: dict[str, Any] | None
) -> str:
    canonical = json.dumps(
        [query, operation_name, variables or {}], sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    principal: str,
    key: str,
    fingerprint: str,
    *,
    stale_after: timedelta,
) -> Claim | Replay:
    async with sessions() as session, session.begin():
        inserted = await session.scalar(
            insert(IdempotencyKey)
            .values(principal=principal, key=key, request_hash=fingerprint)
            .on_conflict_do_nothing()
            .returning(IdempotencyKey.key)
        )
        if inserted is not None:
            return Claim(principal, key)
        row = (
            await session.execute(
                select(IdempotencyKey, func.now())
                .where(IdempotencyKey.principal == principal, IdempotencyKey.key == key)
                .with_for_update()
            )
        ).one_or_none()
        if row is None:  # released between our insert and our read: claim it now
            session.add(IdempotencyKey(principal=principal, key=key, request_hash=fingerprint))
            return Claim(principal, key)
        existing, now = row
        if existing.request_hash != fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for a different request; use a new key for a "
                "new request",
                field="Idempotency-Key",
            )
        if existing.response is not None:
            return Replay(existing.response, existing.status_code)
        if existing.completed_at is not None:  # ended after writing, without an answer to give
            raise _answer_lost()
        if now - existing.created_at < stale_after:
            raise IdempotencyKeyInUse(
                "a request with this Idempotency-Key is still running; retry shortly",
                field="Idempotency-Key",
                retryable=True,
                retryAfter=1,
            )
        if existing.wrote:
            raise _answer_lost()
        existing.created_at = now  # the first attempt died before writing: run again
        return Claim(principal, key)


def _answer_lost() -> Conflict:
    return Conflict(
        "the first request with this Idempotency-Key made its change but its answer was lost; "
        "read the records to see the result",
        field="Idempotency-Key",
    )


async def mark_written(session: AsyncSession, held: Claim) -> None:
    """Called inside a unit of work's transaction: its commit and this mark are one."""
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.principal == held.principal, IdempotencyKey.key == held.key)
        .values(wrote=True)
    )


def _retryable(response: dict[str, Any]) -> bool:
    codes = {(e.get("extensions") or {}).get("code") for e in response.get("errors") or []}
    return bool(codes & RETRYABLE_CODES) or any(
        (e.get("extensions") or {}).get("limit") == "time" for e in response.get("errors") or []
    )


async def finish(
    sessions: async_sessionmaker[AsyncSession],
    held: Claim,
    response: dict[str, Any],
    status_code: int | None,
) -> None:
    """Store the answer under the key; or release the key when the answer is a failure that
    wrote nothing and a retry may get past; or, when such a failure came after a change was
    committed (the time limit struck while the answer was being read), keep no answer: a retry
    is told the change was made, not the failure."""
    where = (IdempotencyKey.principal == held.principal, IdempotencyKey.key == held.key)
    async with sessions() as session, session.begin():
        if _retryable(response):
            released = await session.execute(
                delete(IdempotencyKey).where(*where, IdempotencyKey.wrote.is_(False))
            )
            if not getattr(released, "rowcount", 0):
                await session.execute(
                    update(IdempotencyKey).where(*where).values(completed_at=func.now())
                )
            return
        await session.execute(
            update(IdempotencyKey)
            .where(*where)
            .values(response=response, status_code=status_code, completed_at=func.now())
        )


async def prune(session: AsyncSession, retention: timedelta) -> int:
    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < func.now() - retention)
    )
    return int(getattr(result, "rowcount", 0) or 0)
