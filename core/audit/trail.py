"""Writing and verifying the audit trail."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.model import AuditEntry
from core.identity import Caller

MUTATION = "MUTATION"
SENSITIVE_READ = "SENSITIVE_READ"
DENIED = "DENIED"
UNAUTHENTICATED = "UNAUTHENTICATED"
POLICY_CHANGE = "POLICY_CHANGE"
PLUGIN_CHANGE = "PLUGIN_CHANGE"
API_KEY_CREATED = "API_KEY_CREATED"
API_KEY_REVOKED = "API_KEY_REVOKED"

SUCCESS = "SUCCESS"
FAILED = "FAILED"
REFUSED = "DENIED"


@dataclass
class AuditRecord:
    action: str
    outcome: str
    caller: Caller | None
    operation: str | None = None
    record_ids: Sequence[str] = ()
    child_ids: Sequence[str] = ()
    fields: Sequence[str] = ()
    client_address: str | None = None
    purpose: str | None = None
    detail: str | None = None


async def append(session: AsyncSession, record: AuditRecord) -> None:
    """Add an entry in the session's transaction: it commits, or rolls back, with the change it
    records. The database numbers and chains it."""
    caller = record.caller
    await session.execute(
        insert(AuditEntry).values(
            action=record.action,
            outcome=record.outcome,
            user_id=caller.user_id if caller else None,
            department=caller.department if caller else None,
            role=caller.role if caller else None,
            roles=list(caller.subjects) if caller else [],
            organization_id=caller.organization_id if caller else None,
            client_address=record.client_address,
            operation=record.operation,
            record_ids=sorted(set(record.record_ids)),
            child_ids=sorted(set(record.child_ids)),
            fields=sorted(set(record.fields)),
            purpose=record.purpose,
            detail=record.detail,
            previous_hash="",
            entry_hash="",
        )
    )


async def record_plugin_set(session: AsyncSession, names: Sequence[str]) -> bool:
    """Record the enabled plugins when they differ from the last recorded set."""
    current = ",".join(sorted(names))
    last = await session.scalar(
        text("SELECT detail FROM audit_entries WHERE action = :action ORDER BY id DESC LIMIT 1"),
        {"action": PLUGIN_CHANGE},
    )
    if last == current:
        return False
    await append(
        session,
        AuditRecord(
            action=PLUGIN_CHANGE,
            outcome=SUCCESS,
            caller=None,
            operation="plugins enabled",
            detail=current,
        ),
    )
    return True


@dataclass
class ChainBreak:
    entry_id: int
    reason: str


@dataclass
class Verification:
    entries: int
    first_break: ChainBreak | None = None
    breaks: list[ChainBreak] = field(default_factory=list)


async def verify(session: AsyncSession) -> Verification:
    """Recompute every entry's hash and link; the first entry that does not match is named."""
    rows = await session.execute(
        text(
            "SELECT e.id, e.previous_hash, e.entry_hash, caregraph_audit_hash(e, e.previous_hash)"
            " FROM audit_entries e ORDER BY e.id"
        )
    )
    result = Verification(entries=0)
    expected_previous = ""
    for entry_id, previous_hash, entry_hash, recomputed in rows:
        result.entries += 1
        if previous_hash != expected_previous:
            result.breaks.append(ChainBreak(entry_id, "its link to the previous entry is broken"))
        elif entry_hash != recomputed:
            result.breaks.append(ChainBreak(entry_id, "its content does not match its hash"))
        expected_previous = entry_hash
    result.first_break = result.breaks[0] if result.breaks else None
    return result
