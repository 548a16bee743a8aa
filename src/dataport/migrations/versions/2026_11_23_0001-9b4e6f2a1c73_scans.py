"""Scans stored with dataset versions; organisations' important-data catalogues.

Revision ID: 9b4e6f2a1c73
Revises: 5a1d7c3e9b20
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9b4e6f2a1c73"
down_revision: str | None = "5a1d7c3e9b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "dataset_scan",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("dataset_id", UUID, nullable=False),
        sa.Column("version_id", UUID, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("rows_scanned", sa.BigInteger(), nullable=False),
        sa.Column("rulepack", sa.String(64), nullable=False),
        sa.Column("rulepack_version", sa.String(32), nullable=False),
        sa.Column("contains_pi", sa.Boolean(), nullable=False),
        sa.Column("contains_sensitive", sa.Boolean(), nullable=False),
        sa.Column("individuals", sa.BigInteger(), nullable=False),
        sa.Column("sensitive_individuals", sa.BigInteger(), nullable=False),
        sa.Column("minors", sa.BigInteger(), nullable=False),
        sa.Column("important_data", sa.Boolean(), nullable=False),
        sa.Column("core_data", sa.Boolean(), nullable=False),
        sa.Column("dataset_grade", sa.String(32), nullable=False),
        sa.Column("result", JSON_DOC, nullable=False),
        sa.Column("result_hash", sa.String(71), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(300), nullable=False),
        sa.CheckConstraint("individuals >= 0", name=op.f("ck_dataset_scan_individuals")),
        sa.CheckConstraint(
            "sensitive_individuals >= 0", name=op.f("ck_dataset_scan_sensitive_individuals")
        ),
        sa.CheckConstraint("minors >= 0", name=op.f("ck_dataset_scan_minors")),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_dataset_scan_dataset_id_dataset")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_dataset_scan_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dataset_version.id"],
            name=op.f("fk_dataset_scan_version_id_dataset_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_scan")),
    )
    for column in ("org_id", "dataset_id", "version_id"):
        op.create_index(op.f(f"ix_dataset_scan_{column}"), "dataset_scan", [column])
    op.create_table(
        "important_data_item",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("fields", JSON_DOC, nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "important",
                "core",
                name="catalogue_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("dataset", sa.String(200), nullable=True),
        sa.Column("authority", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(500), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(300), nullable=False),
        sa.Column("withdrawn_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_important_data_item_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_important_data_item")),
    )
    op.create_index(op.f("ix_important_data_item_org_id"), "important_data_item", ["org_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_important_data_item_org_id"), table_name="important_data_item")
    op.drop_table("important_data_item")
    for column in ("org_id", "dataset_id", "version_id"):
        op.drop_index(op.f(f"ix_dataset_scan_{column}"), table_name="dataset_scan")
    op.drop_table("dataset_scan")
