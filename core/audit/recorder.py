"""Recording what one request did: the sensitive fields it read, the attempts it was refused,
and (through `unit_of_work`) the records each mutation wrote."""

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from core.audit import trail
from core.graphql.error_masking import as_caller_error
from core.identity import Caller
from core.models import Case

logger = logging.getLogger("caregraph.audit")

# Fields whose reading is recorded, besides those plugins declare: identity, address, contact,
# health and what cases say.
CORE_SENSITIVE_FIELDS = frozenset(
    {
        "Child.idNumber",
        "Child.address",
        "Child.health",
        "Child.disabilityCategory",
        "Child.disabilityGrade",
        "Child.illness",
        "Child.difficultyCategories",
        "Guardian.idNumber",
        "Guardian.phone",
        "Case.summary",
        "CaseEvent.note",
    }
)


@dataclass
class RequestAudit:
    caller: Caller | None
    client_address: str | None
    purpose: str | None
    operation: str | None = None
    read_records: set[str] = field(default_factory=set)
    read_children: set[str] = field(default_factory=set)
    read_fields: set[str] = field(default_factory=set)
    denied: set[str] = field(default_factory=set)
    input_fields: dict[str, list[str]] = field(default_factory=dict)

    def record_read(self, type_name: str, field_name: str, root: Any) -> None:
        self.read_fields.add(f"{type_name}.{field_name}")
        record_id = getattr(root, "id", None)
        if record_id is not None:
            self.read_records.add(f"{type_name}:{record_id}")
            if type_name == "Child":
                self.read_children.add(str(record_id))
        child_id = getattr(root, "child_id", None)
        if child_id is not None:
            self.read_children.add(str(child_id))

    def record_denied(self, what: str) -> None:
        self.denied.add(what)

    def clear(self) -> None:
        """Forget what was recorded (once written), e.g. after each subscription delivery."""
        for recorded in (self.read_records, self.read_children, self.read_fields, self.denied):
            recorded.clear()

    def entries(self) -> list[trail.AuditRecord]:
        entries = []
        common = {
            "caller": self.caller,
            "operation": self.operation,
            "client_address": self.client_address,
            "purpose": self.purpose,
        }
        if self.read_fields:
            entries.append(
                trail.AuditRecord(
                    action=trail.SENSITIVE_READ,
                    outcome=trail.SUCCESS,
                    record_ids=sorted(self.read_records),
                    child_ids=sorted(self.read_children),
                    fields=sorted(self.read_fields),
                    **common,  # type: ignore[arg-type]
                )
            )
        if self.denied:
            entries.append(
                trail.AuditRecord(
                    action=trail.DENIED,
                    outcome=trail.REFUSED,
                    fields=sorted(self.denied),
                    **common,  # type: ignore[arg-type]
                )
            )
        return entries


async def write_entries(
    sessions: async_sessionmaker[AsyncSession], entries: list[trail.AuditRecord]
) -> None:
    if not entries:
        return
    async with sessions() as session, session.begin():
        for entry in entries:
            await trail.append(session, entry)


class AuditReads(SchemaExtension):
    """After each operation, write what it read and was refused, even when it failed later.

    If the entries cannot be written (the database went away meanwhile), a query's answer is
    withheld: sensitive data is not served unrecorded. A mutation's answer is still given, as
    its changes are committed, with the entry that records them and the fields it wrote.
    """

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        audit: RequestAudit | None = getattr(context, "audit", None)
        if audit is None:
            return
        # A WebSocket carries many operations on one context: each is named (here) and
        # written (below) on its own, then forgotten.
        audit.operation = self.execution_context.operation_name
        if audit.operation is None:
            try:
                audit.operation = self.execution_context.operation_type.value
            except RuntimeError:  # the document did not parse
                audit.operation = None
        try:
            await write_entries(context.sessions, audit.entries())
        except Exception as error:
            self._withhold_unrecorded(error)
        finally:
            audit.clear()

    def _withhold_unrecorded(self, error: Exception) -> None:
        execution = self.execution_context
        try:
            is_mutation = execution.operation_type is OperationType.MUTATION
        except RuntimeError:
            is_mutation = False
        if is_mutation:
            logger.warning("the reads of a committed mutation could not be recorded")
            return
        limit = execution.context.settings.request_timeout.total_seconds()
        refusal = as_caller_error(error, "audit of reads", time_limit=limit)
        result = execution.result
        if result is not None:  # changed in place: strawberry returns this very object
            result.data = None
            result.errors = [GraphQLError(refusal.message, extensions=refusal.extensions)]


def touched_records(session: AsyncSession) -> tuple[set[str], set[str]]:
    """Records added or changed in this session so far, and the children they concern."""
    touched: set[str] = session.info.setdefault("audit_records", set())
    children: set[str] = session.info.setdefault("audit_children", set())
    return touched, children


async def add_children_of_cases(session: AsyncSession) -> None:
    """A step on a case (a follow-up, an assessment) writes records that name the case, not the
    child: the entry names the case's child too, so that an auditor searching by child finds
    every step taken about them."""
    cases: set[Any] = session.info.get("audit_cases", set())
    if not cases:
        return
    _, children = touched_records(session)
    rows = await session.scalars(select(Case.child_id).where(Case.id.in_(cases)))
    children.update(str(child_id) for child_id in rows)


def track_writes(session: AsyncSession) -> None:
    """Collect, at every flush, the records the session writes (for the mutation's entry)."""
    touched, children = touched_records(session)
    cases: set[Any] = session.info.setdefault("audit_cases", set())

    def collect(sync_session: Any, flush_context: Any) -> None:
        for instance in [*sync_session.new, *sync_session.dirty]:
            type_name = type(instance).__name__
            key = getattr(instance, "id", None)
            touched.add(f"{type_name}:{key}" if key is not None else type_name)
            if type_name == "Child" and key is not None:
                children.add(str(key))
            child_id = getattr(instance, "child_id", None)
            if child_id is not None:
                children.add(str(child_id))
            case_id = getattr(instance, "case_id", None)  # a timeline entry, an assignment
            if case_id is not None:
                cases.add(case_id)

    # after_flush: new records have their ids by then, and the collections still list them
    event.listen(session.sync_session, "after_flush", collect)
