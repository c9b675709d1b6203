"""The committed SDL is the public contract: it must match the code."""

from pathlib import Path

from core.cli import export_sdl
from core.plugin_registry import DEFAULT_PLUGINS

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "schema.graphql"


def test_schema_file_is_current() -> None:
    """The file holds the schema of the core with the four default department plugins."""
    assert SCHEMA_FILE.read_text(encoding="utf-8") == export_sdl(",".join(DEFAULT_PLUGINS)), (
        "schema/schema.graphql is stale: run `caregraph schema export` and review the diff"
    )
