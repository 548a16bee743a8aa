"""Fixtures shared by the whole suite.

The database is SQLite unless ``DATAPORT_TEST_DATABASE_URL`` names a PostgreSQL server; then
every run works in a schema of its own, dropped at the end. The schema is always built by the
migrations. Each test runs in a transaction that is rolled back (services' own commits become
savepoints), so tests see an empty database and leave nothing behind.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dataport import db
from dataport.api.app import create_app
from dataport.cli.main import run
from dataport.config import Settings, get_settings

TEST_DATABASE_URL = os.environ.get("DATAPORT_TEST_DATABASE_URL", "")


def is_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


def _with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@dataclass
class Database:
    """A migrated database for this test run (or for one test)."""

    url: str
    engine: Engine
    drop: Callable[[], None]


def create_database(tmp_dir: Path) -> Database:
    if is_postgres():
        schema = f"dp_test_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(TEST_DATABASE_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = _with_search_path(TEST_DATABASE_URL, schema)

        def drop() -> None:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    else:
        url = f"sqlite:///{tmp_dir / 'dataport.db'}"

        def drop() -> None:
            pass

    engine = db.make_engine(url)
    db.upgrade(engine)
    return Database(url, engine, drop)


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = create_database(tmp_path_factory.mktemp("db"))
    yield database
    database.engine.dispose()
    database.drop()


@pytest.fixture
def connection(database: Database) -> Iterator[sa.Connection]:
    with database.engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session(connection: sa.Connection) -> Iterator[Session]:
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Caches built during the run (jieba's tables) go to a folder of the run, not to ``~``."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATAPORT_CACHE_DIR", str(folder))
        get_settings.cache_clear()
        yield folder
    get_settings.cache_clear()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    inbox = home / "inbox"
    inbox.mkdir(parents=True)
    return Settings(home=home, lang="en", database_url="sqlite://")


@pytest.fixture
def client(
    database: Database, connection: sa.Connection, settings: Settings
) -> Iterator[TestClient]:
    """The API, its requests working inside the test's transaction."""

    def make_session() -> Session:
        return Session(bind=connection, join_transaction_mode="create_savepoint")

    app = create_app(settings, engine=database.engine, sessionmaker=make_session)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A fresh dataport home (and, on PostgreSQL, a fresh schema) for command-line tests."""
    home = tmp_path / "cli-home"
    monkeypatch.setenv("DATAPORT_HOME", str(home))
    monkeypatch.setenv("DATAPORT_LANG", "en")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("DATAPORT_ORG", raising=False)
    database = None
    if is_postgres():
        database = create_database(tmp_path)
        monkeypatch.setenv("DATAPORT_DATABASE_URL", database.url)
    else:
        monkeypatch.delenv("DATAPORT_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield {"home": str(home)}
    get_settings.cache_clear()
    if database is not None:
        database.engine.dispose()
        database.drop()


@pytest.fixture
def cli(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``dataport`` in-process: ``cli("org", "list")``."""

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        get_settings.cache_clear()
        code = run(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke
