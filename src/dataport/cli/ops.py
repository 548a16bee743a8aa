"""``dataport db`` and ``dataport serve``: running an installation."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from dataport import db
from dataport.api.app import create_app
from dataport.cli.context import console, ready_engine, settings

db_app = typer.Typer(help="The database schema. 数据库结构。", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply pending migrations. 执行数据库迁移。"""
    conf = settings()
    conf.ensure_home()
    engine = db.make_engine(conf.resolved_database_url)
    try:
        before = db.current_revision(engine)
        db.upgrade(engine)
        after = db.current_revision(engine)
    finally:
        engine.dispose()
    console().print(f"{db.redact_url(conf.resolved_database_url)}: {before or '-'} → {after}")


@db_app.command("status")
def status() -> None:
    """Show the schema revision against the one this dataport needs. 查看结构版本。"""
    conf = settings()
    engine = db.make_engine(conf.resolved_database_url)
    try:
        current = db.current_revision(engine)
    finally:
        engine.dispose()
    head = db.head_revision()
    state = "current" if current == head else "behind: run 'dataport db upgrade'"
    console().print(
        f"{db.redact_url(conf.resolved_database_url)}\n"
        f"schema {current or '-'}, needed {head} ({state})"
    )
    if current != head:
        raise typer.Exit(1)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Start the API (OpenAPI at /docs). 启动 API 服务。"""
    ready_engine().dispose()  # upgrade an embedded database, or refuse a stale one, up front
    conf = settings()
    console().print(
        f"dataport API on http://{host}:{port}  (docs: /docs, database: "
        f"{db.redact_url(conf.resolved_database_url)})"
    )
    uvicorn.run(create_app(conf), host=host, port=port, log_level="info")
