"""Applications to the regulator, their history, approvals; organisations' CIIO flag.

Revision ID: 5a1d7c3e9b20
Revises: 3c52e0a9b6d1
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5a1d7c3e9b20"
down_revision: str | None = "3c52e0a9b6d1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
KINDS = ("security_assessment", "contract_filing", "extension")
STATUSES = ("submitted", "supplement_requested", "complete", "accepted", "approved", "rejected")


def enum(name: str, values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "application",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("kind", enum("application_kind", KINDS), nullable=False),
        sa.Column("status", enum("application_status", STATUSES), nullable=False),
        sa.Column("dataset_id", UUID, nullable=False),
        sa.Column("dataset_version_id", UUID, nullable=False),
        sa.Column("recipient_org_id", UUID, nullable=False),
        sa.Column("recipient_country", sa.String(2), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("fields", JSON_DOC, nullable=False),
        sa.Column("individuals", sa.BigInteger(), nullable=False),
        sa.Column("sensitive_individuals", sa.BigInteger(), nullable=False),
        sa.Column("important_data", sa.Boolean(), nullable=False),
        sa.Column("retention", sa.String(100), nullable=False),
        sa.Column("storage_location", sa.String(200), nullable=False),
        sa.Column("decision", JSON_DOC, nullable=False),
        sa.Column("previous_approval_id", UUID, nullable=True),
        sa.Column("contract_effective_on", sa.Date(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_what", sa.String(32), nullable=True),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(300), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("individuals >= 0", name=op.f("ck_application_individuals")),
        sa.CheckConstraint(
            "sensitive_individuals >= 0", name=op.f("ck_application_sensitive_individuals")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_application_dataset_id_dataset")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_version.id"],
            name=op.f("fk_application_dataset_version_id_dataset_version"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_application_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_org_id"],
            ["organisation.id"],
            name=op.f("fk_application_recipient_org_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
    )
    op.create_index(op.f("ix_application_dataset_id"), "application", ["dataset_id"])
    op.create_index(op.f("ix_application_org_id"), "application", ["org_id"])
    op.create_index(op.f("ix_application_status"), "application", ["status"])
    op.create_table(
        "application_event",
        sa.Column("id", UUID, nullable=False),
        sa.Column("application_id", UUID, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(300), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("details", JSON_DOC, nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_event_application_id_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_event")),
    )
    op.create_index(
        op.f("ix_application_event_application_id"), "application_event", ["application_id"]
    )
    op.create_table(
        "approval",
        sa.Column("id", UUID, nullable=False),
        sa.Column("application_id", UUID, nullable=False),
        sa.Column("kind", enum("approval_kind", KINDS), nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("dataset_id", UUID, nullable=False),
        sa.Column("recipient_org_id", UUID, nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("fields", JSON_DOC, nullable=False),
        sa.Column("max_individuals", sa.BigInteger(), nullable=False),
        sa.Column("max_sensitive_individuals", sa.BigInteger(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("approved_by", sa.String(300), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_approval_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_approval_dataset_id_dataset")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_approval_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_org_id"],
            ["organisation.id"],
            name=op.f("fk_approval_recipient_org_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval")),
        sa.UniqueConstraint("application_id", name=op.f("uq_approval_application_id")),
    )
    op.create_index(op.f("ix_approval_dataset_id"), "approval", ["dataset_id"])
    op.create_index(op.f("ix_approval_org_id"), "approval", ["org_id"])
    # Applications and approvals refer to each other (an extension names the approval it
    # extends), so this key can only be added once both tables exist.
    with op.batch_alter_table("application") as batch:
        batch.create_foreign_key(
            "fk_application_previous_approval", "approval", ["previous_approval_id"], ["id"]
        )
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("ciio", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("ciio")
    with op.batch_alter_table("application") as batch:
        batch.drop_constraint("fk_application_previous_approval", type_="foreignkey")
    op.drop_table("approval")
    op.drop_table("application_event")
    op.drop_table("application")
