"""Left-behind statistics for the city's joint meeting (联席会议), with small counts suppressed.

Counts are computed in SQL over the left-behind children (the core's derived `is_left_behind`)
who are still in the area (status ACTIVE), live in the region's subtree and fall within the
caller's row scope. Any count from 1 to SMALL_COUNT_LIMIT is withheld (null, `suppressed`), so
that no child can be singled out; zeros are shown.

Withholding one cell of a column is not enough while the column's total is published: the total
minus the other cells gives it back. So when exactly one cell of a column is withheld and the
total is shown, the smallest other non-zero cell of that column is withheld too (complementary
suppression), and the total stays the same whichever way the statistics are grouped.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import String, Text, case, distinct, exists, func, select, type_coerce
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.orm import aliased

from core.plugin_api import Info, ValidationFailed, enums, models, region_condition

SMALL_COUNT_LIMIT = 4
"""Counts from 1 to this are withheld. Raise it to protect more, never lower it below 3."""

TOTAL_KEY = "TOTAL"


@strawberry.enum(description="How to group the left-behind statistics (统计口径).")
class StatisticsGrouping(Enum):
    SUBREGION = "SUBREGION"
    GUARDIANSHIP_TYPE = "GUARDIANSHIP_TYPE"
    SCHOOLING = "SCHOOLING"
    DIFFICULTY_CATEGORY = "DIFFICULTY_CATEGORY"


@strawberry.type(
    description="One row of the left-behind statistics (留守儿童统计): a group, or the total "
    f"(key {TOTAL_KEY}, last). Counts from 1 to {SMALL_COUNT_LIMIT} are withheld (null) so "
    "that no child can be singled out, and so is a second cell wherever one withheld cell "
    "could be worked out from the total."
)
class LeftBehindStatisticsRow:
    key: str = strawberry.field(
        description="The group: a region code, an enum value (NOT_RECORDED: no guardianship "
        f"type on record; NONE: not in difficulty) or {TOTAL_KEY}."
    )
    label: str = strawberry.field(description="What the group is, in English and Chinese.")
    left_behind_children: int | None = strawberry.field(
        description="Left-behind children in the group (留守儿童数); null when withheld."
    )
    with_open_cases: int | None = strawberry.field(
        description="Of them, children with a protection case not yet closed (有未结个案); "
        "null when withheld."
    )
    suppressed: bool = strawberry.field(
        description="Whether any count of this row is withheld (小数抑制)."
    )
    is_total: bool = strawberry.field(description="Whether this is the total row (合计).")


GUARDIANSHIP_LABELS = {
    "NO_GUARDIAN": "No guardian (无人监护)",
    "PARENT_AT_HOME_LACKS_CAPACITY": "Parent at home lacks capacity (父或母无监护能力)",
    "ENTRUSTED_CAREGIVER_INSUFFICIENT": "Entrusted caregiver's capacity insufficient "
    "(受委托监护人监护能力不足)",
    "FAIR": "Fair (一般)",
    "GOOD": "Good (较好)",
    "NOT_RECORDED": "Not recorded (未填报)",
}
SCHOOLING_LABELS = {
    "KINDERGARTEN": "Kindergarten (在园)",
    "NOT_IN_KINDERGARTEN": "Not in kindergarten (未入园)",
    "PRIMARY": "Primary school (小学)",
    "JUNIOR_SECONDARY": "Junior secondary school (初中)",
    "SENIOR_SECONDARY": "Senior secondary school (高中)",
    "VOCATIONAL": "Vocational school (中职)",
    "DROPPED_OUT": "Dropped out (辍学)",
    "NOT_IN_SCHOOL": "Not in school (未在校)",
}
DIFFICULTY_LABELS = {
    "FAMILY_POVERTY": "Family poverty (家庭贫困)",
    "DISABILITY_OR_ILLNESS": "Own disability or illness (自身残疾或患病)",
    "INADEQUATE_GUARDIANSHIP": "Missing or inadequate guardianship (监护缺失或不当)",
    "NO_DE_FACTO_CAREGIVER": "No de-facto caregiver (事实无人抚养)",
    "NONE": "Not in difficulty (非困境儿童)",
}
# The groups of each enum grouping: every member (a new one shows up by its name until it has a
# label here), then the bucket for children with no value.
_ENUM_GROUPS: dict[StatisticsGrouping, tuple[list[str], dict[str, str]]] = {
    StatisticsGrouping.GUARDIANSHIP_TYPE: (
        [m.value for m in enums.GuardianshipType] + ["NOT_RECORDED"],
        GUARDIANSHIP_LABELS,
    ),
    StatisticsGrouping.SCHOOLING: ([m.value for m in enums.Schooling], SCHOOLING_LABELS),
    StatisticsGrouping.DIFFICULTY_CATEGORY: (
        [m.value for m in enums.DifficultyCategory] + ["NONE"],
        DIFFICULTY_LABELS,
    ),
}

# Length of a direct subregion's code below a region of each level, and the codes' shape.
_SUBREGION_CODE_LENGTH = {"CITY": 6, "COUNTY": 9, "TOWNSHIP": 12}


# --- suppression -------------------------------------------------------------------------------


def is_small(count: int, limit: int = SMALL_COUNT_LIMIT) -> bool:
    return 1 <= count <= limit


def suppress_column(
    cells: Sequence[int], total: int, limit: int = SMALL_COUNT_LIMIT
) -> tuple[list[int | None], int | None]:
    """The cells and the total of one column as published: small counts withheld, and a second
    cell (the smallest other non-zero one) when exactly one would otherwise be recoverable as
    the total minus the rest."""
    hidden = {index for index, count in enumerate(cells) if is_small(count, limit)}
    total_hidden = is_small(total, limit)
    if len(hidden) == 1 and not total_hidden:
        others = [i for i, count in enumerate(cells) if i not in hidden and count > 0]
        if others:
            hidden.add(min(others, key=lambda i: (cells[i], i)))
        else:  # the withheld cell is the whole total: withhold that too
            total_hidden = True
    published = [None if i in hidden else count for i, count in enumerate(cells)]
    return published, None if total_hidden else total


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    children: int
    with_open_cases: int


def publish_rows(groups: Sequence[Group], total: Group) -> list[LeftBehindStatisticsRow]:
    """The rows as the API answers them: each column suppressed on its own, total last."""
    children, children_total = suppress_column([g.children for g in groups], total.children)
    open_cases, open_total = suppress_column(
        [g.with_open_cases for g in groups], total.with_open_cases
    )
    rows = [
        LeftBehindStatisticsRow(
            key=group.key,
            label=group.label,
            left_behind_children=count,
            with_open_cases=open_count,
            suppressed=count is None or open_count is None,
            is_total=False,
        )
        for group, count, open_count in zip(groups, children, open_cases, strict=True)
    ]
    rows.append(
        LeftBehindStatisticsRow(
            key=total.key,
            label=total.label,
            left_behind_children=children_total,
            with_open_cases=open_total,
            suppressed=children_total is None or open_total is None,
            is_total=True,
        )
    )
    return rows


# --- the counts --------------------------------------------------------------------------------


async def left_behind_statistics(
    info: Info, region_code: str, group_by: StatisticsGrouping
) -> list[LeftBehindStatisticsRow]:
    child = aliased(models.Child, name="child")
    in_region = region_condition(child.residence_region_code, region_code, "regionCode")
    async with info.context.read_session() as session:
        region = await session.get(models.Region, region_code)
        if region is None:
            raise ValidationFailed("no region has this code", field="regionCode")
        subregions: list[models.Region] = []
        if group_by is StatisticsGrouping.SUBREGION:
            if region.level not in _SUBREGION_CODE_LENGTH and region.level != "PROVINCE":
                raise ValidationFailed("a village has no subregions", field="groupBy")
            subregions = list(
                await session.scalars(
                    select(models.Region)
                    .where(models.Region.parent_code == region.code)
                    .order_by(models.Region.code)
                )
            )
        key = _group_key(child, group_by, region.level)
        open_case = exists(
            select(models.Case.id).where(
                models.Case.child_id == child.id,
                models.Case.status != enums.CaseStatus.CLOSED,
            )
        )
        base = (
            select(
                child.id.label("child_id"),
                key.label("key"),
                open_case.label("has_open_case"),
            )
            .where(
                models.is_left_behind_condition(child),
                child.status == enums.ChildStatus.ACTIVE,
                in_region,
                info.context.visible_children(child.id),
            )
            .subquery("left_behind")
        )
        counted = select(
            base.c.key,
            func.grouping(base.c.key).label("is_total"),
            func.count(distinct(base.c.child_id)).label("children"),
            func.count(distinct(base.c.child_id))
            .filter(base.c.has_open_case)
            .label("with_open_cases"),
        ).group_by(func.rollup(base.c.key))
        result = (await session.execute(counted)).all()

    counts: dict[str, tuple[int, int]] = {}
    total = (0, 0)
    for row in result:
        if row.is_total:
            total = (int(row.children), int(row.with_open_cases))
        else:
            counts[str(row.key)] = (int(row.children), int(row.with_open_cases))
    groups = _groups(group_by, counts, region, subregions)
    return publish_rows(groups, Group(TOTAL_KEY, "Total (合计)", *total))


def _group_key(child: Any, group_by: StatisticsGrouping, level: str) -> Any:
    if group_by is StatisticsGrouping.SUBREGION:
        code = child.residence_region_code
        if level == "PROVINCE":
            return func.left(code, 4).concat("00")
        return func.left(code, _SUBREGION_CODE_LENGTH[level])
    if group_by is StatisticsGrouping.GUARDIANSHIP_TYPE:
        return func.coalesce(type_coerce(child.guardianship_type, String), "NOT_RECORDED")
    if group_by is StatisticsGrouping.SCHOOLING:
        return type_coerce(child.schooling, String)
    # A child may be in several difficulty categories, or in none: one row per category held.
    categories = child.difficulty_categories
    return func.unnest(
        case(
            (func.cardinality(categories) > 0, categories),
            else_=array(["NONE"], type_=Text),
        )
    )


def _groups(
    group_by: StatisticsGrouping,
    counts: dict[str, tuple[int, int]],
    region: models.Region,
    subregions: Sequence[models.Region],
) -> list[Group]:
    if group_by is StatisticsGrouping.SUBREGION:
        labels = {sub.code: sub.name for sub in subregions}
        groups = [Group(code, name, *counts.get(code, (0, 0))) for code, name in labels.items()]
        # children registered at the region itself, or below it but not under a listed
        # subregion: one row, only when there are any
        elsewhere = [value for code, value in counts.items() if code not in labels]
        if elsewhere:
            groups.append(
                Group(
                    region.code,
                    f"{region.name}: not in a subregion (未划入下级区划)",
                    sum(children for children, _ in elsewhere),
                    sum(open_cases for _, open_cases in elsewhere),
                )
            )
        return groups
    keys, labels = _ENUM_GROUPS[group_by]
    return [Group(key, labels.get(key, key), *counts.get(key, (0, 0))) for key in keys]
