"""Which database answers a request's reads: a replica for queries over HTTP when replicas are
configured and one has replayed the caller's own writes, the primary for everything else.

Mutations read and write on the primary; subscriptions read there too, since the outbox row
that wakes them is on the primary before any replica has it. Operations over a WebSocket share
one context, concurrently, so they are not routed: the primary answers them. The caller's write
position is recorded by `unit_of_work` as each mutation commits (core.write_positions).
"""

from collections.abc import AsyncIterator

from opentelemetry import trace
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from core.write_positions import written_up_to


class RouteReads(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        replicas = getattr(context, "replicas", None)
        if (
            replicas
            and not context.websocket
            and not context.awaiting_authentication
            and self.execution_context.operation_type is OperationType.QUERY
            and not self.execution_context.pre_execution_errors
        ):
            # the position is read on the primary: a replica may not have the newest yet
            primary = context.factory.read_sessions
            chosen = replicas.sessions_for(await written_up_to(primary, context.caller.user_id))
            # operators see where queries were answered, on the operation's span
            trace.get_current_span().set_attribute("caregraph.replica", chosen is not None)
            if chosen is not None:
                context.read_sessions = chosen
                context.fresh_loaders()
        yield
