"""Helpers for records about children whose visibility depends on the caller's roles."""

import uuid

from core.errors import Forbidden
from core.graphql.context import Info

# Which of the caller's roles see a record's child; None: all of them.
Through = frozenset[str] | None


def require_readable(info: Info, type_name: str, through: Through) -> None:
    """FORBIDDEN when the caller may read no field of `type_name` through the roles that see the
    child. A list of such records would otherwise show bare IDs, i.e. that they exist."""
    access = info.context.access
    if access is None or not access.enforced:
        return
    if not any(access.field_access(type_name, through).values()):
        raise Forbidden(f"your role may not read {type_name} records")


async def children_seen_through(info: Info, child_ids: list[uuid.UUID]) -> list[Through]:
    """For each child, the caller's roles that see it, in one batch (the child loader annotates
    its rows when the caller's roles see different children)."""
    rows = await info.context.loaders.child.load_many(child_ids)
    return [getattr(row, "visible_through", None) for row in rows]
