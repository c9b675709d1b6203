"""Where the women's federation's records about places are seen: a women's or children's home
(and what it holds) is seen in the `region` claim's subtree, like the children of the region a
volunteer serves. Records about children follow the children's row scope instead."""

import re
from typing import Any

from sqlalchemy import ColumnElement, false

from core.plugin_api import Caller, region_condition
from plugins.womens_federation.models import CareHome

REGION_CODE = re.compile(r"\d{6}|\d{9}|\d{12}")  # GB/T 2260, extended to townships and villages


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


def home_in_callers_region(caller: Caller) -> ColumnElement[bool]:
    return in_callers_region(CareHome.region_code, caller)
