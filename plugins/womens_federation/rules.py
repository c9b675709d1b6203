"""The women's federation's alert rule: a registered left-behind child whose working-away
parents have recorded no contact with them for longer than the configured span (Law on the
Protection of Minors art. 23: parents keep in touch at least weekly). The alert goes to the
women's federation of the child's residence region, which arranges family contact (亲情联系)."""

from collections.abc import Sequence

from sqlalchemy import String, cast, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.plugin_api import alerts, enums, models
from plugins.womens_federation.models import FamilyContact
from plugins.womens_federation.settings import get_settings

NO_PARENT_CONTACT = "womens_federation.no_parent_contact"
BATCH = 500


async def left_behind_children_without_parent_contact(
    session: AsyncSession, context: alerts.RuleContext
) -> Sequence[alerts.AlertDraft]:
    span = get_settings().contact_span
    child, link = models.Child, models.Guardianship
    since = (context.now - span).date()
    parent_contact = exists(
        select(FamilyContact.id)
        .join(
            link,
            (link.child_id == FamilyContact.child_id)
            & (link.guardian_id == FamilyContact.guardian_id),
        )
        .where(
            FamilyContact.child_id == child.id,
            link.relationship.in_(enums.PARENTS),
            FamilyContact.contact_on >= since,
        )
    )
    rows = await session.execute(
        select(child.id, child.residence_region_code)
        .where(
            child.is_left_behind,
            child.registered_at < context.now - span,
            ~parent_contact,
            alerts.not_recently_alerted(NO_PARENT_CONTACT, cast(child.id, String), context),
        )
        .order_by(child.registered_at.desc())  # the newest first: a backlog drains behind them
        .limit(BATCH)
    )
    return [
        alerts.AlertDraft(
            rule=NO_PARENT_CONTACT,
            subject_key=str(child_id),
            message=f"a left-behind child's parents recorded no contact in {span.days} days "
            "(未成年人保护法 第23条)",
            child_id=child_id,
            department="womens_federation",
            region_code=region,
        )
        for child_id, region in rows
    ]
