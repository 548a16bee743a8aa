"""Transfers abroad and the destinations organisations declare.

Revision ID: d8f2a4c6e0b1
Revises: c3d5a7e9f1b2
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d8f2a4c6e0b1"
down_revision: str | None = "c3d5a7e9f1b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ZONES = ("domestic", "offshore")
STATUSES = ("refused", "preparing", "delivered", "aborted")


def enum(name: str, values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "transfer_destination",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("zone", enum("destination_zone", ZONES), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
            name=op.f("fk_transfer_destination_org_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_destination")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_transfer_destination_org_id_name")),
    )
    op.create_index(
        op.f("ix_transfer_destination_org_id"), "transfer_destination", ["org_id"], unique=False
    )
    op.create_table(
        "transfer",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("status", enum("transfer_status", STATUSES), nullable=False),
        sa.Column("dataset_id", UUID, nullable=False),
        sa.Column("dataset_version_id", UUID, nullable=False),
        sa.Column("recipient_org_id", UUID, nullable=False),
        sa.Column("destination_id", UUID, nullable=True),
        sa.Column("destination_ref", sa.Text(), nullable=False),
        sa.Column("approval_id", UUID, nullable=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("columns", JSON_DOC, nullable=False),
        sa.Column("policy", JSON_DOC, nullable=False),
        sa.Column("policy_sha256", sa.String(71), nullable=False),
        sa.Column("request_sha256", sa.String(71), nullable=False),
        sa.Column("decision", JSON_DOC, nullable=False),
        sa.Column("pathway", sa.String(48), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("individuals", sa.BigInteger(), nullable=False),
        sa.Column("sensitive_individuals", sa.BigInteger(), nullable=False),
        sa.Column("k_anonymity", sa.Integer(), nullable=True),
        sa.Column("report", JSON_DOC, nullable=False),
        sa.Column("reasons", JSON_DOC, nullable=False),
        sa.Column("manifest_sha256", sa.String(71), nullable=True),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(300), nullable=False),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
        sa.Column("receipt_written_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["approval_id"], ["approval.id"], name=op.f("fk_transfer_approval_id_approval")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_transfer_dataset_id_dataset")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_version.id"],
            name=op.f("fk_transfer_dataset_version_id_dataset_version"),
        ),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["transfer_destination.id"],
            name=op.f("fk_transfer_destination_id_transfer_destination"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_transfer_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_org_id"],
            ["organisation.id"],
            name=op.f("fk_transfer_recipient_org_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer")),
    )
    for column in (
        "approval_id",
        "dataset_id",
        "org_id",
        "recipient_org_id",
        "request_sha256",
        "status",
    ):
        op.create_index(op.f(f"ix_transfer_{column}"), "transfer", [column], unique=False)


def downgrade() -> None:
    op.drop_table("transfer")
    op.drop_table("transfer_destination")
