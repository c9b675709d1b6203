"""The committed SDL is the public contract: it must match the code."""

from pathlib import Path

from core.cli import export_sdl
from core.plugin_registry import DEFAULT_PLUGINS

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "schema.graphql"
SUBGRAPH_FILE = SCHEMA_FILE.with_name("subgraph.graphql")


def test_schema_file_is_current() -> None:
    """The file holds the schema of the core with the four default department plugins."""
    assert SCHEMA_FILE.read_text(encoding="utf-8") == export_sdl(",".join(DEFAULT_PLUGINS)), (
        "schema/schema.graphql is stale: run `caregraph schema export` and review the diff"
    )


def test_subgraph_file_is_current() -> None:
    """The Apollo Federation subgraph SDL a gateway composes (docs/federation.md), same plugins."""
    sdl = export_sdl(",".join(DEFAULT_PLUGINS), subgraph=True)
    assert SUBGRAPH_FILE.read_text(encoding="utf-8") == sdl, (
        "schema/subgraph.graphql is stale: run `caregraph schema export --subgraph` and review "
        "the diff"
    )
