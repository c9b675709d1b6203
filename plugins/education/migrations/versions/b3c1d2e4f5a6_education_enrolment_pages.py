"""education enrolment pages: a school's pupils by student number, from one index

Revision ID: b3c1d2e4f5a6
Revises: a98ba0a5eae9
Create Date: 2026-11-29 14:05:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b3c1d2e4f5a6"
down_revision: str | Sequence[str] | None = "a98ba0a5eae9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_education_enrollments_school_page",
        "education_enrollments",
        ["school_id", "student_number", "id"],
        unique=False,
    )
    op.drop_index("ix_education_enrollments_school_id", table_name="education_enrollments")


def downgrade() -> None:
    op.create_index(
        "ix_education_enrollments_school_id", "education_enrollments", ["school_id"], unique=False
    )
    op.drop_index("ix_education_enrollments_school_page", table_name="education_enrollments")
