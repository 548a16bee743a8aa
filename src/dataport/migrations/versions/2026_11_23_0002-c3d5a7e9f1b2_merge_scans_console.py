"""Join the two migrations made on top of the applications: scans and the console.

Revision ID: c3d5a7e9f1b2
Revises: 9b4e6f2a1c73, b7e4c91d2f60
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "c3d5a7e9f1b2"
down_revision: str | Sequence[str] | None = ("9b4e6f2a1c73", "b7e4c91d2f60")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
