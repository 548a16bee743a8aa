"""Evidence log: entries, hash tiles, checkpoints and the log's head.

Revision ID: 3c52e0a9b6d1
Revises: 7fd0bcfb0d94
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c52e0a9b6d1"
down_revision: str | None = "7fd0bcfb0d94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TIMESTAMP = sa.DateTime(timezone=True)
BIG_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_log",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("verifier_key", sa.String(300), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("right_edge", sa.LargeBinary(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_log")),
    )
    op.create_table(
        "ledger_entry",
        sa.Column("seq", BIG_SERIAL, autoincrement=True, nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("org_id", UUID, nullable=True),
        sa.Column("audit_seq", BIG_SERIAL, nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_seq"], ["audit_event.seq"], name=op.f("fk_ledger_entry_audit_seq_audit_event")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_ledger_entry_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_entry")),
        sa.UniqueConstraint("idx", name=op.f("uq_ledger_entry_idx")),
    )
    op.create_index(op.f("ix_ledger_entry_audit_seq"), "ledger_entry", ["audit_seq"])
    op.create_index(
        "ix_ledger_entry_pending",
        "ledger_entry",
        ["seq"],
        sqlite_where=sa.text("idx IS NULL"),
        postgresql_where=sa.text("idx IS NULL"),
    )
    op.create_table(
        "ledger_tile",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("tile_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "tile_index", name=op.f("pk_ledger_tile")),
    )
    op.create_table(
        "ledger_checkpoint",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=False),
        sa.Column("timestamp", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_ledger_checkpoint")),
    )
    _guard_history()


def _guard_history() -> None:
    """The database itself refuses to rewrite the log's history.

    Entries are never deleted, and an indexed entry never changes; a queued one may only be
    given its index. Tiles only grow: a new version must start with the old one. Checkpoints
    are never deleted and keep their signed text (cosignatures may be appended).
    """
    if op.get_bind().dialect.name == "postgresql":
        refusals = {
            "ledger_entry": "OLD.idx IS NOT NULL OR NEW.data IS DISTINCT FROM OLD.data "
            "OR NEW.seq IS DISTINCT FROM OLD.seq",
            "ledger_tile": "octet_length(NEW.data) < octet_length(OLD.data) "
            "OR substring(NEW.data from 1 for octet_length(OLD.data)) <> OLD.data",
            "ledger_checkpoint": "NEW.size <> OLD.size "
            "OR octet_length(NEW.note) < octet_length(OLD.note)",
        }
        for table, refused in refusals.items():
            op.execute(
                f"CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                "IF TG_OP <> 'UPDATE' THEN "
                "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END IF; "
                f"IF {refused} THEN "
                "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END IF; "
                "RETURN NEW; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_guard()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_guard()"
            )
        return
    for table in ("ledger_entry", "ledger_tile", "ledger_checkpoint"):
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )
    op.execute(
        "CREATE TRIGGER ledger_entry_no_rewrite BEFORE UPDATE ON ledger_entry "
        "WHEN OLD.idx IS NOT NULL OR NEW.data IS NOT OLD.data OR NEW.seq IS NOT OLD.seq "
        "BEGIN SELECT RAISE(ABORT, 'ledger_entry is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER ledger_tile_only_grows BEFORE UPDATE ON ledger_tile "
        "WHEN length(NEW.data) < length(OLD.data) "
        "OR substr(NEW.data, 1, length(OLD.data)) IS NOT OLD.data "
        "BEGIN SELECT RAISE(ABORT, 'ledger_tile is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER ledger_checkpoint_keeps_text BEFORE UPDATE ON ledger_checkpoint "
        "WHEN NEW.size IS NOT OLD.size OR length(NEW.note) < length(OLD.note) "
        "BEGIN SELECT RAISE(ABORT, 'ledger_checkpoint is append-only'); END"
    )


def downgrade() -> None:
    for table in ("ledger_checkpoint", "ledger_tile", "ledger_entry", "ledger_log"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        for table in ("ledger_entry", "ledger_tile", "ledger_checkpoint"):
            op.execute(f"DROP FUNCTION IF EXISTS {table}_guard()")
