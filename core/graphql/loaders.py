"""Per-request DataLoaders: every relation is fetched in one statement per batch of keys, so a
nested query costs a fixed number of statements whatever the page size."""

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.dataloader import DataLoader

from core import models
from core.enums import CaseStatus


def batch_one_per_key(
    sessions: async_sessionmaker[AsyncSession],
    model: type[Any],
    key_column: InstrumentedAttribute[Any],
) -> Callable[[list[Any]], Awaitable[list[Any]]]:
    async def load(keys: list[Any]) -> list[Any]:
        async with sessions() as session:
            rows = (await session.scalars(select(model).where(key_column.in_(keys)))).all()
        by_key = {getattr(row, key_column.key): row for row in rows}
        return [by_key.get(key) for key in keys]

    return load


def batch_many_per_key(
    sessions: async_sessionmaker[AsyncSession],
    model: type[Any],
    key_column: InstrumentedAttribute[Any],
    *,
    order_by: Sequence[Any],
    where: Sequence[ColumnElement[bool]] = (),
) -> Callable[[list[Any]], Awaitable[list[list[Any]]]]:
    async def load(keys: list[Any]) -> list[list[Any]]:
        statement = select(model).where(key_column.in_(keys), *where).order_by(*order_by)
        async with sessions() as session:
            rows = (await session.scalars(statement)).all()
        groups: dict[Any, list[Any]] = defaultdict(list)
        for row in rows:
            groups[getattr(row, key_column.key)].append(row)
        return [groups.get(key, []) for key in keys]

    return load


class Loaders:
    """Created once per request; the cache lives as long as the request."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        m = models
        self.child = DataLoader[uuid.UUID, m.Child | None](
            batch_one_per_key(sessions, m.Child, m.Child.id)
        )
        self.guardian = DataLoader[uuid.UUID, m.Guardian | None](
            batch_one_per_key(sessions, m.Guardian, m.Guardian.id)
        )
        self.guardianship = DataLoader[uuid.UUID, m.Guardianship | None](
            batch_one_per_key(sessions, m.Guardianship, m.Guardianship.id)
        )
        self.region = DataLoader[str, m.Region | None](
            batch_one_per_key(sessions, m.Region, m.Region.code)
        )
        self.organization = DataLoader[uuid.UUID, m.Organization | None](
            batch_one_per_key(sessions, m.Organization, m.Organization.id)
        )
        self.case = DataLoader[uuid.UUID, m.Case | None](
            batch_one_per_key(sessions, m.Case, m.Case.id)
        )
        self.case_event = DataLoader[uuid.UUID, m.CaseEvent | None](
            batch_one_per_key(sessions, m.CaseEvent, m.CaseEvent.id)
        )
        self.guardianships_of_child = DataLoader[uuid.UUID, list[m.Guardianship]](
            batch_many_per_key(
                sessions,
                m.Guardianship,
                m.Guardianship.child_id,
                order_by=[m.Guardianship.created_at, m.Guardianship.id],
            )
        )
        self.guardianships_of_guardian = DataLoader[uuid.UUID, list[m.Guardianship]](
            batch_many_per_key(
                sessions,
                m.Guardianship,
                m.Guardianship.guardian_id,
                order_by=[m.Guardianship.created_at, m.Guardianship.id],
            )
        )
        self.cases_of_child = DataLoader[uuid.UUID, list[m.Case]](
            batch_many_per_key(
                sessions, m.Case, m.Case.child_id, order_by=[m.Case.opened_at, m.Case.id]
            )
        )
        self.open_cases_of_child = DataLoader[uuid.UUID, list[m.Case]](
            batch_many_per_key(
                sessions,
                m.Case,
                m.Case.child_id,
                order_by=[m.Case.opened_at, m.Case.id],
                where=[m.Case.status != CaseStatus.CLOSED],
            )
        )
        self.events_of_case = DataLoader[uuid.UUID, list[m.CaseEvent]](
            batch_many_per_key(
                sessions,
                m.CaseEvent,
                m.CaseEvent.case_id,
                order_by=[m.CaseEvent.occurred_at, m.CaseEvent.id],
            )
        )
        self.assignments_of_case = DataLoader[uuid.UUID, list[m.CaseAssignment]](
            batch_many_per_key(
                sessions,
                m.CaseAssignment,
                m.CaseAssignment.case_id,
                order_by=[m.CaseAssignment.assigned_at],
            )
        )
        self.subregions = DataLoader[str, list[m.Region]](
            batch_many_per_key(sessions, m.Region, m.Region.parent_code, order_by=[m.Region.code])
        )

    def prime_children(self, rows: Sequence[models.Child]) -> None:
        for row in rows:
            self.child.prime(row.id, row)
