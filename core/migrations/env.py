"""Alembic environment. Migrations run on a connection handed over by `core.migrate`."""

from alembic import context

from core.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    compare_type=True,
    version_table="alembic_version",
)
with context.begin_transaction():
    context.run_migrations()
