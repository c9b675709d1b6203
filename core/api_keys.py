"""API keys for system-to-system integration: created and revoked by an administrator from the
command line, stored as SHA-256 hashes (the keys are 256-bit random, so a slow hash adds
nothing), each bound to a department, role, organisation and region."""

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.identity import Caller
from core.models import ApiKey

KEY_PREFIX = "cg_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_key(
    session: AsyncSession,
    *,
    name: str,
    department: str,
    role: str,
    organization_id: uuid.UUID | None = None,
    region_code: str | None = None,
    operator: Caller | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key; returns the record and the key, which is never shown again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(
        name=name,
        key_prefix=key[:10],
        key_hash=hash_key(key),
        department=department,
        role=role,
        organization_id=organization_id,
        region_code=region_code,
    )
    session.add(record)
    await session.flush()
    await trail.append(
        session,
        trail.AuditRecord(
            action=trail.API_KEY_CREATED,
            outcome=trail.SUCCESS,
            caller=operator,
            operation="apikey create",
            record_ids=[f"ApiKey:{record.id}"],
            detail=f"{name} for {department}:{role}",
        ),
    )
    return record, key


async def find_active_key(session: AsyncSession, key: str) -> ApiKey | None:
    return await session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
    )


async def revoke_key(session: AsyncSession, name: str, operator: Caller | None = None) -> bool:
    record = await session.scalar(select(ApiKey).where(ApiKey.name == name))
    if record is None or record.revoked_at is not None:
        return False
    record.revoked_at = datetime.now(UTC)
    await session.flush()
    await trail.append(
        session,
        trail.AuditRecord(
            action=trail.API_KEY_REVOKED,
            outcome=trail.SUCCESS,
            caller=operator,
            operation="apikey revoke",
            record_ids=[f"ApiKey:{record.id}"],
            detail=name,
        ),
    )
    return True


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    return list(await session.scalars(select(ApiKey).order_by(ApiKey.created_at)))
