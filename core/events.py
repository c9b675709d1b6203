"""Domain events: what happened, announced to the plugins that asked to hear it.

Handlers run inside the writer's transaction, so what they write commits or rolls back with the
change that caused it. Core event names: `child.registered`, `child.updated`,
`guardianship.changed`, `case.opened`, `case.event_added`. Plugins publish their own, named
`<plugin>.<what>`.
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

CHILD_REGISTERED = "child.registered"
CHILD_UPDATED = "child.updated"
GUARDIANSHIP_CHANGED = "guardianship.changed"
CASE_OPENED = "case.opened"
CASE_EVENT_ADDED = "case.event_added"


@dataclass(frozen=True)
class DomainEvent:
    name: str
    record_id: Any
    actor_user_id: str
    data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[AsyncSession, DomainEvent], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, name: str, handler: Handler) -> None:
        self._handlers[name].append(handler)

    async def publish(self, session: AsyncSession, event: DomainEvent) -> None:
        for handler in self._handlers.get(event.name, []):
            await handler(session, event)


async def publish(session: AsyncSession, event: DomainEvent) -> None:
    """Announce `event` to the handlers of the application this session belongs to."""
    bus: EventBus | None = session.info.get("event_bus")
    if bus is not None:
        await bus.publish(session, event)
