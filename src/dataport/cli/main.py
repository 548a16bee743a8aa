"""The ``dataport`` command: its command tree and how errors leave it."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.markup import escape

from dataport import __version__
from dataport.cli import assessment, audit, dataset, demo, identity, log, ops, rules, witness
from dataport.cli.context import err_console, lang
from dataport.cli.reports import app as report_app
from dataport.cli.scan import dataset_scan, important_app, rulepacks
from dataport.cli.scan import scan as scan_command
from dataport.cli.transfer import (
    destination_app,
    receive,
    trace_command,
    transfer,
    transfers_app,
)
from dataport.config import get_settings
from dataport.errors import DataportError

app = typer.Typer(
    name="dataport",
    help=(
        "dataport: an international data port. "
        "国际数据港：数据分类分级、出境合规评估、存证传输与监管。"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(identity.org_app, name="org")
app.add_typer(identity.user_app, name="user")
app.add_typer(identity.token_app, name="token")
app.add_typer(dataset.app, name="dataset")
dataset.app.command("scan")(dataset_scan)
app.command("scan")(scan_command)
app.command("grading-packs")(rulepacks)
app.add_typer(important_app, name="important-data")
app.add_typer(audit.app, name="audit")
app.add_typer(ops.db_app, name="db")
app.add_typer(log.app, name="log")
app.add_typer(witness.app, name="witness")
app.command("verify")(log.verify_command)
app.add_typer(rules.rules_app, name="rules")
app.add_typer(assessment.app, name="application")
app.add_typer(report_app, name="report")
app.command("assess")(rules.assess)
app.command("transfer")(transfer)
app.add_typer(transfers_app, name="transfers")
app.add_typer(destination_app, name="destination")
app.command("receive")(receive)
app.command("trace")(trace_command)
app.command("serve")(ops.serve)
app.command("demo")(demo.demo)


@app.callback()
def root(
    language: Annotated[
        str | None,
        typer.Option("--lang", help="zh-CN or en (default: DATAPORT_LANG, then LANG)."),
    ] = None,
) -> None:
    if language is not None:
        if language not in ("zh-CN", "en"):
            raise typer.BadParameter("choose zh-CN or en", param_hint="--lang")
        os.environ["DATAPORT_LANG"] = language
        get_settings.cache_clear()


@app.command("version")
def version() -> None:
    """Print the version. 显示版本。"""
    sys.stdout.write(f"dataport {__version__}\n")


def run(argv: list[str]) -> int:
    """Run the command line on ``argv`` and return its exit code (the tests call this)."""
    try:
        app(args=argv, prog_name="dataport", standalone_mode=False)
    except DataportError as exc:
        err_console().print(f"[bold red]error[/]: {escape(exc.message(lang()))}")
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err_console().print("aborted")
        return 130
    except typer.TyperException as exc:
        # Usage errors (bad option values, missing arguments) know how to show themselves.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console().print(f"[bold red]error[/]: {escape(str(exc))}")
        code = getattr(exc, "exit_code", 2)
        return code if isinstance(code, int) else 2
    return 0


def main() -> None:
    sys.exit(run(sys.argv[1:]))
