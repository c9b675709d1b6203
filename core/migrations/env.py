"""Alembic environment, shared by the core and every plugin.

`core.migrate` hands over the connection, the plugin's version table and the names of the
plugin's tables; autogenerate compares only those tables, so a plugin's revisions never touch
the core's tables or another plugin's.
"""

from typing import Any

from alembic import context

from core.models import Base

config = context.config
table_names: set[str] = config.attributes.get("table_names", set())


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if type_ == "table":
        return name in table_names
    table = getattr(obj, "table", None)
    return table is None or table.name in table_names


context.configure(
    connection=config.attributes["connection"],
    target_metadata=Base.metadata,
    compare_type=True,
    version_table=config.attributes.get("version_table", "alembic_version"),
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
