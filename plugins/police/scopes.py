"""Police's row scope `jurisdiction`: children named in compulsory reports from places in the
officer's region, and children an officer of the caller's organisation (the station) visited.

Compulsory reports have their own condition, `report_visible`: a report about an identified
child follows the child's row scope; one about a child not yet identified is the police's of
the place (region claim) or of the station it was routed to, and nobody else's. Venues are not
about one child; `venue_in_callers_region` keeps them to the caller's region."""

import re
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

from core.plugin_api import Caller, models, region_condition
from plugins.police.models import CompulsoryReport, PoliceVisit, Venue

REGION_CODE = re.compile(r"\d{6}|\d{9}|\d{12}")  # GB/T 2260, extended to townships and villages


def callers_organization(caller: Caller) -> uuid.UUID | None:
    """The `org` claim as a key, or None when absent or malformed."""
    try:
        return uuid.UUID(caller.organization_id) if caller.organization_id else None
    except ValueError:
        return None


def callers_region(caller: Caller) -> str | None:
    """The `region` claim, or None when absent or not a region code."""
    code = caller.region_code
    return code if code and REGION_CODE.fullmatch(code) else None


def in_callers_region(column: Any, caller: Caller) -> ColumnElement[bool]:
    """`column` (a region code) lies in the `region` claim's subtree; false without one."""
    region = callers_region(caller)
    if region is None:
        return false()
    return region_condition(column, region, "region")


def is_police(caller: Caller) -> bool:
    """Whether any of the caller's roles is a police role."""
    return any(subject.split(":", 1)[0] == "police" for subject in caller.subjects)


def report_in_jurisdiction(caller: Caller) -> ColumnElement[bool]:
    """The report's place lies in a police caller's region, or the report was routed to the
    caller's organisation (the station); false for anyone else."""
    if not is_police(caller):
        return false()
    parts = [in_callers_region(CompulsoryReport.place_region_code, caller)]
    organization = callers_organization(caller)
    if organization is not None:
        parts.append(CompulsoryReport.police_organization_id == organization)
    return or_(*parts)


def report_visible(caller: Caller, visible_children: Callable[[Any], Any]) -> ColumnElement[bool]:
    """The one condition on compulsory reports for reads and writes: an identified child's
    report while the request sees the child (`visible_children`, the request's row scope on a
    column of child ids), an unidentified child's report within the caller's jurisdiction."""
    report = CompulsoryReport
    return or_(
        and_(report.child_id.is_(None), report_in_jurisdiction(caller)),
        and_(report.child_id.is_not(None), visible_children(report.child_id)),
    )


def children_in_jurisdiction(caller: Caller) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if callers_region(caller) is not None:
        parts.append(
            exists(
                select(CompulsoryReport.id).where(
                    CompulsoryReport.child_id == models.Child.id,
                    in_callers_region(CompulsoryReport.place_region_code, caller),
                )
            )
        )
    organization = callers_organization(caller)
    if organization is not None:
        parts.append(
            exists(
                select(PoliceVisit.id).where(
                    PoliceVisit.organization_id == organization,
                    PoliceVisit.child_id == models.Child.id,
                )
            )
        )
    if not parts:
        return false()
    return or_(*parts)


def venue_in_callers_region(caller: Caller) -> ColumnElement[bool]:
    return in_callers_region(Venue.region_code, caller)
