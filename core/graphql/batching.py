"""Relations resolved for many parents at once.

The fast path (`compiled_execution`) resolves a field for every object of a level together. A
field whose resolver loads a relation can name a batch form of it in its metadata: one call
for the whole level instead of a coroutine, a DataLoader future and a Task per object.

    @strawberry.field(metadata=batched(guardianships_of))
    async def guardianships(self, info: Info) -> list[Guardianship]:
        return (await guardianships_of([self], info))[0]

The field's own resolver must answer as its batch form does for one parent; writing it as
above makes that so by construction.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from core.graphql.context import Info

BATCH_RESOLVER = "caregraph.batch_resolver"

BatchResolver = Callable[[Sequence[Any], Info], Awaitable[Sequence[Any]]]


def batched(resolve_many: BatchResolver) -> dict[str, BatchResolver]:
    """Field metadata naming the batch form of the field's resolver."""
    return {BATCH_RESOLVER: resolve_many}


def batch_resolver_of(metadata: Mapping[Any, Any] | None) -> BatchResolver | None:
    return (metadata or {}).get(BATCH_RESOLVER)
