"""Per-request DataLoaders: every relation is fetched in one statement per batch of keys, so a
nested query costs a fixed number of statements whatever the page size."""

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Select, any_, bindparam, exists, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.dataloader import DataLoader

from core import models
from core.authorization.scopes import ChildScope
from core.authorization.scopes import about_visible_child as scoped_to_child
from core.enums import CaseStatus

Annotation = tuple[str, ColumnElement[bool]]


class RecordRow(SimpleNamespace):
    """A record as read for an answer: its mapped attributes as plain attributes. Reads build
    these rather than ORM instances, which cost several times more to build and track
    changes nobody makes; they are never written back."""


def _as_columns(statement: Select[Any]) -> tuple[Select[Any], list[str]] | None:
    """`select(Model)…` selecting each of Model's loaded column attributes, labelled by
    attribute name, instead of the entity; None for other statements, and for those with
    loader options (an `undefer`), which the ORM must carry out."""
    descriptions = statement.column_descriptions
    if len(descriptions) != 1 or statement._with_options:
        return None
    entity = descriptions[0]["entity"]
    if entity is None or descriptions[0]["expr"] is not entity:
        return None
    # deferred attributes are not read, as the ORM would not load them either
    keys = [a.key for a in sa_inspect(entity).column_attrs if not a.deferred]
    columns = [getattr(entity, key).label(key) for key in keys]
    return statement.with_only_columns(*columns), keys


async def select_annotated(
    session: AsyncSession, statement: Select[Any], annotate: Sequence[Annotation]
) -> list[Any]:
    """Rows of `statement` (a `select(Model)`), as RecordRows (ORM instances for statements
    with loader options); with `annotate`, each row also gets `visible_through`, the names
    whose condition holds for it (which of the caller's roles see the row), in one query."""
    as_columns = _as_columns(statement)
    if as_columns is None:
        return await _select_instances(session, statement, annotate)
    plain, keys = as_columns
    if not annotate:
        result = await session.execute(plain)
        return [RecordRow(**dict(zip(keys, row, strict=True))) for row in result.all()]
    labelled = [condition.label(f"_through_{i}") for i, (_, condition) in enumerate(annotate)]
    rows = []
    width = len(keys)
    for row in (await session.execute(plain.add_columns(*labelled))).all():
        record = RecordRow(**dict(zip(keys, row[:width], strict=True)))
        record.visible_through = frozenset(
            name for (name, _), flag in zip(annotate, row[width:], strict=True) if flag
        )
        rows.append(record)
    return rows


async def _select_instances(
    session: AsyncSession, statement: Select[Any], annotate: Sequence[Annotation]
) -> list[Any]:
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


def is_one_of(column: InstrumentedAttribute[Any], keys: list[Any]) -> ColumnElement[bool]:
    """`column = ANY($1)` with the keys as one array parameter: the statement's text is the
    same for every batch size, so the prepared statement is reused (`IN ($1, … $n)` would be
    a new statement, prepared and planned again, for each n)."""
    return column == any_(bindparam(None, keys, type_=ARRAY(column.type)))


def batch_one_per_key(
    sessions: async_sessionmaker[AsyncSession],
    model: type[Any],
    key_column: InstrumentedAttribute[Any],
    *,
    where: Sequence[ColumnElement[bool]] = (),
    annotate: Sequence[Annotation] = (),
    where_for_keys: Callable[[list[Any]], Sequence[ColumnElement[bool]]] | None = None,
) -> Callable[[list[Any]], Awaitable[list[Any]]]:
    """Load one row per key; `where` and `where_for_keys(keys)` (conditions that depend on
    the batch's keys) filter which rows the request may see."""

    async def load(keys: list[Any]) -> list[Any]:
        conditions = [*where, *(where_for_keys(keys) if where_for_keys else ())]
        statement = select(model).where(is_one_of(key_column, keys), *conditions)
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
        statement = select(model).where(is_one_of(key_column, keys), *where).order_by(*order_by)
        async with sessions() as session:
            rows = await select_annotated(session, statement, annotate)
        groups: dict[Any, list[Any]] = defaultdict(list)
        for row in rows:
            groups[getattr(row, key_column.key)].append(row)
        return [groups.get(key, []) for key in keys]

    return load


class Loaders:
    """Created once per request; the cache lives as long as the request. Records about
    children load only when the request's row scope includes the child.

    Each loader, and the SQL conditions it filters with, is built when the request first
    uses it: most requests use a few of them, and building them all cost a millisecond."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], scope: ChildScope | None = None
    ) -> None:
        scope = scope or ChildScope(condition=None)
        self.sessions = sessions
        self.visible = scope.condition
        self.in_scope: list[ColumnElement[bool]] = (
            [self.visible] if self.visible is not None else []
        )
        self.annotate: Sequence[Annotation] = scope.per_subject if scope.tracks_subjects else ()

    # --- the conditions --------------------------------------------------------------------

    def about_visible_child(self, child_id: Any) -> list[ColumnElement[bool]]:
        if self.visible is None:
            return []
        return [scoped_to_child(child_id, self.visible)]

    def through_child(self, child_id: Any) -> Sequence[Annotation]:
        """Which of the caller's roles see the child a record is about."""
        return [
            (subject, exists(select(models.Child.id).where(models.Child.id == child_id, condition)))
            for subject, condition in self.annotate
        ]

    def through_any_child_of_guardian(self) -> Sequence[Annotation]:
        m = models
        return [
            (
                subject,
                exists(
                    select(m.Guardianship.id)
                    .join(m.Child, m.Child.id == m.Guardianship.child_id)
                    .where(m.Guardianship.guardian_id == m.Guardian.id, condition)
                ),
            )
            for subject, condition in self.annotate
        ]

    def through_child_of_case_event(self) -> Sequence[Annotation]:
        m = models
        case_child = select(m.Case.child_id).where(m.Case.id == m.CaseEvent.case_id)
        return self.through_child(case_child.scalar_subquery())

    def guardian_visible(self, keys: list[Any]) -> list[ColumnElement[bool]]:
        """Guardians of a child in scope. The guardianships looked at are those of the
        guardians asked for (by index), so the check costs what the batch does."""
        if self.visible is None:
            return []
        m = models
        guardians_in_scope = (
            select(m.Guardianship.guardian_id)
            .join(m.Child, m.Child.id == m.Guardianship.child_id)
            .where(is_one_of(m.Guardianship.guardian_id, keys), self.visible)
        )
        return [m.Guardian.id.in_(guardians_in_scope)]

    @cached_property
    def record_annotations(self) -> dict[str, Sequence[Annotation]]:
        m = models
        return {
            "Guardianship": self.through_child(m.Guardianship.child_id),
            "Case": self.through_child(m.Case.child_id),
            "Guardian": self.through_any_child_of_guardian(),
        }

    # --- one record per key ----------------------------------------------------------------

    @cached_property
    def child(self) -> DataLoader[uuid.UUID, Any]:
        m = models
        return DataLoader(
            batch_one_per_key(
                self.sessions, m.Child, m.Child.id, where=self.in_scope, annotate=self.annotate
            )
        )

    @cached_property
    def guardian(self) -> DataLoader[uuid.UUID, Any]:
        m = models
        return DataLoader(
            batch_one_per_key(
                self.sessions,
                m.Guardian,
                m.Guardian.id,
                where_for_keys=self.guardian_visible,
                annotate=self.through_any_child_of_guardian(),
            )
        )

    @cached_property
    def guardian_of_guardianship(self) -> DataLoader[uuid.UUID, Any]:
        """Guardians reached through a guardianship the request holds. Guardianships come
        only from loaders that check their child is in scope, so the guardian is visible
        through that very guardianship: no scope condition to check again."""
        m = models
        return DataLoader(
            batch_one_per_key(
                self.sessions,
                m.Guardian,
                m.Guardian.id,
                annotate=self.through_any_child_of_guardian(),
            )
        )

    @cached_property
    def guardianship(self) -> DataLoader[uuid.UUID, Any]:
        m = models
        return DataLoader(
            batch_one_per_key(
                self.sessions,
                m.Guardianship,
                m.Guardianship.id,
                where=self.about_visible_child(m.Guardianship.child_id),
                annotate=self.through_child(m.Guardianship.child_id),
            )
        )

    @cached_property
    def region(self) -> DataLoader[str, Any]:
        return DataLoader(batch_one_per_key(self.sessions, models.Region, models.Region.code))

    @cached_property
    def organization(self) -> DataLoader[uuid.UUID, Any]:
        m = models
        return DataLoader(batch_one_per_key(self.sessions, m.Organization, m.Organization.id))

    @cached_property
    def case(self) -> DataLoader[uuid.UUID, Any]:
        m = models
        return DataLoader(
            batch_one_per_key(
                self.sessions,
                m.Case,
                m.Case.id,
                where=self.about_visible_child(m.Case.child_id),
                annotate=self.through_child(m.Case.child_id),
            )
        )

    @cached_property
    def case_event(self) -> DataLoader[uuid.UUID, Any]:
        m = models
        visible_case = exists(
            select(m.Case.id).where(
                m.Case.id == m.CaseEvent.case_id, *self.about_visible_child(m.Case.child_id)
            )
        ).correlate_except(m.Case)
        return DataLoader(
            batch_one_per_key(
                self.sessions,
                m.CaseEvent,
                m.CaseEvent.id,
                where=[visible_case] if self.visible is not None else [],
                annotate=self.through_child_of_case_event(),
            )
        )

    # --- the records of a key, in order ----------------------------------------------------

    # Records of a child are checked against the scope too, although the child usually was:
    # a child's object may outlive its scope (an update that moves the child away), and the
    # guardians reached through these guardianships are not checked again.
    @cached_property
    def guardianships_of_child(self) -> DataLoader[uuid.UUID, list[Any]]:
        m = models
        return DataLoader(
            batch_many_per_key(
                self.sessions,
                m.Guardianship,
                m.Guardianship.child_id,
                order_by=[m.Guardianship.created_at, m.Guardianship.id],
                where=self.about_visible_child(m.Guardianship.child_id),
                annotate=self.through_child(m.Guardianship.child_id),
            )
        )

    @cached_property
    def guardianships_of_guardian(self) -> DataLoader[uuid.UUID, list[Any]]:
        m = models
        return DataLoader(
            batch_many_per_key(
                self.sessions,
                m.Guardianship,
                m.Guardianship.guardian_id,
                order_by=[m.Guardianship.created_at, m.Guardianship.id],
                where=self.about_visible_child(m.Guardianship.child_id),
                annotate=self.through_child(m.Guardianship.child_id),
            )
        )

    @cached_property
    def cases_of_child(self) -> DataLoader[uuid.UUID, list[Any]]:
        m = models
        return DataLoader(
            batch_many_per_key(
                self.sessions,
                m.Case,
                m.Case.child_id,
                order_by=[m.Case.opened_at, m.Case.id],
                where=self.about_visible_child(m.Case.child_id),
                annotate=self.through_child(m.Case.child_id),
            )
        )

    @cached_property
    def open_cases_of_child(self) -> DataLoader[uuid.UUID, list[Any]]:
        m = models
        return DataLoader(
            batch_many_per_key(
                self.sessions,
                m.Case,
                m.Case.child_id,
                order_by=[m.Case.opened_at, m.Case.id],
                where=[
                    m.Case.status != CaseStatus.CLOSED,
                    *self.about_visible_child(m.Case.child_id),
                ],
                annotate=self.through_child(m.Case.child_id),
            )
        )

    @cached_property
    def events_of_case(self) -> DataLoader[uuid.UUID, list[Any]]:
        m = models
        return DataLoader(
            batch_many_per_key(
                self.sessions,
                m.CaseEvent,
                m.CaseEvent.case_id,
                order_by=[m.CaseEvent.occurred_at, m.CaseEvent.id],
                annotate=self.through_child_of_case_event(),
            )
        )

    @cached_property
    def assignments_of_case(self) -> DataLoader[uuid.UUID, list[Any]]:
        m = models
        return DataLoader(
            batch_many_per_key(
                self.sessions,
                m.CaseAssignment,
                m.CaseAssignment.case_id,
                order_by=[m.CaseAssignment.assigned_at],
            )
        )

    @cached_property
    def subregions(self) -> DataLoader[str, list[Any]]:
        m = models
        return DataLoader(
            batch_many_per_key(
                self.sessions, m.Region, m.Region.parent_code, order_by=[m.Region.code]
            )
        )

    def prime_children(self, rows: Sequence[Any]) -> None:
        for row in rows:
            self.child.prime(row.id, row)
