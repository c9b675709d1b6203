"""One mutation, one transaction: everything it writes commits together or not at all."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from core.errors import Conflict
from core.graphql.context import Info


@asynccontextmanager
async def unit_of_work(info: Info) -> AsyncIterator[AsyncSession]:
    """A session in a transaction that commits on success and rolls back on any error.

    A uniqueness race or a concurrent update that slipped past the checks surfaces as CONFLICT,
    without the database's message (it would quote the conflicting values).
    """
    try:
        async with info.context.session() as session, session.begin():
            scope = info.context.child_scope
            if scope is not None:  # writes see the same children as reads
                session.info["child_scope"] = scope.condition
            yield session
    except IntegrityError:
        raise Conflict(
            "another change to the same records happened at the same time; retry"
        ) from None
    except StaleDataError:
        raise Conflict(
            "the record was changed by someone else at the same time; read it again",
            field="input.version",
        ) from None
