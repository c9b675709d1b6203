"""Who is a left-behind child (留守儿童), by the State Council's 2016 definition (国发〔2016〕13号).

A child under 16 whose parents both work away from home, or one of whom works away while the
other lacks the capacity to be a guardian. The status is derived at query time from the child's
birth date and the parents' guardianship facts, never typed in: it changes by itself when the
child turns 16 or a parent comes home.
"""

from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    and_,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
)

from core.enums import PARENTS, GuardianCapacity

AGE_LIMIT_YEARS = 16


def _under_age_limit(birth_date: Any) -> ColumnElement[bool]:
    limit: ColumnElement[bool] = (
        birth_date + literal_column(f"interval '{AGE_LIMIT_YEARS} years'") > func.current_date()
    )
    return limit


def left_behind_expression(
    *, child_id: Any, birth_date: Any, guardianships: FromClause
) -> ColumnElement[bool]:
    """A boolean SQL expression correlated to the child row's `id` and `birth_date`, for
    selecting: one aggregate over the child's parents, which PostgreSQL answers by index for
    each row it returns (a page of 100 children costs 100 lookups, whatever the table size)."""
    g = guardianships.c
    is_parent = g.relationship.in_([parent.value for parent in PARENTS])
    parent_absent_or_incapable = or_(g.works_away, g.capacity != GuardianCapacity.FULL.value)
    parents_qualify = (
        select(
            and_(
                func.coalesce(func.bool_or(g.works_away), false()),
                func.count().filter(parent_absent_or_incapable) >= 2,
            )
        )
        .where(g.child_id == child_id, is_parent)
        .scalar_subquery()
    )
    return and_(_under_age_limit(birth_date), parents_qualify)


def left_behind_condition(
    *, child_id: Any, birth_date: Any, guardianships: FromClause
) -> ColumnElement[bool]:
    """The same test written for filtering many children: EXISTS and a count, which
    PostgreSQL may answer with one hash of the parents' guardianships instead of a lookup
    per child."""
    g = guardianships.c
    is_parent = g.relationship.in_([parent.value for parent in PARENTS])
    parent_absent_or_incapable = or_(g.works_away, g.capacity != GuardianCapacity.FULL.value)
    absent_or_incapable_parents = (
        select(func.count())
        .where(g.child_id == child_id, is_parent, parent_absent_or_incapable)
        .scalar_subquery()
    )
    a_parent_works_away = exists().where(g.child_id == child_id, is_parent, g.works_away)
    return and_(_under_age_limit(birth_date), a_parent_works_away, absent_or_incapable_parents >= 2)
