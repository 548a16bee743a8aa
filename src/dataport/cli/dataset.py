"""``dataport dataset``: register, list, show and refresh datasets; assign their rights."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy.orm import Session

from dataport.catalog import service, sources
from dataport.catalog.models import Dataset, RightKind, Zone
from dataport.catalog.schemas import DatasetOut, RegistrationOut, VersionOut
from dataport.catalog.sources import Progress as ProgressFn
from dataport.classify import service as classify
from dataport.classify.schemas import ScanResult
from dataport.cli.context import (
    OutputFormat,
    Table,
    console,
    label,
    operator,
    print_json,
    settings,
    unit_of_work,
)
from dataport.cli.identity import FormatOpt, OrgOpt
from dataport.cli.scan import render_scan_summary
from dataport.errors import InvalidInput
from dataport.identity.models import Organisation
from dataport.identity.service import find_organisation
from dataport.ledger.service import evidence_of

app = typer.Typer(help="The dataset catalog. 数据集目录。", no_args_is_help=True)

NameOpt = Annotated[str, typer.Option("--name", help="The dataset's name in its organisation.")]


@contextmanager
def _progress() -> Iterator[ProgressFn | None]:
    """A progress bar on a terminal while a source is hashed and read; nothing otherwise."""
    out = console()
    if not out.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=out,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        yield update


def _render(out: DatasetOut) -> None:
    c = console()
    c.print(f"[bold]{out.name}[/]  ({out.id})")
    c.print(
        f"{label('sector')}: {out.sector}   {label('zone')}: {label(out.zone)}   "
        f"{label('source')}: {out.source}{' · ' + out.source_table if out.source_table else ''}"
    )
    v = out.current_version
    if v is not None:
        size = f"{v.byte_size:,} B" if v.byte_size is not None else "-"
        c.print(
            f"{label('version')} {v.number}: {v.row_count:,} {label('rows')}, "
            f"{len(v.columns)} {label('columns')}, {size}, {v.content_hash}"
            + (f", {label('encoding')} {v.encoding}" if v.encoding else "")
        )
        table = Table(title=label("columns"))
        table.add_column("#", justify="right")
        table.add_column(label("name"))
        table.add_column(label("type"))
        for i, col in enumerate(v.columns, start=1):
            table.add_row(str(i), col.name, col.type)
        c.print(table)
    rights = Table(title=label("rights"))
    rights.add_column(label("right"))
    rights.add_column(label("holder"))
    for r in out.rights:
        rights.add_row(label(r.kind), r.holder_name)
    c.print(rights)


def _registered(session: Session, reg: service.Registration) -> RegistrationOut:
    return service.describe_registration(session, reg)


@app.command("add")
def add(
    source: Annotated[str, typer.Argument(help="File path, fsspec URL, or database URL.")],
    name: NameOpt,
    org: OrgOpt,
    sector: Annotated[str, typer.Option(help="Sector id (see docs/catalog.md).")] = "general",
    zone: Annotated[Zone, typer.Option(help="Where the data lives.")] = Zone.domestic,
    table: Annotated[
        str | None, typer.Option(help="Table to read, for a database URL ([schema.]table).")
    ] = None,
    source_format: Annotated[
        str | None, typer.Option(help="csv, tsv, parquet, jsonl or excel (default: extension).")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding of a CSV (default: detected).")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet (default: the first).")] = None,
    description: Annotated[str, typer.Option(help="What the data is.")] = "",
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Register a dataset: read its schema, count its rows, hash its content. 登记数据集。"""
    spec = sources.resolve(
        source, table=table, format=source_format, encoding=encoding, sheet=sheet
    )
    with unit_of_work() as session:
        organisation = find_organisation(session, org)
        with _progress() as progress:
            inspection = service.read_source(
                operator(), settings(), org_id=organisation.id, spec=spec, progress=progress
            )
        reg = service.register_dataset(
            session,
            operator(),
            org=organisation,
            name=name,
            spec=spec,
            inspection=inspection,
            sector=sector,
            zone=zone,
            description=description,
        )
        out = _registered(session, reg)
    if fmt is OutputFormat.json:
        print_json(out)
        return
    _render(out.dataset)
    console().print(label("new_version", number=out.version.number))


@app.command("refresh")
def refresh(
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    org: OrgOpt,
    from_: Annotated[
        str | None, typer.Option("--from", help="Read from here instead of the recorded source.")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Read a dataset again; record a new version if its content changed. 重新读取数据集。"""
    with unit_of_work() as session:
        organisation = find_organisation(session, org)
        dataset = service.find_dataset(session, operator(), organisation, name)
        spec = service.source_spec_of(dataset, from_)
        with _progress() as progress:
            inspection = service.read_source(
                operator(), settings(), org_id=organisation.id, spec=spec, progress=progress
            )
        reg = service.record_version(
            session, operator(), dataset=dataset, spec=spec, inspection=inspection
        )
        out = _registered(session, reg)
    if fmt is OutputFormat.json:
        print_json(out)
    elif out.new_version:
        console().print(label("new_version", number=out.version.number))
    else:
        console().print(label("unchanged", number=out.version.number))


@app.command("list")
def list_(
    org: Annotated[
        str | None, typer.Option("--org", envvar="DATAPORT_ORG", help="Only this organisation's.")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List datasets. 列出数据集。"""
    with unit_of_work() as session:
        org_id = find_organisation(session, org).id if org else None
        datasets = service.list_datasets(session, operator(), org_id=org_id)
        outs = [service.describe_dataset(session, d) for d in datasets]
        owners = {d.id: _owner_name(session, d) for d in datasets}
    if fmt is OutputFormat.json:
        print_json(outs)
        return
    table = Table(title=label("datasets"))
    for key in ("name", "organisation", "sector", "zone", "version", "rows", "columns", "format"):
        table.add_column(label(key))
    for d in outs:
        v = d.current_version
        table.add_row(
            d.name,
            owners[d.id],
            d.sector,
            label(d.zone),
            str(v.number) if v else "-",
            f"{v.row_count:,}" if v else "-",
            str(len(v.columns)) if v else "-",
            d.format,
        )
    console().print(table)


def _owner_name(session: Session, dataset: Dataset) -> str:
    return session.get_one(Organisation, dataset.org_id).name


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    org: OrgOpt,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Show a dataset: current version, columns, rights, history. 查看数据集。"""
    with unit_of_work() as session:
        organisation = find_organisation(session, org)
        dataset = service.find_dataset(session, operator(), organisation, name)
        out = service.describe_dataset(session, dataset)
        versions = [
            VersionOut.model_validate(v)
            for v in service.list_versions(session, operator(), dataset)
        ]
        evidence = evidence_of(session, "dataset", str(dataset.id))
        scan = classify.latest_scan(session, operator(), dataset)
        latest = (
            (ScanResult.model_validate(scan.result), scan.created_at, scan.result_hash)
            if scan
            else None
        )
    if fmt is OutputFormat.json:
        data = out.model_dump(mode="json")
        data["versions"] = [v.model_dump(mode="json") for v in versions]
        data["evidence"] = [e.model_dump(mode="json") for e in evidence]
        data["latest_scan"] = (
            {
                "scanned_at": latest[1].isoformat(),
                "result_hash": latest[2],
                "dataset_grade": latest[0].dataset_grade,
                "individuals": latest[0].individuals.model_dump(mode="json"),
                "contains_pi": latest[0].contains_pi,
                "contains_sensitive": latest[0].contains_sensitive,
                "important_data": latest[0].important_data.contains,
            }
            if latest
            else None
        )
        print_json(data)
        return
    _render(out)
    if latest is not None:
        render_scan_summary(latest[0], latest[1].isoformat(" ", "seconds"), latest[2])
    history = Table(title=label("versions"))
    for key in ("version", "created", "rows", "content_hash", "source"):
        history.add_column(label(key))
    for v in versions:
        history.add_row(
            str(v.number),
            v.created_at.isoformat(" ", "seconds"),
            f"{v.row_count:,}",
            v.content_hash[:23] + "…",
            v.source,
        )
    console().print(history)
    log = Table(title=label("evidence"))
    for key in ("action", "version", "log_index", "receipt"):
        log.add_column(label(key))
    for e in evidence:
        log.add_row(
            e.event,
            str(e.version or "-"),
            str(e.index) if e.index is not None else label("queued"),
            e.receipt_command or "-",
        )
    console().print(log)


@app.command("rights")
def rights(
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    org: OrgOpt,
    holding: Annotated[
        str | None, typer.Option(help="Organisation holding the data resource (持有权).")
    ] = None,
    processing: Annotated[
        str | None, typer.Option(help="Organisation with the processing/use right (加工使用权).")
    ] = None,
    operation: Annotated[
        str | None, typer.Option(help="Organisation with the product operation right (经营权).")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Assign the three separable data rights. 分配三项数据权利。"""
    chosen = {
        RightKind.resource_holding: holding,
        RightKind.processing_use: processing,
        RightKind.product_operation: operation,
    }
    if not any(chosen.values()):
        raise InvalidInput(
            "name at least one of --holding, --processing, --operation",
            "请至少指定 --holding、--processing、--operation 之一",
            field="rights",
        )
    with unit_of_work() as session:
        organisation = find_organisation(session, org)
        dataset = service.find_dataset(session, operator(), organisation, name)
        holders = {k: find_organisation(session, v) for k, v in chosen.items() if v}
        service.assign_rights(session, operator(), dataset=dataset, holders=holders)
        out = service.describe_dataset(session, dataset)
    if fmt is OutputFormat.json:
        print_json(out)
    else:
        _render(out)
