"""Filter inputs for the core connections, and their translation into SQL conditions."""

import re
from datetime import date
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, Select, exists, select

from core import models
from core.errors import ValidationFailed
from core.graphql import enums
from core.region_codes import is_region_code, subtree_prefix
from core.resident_id import normalize

_ID_NUMBER_LIKE = re.compile(r"^\d{17}[\dXx]$")


@strawberry.input(description="Filters for the children list (儿童筛选). All given filters apply.")
class ChildFilter:
    region_code: str | None = strawberry.field(
        default=None,
        description="Only children living in this region or anywhere below it (辖区).",
    )
    is_left_behind: bool | None = strawberry.field(default=None, description="留守儿童 or not.")
    guardianship_types: list[enums.GuardianshipType] | None = None
    schooling: list[enums.Schooling] | None = None
    status: list[enums.ChildStatus] | None = None
    min_age: int | None = strawberry.field(
        default=None, description="Age in whole years, inclusive."
    )
    max_age: int | None = strawberry.field(
        default=None, description="Age in whole years, inclusive."
    )
    risk_levels: list[enums.RiskLevel] | None = strawberry.field(
        default=None, description="Children with an open case at one of these risk levels."
    )
    has_open_case: bool | None = None
    search: str | None = strawberry.field(
        default=None,
        description="An 18-character resident ID number matches that child exactly; any other "
        "text matches names containing it.",
    )


@strawberry.enum(description="Orderings of the children list.")
class ChildOrder(Enum):
    NAME = "NAME"
    BIRTH_DATE = "BIRTH_DATE"
    REGISTERED_AT = "REGISTERED_AT"


@strawberry.enum
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


def region_condition(column: Any, code: str, field: str) -> ColumnElement[bool]:
    if not is_region_code(code):
        raise ValidationFailed("a region code has 6, 9 or 12 digits", field=field)
    condition: ColumnElement[bool] = column.like(subtree_prefix(code) + "%")
    return condition


def _years_ago(years: int) -> date:
    today = date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year without one
        return today.replace(year=today.year - years, day=28)


def apply_child_filter(statement: Select[Any], child_filter: ChildFilter | None) -> Select[Any]:
    if child_filter is None:
        return statement
    f, child = child_filter, models.Child
    conditions: list[ColumnElement[bool]] = []
    if f.region_code is not None:
        conditions.append(
            region_condition(child.residence_region_code, f.region_code, "filter.regionCode")
        )
    if f.is_left_behind is not None:
        conditions.append(child.is_left_behind == f.is_left_behind)
    if f.guardianship_types:
        conditions.append(child.guardianship_type.in_(f.guardianship_types))
    if f.schooling:
        conditions.append(child.schooling.in_(f.schooling))
    if f.status:
        conditions.append(child.status.in_(f.status))
    for name, age in (("minAge", f.min_age), ("maxAge", f.max_age)):
        if age is not None and not 0 <= age <= 30:
            raise ValidationFailed("ages run from 0 to 30", field=f"filter.{name}")
    if f.min_age is not None:
        conditions.append(child.birth_date <= _years_ago(f.min_age))
    if f.max_age is not None:
        conditions.append(child.birth_date > _years_ago(f.max_age + 1))
    open_case = select(models.Case.id).where(
        models.Case.child_id == child.id, models.Case.status != enums.CaseStatus.CLOSED
    )
    if f.risk_levels:
        conditions.append(exists(open_case.where(models.Case.risk_level.in_(f.risk_levels))))
    if f.has_open_case is not None:
        conditions.append(exists(open_case) if f.has_open_case else ~exists(open_case))
    if f.search is not None:
        text = f.search.strip()
        if not text:
            raise ValidationFailed("search text is empty", field="filter.search")
        if _ID_NUMBER_LIKE.match(text):
            conditions.append(child.id_number == normalize(text))
        else:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(child.name.ilike(f"%{escaped}%", escape="\\"))
    return statement.where(*conditions)


@strawberry.input(description="Filters for the cases list (个案筛选).")
class CaseFilter:
    status: list[enums.CaseStatus] | None = None
    kind: list[enums.CaseKind] | None = None
    risk_levels: list[enums.RiskLevel] | None = None
    region_code: str | None = strawberry.field(
        default=None, description="Cases about children living in this region's subtree."
    )


def apply_case_filter(statement: Select[Any], case_filter: CaseFilter | None) -> Select[Any]:
    if case_filter is None:
        return statement
    f, case = case_filter, models.Case
    if f.status:
        statement = statement.where(case.status.in_(f.status))
    if f.kind:
        statement = statement.where(case.kind.in_(f.kind))
    if f.risk_levels:
        statement = statement.where(case.risk_level.in_(f.risk_levels))
    if f.region_code is not None:
        in_region = region_condition(
            models.Child.residence_region_code, f.region_code, "filter.regionCode"
        )
        statement = statement.where(
            exists(select(models.Child.id).where(models.Child.id == case.child_id, in_region))
        )
    return statement
