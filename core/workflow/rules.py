"""The core's alert rules: children the Law on the Protection of Minors says must not be left as
they are, found in the records without anyone filing a report. Alerts go to the lead department
(民政) of the child's residence region.

- art. 21: no child under 16 may live without a guardian (`NO_GUARDIAN_AT_HOME`);
- art. 22: an entrusted caregiver must be able to care (`UNFIT_CAREGIVER`, capacity NONE).
"""

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import ColumnElement, String, and_, cast, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import enums, models
from core.workflow.alerts import AlertDraft, RuleContext, not_recently_alerted

NO_GUARDIAN_AT_HOME = "core.no_guardian_living_with_child"
UNFIT_CAREGIVER = "core.entrusted_caregiver_unfit"
PROTECTED_AGE = 16
# a rule returns at most this many findings per sweep; the next sweep takes the rest
BATCH = 500


def _under_protected_age(context: RuleContext) -> ColumnElement[bool]:
    sixteen_years_ago = (context.now - timedelta(days=365.25 * PROTECTED_AGE)).date()
    child = models.Child
    return and_(child.birth_date > sixteen_years_ago, child.status == enums.ChildStatus.ACTIVE)


async def children_without_guardian_at_home(
    session: AsyncSession, context: RuleContext
) -> Sequence[AlertDraft]:
    child, link = models.Child, models.Guardianship
    subject = cast(child.id, String)
    rows = await session.execute(
        select(child.id, child.residence_region_code)
        .where(
            _under_protected_age(context),
            child.registered_at < context.now - context.no_guardian_grace,
            ~exists(
                select(link.id).where(
                    link.child_id == child.id,
                    link.lives_with_child.is_(True),
                    link.revoked_on.is_(None),
                )
            ),
            not_recently_alerted(NO_GUARDIAN_AT_HOME, subject, context),
        )
        .order_by(child.registered_at.desc())  # the newest first: a backlog drains behind them
        .limit(BATCH)
    )
    return [
        AlertDraft(
            rule=NO_GUARDIAN_AT_HOME,
            subject_key=str(child_id),
            message="a child under 16 has no guardian living with them (未成年人保护法 第21条)",
            child_id=child_id,
            department=context.lead_department,
            region_code=region,
        )
        for child_id, region in rows
    ]


async def unfit_entrusted_caregivers(
    session: AsyncSession, context: RuleContext
) -> Sequence[AlertDraft]:
    child, link = models.Child, models.Guardianship
    subject = cast(link.id, String)
    rows = await session.execute(
        select(link.id, child.id, child.residence_region_code)
        .join(child, child.id == link.child_id)
        .where(
            _under_protected_age(context),
            link.kind == enums.GuardianshipKind.ENTRUSTED_CAREGIVER,
            link.capacity == enums.GuardianCapacity.NONE,
            link.revoked_on.is_(None),
            not_recently_alerted(UNFIT_CAREGIVER, subject, context),
        )
        .order_by(link.created_at.desc())
        .limit(BATCH)
    )
    return [
        AlertDraft(
            rule=UNFIT_CAREGIVER,
            subject_key=str(link_id),
            message="an entrusted caregiver cannot care for the child (未成年人保护法 第22条)",
            child_id=child_id,
            department=context.lead_department,
            region_code=region,
        )
        for link_id, child_id, region in rows
    ]


CORE_RULES = {
    NO_GUARDIAN_AT_HOME: children_without_guardian_at_home,
    UNFIT_CAREGIVER: unfit_entrusted_caregivers,
}
