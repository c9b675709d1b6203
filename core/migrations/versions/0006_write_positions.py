"""write positions for read-your-writes on replicas

Revision ID: 0006_write_positions
Revises: 0005_request_hardening
Create Date: 2026-11-29 15:14:01.851302

Where each caller's last change ends in the primary's write-ahead log (core.write_positions):
a caller's queries go to a replica only once it has replayed that far.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_write_positions"
down_revision: str | Sequence[str] | None = "0005_request_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "write_positions",
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column(
            "written_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("principal", name=op.f("pk_write_positions")),
    )


def downgrade() -> None:
    op.drop_table("write_positions")
