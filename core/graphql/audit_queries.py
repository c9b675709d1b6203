"""The audit trail through GraphQL, for auditors (审计) only."""

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Self

import strawberry
from sqlalchemy import select
from strawberry import relay

from core.audit.model import AuditEntry as AuditRow
from core.graphql.context import Info
from core.graphql.global_ids import decode_global_id
from core.graphql.loaders import batch_one_per_key
from core.graphql.pagination import (
    After,
    Before,
    CountedConnection,
    First,
    Last,
    PageArguments,
    SortKey,
    fetch_page,
)


@strawberry.type(
    description="One audit entry (审计记录): who did what to which records, and how it ended."
)
class AuditEntry(relay.Node):
    entry_id: relay.NodeID[int]
    occurred_at: datetime
    action: str = strawberry.field(
        description="MUTATION, SENSITIVE_READ, DENIED, UNAUTHENTICATED, POLICY_CHANGE, "
        "PLUGIN_CHANGE, API_KEY_CREATED or API_KEY_REVOKED."
    )
    outcome: str = strawberry.field(description="SUCCESS, FAILED or DENIED.")
    user_id: str | None
    department: str | None
    role: str | None
    roles: list[str]
    organization_id: str | None
    client_address: str | None
    operation: str | None
    record_ids: list[str] = strawberry.field(description="Type:uuid of each record concerned.")
    fields: list[str]
    purpose: str | None = strawberry.field(description="The stated purpose (X-Access-Purpose).")
    detail: str | None
    entry_hash: str = strawberry.field(description="SHA-256, chained to the previous entry.")

    @classmethod
    def from_row(cls, row: AuditRow) -> Self:
        return cls(
            entry_id=row.id,
            occurred_at=row.occurred_at,
            action=row.action,
            outcome=row.outcome,
            user_id=row.user_id,
            department=row.department,
            role=row.role,
            roles=list(row.roles),
            organization_id=row.organization_id,
            client_address=row.client_address,
            operation=row.operation,
            record_ids=list(row.record_ids),
            fields=list(row.fields),
            purpose=row.purpose,
            detail=row.detail,
            entry_hash=row.entry_hash,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        keys = [int(node_id) if node_id.isdigit() else None for node_id in node_ids]
        loader = info.context.loader(
            "audit.entry", batch_one_per_key(info.context.sessions, AuditRow, AuditRow.id)
        )
        rows = [await loader.load(key) if key is not None else None for key in keys]
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type(name="AuditEntryConnection", description="A page of audit entries (审计记录).")
class AuditEntryConnection(CountedConnection[AuditEntry]):
    pass


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The audit trail, newest first. Auditors only (审计员).")
    async def audit_entries(
        self,
        info: Info,
        child_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Entries about this child.")
        ] = None,
        user_id: str | None = None,
        department: str | None = None,
        action: str | None = None,
        operation: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> AuditEntryConnection:
        statement = select(AuditRow)
        if child_id is not None:
            child_key = decode_global_id(child_id, "Child", field="childId")
            statement = statement.where(AuditRow.child_ids.contains([str(child_key)]))
        if user_id is not None:
            statement = statement.where(AuditRow.user_id == user_id)
        if department is not None:
            statement = statement.where(AuditRow.department == department)
        if action is not None:
            statement = statement.where(AuditRow.action == action)
        if operation is not None:
            statement = statement.where(AuditRow.operation == operation)
        if since is not None:
            statement = statement.where(AuditRow.occurred_at >= since)
        if until is not None:
            statement = statement.where(AuditRow.occurred_at < until)
        rows, page_info, count, cursors = await fetch_page(
            info,
            statement,
            sort=[SortKey(AuditRow.id, True)],
            page=PageArguments(first, after, last, before),
        )
        edges = [
            relay.Edge(node=AuditEntry.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return AuditEntryConnection(edges=edges, page_info=page_info, count_statement=count)
