"""Region codes: levels, parents and subtrees by the GB/T 2260 and statistical rules."""

import pytest

from core.region_codes import RegionLevel, is_region_code, level_of, parent_of, subtree_prefix


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("510000", RegionLevel.PROVINCE, None),
        ("512000", RegionLevel.CITY, "510000"),
        ("512021", RegionLevel.COUNTY, "512000"),
        ("512021101", RegionLevel.TOWNSHIP, "512021"),
        ("512021101201", RegionLevel.VILLAGE, "512021101"),
    ],
)
def test_level_and_parent(code: str, level: RegionLevel, parent: str | None) -> None:
    assert level_of(code) is level
    assert parent_of(code) == parent


def test_subtree_prefixes() -> None:
    assert subtree_prefix("512000") == "5120"
    assert subtree_prefix("512002") == "512002"
    assert subtree_prefix("512002001") == "512002001"
    assert "512021101201".startswith(subtree_prefix("512000"))
    assert not "513021101201".startswith(subtree_prefix("512000"))


@pytest.mark.parametrize("code", ["", "51200", "5120211", "51202110120", "abcdef", "5120211012011"])
def test_malformed_codes(code: str) -> None:
    assert not is_region_code(code)
    with pytest.raises(ValueError):
        level_of(code)
