"""The schema the migrations build, and the guarantees the database itself enforces."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dataport import db
from dataport.audit.models import AuditEvent
from dataport.models import Base
from tests.conftest import Database, is_postgres
from tests.factories import organisation


def test_migrations_build_exactly_the_models(database: Database) -> None:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
    assert db.current_revision(database.engine) == db.head_revision()


def test_audit_trail_is_append_only_in_the_database(session: Session) -> None:
    organisation(session, "Acme")
    session.flush()
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 1
    for statement in (
        sa.update(AuditEvent).values(actor="someone else"),
        sa.delete(AuditEvent),
    ):
        nested = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(statement)
        nested.rollback()
    assert session.scalar(sa.select(AuditEvent.actor)) == "operator:tests"


def test_timestamps_are_aware_utc_and_naive_ones_are_refused(session: Session) -> None:
    org = organisation(session, "Acme")
    session.expire_all()
    assert org.created_at.utcoffset() is not None
    org.created_at = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        session.flush()


def test_redact_url() -> None:
    assert db.redact_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert "pw" not in db.redact_url("postgresql+psycopg://u:pw@h:5432/db?sslmode=require")


def test_the_suite_runs_on_the_backend_it_was_asked_for(database: Database) -> None:
    # Guards against a PostgreSQL run quietly falling back to SQLite.
    expected = "postgresql" if is_postgres() else "sqlite"
    assert database.engine.dialect.name == expected
