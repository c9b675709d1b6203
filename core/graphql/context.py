"""What every resolver receives: the caller, database access and per-request loaders."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.types import Info as StrawberryInfo

from core.identity import Caller
from core.settings import Settings


@dataclass
class RequestContext:
    caller: Caller
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    loaders: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    def session(self) -> AsyncSession:
        """A session for one unit of work. Loaders each take their own: sibling fields resolve
        concurrently and a session must not be shared between concurrent statements."""
        return self.sessions()


Info = StrawberryInfo[RequestContext, None]
