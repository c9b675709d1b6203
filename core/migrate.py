"""Schema migrations with Alembic: the core's, then each enabled plugin's, in dependency order.

Each plugin keeps its own versions folder and its own version table (`alembic_version_<name>`;
the core's is `alembic_version`), so disabling a plugin leaves its tables and its migration
state untouched, and enabling it again carries on where it stopped.
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from core.plugin_api import Plugin

ENVIRONMENT = Path(__file__).parent / "migrations"


def version_table(plugin: Plugin) -> str:
    return "alembic_version" if plugin.name == "core" else f"alembic_version_{plugin.name}"


def alembic_config(plugin: Plugin) -> Config:
    if plugin.migrations is None:
        raise ValueError(f"plugin {plugin.name!r} has no migrations")
    config = Config()
    config.set_main_option("script_location", str(ENVIRONMENT))
    config.set_main_option("version_locations", str(plugin.migrations))
    config.set_main_option("path_separator", "os")
    config.attributes["version_table"] = version_table(plugin)
    config.attributes["table_names"] = set(plugin.table_names)
    return config


def _with_migrations(plugins: Sequence[Plugin]) -> list[Plugin]:
    return [plugin for plugin in plugins if plugin.migrations is not None]


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")


async def upgrade(engine: AsyncEngine, plugins: Sequence[Plugin] | None = None) -> None:
    """Apply every pending migration of the core and `plugins` (default: the enabled ones)."""
    for plugin in _with_migrations(plugins if plugins is not None else _enabled()):
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, alembic_config(plugin))


def _pending(connection: Connection, plugins: Sequence[Plugin]) -> dict[str, set[str]]:
    pending: dict[str, set[str]] = {}
    for plugin in plugins:
        config = alembic_config(plugin)
        context = MigrationContext.configure(
            connection, opts={"version_table": version_table(plugin)}
        )
        missing = set(ScriptDirectory.from_config(config).get_heads()) - set(
            context.get_current_heads()
        )
        if missing:
            pending[plugin.name] = missing
    return pending


async def pending_migrations(
    engine: AsyncEngine, plugins: Sequence[Plugin] | None = None
) -> dict[str, set[str]]:
    """Per plugin, the heads not yet applied; empty when the database is current."""
    with_migrations = _with_migrations(plugins if plugins is not None else _enabled())
    async with engine.connect() as connection:
        return await connection.run_sync(_pending, with_migrations)


def _revision(connection: Connection, config: Config, message: str) -> None:
    config.attributes["connection"] = connection
    command.revision(config, message=message, autogenerate=True)


async def autogenerate_revision(engine: AsyncEngine, plugin: Plugin, message: str) -> None:
    """Write a new revision in `plugin`'s folder for the difference between its tables and the
    database (run it on a database where the plugin's earlier revisions are applied)."""
    async with engine.begin() as connection:
        await connection.run_sync(_revision, alembic_config(plugin), message)


def _enabled() -> list[Plugin]:
    from core.plugin_registry import enabled_plugins

    return enabled_plugins()
