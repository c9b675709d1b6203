"""disabled_persons: initial tables

Revision ID: disabled_persons_0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "disabled_persons_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disabled_persons_records",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("child_id", sa.UUID(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_disabled_persons_records_child_id_children"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disabled_persons_records")),
    )
    op.create_index(
        op.f("ix_disabled_persons_records_child_id"),
        "disabled_persons_records",
        ["child_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_disabled_persons_records_child_id"), table_name="disabled_persons_records"
    )
    op.drop_table("disabled_persons_records")
