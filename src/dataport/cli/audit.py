"""``dataport audit``: read the audit trail."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from dataport.audit import service
from dataport.audit.schemas import AuditEventOut
from dataport.cli.context import (
    OutputFormat,
    Table,
    console,
    label,
    operator,
    print_json,
    unit_of_work,
)
from dataport.cli.identity import FormatOpt
from dataport.identity.service import find_organisation

app = typer.Typer(help="The audit trail. 审计记录。", no_args_is_help=True)


@app.command("list")
def list_(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """The newest events first. 按时间倒序列出。"""
    with unit_of_work() as session:
        org_id = find_organisation(session, org).id if org else None
        events = [
            AuditEventOut.model_validate(e)
            for e in service.list_events(session, operator(), org_id=org_id, limit=limit)
        ]
    if fmt is OutputFormat.json:
        print_json(events)
        return
    table = Table(title=label("audit"))
    for key in ("at", "actor", "action", "target", "details"):
        table.add_column(label(key))
    for e in events:
        details = json.dumps(e.details, ensure_ascii=False)
        table.add_row(
            e.at.isoformat(" ", "seconds"),
            e.actor,
            e.action,
            f"{e.target_type}:{e.target_id[:8]}",
            details if len(details) < 80 else details[:77] + "…",
        )
    console().print(table)
