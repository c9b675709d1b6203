"""Police's row scope `jurisdiction`: children named in compulsory reports from places in the
officer's region, and children an officer of the caller's organisation (the station) visited.

Venues are not about one child; `venue_in_callers_region` is the condition that keeps them to
the caller's region instead."""

import re
import uuid
from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select

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
