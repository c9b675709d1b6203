"""The periodic sweep: alert about overdue deadlines, run the alert rules, prune the outbox.

Every server process runs it every `sweep_interval`; a transaction-level advisory lock lets one
of them sweep at a time, so several processes raise each alert once. `caregraph alerts sweep`
runs one sweep by hand (or from cron, with the interval set to zero).
"""

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import idempotency, models
from core.limits.rate_limits import prune_usage
from core.notifications import prune
from core.settings import Settings
from core.workflow import deadlines
from core.workflow.alerts import AlertDraft, AlertRule, RuleContext, raise_alert

logger = logging.getLogger("caregraph.sweeper")
SWEEP_LOCK = 0x63617265  # "care": the advisory lock key of the sweep
OVERDUE_BATCH = 1000


@dataclass
class SweepResult:
    swept: bool = True  # False: another process was sweeping
    overdue_alerts: int = 0
    rule_alerts: dict[str, int] = field(default_factory=dict)
    failed_rules: list[str] = field(default_factory=list)


async def _alert_overdue(session: AsyncSession, now: datetime) -> int:
    items = (
        await session.scalars(
            select(models.DueItem)
            .where(deadlines.overdue(now), models.DueItem.alerted_at.is_(None))
            .order_by(models.DueItem.due_at)
            .limit(OVERDUE_BATCH)
            .with_for_update(skip_locked=True)
        )
    ).all()
    raised = 0
    for item in items:
        draft = AlertDraft(
            rule=f"overdue:{item.kind}",
            subject_key=str(item.id),
            message=f"overdue since {item.due_at.isoformat(timespec='minutes')}: "
            f"{item.description}",
            child_id=item.child_id,
            case_id=item.case_id,
            due_item_id=item.id,
            organization_id=item.responsible_organization_id,
            department=item.department,
            region_code=item.region_code,
        )
        if await raise_alert(session, draft) is not None:
            raised += 1
        item.alerted_at = now
    return raised


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    rules: Mapping[str, AlertRule],
    settings: Settings,
    now: datetime | None = None,
) -> SweepResult:
    result = SweepResult()
    async with sessions() as session, session.begin():
        if not await session.scalar(select(func.pg_try_advisory_xact_lock(SWEEP_LOCK))):
            return SweepResult(swept=False)
        now = now or await session.scalar(select(func.now()))
        assert now is not None
        result.overdue_alerts = await _alert_overdue(session, now)
        context = RuleContext(
            now=now,
            repeat_after=settings.alert_repeat_after,
            lead_department=settings.lead_department,
            no_guardian_grace=settings.no_guardian_grace,
        )
        for name, rule in rules.items():
            try:
                async with session.begin_nested():  # a failing rule leaves the others be
                    drafts = await rule(session, context)
                    raised = [await raise_alert(session, draft) for draft in drafts]
                result.rule_alerts[name] = sum(1 for alert_id in raised if alert_id is not None)
            except Exception as error:
                # the type only: a database error quotes the values it was given
                logger.error("alert rule %s failed: %s", name, type(error).__name__)
                result.failed_rules.append(name)
        await prune(session)
        # the request-hardening tables' expired rows (docs/operations.md)
        await idempotency.prune(session, settings.idempotency_retention)
        await prune_usage(session, settings.rate_limit_window)
    return result


async def sweep_periodically(
    sessions: async_sessionmaker[AsyncSession],
    rules: Mapping[str, AlertRule],
    settings: Settings,
) -> None:
    """Run until cancelled; a sweep that fails (the database is away) is tried next time."""
    interval = settings.sweep_interval.total_seconds()
    while True:
        await asyncio.sleep(interval)
        try:
            outcome = await sweep(sessions, rules, settings)
            if outcome.overdue_alerts or any(outcome.rule_alerts.values()):
                logger.info(
                    "sweep raised %s overdue and %s rule alerts",
                    outcome.overdue_alerts,
                    sum(outcome.rule_alerts.values()),
                )
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.warning("sweep failed: %s", type(error).__name__)
