"""What every resolver receives: the caller, database access and per-request loaders."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from core.identity import Caller
from core.settings import Settings

K = TypeVar("K")
V = TypeVar("V")


@dataclass
class RequestContext:
    caller: Caller
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    loaders: Any = None
    # sessions for reads only (autocommit, core.database.create_read_engine); writes use
    # `sessions`
    read_sessions: async_sessionmaker[AsyncSession] | None = None
    replicas: Any = None  # core.replicas.ReplicaSet, or None: the primary answers every read
    websocket: bool = False  # a WebSocket's operations share this context
    access: Any = None  # core.authorization.access.RequestAccess
    child_scope: Any = None  # core.authorization.scopes.ChildScope
    write_targets: dict[str, str] = field(default_factory=dict)
    access_control: Any = None  # core.authorization.control.AccessControl
    audit: Any = None  # core.audit.recorder.RequestAudit
    telemetry: Any = None  # core.observability.Telemetry
    notifications: Any = None  # core.notifications.NotificationHub
    factory: Any = None  # core.http.context_factory.ContextFactory, which built this context
    rate_limiter: Any = None  # core.limits.rate_limits.RateLimiter, or None when off
    documents: Any = None  # core.trusted_documents.DocumentRegistry
    idempotency: Any = None  # core.idempotency.Claim when the request sent an Idempotency-Key
    response: Any = None  # the HTTP response being prepared (headers, status), if any
    # set by strawberry from a WebSocket's connection_init payload
    connection_params: dict[str, Any] | None = None
    awaiting_authentication: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    def renew(self) -> None:
        """Take up the policy now in force and start with empty loaders: a subscription does
        this before each delivery, since it outlives policy changes and cached rows."""
        if self.factory is not None:
            self.factory.bind(self, self.caller)

    def fresh_loaders(self) -> None:
        """Forget every loaded row: new core loaders, and plugins' loaders made anew."""
        from core.graphql.loaders import Loaders

        self.loaders = Loaders(self.reads, self.child_scope)
        for key in [key for key in self.extras if key.startswith("loader:")]:
            del self.extras[key]

    def visible_children(self, child_id: Any) -> Any:
        """A condition on `child_id` (a column of children's ids) that keeps only the children
        this request may see; plugins filter their own records about children with it."""
        from sqlalchemy import true

        from core.authorization.scopes import about_visible_child

        condition = self.child_scope.condition if self.child_scope is not None else None
        if condition is None:
            return true()
        return about_visible_child(child_id, condition)

    def loader(
        self, name: str, batch_load: Callable[[list[K]], Awaitable[list[V]]]
    ) -> DataLoader[K, V]:
        """A per-request DataLoader that a plugin names; created on first use, then reused so
        that every resolver of the request shares its batch and cache."""
        key = f"loader:{name}"
        if key not in self.extras:
            self.extras[key] = DataLoader(batch_load)
        loader: DataLoader[K, V] = self.extras[key]
        return loader

    @property
    def reads(self) -> async_sessionmaker[AsyncSession]:
        """The sessions a resolver or loader reads through: a replica when the request's reads
        were routed to one (core.graphql.read_routing), else the primary."""
        return self.read_sessions or self.sessions

    def read_session(self) -> AsyncSession:
        """A session for reading only: each statement runs on its own (no transaction)."""
        return self.reads()

    def session(self) -> AsyncSession:
        """A session for one unit of work. Loaders each take their own: sibling fields resolve
        concurrently and a session must not be shared between concurrent statements."""
        return self.sessions()


Info = StrawberryInfo[RequestContext, None]
