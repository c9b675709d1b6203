"""audit trail: append-only, hash-chained entries

Revision ID: 0003_audit
Revises: 0002_access
Create Date: 2026-11-29

The chain is kept by the database: a BEFORE INSERT trigger takes a transaction-level advisory
lock, numbers the entry, and hashes it together with the previous entry's hash, so concurrent
writers cannot fork the chain and ids follow the chain's order. `caregraph_audit_hash` is the
one definition of an entry's hash, used by the trigger and by `caregraph audit verify`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_audit"
down_revision: str | Sequence[str] | None = "0002_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HASH_FUNCTION = r"""
CREATE FUNCTION caregraph_audit_hash(e audit_entries, previous text) RETURNS text AS $$
    SELECT encode(sha256(convert_to(concat_ws(chr(31),
        previous, e.id::text,
        to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        e.action, e.outcome, coalesce(e.user_id, ''), coalesce(e.department, ''),
        coalesce(e.role, ''), array_to_string(e.roles, ','), coalesce(e.organization_id, ''),
        coalesce(e.client_address, ''), coalesce(e.operation, ''),
        array_to_string(e.record_ids, ','), array_to_string(e.child_ids, ','),
        array_to_string(e.fields, ','), coalesce(e.purpose, ''), coalesce(e.detail, '')
    ), 'UTF8')), 'hex')
$$ LANGUAGE sql IMMUTABLE
"""

CHAIN_FUNCTION = """
CREATE FUNCTION caregraph_audit_chain() RETURNS trigger AS $$
DECLARE
    previous text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('caregraph_audit_chain'));
    NEW.id := nextval('audit_entries_id_seq');
    NEW.occurred_at := clock_timestamp();
    SELECT entry_hash INTO previous FROM audit_entries ORDER BY id DESC LIMIT 1;
    NEW.previous_hash := coalesce(previous, '');
    NEW.entry_hash := caregraph_audit_hash(NEW, NEW.previous_hash);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.execute("CREATE SEQUENCE audit_entries_id_seq")
    op.create_table(
        "audit_entries",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=True),
        sa.Column("department", sa.String(length=40), nullable=True),
        sa.Column("role", sa.String(length=40), nullable=True),
        sa.Column("roles", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("operation", sa.String(length=200), nullable=True),
        sa.Column("record_ids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("child_ids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("fields", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index(op.f("ix_audit_entries_action"), "audit_entries", ["action"])
    op.create_index(op.f("ix_audit_entries_department"), "audit_entries", ["department"])
    op.create_index(op.f("ix_audit_entries_operation"), "audit_entries", ["operation"])
    op.create_index(op.f("ix_audit_entries_user_id"), "audit_entries", ["user_id"])
    op.create_index(
        "ix_audit_entries_child_ids", "audit_entries", ["child_ids"], postgresql_using="gin"
    )
    op.execute(HASH_FUNCTION)
    op.execute(CHAIN_FUNCTION)
    op.execute(
        "CREATE TRIGGER audit_entries_chain BEFORE INSERT ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION caregraph_audit_chain()"
    )
    op.execute(
        "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION caregraph_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION caregraph_refuse_change()"
    )


def downgrade() -> None:
    # CASCADE: the hash function takes the table's row type
    op.execute("DROP TABLE audit_entries CASCADE")
    op.execute("DROP FUNCTION IF EXISTS caregraph_audit_chain()")
    op.execute("DROP SEQUENCE IF EXISTS audit_entries_id_seq")
