"""Building each request's context: who is calling, what their roles may do and see.

HTTP requests authenticate from their headers. A WebSocket may do the same, or, as browsers
cannot set headers on one, send `{"Authorization": "Bearer …"}` in graphql-transport-ws's
`connection_init`; until then its context allows nothing.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from core.audit.recorder import RequestAudit
from core.authentication import Authenticator
from core.authorization.control import AccessControl
from core.graphql.context import RequestContext
from core.graphql.loaders import Loaders
from core.identity import Caller
from core.limits.rate_limits import RateLimiter
from core.observability import Telemetry
from core.replicas import ReplicaSet
from core.settings import Settings
from core.trusted_documents import DocumentRegistry

NOBODY = Caller(user_id="anonymous", via="pending")
CREDENTIAL_HEADERS = ("authorization", "x-api-key")


class ContextFactory:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        access_control: AccessControl,
        *,
        authorization: bool,
        telemetry: Telemetry,
        notifications: Any,
        rate_limiter: RateLimiter | None = None,
        documents: DocumentRegistry | None = None,
        read_sessions: async_sessionmaker[AsyncSession] | None = None,
        replicas: ReplicaSet | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.read_sessions = read_sessions or sessions
        self.replicas = replicas
        self.access_control = access_control
        self.authorization = authorization
        self.telemetry = telemetry
        self.notifications = notifications
        self.rate_limiter = rate_limiter
        self.documents = documents or DocumentRegistry(sessions)
        self.authenticator = Authenticator(settings, sessions, access_control.known_subject)

    async def __call__(self, connection: HTTPConnection) -> RequestContext:
        if self.access_control.compiled is None:  # the database was away at start-up
            await self.access_control.reload(self.sessions)
        client = connection.client.host if connection.client else None
        purpose = connection.headers.get("x-access-purpose", "").strip()[:500] or None
        context = RequestContext(
            caller=NOBODY,
            sessions=self.sessions,
            read_sessions=self.read_sessions,
            replicas=self.replicas,
            settings=self.settings,
            audit=RequestAudit(caller=None, client_address=client, purpose=purpose),
            write_targets=self.access_control.write_targets,
            access_control=self.access_control,
            telemetry=self.telemetry,
            notifications=self.notifications,
            factory=self,
            rate_limiter=self.rate_limiter,
            documents=self.documents,
        )
        context.websocket = connection.scope["type"] == "websocket"
        pending = context.websocket and not any(
            name in connection.headers for name in CREDENTIAL_HEADERS
        )
        if pending:
            context.awaiting_authentication = True
            self.bind(context, NOBODY)
        else:
            self.bind(context, await self.authenticator.authenticate(connection.headers))
        return context

    async def authenticate_connection(
        self, context: RequestContext, params: Mapping[str, Any]
    ) -> None:
        """Sign in a WebSocket from its connection_init payload (keys as the HTTP headers)."""
        headers = {str(key).lower(): value for key, value in params.items()}
        headers = {key: value for key, value in headers.items() if isinstance(value, str)}
        if purpose := headers.get("x-access-purpose", "").strip()[:500]:
            context.audit.purpose = purpose
        self.bind(context, await self.authenticator.authenticate(headers))
        context.awaiting_authentication = False

    def bind(self, context: RequestContext, caller: Caller) -> None:
        """Give the context `caller`'s access under the policy now in force, and new loaders."""
        access = self.access_control.request_access(
            caller, enforced=self.authorization or caller is NOBODY
        )
        scope = self.access_control.child_scope(caller, access)
        context.caller = caller
        context.access = access
        context.child_scope = scope
        context.loaders = Loaders(self.read_sessions, scope)
        context.extras.clear()
        if context.audit is not None:
            context.audit.caller = None if caller is NOBODY else caller
