"""Relay cursor connections over keyset pagination in SQL.

A cursor is an opaque encoding of the sort key and id of a row; pages are fetched with a row
comparison on those columns, so deep pages cost the same as the first and `totalCount` is one
COUNT over the same filters, run only when the caller selects it.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from sqlalchemy import Select, func, tuple_
from sqlalchemy.orm import InstrumentedAttribute
from strawberry import relay

from core.errors import ValidationFailed
from core.graphql.context import Info
from core.graphql.loaders import Annotation, select_annotated

NodeType = TypeVar("NodeType", bound=relay.Node)

# The page arguments of every connection, described once so that the SDL tells front-end teams
# that a page size is required (docs/operations.md).
First = Annotated[
    int | None,
    strawberry.argument(
        description="How many nodes from the start, 1 to 100 (CAREGRAPH_MAX_PAGE_SIZE). "
        "Required unless `last` is given: there is no default page size (每页条数)."
    ),
]
After = Annotated[
    str | None, strawberry.argument(description="The nodes after this cursor (`endCursor`).")
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description="How many nodes from the end, 1 to 100; instead of `first`, not with it."
    ),
]
Before = Annotated[
    str | None, strawberry.argument(description="The nodes before this cursor (`startCursor`).")
]


@dataclass(frozen=True)
class PageArguments:
    first: int | None
    after: str | None
    last: int | None
    before: str | None


@dataclass(frozen=True)
class SortKey:
    column: InstrumentedAttribute[Any]
    descending: bool = False


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _decode_value(value: Any, column: InstrumentedAttribute[Any]) -> Any:
    """The cursor's value for `column`, of that column's Python type (ValueError otherwise)."""
    python_type = column.type.python_type
    if python_type in (str, datetime, date, uuid.UUID) and not isinstance(value, str):
        raise ValueError("cursor value of the wrong type")
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    if python_type is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise ValueError("cursor value of the wrong type")
    return value


def _ordering(sort: list[SortKey]) -> str:
    """Names the ordering a cursor belongs to, so it is not replayed under another one."""
    return ",".join(f"{key.column.key}{'-' if key.descending else '+'}" for key in sort)


def encode_cursor(values: list[Any], sort: list[SortKey]) -> str:
    raw = json.dumps(
        {"o": _ordering(sort), "v": [_encode_value(v) for v in values]}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str, sort: list[SortKey], argument: str) -> list[Any]:
    columns = [key.column for key in sort]
    try:
        content = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(content, dict) or content.get("o") != _ordering(sort):
            raise ValueError
        values = content.get("v")
        if not isinstance(values, list) or len(values) != len(columns):
            raise ValueError
        return [_decode_value(v, c) for v, c in zip(values, columns, strict=True)]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(
            "the cursor is not one this connection issued with this ordering", field=argument
        ) from None


def check_page_arguments(page: PageArguments, *, max_size: int) -> int:
    """The page size to fetch. Every connection needs first or last, from 1 to max (the
    request-cost check refuses the same before running; this guards direct execution)."""
    if page.first is not None and page.last is not None:
        raise ValidationFailed("pass either first or last, not both", field="first")
    for name, size in (("first", page.first), ("last", page.last)):
        if size is not None and not 1 <= size <= max_size:
            raise ValidationFailed(
                f"{name} must be between 1 and {max_size}", field=name, maximum=max_size
            )
    size = page.first or page.last
    if size is None:
        raise ValidationFailed(
            f"say how many nodes you want with first or last (1 to {max_size})",
            field="first",
            maximum=max_size,
        )
    return size


def _row_key(row: Any, sort: list[SortKey]) -> list[Any]:
    return [getattr(row, key.column.key) for key in sort]


async def fetch_page(
    info: Info,
    statement: Select[Any],
    *,
    sort: list[SortKey],
    page: PageArguments,
    annotate: Sequence[Annotation] = (),
) -> tuple[list[Any], relay.PageInfo, Select[Any], list[str]]:
    """Run `statement` (an ORM select of one entity with its filters) for one page.

    Returns the rows, the page info, the COUNT statement for totalCount, and each row's cursor.
    `sort` must end with a unique column and use one direction throughout.
    """
    settings = info.context.settings
    size = check_page_arguments(page, max_size=settings.max_page_size)
    columns = [key.column for key in sort]
    descending = sort[0].descending
    backwards = page.last is not None
    # COUNT over the filtered rows only: selecting the entity would also compute its column
    # properties (the left-behind status) for every row.
    count_statement = statement.with_only_columns(
        func.count(), maintain_column_froms=True
    ).order_by(None)

    paged = statement
    if page.after is not None:
        after = decode_cursor(page.after, sort, "after")
        key, value = tuple_(*columns), tuple_(*after)
        paged = paged.where(key < value if descending else key > value)
    if page.before is not None:
        before = decode_cursor(page.before, sort, "before")
        key, value = tuple_(*columns), tuple_(*before)
        paged = paged.where(key > value if descending else key < value)
    fetch_descending = descending != backwards
    paged = paged.order_by(*[c.desc() if fetch_descending else c.asc() for c in columns]).limit(
        size + 1
    )

    async with info.context.read_session() as session:
        rows = await select_annotated(session, paged, annotate)
    has_more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    cursors = [encode_cursor(_row_key(row, sort), sort) for row in rows]
    page_info = relay.PageInfo(
        has_next_page=has_more if not backwards else page.before is not None,
        has_previous_page=has_more if backwards else page.after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
    return rows, page_info, count_statement, cursors


@strawberry.type
class CountedConnection(relay.Connection[NodeType], Generic[NodeType]):
    count_statement: strawberry.Private[Select[Any] | None] = None

    @strawberry.field(description="How many nodes match the filters, across all pages (总数).")
    async def total_count(self, info: Info) -> int:
        if self.count_statement is None:
            return len(self.edges)
        async with info.context.read_session() as session:
            return int((await session.execute(self.count_statement)).scalar_one())
