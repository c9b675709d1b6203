"""Administrative division codes (行政区划代码).

GB/T 2260 stops at the county (6 digits); the statistical code adds 3 digits for the township
(001-099 sub-district 街道, 100-199 town 镇, 200-399 township 乡) and 3 for the village, giving
9- and 12-digit codes. The level follows from the code's length and trailing zeros.
"""

import re
from enum import Enum

_CODE = re.compile(r"^(\d{6}|\d{9}|\d{12})$")


class RegionLevel(Enum):
    PROVINCE = "PROVINCE"
    CITY = "CITY"
    COUNTY = "COUNTY"
    TOWNSHIP = "TOWNSHIP"
    VILLAGE = "VILLAGE"


def is_region_code(code: str) -> bool:
    return bool(_CODE.match(code))


def level_of(code: str) -> RegionLevel:
    if not is_region_code(code):
        raise ValueError("a region code has 6, 9 or 12 digits")
    if len(code) == 12:
        return RegionLevel.VILLAGE
    if len(code) == 9:
        return RegionLevel.TOWNSHIP
    if code.endswith("0000"):
        return RegionLevel.PROVINCE
    if code.endswith("00"):
        return RegionLevel.CITY
    return RegionLevel.COUNTY


def parent_of(code: str) -> str | None:
    """The enclosing region's code: village → township → county → city → province."""
    level = level_of(code)
    if level is RegionLevel.VILLAGE:
        return code[:9]
    if level is RegionLevel.TOWNSHIP:
        return code[:6]
    if level is RegionLevel.COUNTY:
        return code[:4] + "00"
    if level is RegionLevel.CITY:
        return code[:2] + "0000"
    return None


def subtree_prefix(code: str) -> str:
    """Every code in the subtree of `code` (itself included) starts with this prefix."""
    level = level_of(code)
    if level is RegionLevel.PROVINCE:
        return code[:2]
    if level is RegionLevel.CITY:
        return code[:4]
    return code
