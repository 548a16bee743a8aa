"""Transfers: the claim of the process delivering one, so two runs never both deliver it,
and one unfinished transfer per request, so two runs never both start it.

Revision ID: e1a7c3b5d9f2
Revises: d8f2a4c6e0b1
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e1a7c3b5d9f2"
down_revision: str | None = "d8f2a4c6e0b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("transfer", sa.Column("claimed_by", sa.String(200), nullable=True))
    op.add_column("transfer", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_transfer_preparing_request",
        "transfer",
        ["org_id", "request_sha256"],
        unique=True,
        sqlite_where=sa.text("status = 'preparing'"),
        postgresql_where=sa.text("status = 'preparing'"),
    )


def downgrade() -> None:
    op.drop_index("uq_transfer_preparing_request", table_name="transfer")
    with op.batch_alter_table("transfer") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
