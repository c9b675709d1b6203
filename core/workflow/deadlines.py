"""Deadlines (时限): what an organisation must do by when. A plugin sets one when the duty
arises (a report to accept within an hour, a service to deliver by its due date) and completes
it when the duty is done; the sweeper alerts the responsible party about those overdue."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import models
from core.authorization.scopes import organization_key
from core.identity import Caller
from core.region_codes import is_region_code, subtree_prefix


@dataclass(frozen=True)
class Deadline:
    kind: str  # `<plugin>.<what>`, e.g. `police.report_acceptance`
    record_type: str  # the GraphQL type of the record the duty is about
    record_id: uuid.UUID
    description: str  # what is due, without personal data
    due_at: datetime
    case_id: uuid.UUID | None = None
    child_id: uuid.UUID | None = None
    responsible_organization_id: uuid.UUID | None = None
    department: str | None = None  # with region_code: everyone of that department there
    region_code: str | None = None


async def set_deadline(session: AsyncSession, deadline: Deadline) -> models.DueItem:
    item = models.DueItem(**deadline.__dict__)
    session.add(item)
    await session.flush()
    return item


async def complete(session: AsyncSession, kind: str, record_id: uuid.UUID) -> bool:
    """Mark the duty done (now); False when there was no open one."""
    result = await session.execute(
        update(models.DueItem)
        .where(
            models.DueItem.kind == kind,
            models.DueItem.record_id == record_id,
            models.DueItem.completed_at.is_(None),
        )
        .values(completed_at=func.now())
    )
    return bool(getattr(result, "rowcount", 0))


def addressed_to(caller: Caller, organization: Any, department: Any, region: Any) -> Any:
    """What is addressed to the caller: to their organisation, or to their department in a
    region within theirs. Shared by deadlines and alerts."""
    parts: list[ColumnElement[bool]] = []
    organization_id = organization_key(caller)
    if organization_id is not None:
        parts.append(organization == organization_id)
    if caller.department and caller.region_code and is_region_code(caller.region_code):
        parts.append(
            (department == caller.department)
            & region.like(subtree_prefix(caller.region_code) + "%")
        )
    return or_(*parts) if parts else false()


def overdue(now: Any = None) -> ColumnElement[bool]:
    item = models.DueItem
    return item.completed_at.is_(None) & (item.due_at <= (now if now is not None else func.now()))
