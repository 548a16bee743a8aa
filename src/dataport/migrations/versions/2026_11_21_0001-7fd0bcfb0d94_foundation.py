"""Foundation: organisations, members, API tokens, the dataset catalog and the audit trail.

Revision ID: 7fd0bcfb0d94
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7fd0bcfb0d94"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", UUID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "kind",
            enum("org_kind", "enterprise", "regulator", "exchange_operator", "service_provider"),
            nullable=False,
        ),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("registered_zone", sa.String(64), nullable=True),
        sa.Column("uscc", sa.String(18), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("name", name=op.f("uq_organisation_name")),
        sa.UniqueConstraint("uscc", name=op.f("uq_organisation_uscc")),
    )
    op.create_table(
        "member",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column(
            "role",
            enum("member_role", "admin", "data_officer", "reviewer", "auditor", "analyst"),
            nullable=False,
        ),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("disabled_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_member_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
        sa.UniqueConstraint("email", name=op.f("uq_member_email")),
    )
    op.create_index(op.f("ix_member_org_id"), "member", ["org_id"])
    op.create_table(
        "api_token",
        sa.Column("id", UUID, nullable=False),
        sa.Column("member_id", UUID, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("display_prefix", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_api_token_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_api_token_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_token_secret_hash")),
    )
    op.create_index(op.f("ix_api_token_member_id"), "api_token", ["member_id"])
    op.create_index(op.f("ix_api_token_org_id"), "api_token", ["org_id"])
    op.create_table(
        "dataset",
        sa.Column("id", UUID, nullable=False),
        sa.Column("org_id", UUID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("zone", enum("dataset_zone", "domestic", "offshore"), nullable=False),
        sa.Column("source_kind", enum("source_kind", "file", "url", "database"), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_table", sa.String(300), nullable=True),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_dataset_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_dataset_org_id_name")),
    )
    op.create_index(op.f("ix_dataset_org_id"), "dataset", ["org_id"])
    op.create_table(
        "dataset_version",
        sa.Column("id", UUID, nullable=False),
        sa.Column("dataset_id", UUID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(71), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("byte_size", sa.BigInteger(), nullable=True),
        sa.Column("columns", JSON_DOC, nullable=False),
        sa.Column("encoding", sa.String(32), nullable=True),
        sa.Column("sheet", sa.String(200), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(300), nullable=False),
        sa.CheckConstraint("number >= 1", name=op.f("ck_dataset_version_number_positive")),
        sa.CheckConstraint("row_count >= 0", name=op.f("ck_dataset_version_rows_not_negative")),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_dataset_version_dataset_id_dataset")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_version")),
        sa.UniqueConstraint(
            "dataset_id", "number", name=op.f("uq_dataset_version_dataset_id_number")
        ),
    )
    op.create_index(op.f("ix_dataset_version_content_hash"), "dataset_version", ["content_hash"])
    op.create_index(op.f("ix_dataset_version_dataset_id"), "dataset_version", ["dataset_id"])
    op.create_table(
        "dataset_right",
        sa.Column("id", UUID, nullable=False),
        sa.Column("dataset_id", UUID, nullable=False),
        sa.Column(
            "kind",
            enum("right_kind", "resource_holding", "processing_use", "product_operation"),
            nullable=False,
        ),
        sa.Column("holder_org_id", UUID, nullable=False),
        sa.Column("since", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_dataset_right_dataset_id_dataset")
        ),
        sa.ForeignKeyConstraint(
            ["holder_org_id"],
            ["organisation.id"],
            name=op.f("fk_dataset_right_holder_org_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_right")),
        sa.UniqueConstraint("dataset_id", "kind", name=op.f("uq_dataset_right_dataset_id_kind")),
    )
    op.create_index(op.f("ix_dataset_right_dataset_id"), "dataset_right", ["dataset_id"])
    op.create_index(op.f("ix_dataset_right_holder_org_id"), "dataset_right", ["holder_org_id"])
    op.create_table(
        "audit_event",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("org_id", UUID, nullable=True),
        sa.Column("actor", sa.String(300), nullable=False),
        sa.Column("member_id", UUID, nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(64), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("details", JSON_DOC, nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_audit_event_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_audit_event_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event")),
    )
    op.create_index(op.f("ix_audit_event_at"), "audit_event", ["at"])
    op.create_index(op.f("ix_audit_event_org_id"), "audit_event", ["org_id"])
    _make_append_only("audit_event")


def _make_append_only(table: str) -> None:
    """Refuse UPDATE, DELETE (and TRUNCATE) on ``table`` in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION dataport_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION dataport_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION dataport_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def downgrade() -> None:
    op.drop_table("audit_event")
    op.drop_table("dataset_right")
    op.drop_table("dataset_version")
    op.drop_table("dataset")
    op.drop_table("api_token")
    op.drop_table("member")
    op.drop_table("organisation")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS dataport_append_only()")
