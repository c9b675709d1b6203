"""Filter inputs for the core connections, and their translation into SQL conditions."""

import re
from datetime import date
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, Select, exists, select

from core import models
from core.errors import Forbidden, ValidationFailed
from core.graphql import enums
from core.graphql.global_ids import decode_global_id
from core.region_codes import is_region_code, subtree_prefix
from core.resident_id import normalize

_ID_NUMBER_LIKE = re.compile(r"^\d{17}[\dXx]$")
MAX_IDS = 100


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
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Only these children (at most 100 global IDs), e.g. to refresh a known set.",
    )
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


# What each filter reveals, so what the caller must be able to read to use it: a filter on a
# field the role may not read would tell it the field's value one child at a time.
_FILTER_NEEDS: dict[str, tuple[str, ...]] = {
    "region_code": ("Child.residenceRegion",),
    "is_left_behind": ("Child.isLeftBehind",),
    "guardianship_types": ("Child.guardianshipType",),
    "schooling": ("Child.schooling",),
    "status": ("Child.status",),
    "min_age": ("Child.birthDate",),
    "max_age": ("Child.birthDate",),
    "risk_levels": ("Child.openCases", "Case.riskLevel"),
    "has_open_case": ("Child.openCases",),
}


def check_filter_access(child_filter: ChildFilter | None, access: Any) -> None:
    """FORBIDDEN for a filter on a field the caller may not read in full."""
    from core.authorization.access import FieldAccess  # here: authorization imports the API

    if child_filter is None or access is None or not access.enforced:
        return
    needs = {name: objects for name, objects in _FILTER_NEEDS.items()}
    if child_filter.search is not None:
        text = child_filter.search.strip()
        needs["search"] = ("Child.idNumber",) if _ID_NUMBER_LIKE.match(text) else ("Child.name",)
    for name, objects in needs.items():
        if getattr(child_filter, name) is None:
            continue
        for obj in objects:
            type_name, field_name = obj.split(".")
            if access.field_access(type_name).get(field_name) is not FieldAccess.FULL:
                camel = "".join(
                    part if i == 0 else part.title() for i, part in enumerate(name.split("_"))
                )
                raise Forbidden(
                    f"filtering by {camel} needs read access to {obj}", field=f"filter.{camel}"
                )


def apply_child_filter(statement: Select[Any], child_filter: ChildFilter | None) -> Select[Any]:
    if child_filter is None:
        return statement
    f, child = child_filter, models.Child
    conditions: list[ColumnElement[bool]] = []
    if f.ids is not None:
        if len(f.ids) > MAX_IDS:
            raise ValidationFailed(f"at most {MAX_IDS} IDs", field="filter.ids")
        keys = [
            decode_global_id(value, "Child", field=f"filter.ids.{index}")
            for index, value in enumerate(f.ids)
        ]
        conditions.append(child.id.in_(keys))
    if f.region_code is not None:
        conditions.append(
            region_condition(child.residence_region_code, f.region_code, "filter.regionCode")
        )
    if f.is_left_behind is not None:
        conditions.append(models.is_left_behind_condition() == f.is_left_behind)
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
