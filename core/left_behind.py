"""Who is a left-behind child (留守儿童), by the State Council's 2016 definition (国发〔2016〕13号).

A child under 16 whose parents both work away from home, or one of whom works away while the
other lacks the capacity to be a guardian. The status is derived at query time from the child's
birth date and the parents' guardianship facts, never typed in: it changes by itself when the
child turns 16 or a parent comes home.
"""

from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, exists, func, literal_column, or_, select

from core.enums import PARENTS, GuardianCapacity

AGE_LIMIT_YEARS = 16


def left_behind_expression(
    *, child_id: Any, birth_date: Any, guardianships: FromClause
) -> ColumnElement[bool]:
    """A boolean SQL expression correlated to the child row's `id` and `birth_date`."""
    g = guardianships.c
    is_parent = g.relationship.in_([parent.value for parent in PARENTS])
    parent_absent_or_incapable = or_(g.works_away, g.capacity != GuardianCapacity.FULL.value)
    absent_or_incapable_parents = (
        select(func.count())
        .where(g.child_id == child_id, is_parent, parent_absent_or_incapable)
        .scalar_subquery()
    )
    a_parent_works_away = exists().where(g.child_id == child_id, is_parent, g.works_away)
    under_age_limit = (
        birth_date + literal_column(f"interval '{AGE_LIMIT_YEARS} years'") > func.current_date()
    )
    return and_(under_age_limit, a_parent_works_away, absent_or_incapable_parents >= 2)
