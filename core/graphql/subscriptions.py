"""Subscriptions (graphql-transport-ws over WebSocket): each delivery comes from the outbox
(`core.notifications`) and is read again under the subscriber's own policies and scope.

A subscription resolver iterates `deliveries(info, topic)`: it checks, once, that the caller may
use the field; then, per delivery, it writes what the previous one read to the audit trail and
renews the request's policy, scope and loaders, so that a policy change or a record changed
since the last delivery is seen as it is now.
"""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

import strawberry

from core.audit.recorder import write_entries
from core.errors import Forbidden
from core.graphql.context import Info
from core.notifications import Delivery

# The argument every subscription takes so that a client can resubscribe without a gap.
ReplaySince = Annotated[
    datetime | None,
    strawberry.argument(
        description="Replay first what was announced after this moment (up to 7 days back, at "
        "most 1,000 notices), then continue live. A client resubscribing after a lost "
        "connection passes the time it last heard from the server; a notice may then arrive "
        "twice, so keep the ids you have seen (补发)."
    ),
]


async def deliveries(
    info: Info, *topics: str, since: datetime | None = None
) -> AsyncIterator[Delivery]:
    """Every notification of `topics` from now on; with `since`, first those written after it
    (a client resubscribing after a lost connection), each once."""
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
        replayed: set[int] = set()
        if since is not None:
            for delivery in await context.notifications.history(topics, since):
                replayed.add(delivery.id)
                await _before_delivery(info)
                yield delivery
        while True:
            delivery = await queue.get()
            if delivery.id in replayed:
                continue
            await _before_delivery(info)
            yield delivery


async def _before_delivery(info: Info) -> None:
    """Write what the previous delivery read to the audit trail; take up the policy now."""
    context = info.context
    if context.audit is not None:
        await write_entries(context.sessions, context.audit.entries())
        context.audit.clear()
    context.renew()
