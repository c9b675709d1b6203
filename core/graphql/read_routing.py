"""Which database answers a request's reads: a replica for queries when replicas are
configured and one has replayed the caller's own writes, the primary for everything else.

Mutations read and write on the primary; subscriptions read there too, since the outbox row
that wakes them is on the primary before any replica has it. After a mutation that committed,
the caller's write position is recorded, so that their next query, on any server process,
waits for a replica that has it (core.write_positions).
"""

import logging
from collections.abc import AsyncIterator

from opentelemetry import trace
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from core.write_positions import record_write, written_up_to

logger = logging.getLogger("caregraph.replicas")


class RouteReads(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        replicas = getattr(context, "replicas", None)
        if not replicas or getattr(context, "awaiting_authentication", True):
            yield
            return
        operation = self.execution_context.operation_type
        if operation is OperationType.QUERY and not self.execution_context.pre_execution_errors:
            principal = context.caller.user_id
            chosen = replicas.sessions_for(await written_up_to(context.read_sessions, principal))
            # operators see where queries were answered, on the operation's span
            trace.get_current_span().set_attribute("caregraph.replica", chosen is not None)
            if chosen is not None:
                context.read_sessions = chosen
                context.fresh_loaders()
        yield
        if operation is OperationType.MUTATION and context.wrote:
            try:
                await record_write(context.sessions, context.caller.user_id)
            except Exception as error:  # the change is made: its answer must still be given
                logger.warning("write position not recorded: %s", type(error).__name__)
