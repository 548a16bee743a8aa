"""The console: members' passwords, sessions, failed sign-ins; spot-check campaigns.

Revision ID: b7e4c91d2f60
Revises: 5a1d7c3e9b20
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b7e4c91d2f60"
down_revision: str | None = "5a1d7c3e9b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def enum(name: str, values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(200), nullable=True))
        batch.add_column(sa.Column("password_set_at", TIMESTAMP, nullable=True))

    op.create_table(
        "web_session",
        sa.Column("id", UUID, nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("member_id", UUID, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_web_session_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_web_session_secret_hash")),
    )
    op.create_index(op.f("ix_web_session_member_id"), "web_session", ["member_id"])

    op.create_table(
        "signin_failure",
        sa.Column("id", UUID, nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_failure")),
    )
    op.create_index(op.f("ix_signin_failure_email"), "signin_failure", ["email"])
    op.create_index(op.f("ix_signin_failure_client"), "signin_failure", ["client"])
    op.create_index(op.f("ix_signin_failure_at"), "signin_failure", ["at"])

    op.create_table(
        "spot_check_campaign",
        sa.Column("id", UUID, nullable=False),
        sa.Column("regulator_org_id", UUID, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("population", sa.String(32), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column(
            "status", enum("campaign_status", ("announced", "drawn", "concluded")), nullable=False
        ),
        sa.Column("log_key", sa.String(300), nullable=False),
        sa.Column("announce_audit_seq", sa.BigInteger(), nullable=False),
        sa.Column("announced_at", TIMESTAMP, nullable=False),
        sa.Column("announced_by", sa.String(300), nullable=False),
        sa.Column("announce_index", sa.BigInteger(), nullable=True),
        sa.Column("seed_checkpoint_size", sa.BigInteger(), nullable=True),
        sa.Column("seed", sa.String(64), nullable=True),
        sa.Column("population_size", sa.Integer(), nullable=True),
        sa.Column("drawn_at", TIMESTAMP, nullable=True),
        sa.Column("conclusion", sa.Text(), nullable=True),
        sa.Column("concluded_at", TIMESTAMP, nullable=True),
        sa.Column("concluded_by", sa.String(300), nullable=True),
        sa.CheckConstraint("sample_size > 0", name=op.f("ck_spot_check_campaign_sample_size")),
        sa.ForeignKeyConstraint(
            ["regulator_org_id"],
            ["organisation.id"],
            name=op.f("fk_spot_check_campaign_regulator_org_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check_campaign")),
    )
    op.create_index(
        op.f("ix_spot_check_campaign_regulator_org_id"), "spot_check_campaign", ["regulator_org_id"]
    )
    op.create_index(op.f("ix_spot_check_campaign_status"), "spot_check_campaign", ["status"])

    op.create_table(
        "spot_check_item",
        sa.Column("id", UUID, nullable=False),
        sa.Column("campaign_id", UUID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("rank", sa.String(64), nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("subject_type", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("verification", JSON_DOC, nullable=True),
        sa.Column("verified_at", TIMESTAMP, nullable=True),
        sa.Column("evidence_request", sa.Text(), nullable=True),
        sa.Column("evidence_requested_at", TIMESTAMP, nullable=True),
        sa.Column("evidence_response", sa.Text(), nullable=True),
        sa.Column("evidence_responded_at", TIMESTAMP, nullable=True),
        sa.Column(
            "outcome", enum("spot_check_outcome", ("compliant", "non_compliant")), nullable=True
        ),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["spot_check_campaign.id"],
            name=op.f("fk_spot_check_item_campaign_id_spot_check_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_spot_check_item_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check_item")),
        sa.UniqueConstraint(
            "campaign_id", "position", name=op.f("uq_spot_check_item_campaign_id_position")
        ),
    )
    op.create_index(op.f("ix_spot_check_item_campaign_id"), "spot_check_item", ["campaign_id"])
    op.create_index(op.f("ix_spot_check_item_org_id"), "spot_check_item", ["org_id"])


def downgrade() -> None:
    op.drop_table("spot_check_item")
    op.drop_table("spot_check_campaign")
    op.drop_table("signin_failure")
    op.drop_table("web_session")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("password_set_at")
        batch.drop_column("password_hash")
