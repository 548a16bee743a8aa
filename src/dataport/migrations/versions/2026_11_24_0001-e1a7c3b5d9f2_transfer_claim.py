"""Transfers: the claim of the process delivering one, so two runs never both deliver it.

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


def downgrade() -> None:
    with op.batch_alter_table("transfer") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
