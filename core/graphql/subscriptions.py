"""Subscriptions (graphql-transport-ws over WebSocket): each delivery comes from the outbox
(`core.notifications`) and is read again under the subscriber's own policies and scope.

A subscription resolver iterates `deliveries(info, topic)`: it checks, once, that the caller may
use the field; then, per delivery, it writes what the previous one read to the audit trail and
renews the request's policy, scope and loaders, so that a policy change or a record changed
since the last delivery is seen as it is now.
"""

from collections.abc import AsyncIterator

from core.audit.recorder import write_entries
from core.errors import Forbidden
from core.graphql.context import Info
from core.notifications import Delivery


async def deliveries(info: Info, *topics: str) -> AsyncIterator[Delivery]:
    context = info.context
    access = context.access
    if (
        access is not None
        and access.enforced
        and not access.may_execute("Subscription", info.field_name)
    ):
        if context.audit is not None:
            context.audit.record_denied(f"Subscription.{info.field_name}")
        raise Forbidden(f"your role may not use Subscription.{info.field_name}")
    async with context.notifications.subscribe(topics) as queue:
        while True:
            delivery = await queue.get()
            if context.audit is not None:
                await write_entries(context.sessions, context.audit.entries())
                context.audit.clear()
            context.renew()
            yield delivery
