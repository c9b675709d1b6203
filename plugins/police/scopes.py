"""Police's row scope `jurisdiction`: children named in compulsory reports from places in the
officer's region."""

from sqlalchemy import ColumnElement, exists, false, select

from core.plugin_api import Caller, models, region_condition
from plugins.police.models import CompulsoryReport


def children_reported_in_jurisdiction(caller: Caller) -> ColumnElement[bool]:
    if not caller.region_code:
        return false()
    return exists(
        select(CompulsoryReport.id).where(
            CompulsoryReport.child_id == models.Child.id,
            region_condition(CompulsoryReport.place_region_code, caller.region_code, "region"),
        )
    )
