"""Scalars whose values must also fit PostgreSQL.

Strawberry's DateTime accepts any ISO 8601 moment Python can hold; one at the ends of the
calendar (`9999-12-31T23:59:59-05:00`) overflows once moved to UTC and would fail in the
database. Here it is refused as the input it is; and a moment without an offset is taken as
UTC, as the database driver would take it, said once and for all here.
"""

import dataclasses
from datetime import UTC, datetime, timedelta

from dateutil.parser import isoparse
from strawberry.schema.types.base_scalars import DateTimeDefinition, wrap_parser
from strawberry.types.scalar import ScalarDefinition

# A day's margin inside Python's range: the queries add and subtract days from moments given.
EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


def parse_storable_datetime(value: str) -> datetime:
    moment: datetime = isoparse(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("it is outside the years 1 to 9999") from None
    if not EARLIEST <= in_utc <= LATEST:
        raise ValueError("it is outside the years 1 to 9999")
    return moment


STORABLE_DATETIME: ScalarDefinition = dataclasses.replace(
    DateTimeDefinition, parse_value=wrap_parser(parse_storable_datetime, "DateTime")
)
SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {datetime: STORABLE_DATETIME}
