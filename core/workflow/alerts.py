"""Alerts (预警): telling an organisation, or a department in a region, that something needs
them: a deadline missed, or a rule that found a child at risk with no report filed.

An alert is raised once per rule and subject: while it is open, or for `alert_repeat_after`
after it was raised, the same finding raises nothing new. Each new alert is announced to the
`alertRaised` subscribers it is addressed to.
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import models
from core.notifications import notify

ALERT_RAISED_TOPIC = "alert.raised"


@dataclass(frozen=True)
class AlertDraft:
    rule: str  # `<plugin>.<rule>`, or `overdue:<deadline kind>`
    subject_key: str  # what the finding is about, e.g. the child's or the item's id
    message: str  # what was found, without personal data
    child_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    due_item_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    department: str | None = None  # with region_code: everyone of that department there
    region_code: str | None = None


@dataclass(frozen=True)
class RuleContext:
    now: datetime
    repeat_after: timedelta
    lead_department: str
    no_guardian_grace: timedelta


# A rule that raises alerts on its own: run by the sweeper, inside its transaction, it returns
# what it finds now. Filter with `not_recently_alerted` so that it returns only what is new.
AlertRule = Callable[[AsyncSession, RuleContext], Awaitable[Sequence[AlertDraft]]]


def not_recently_alerted(rule: str, subject_key: Any, context: RuleContext) -> ColumnElement[bool]:
    """No alert of `rule` about `subject_key` (a SQL text expression) is open or was raised
    within the repeat period."""
    alert = models.Alert
    return ~exists(
        select(alert.id).where(
            alert.rule == rule,
            alert.subject_key == subject_key,
            (alert.acknowledged_at.is_(None))
            | (alert.raised_at > context.now - context.repeat_after),
        )
    )


async def raise_alert(session: AsyncSession, draft: AlertDraft) -> uuid.UUID | None:
    """The new alert's id, or None when an open alert of this rule and subject exists."""
    statement = (
        insert(models.Alert)
        .values(id=uuid.uuid4(), **draft.__dict__)
        .on_conflict_do_nothing(
            index_elements=["rule", "subject_key"],
            index_where=models.Alert.acknowledged_at.is_(None),
        )
        .returning(models.Alert.id)
    )
    alert_id = await session.scalar(statement)
    if alert_id is not None:
        await notify(session, ALERT_RAISED_TOPIC, {"alert_id": str(alert_id)})
    return alert_id
