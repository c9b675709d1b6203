"""Schema migrations with Alembic: the core's branch, then each plugin's, to all heads."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

CORE_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(extra_version_locations: list[Path] | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(CORE_MIGRATIONS))
    locations = [CORE_MIGRATIONS / "versions", *(extra_version_locations or [])]
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    return config


def _upgrade(connection: Connection, config: Config, target: str) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, target)


async def upgrade(engine: AsyncEngine, config: Config | None = None, target: str = "heads") -> None:
    config = config or alembic_config()
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, config, target)


def _pending(connection: Connection, config: Config) -> set[str]:
    current = set(MigrationContext.configure(connection).get_current_heads())
    expected = set(ScriptDirectory.from_config(config).get_heads())
    return expected - current


async def pending_heads(engine: AsyncEngine, config: Config | None = None) -> set[str]:
    """Heads not yet applied; empty when the database is current."""
    config = config or alembic_config()
    async with engine.connect() as connection:
        return await connection.run_sync(_pending, config)


def _revision(connection: Connection, config: Config, message: str, branch: str | None) -> None:
    config.attributes["connection"] = connection
    command.revision(
        config,
        message=message,
        autogenerate=True,
        head=f"{branch}@head" if branch else "head",
    )


async def autogenerate_revision(
    engine: AsyncEngine, message: str, config: Config | None = None, branch: str | None = None
) -> None:
    config = config or alembic_config()
    async with engine.begin() as connection:
        await connection.run_sync(_revision, config, message, branch)
