"""One mutation, one transaction: everything it writes commits together or not at all, with
the audit entry that records it (a change without its entry cannot exist)."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from core.audit import trail
from core.audit.recorder import add_children_of_cases, track_writes, write_entries
from core.errors import CareGraphError, Conflict
from core.graphql.context import Info
from core.idempotency import mark_written
from core.write_positions import record_write

logger = logging.getLogger("caregraph.replicas")


def _operation(info: Info) -> str:
    name = info.operation.name.value if info.operation.name else None
    return f"{name}:{info.field_name}" if name else info.field_name


def _entry(
    info: Info, outcome: str, session: AsyncSession | None, detail: str | None
) -> trail.AuditRecord:
    audit = info.context.audit
    records, children = (
        (session.info.get("audit_records", set()), session.info.get("audit_children", set()))
        if session is not None
        else (set(), set())
    )
    return trail.AuditRecord(
        action=trail.MUTATION,
        outcome=outcome,
        caller=info.context.caller,
        operation=_operation(info),
        record_ids=sorted(records),
        child_ids=sorted(children),
        fields=audit.input_fields.get(info.field_name, []) if audit else [],
        client_address=audit.client_address if audit else None,
        purpose=audit.purpose if audit else None,
        detail=detail,
    )


async def record_write_position(info: Info) -> None:
    """Remember where the caller's change ends in the primary's WAL, so that their queries go
    only to replicas that have it. Shielded: a request cancelled now (its time limit) has
    committed, and the caller who checks whether the change was made must find it."""
    try:
        await asyncio.shield(record_write(info.context.sessions, info.context.caller.user_id))
    except Exception as error:  # the change is made: its answer must still be given
        logger.error("write position not recorded: %s", type(error).__name__)


@asynccontextmanager
async def unit_of_work(info: Info) -> AsyncIterator[AsyncSession]:
    """A session in a transaction that commits on success and rolls back on any error.

    A uniqueness race or a concurrent update that slipped past the checks surfaces as CONFLICT,
    without the database's message (it would quote the conflicting values). A failed mutation
    is recorded in the audit trail too, in a transaction of its own.
    """
    try:
        async with info.context.session() as session, session.begin():
            scope = info.context.child_scope
            if scope is not None:  # writes see the same children as reads
                session.info["child_scope"] = scope.condition
            track_writes(session)
            yield session
            await session.flush()
            if info.context.idempotency is not None:
                await mark_written(session, info.context.idempotency)
            await add_children_of_cases(session)
            await trail.append(session, _entry(info, trail.SUCCESS, session, None))
        if info.context.replicas:  # committed: the caller's next queries must see it
            await record_write_position(info)
    except IntegrityError:
        error: CareGraphError = Conflict(
            "another change to the same records happened at the same time; retry"
        )
        await _record_failure(info, error.code)
        raise error from None
    except StaleDataError:
        error = Conflict(
            "the record was changed by someone else at the same time; read it again",
            field="input.version",
        )
        await _record_failure(info, error.code)
        raise error from None
    except CareGraphError as refusal:
        await _record_failure(info, refusal.code)
        raise
    except Exception:
        await _record_failure(info, "INTERNAL_SERVER_ERROR")
        raise


async def _record_failure(info: Info, code: str) -> None:
    await write_entries(info.context.sessions, [_entry(info, trail.FAILED, None, code)])
