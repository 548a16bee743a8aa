"""What every command needs: settings, the database, a unit of work, output helpers."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from rich.console import Console, OverflowMethod, RenderableType
from rich.table import Table as RichTable
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dataport import db
from dataport.config import Language, Settings, get_settings
from dataport.errors import Unavailable
from dataport.i18n import t
from dataport.identity.authz import Principal
from dataport.ledger.service import unit_of_work as ledger_unit_of_work


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def settings() -> Settings:
    return get_settings()


def lang() -> Language:
    return settings().language


def label(key: str, **values: object) -> str:
    return t(key, lang(), **values)


class Table(RichTable):
    """A Rich table whose cells wrap instead of being cut off with an ellipsis: ids, names
    and paths are printed to be copied, whatever the terminal's width."""

    def add_column(
        self,
        header: RenderableType = "",
        footer: RenderableType = "",
        *,
        overflow: OverflowMethod = "fold",
        **options: Any,
    ) -> None:
        super().add_column(header, footer, overflow=overflow, **options)


def console() -> Console:
    # Made on each call so output follows the current sys.stdout (tests capture it).
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def err_console() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def operator() -> Principal:
    """The CLI acts as this installation's operator, named after the OS user."""
    return Principal.operator(getpass.getuser())


def ready_engine() -> Engine:
    """An engine on a database whose schema is current (the embedded one is upgraded)."""
    conf = settings()
    conf.ensure_home()
    engine = db.make_engine(conf.resolved_database_url)
    try:
        _ensure_schema(engine, conf)
    except BaseException:
        engine.dispose()
        raise
    return engine


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session on a ready database; commits when the command succeeds.

    Evidence the command queued is sequenced into the log once its change has committed.
    """
    engine = ready_engine()
    try:
        with ledger_unit_of_work(db.make_sessionmaker(engine), settings()) as session:
            yield session
    finally:
        engine.dispose()


def _ensure_schema(engine: Engine, conf: Settings) -> None:
    current = db.current_revision(engine)
    head = db.head_revision()
    if current == head:
        return
    if conf.is_embedded:
        # The embedded database belongs to dataport alone: keep it current without asking.
        db.upgrade(engine)
        return
    raise Unavailable(
        f"the database schema is at {current or 'nothing'}, this dataport needs {head}: "
        "run 'dataport db upgrade'",
        f"数据库结构版本为 {current or '空'}，本版本 dataport 需要 {head}："
        "请运行 'dataport db upgrade'",
    )


def print_json(
    value: BaseModel | Sequence[BaseModel] | Sequence[dict[str, Any]] | dict[str, Any],
) -> None:
    if isinstance(value, BaseModel):
        data: Any = value.model_dump(mode="json")
    elif isinstance(value, Sequence):
        data = [i.model_dump(mode="json") if isinstance(i, BaseModel) else i for i in value]
    else:
        data = value
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
