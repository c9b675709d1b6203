"""Row scopes: which children a role sees, as SQL conditions, so that pagination and
`totalCount` stay right. A role's scopes come from policy lines `p, <subject>, scope:<name>,
row`; the core defines `all`, `region` and `cases`, plugins add their own (education's
`school`, police's `jurisdiction`). A caller with several roles sees a child if any role's
scopes include it."""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select, true

from core import models
from core.identity import Caller
from core.region_codes import is_region_code, subtree_prefix

ScopeCondition = Callable[[Caller], ColumnElement[bool]]


def organization_key(caller: Caller) -> uuid.UUID | None:
    try:
        return uuid.UUID(caller.organization_id) if caller.organization_id else None
    except ValueError:
        return None


def everything(caller: Caller) -> ColumnElement[bool]:
    return true()


def in_callers_region(caller: Caller) -> ColumnElement[bool]:
    """Children living in the caller's region or anywhere below it."""
    if not caller.region_code or not is_region_code(caller.region_code):
        return false()
    return models.Child.residence_region_code.like(subtree_prefix(caller.region_code) + "%")


def in_callers_cases(caller: Caller) -> ColumnElement[bool]:
    """Children with a case opened by, or assigned to, the caller's organisation."""
    organization = organization_key(caller)
    if organization is None:
        return false()
    case = models.Case
    assigned = select(models.CaseAssignment.case_id).where(
        models.CaseAssignment.organization_id == organization
    )
    return exists(
        select(case.id).where(
            case.child_id == models.Child.id,
            or_(case.opened_by_organization_id == organization, case.id.in_(assigned)),
        )
    )


def about_visible_child(child_id: Any, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """Rows whose `child_id` is a child satisfying `condition` (a scope). Written as EXISTS
    on the child's primary key so that PostgreSQL checks each row it returns, rather than
    first listing every child in scope (which grows with the table, not with the page)."""
    expression = getattr(child_id, "expression", child_id)
    is_children_id = (
        getattr(expression, "table", None) is models.Child.__table__
        and getattr(expression, "name", None) == "id"
    )
    if is_children_id:
        return condition  # the children themselves: the subquery would compare id with itself
    return exists(
        select(models.Child.id).where(models.Child.id == child_id, condition)
    ).correlate_except(models.Child)


CORE_SCOPES: dict[str, ScopeCondition] = {
    "all": everything,
    "region": in_callers_region,
    "cases": in_callers_cases,
}


@dataclass(frozen=True)
class ChildScope:
    """The children one request may see."""

    condition: ColumnElement[bool] | None  # None: every child
    per_subject: tuple[tuple[str, ColumnElement[bool]], ...] = ()

    @property
    def tracks_subjects(self) -> bool:
        """Whether rows must record which of the caller's roles see them: only when roles with
        different scopes could disagree about a field."""
        return len(self.per_subject) > 1


def child_scope(
    caller: Caller,
    scopes_by_subject: Mapping[str, frozenset[str]],
    conditions: Mapping[str, ScopeCondition],
) -> ChildScope:
    per_subject: list[tuple[str, ColumnElement[bool]]] = []
    unrestricted: list[str] = []
    for subject, names in scopes_by_subject.items():
        if "all" in names:
            unrestricted.append(subject)
            per_subject.append((subject, true()))
            continue
        parts = [conditions[name](caller) for name in sorted(names) if name in conditions]
        per_subject.append((subject, or_(*parts) if parts else false()))
    if unrestricted and len(unrestricted) == len(per_subject):
        return ChildScope(condition=None)
    if unrestricted:
        return ChildScope(condition=None, per_subject=tuple(per_subject))
    combined = or_(*(condition for _, condition in per_subject)) if per_subject else false()
    return ChildScope(condition=combined, per_subject=tuple(per_subject))
