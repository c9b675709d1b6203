"""disabled_persons: rehabilitation services (康复服务) for disabled children

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
        "disabled_persons_rehabilitation_services",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("child_id", sa.UUID(), nullable=False),
        sa.Column(
            "service",
            sa.Enum(
                "REHABILITATION_TRAINING",
                "ASSISTIVE_DEVICE",
                "SURGERY_SUBSIDY",
                "HOME_VISIT",
                name="rehabilitationservicekind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("provider_organization_id", sa.UUID(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("subsidy_yuan", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on",
            name=op.f("ck_disabled_persons_rehabilitation_services_dates_in_order"),
        ),
        sa.CheckConstraint(
            "subsidy_yuan IS NULL OR subsidy_yuan >= 0",
            name=op.f("ck_disabled_persons_rehabilitation_services_subsidy_min_zero"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_disabled_persons_rehabilitation_services_child_id_children"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_organization_id"],
            ["organizations.id"],
            name=op.f(
                "fk_disabled_persons_rehabilitation_services_provider_organization_id_organizations"
            ),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disabled_persons_rehabilitation_services")),
    )
    op.create_index(
        op.f("ix_disabled_persons_rehabilitation_services_child_id"),
        "disabled_persons_rehabilitation_services",
        ["child_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_disabled_persons_rehabilitation_services_child_id"),
        table_name="disabled_persons_rehabilitation_services",
    )
    op.drop_table("disabled_persons_rehabilitation_services")
