"""Per-request DataLoaders: every relation is fetched in one statement per batch of keys, so a
nested query costs a fixed number of statements whatever the page size."""

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.dataloader import DataLoader

from core import models
from core.authorization.scopes import ChildScope
from core.enums import CaseStatus

Annotation = tuple[str, ColumnElement[bool]]


async def select_annotated(
    session: AsyncSession, statement: Select[Any], annotate: Sequence[Annotation]
) -> list[Any]:
    """Rows of `statement`; with `annotate`, each row also gets `visible_through`, the names
    whose condition holds for it (which of the caller's roles see the row), in the same query."""
    if not annotate:
        return list((await session.scalars(statement)).all())
    labelled = [condition.label(f"_through_{i}") for i, (_, condition) in enumerate(annotate)]
    rows = []
    for row, *flags in (await session.execute(statement.add_columns(*labelled))).all():
        row.visible_through = frozenset(
            name for (name, _), flag in zip(annotate, flags, strict=True) if flag
        )
        rows.append(row)
    return rows


def batch_one_per_key(
    sessions: async_sessionmaker[AsyncSession],
    model: type[Any],
    key_column: InstrumentedAttribute[Any],
    *,
    where: Sequence[ColumnElement[bool]] = (),
    annotate: Sequence[Annotation] = (),
) -> Callable[[list[Any]], Awaitable[list[Any]]]:
    async def load(keys: list[Any]) -> list[Any]:
        statement = select(model).where(key_column.in_(keys), *where)
        async with sessions() as session:
            rows = await select_annotated(session, statement, annotate)
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
    annotate: Sequence[Annotation] = (),
) -> Callable[[list[Any]], Awaitable[list[list[Any]]]]:
    async def load(keys: list[Any]) -> list[list[Any]]:
        statement = select(model).where(key_column.in_(keys), *where).order_by(*order_by)
        async with sessions() as session:
            rows = await select_annotated(session, statement, annotate)
        groups: dict[Any, list[Any]] = defaultdict(list)
        for row in rows:
            groups[getattr(row, key_column.key)].append(row)
        return [groups.get(key, []) for key in keys]

    return load


class Loaders:
    """Created once per request; the cache lives as long as the request. Records about
    children load only when the request's row scope includes the child."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], scope: ChildScope | None = None
    ) -> None:
        m = models
        scope = scope or ChildScope(condition=None)
        visible = scope.condition
        in_scope: list[ColumnElement[bool]] = [visible] if visible is not None else []
        annotate = scope.per_subject if scope.tracks_subjects else ()

        def about_visible_child(child_id: InstrumentedAttribute[Any]) -> list[ColumnElement[bool]]:
            if visible is None:
                return []
            return [child_id.in_(select(m.Child.id).where(visible))]

        def through_child(child_id: Any) -> Sequence[Annotation]:
            """Which of the caller's roles see the child a record is about."""
            if not annotate:
                return ()
            return [
                (subject, exists(select(m.Child.id).where(m.Child.id == child_id, condition)))
                for subject, condition in annotate
            ]

        def through_any_child_of_guardian() -> Sequence[Annotation]:
            if not annotate:
                return ()
            return [
                (
                    subject,
                    exists(
                        select(m.Guardianship.id)
                        .join(m.Child, m.Child.id == m.Guardianship.child_id)
                        .where(m.Guardianship.guardian_id == m.Guardian.id, condition)
                    ),
                )
                for subject, condition in annotate
            ]

        case_child = select(m.Case.child_id).where(m.Case.id == m.CaseEvent.case_id)
        self.record_annotations = {
            "Guardianship": through_child(m.Guardianship.child_id),
            "Case": through_child(m.Case.child_id),
            "Guardian": through_any_child_of_guardian(),
        }

        guardian_visible = (
            [
                exists(
                    select(m.Guardianship.id).where(
                        m.Guardianship.guardian_id == m.Guardian.id,
                        *about_visible_child(m.Guardianship.child_id),
                    )
                )
            ]
            if visible is not None
            else []
        )
        self.child = DataLoader[uuid.UUID, m.Child | None](
            batch_one_per_key(sessions, m.Child, m.Child.id, where=in_scope, annotate=annotate)
        )
        self.guardian = DataLoader[uuid.UUID, m.Guardian | None](
            batch_one_per_key(
                sessions,
                m.Guardian,
                m.Guardian.id,
                where=guardian_visible,
                annotate=through_any_child_of_guardian(),
            )
        )
        self.guardianship = DataLoader[uuid.UUID, m.Guardianship | None](
            batch_one_per_key(
                sessions,
                m.Guardianship,
                m.Guardianship.id,
                where=about_visible_child(m.Guardianship.child_id),
                annotate=through_child(m.Guardianship.child_id),
            )
        )
        self.region = DataLoader[str, m.Region | None](
            batch_one_per_key(sessions, m.Region, m.Region.code)
        )
        self.organization = DataLoader[uuid.UUID, m.Organization | None](
            batch_one_per_key(sessions, m.Organization, m.Organization.id)
        )
        self.case = DataLoader[uuid.UUID, m.Case | None](
            batch_one_per_key(
                sessions,
                m.Case,
                m.Case.id,
                where=about_visible_child(m.Case.child_id),
                annotate=through_child(m.Case.child_id),
            )
        )
        visible_cases = select(m.Case.id).where(*about_visible_child(m.Case.child_id))
        self.case_event = DataLoader[uuid.UUID, m.CaseEvent | None](
            batch_one_per_key(
                sessions,
                m.CaseEvent,
                m.CaseEvent.id,
                where=[m.CaseEvent.case_id.in_(visible_cases)] if visible is not None else [],
                annotate=through_child(case_child.scalar_subquery()),
            )
        )
        self.guardianships_of_child = DataLoader[uuid.UUID, list[m.Guardianship]](
            batch_many_per_key(
                sessions,
                m.Guardianship,
                m.Guardianship.child_id,
                order_by=[m.Guardianship.created_at, m.Guardianship.id],
                annotate=through_child(m.Guardianship.child_id),
            )
        )
        self.guardianships_of_guardian = DataLoader[uuid.UUID, list[m.Guardianship]](
            batch_many_per_key(
                sessions,
                m.Guardianship,
                m.Guardianship.guardian_id,
                order_by=[m.Guardianship.created_at, m.Guardianship.id],
                where=about_visible_child(m.Guardianship.child_id),
                annotate=through_child(m.Guardianship.child_id),
            )
        )
        self.cases_of_child = DataLoader[uuid.UUID, list[m.Case]](
            batch_many_per_key(
                sessions,
                m.Case,
                m.Case.child_id,
                order_by=[m.Case.opened_at, m.Case.id],
                annotate=through_child(m.Case.child_id),
            )
        )
        self.open_cases_of_child = DataLoader[uuid.UUID, list[m.Case]](
            batch_many_per_key(
                sessions,
                m.Case,
                m.Case.child_id,
                order_by=[m.Case.opened_at, m.Case.id],
                where=[m.Case.status != CaseStatus.CLOSED],
                annotate=through_child(m.Case.child_id),
            )
        )
        self.events_of_case = DataLoader[uuid.UUID, list[m.CaseEvent]](
            batch_many_per_key(
                sessions,
                m.CaseEvent,
                m.CaseEvent.case_id,
                order_by=[m.CaseEvent.occurred_at, m.CaseEvent.id],
                annotate=through_child(case_child.scalar_subquery()),
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
