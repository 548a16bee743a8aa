"""``dataport scan``, ``dataport dataset scan`` and ``dataport important-data``."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from dataport.catalog import service as catalog
from dataport.catalog import sources
from dataport.classify import service
from dataport.classify.clock import china_today
from dataport.classify.executors import Executor, scan_source
from dataport.classify.grading import grading_pack, grading_packs
from dataport.classify.report import label as report_label
from dataport.classify.report import render_html
from dataport.classify.scan import DEFAULT_SAMPLE_ROWS, CatalogueItem, ScanOptions, ScanProgress
from dataport.classify.schemas import ImportantItemIn, ImportantItemOut, ScanResult
from dataport.cli.context import (
    OutputFormat,
    Table,
    console,
    err_console,
    lang,
    operator,
    print_json,
    settings,
    unit_of_work,
)
from dataport.cli.identity import FormatOpt, OrgOpt
from dataport.errors import InvalidInput
from dataport.identity.service import find_organisation

important_app = typer.Typer(
    help="The organisation's catalogue of notified important data. 重要数据目录。",
    no_args_is_help=True,
)


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"


ReportFormatOpt = Annotated[
    ReportFormat, typer.Option("--format", "-f", help="table, json or html.")
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the result to this file.")
]
SampleOpt = Annotated[
    int | None,
    typer.Option("--sample", min=1, help=f"Rows to sample (default {DEFAULT_SAMPLE_ROWS:,})."),
]
RulepackOpt = Annotated[
    str | None,
    typer.Option("--rulepack", help="Grading rule pack: cn-baseline, cn-finance, cn-automotive."),
]
ExecutorOpt = Annotated[
    Executor, typer.Option("--executor", help="local processes, or a Ray cluster.")
]


@contextmanager
def _progress() -> Iterator[ScanProgress | None]:
    """A progress bar on a terminal while rows are scanned; nothing otherwise."""
    out = err_console()
    if not out.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} / {task.fields[of]}"),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    ) as bar:
        task: TaskID = bar.add_task("scan 扫描", total=None, of="?")

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total, of=f"{total:,}" if total else "?")

        yield update


def _text(key: str) -> str:
    return report_label(key, lang())


def _pick(pair_zh: str, pair_en: str) -> str:
    return pair_zh if lang() == "zh-CN" else pair_en


def render_result(result: ScanResult, c: Console | None = None) -> None:
    """The scan result as terminal tables."""
    c = c or console()
    c.print(f"[bold]{_text('title')}[/]")
    c.print(f"{_text('source')}: {result.source.location}  ({result.source.format})")
    c.print(
        f"{_text('sample')}: {_pick(result.sample.description.zh, result.sample.description.en)}"
    )
    c.print(
        f"{_text('rulepack')}: {result.rulepack.id}@{result.rulepack.version} "
        f"({_pick(result.rulepack.title.zh, result.rulepack.title.en)})"
    )
    table = Table(title=_text("columns"))
    table.add_column(_text("column"), no_wrap=True)
    table.add_column(_text("categories"), overflow="fold")
    table.add_column(_text("matched"), justify="right", no_wrap=True)
    table.add_column(_text("ratio"), justify="right", no_wrap=True)
    table.add_column(_text("confidence"), justify="right", no_wrap=True)
    table.add_column(_text("examples"), overflow="fold")
    table.add_column(_text("grade"), no_wrap=True)
    for column in result.columns:
        top = column.findings[0] if column.findings else None
        table.add_row(
            column.name,
            ", ".join(column.categories) or "-",
            f"{top.matched:,}" if top else "-",
            f"{top.ratio:.1%}" if top else "-",
            f"{top.confidence:.2f}" if top else "-",
            ", ".join(top.examples[:2]) if top else "",
            column.grade,
        )
    c.print(table)
    people = result.individuals
    yes, no = _text("yes"), _text("no")
    method = (
        _text("rows_instead")
        if not people.identified
        else _text(people.method)
        + (f" ±{people.relative_error:.1%}" if people.relative_error else "")
    )
    c.print(
        f"{_text('dataset_grade')}: [bold]"
        f"{_pick(result.dataset_grade_label.zh, result.dataset_grade_label.en)}[/] "
        f"({result.dataset_grade})"
    )
    c.print(f"{_text('individuals')}: {people.estimate:,} ({method})")
    c.print(f"{_text('sensitive_individuals')}: {people.sensitive:,}")
    c.print(f"{_text('minors')}: {people.minors:,}")
    c.print(f"{_text('contains_pi')}: {yes if result.contains_pi else no}")
    c.print(
        f"{_text('contains_sensitive')}: {yes if result.contains_sensitive else no}"
        + (f" ({', '.join(result.sensitive_categories)})" if result.sensitive_categories else "")
    )
    matches = result.important_data.matches
    c.print(
        f"{_text('important_data')}: "
        + (", ".join(f"{m.column} ← {m.name}" for m in matches) if matches else no)
    )
    if result.important_data.candidates or "important_candidate" in result.dataset_flags:
        c.print(
            f"{_text('important_candidates')}: "
            + (", ".join(result.important_data.candidates) or ", ".join(result.dataset_grade_rules))
        )


def emit(result: ScanResult, fmt: ReportFormat, output: Path | None) -> None:
    """Print or write a result in the chosen format."""
    if fmt is ReportFormat.table:
        if output is None:
            render_result(result)
            return
        with output.open("w", encoding="utf-8") as fh:
            render_result(result, Console(file=fh, width=160, highlight=False, soft_wrap=True))
        console().print(_pick(f"已写入 {output}", f"written to {output}"))
        return
    text = render_html(result) if fmt is ReportFormat.html else result.model_dump_json(indent=2)
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    console().print(_pick(f"已写入 {output}", f"written to {output}"))


def _options(full: bool, sample: int | None) -> ScanOptions:
    if full and sample is not None:
        raise InvalidInput(
            "choose --full or --sample, not both", "--full 与 --sample 只能选其一", field="sample"
        )
    rows = None if full else (sample or DEFAULT_SAMPLE_ROWS)
    return ScanOptions(as_of=china_today(), sample_rows=rows)


def scan(
    source: Annotated[str, typer.Argument(help="File path, fsspec URL, or database URL.")],
    table: Annotated[
        str | None, typer.Option(help="Table to read, for a database URL ([schema.]table).")
    ] = None,
    fmt: ReportFormatOpt = ReportFormat.table,
    output: OutputOpt = None,
    full: Annotated[bool, typer.Option("--full", help="Read every row (in a stream).")] = False,
    sample: SampleOpt = None,
    rulepack: RulepackOpt = None,
    executor: ExecutorOpt = Executor.local,
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding of a CSV (default: detected).")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet (default: the first).")] = None,
    source_format: Annotated[
        str | None, typer.Option(help="csv, tsv, parquet, jsonl or excel (default: extension).")
    ] = None,
    org: Annotated[
        str | None,
        typer.Option(help="Match this organisation's important-data catalogue."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Local worker processes (default: one per two cores).")
    ] = None,
) -> None:
    """Find personal, sensitive and important data in a table and grade it. 扫描并分级。"""
    options = _options(full, sample)
    spec = sources.resolve(
        source, table=table, format=source_format, encoding=encoding, sheet=sheet
    )
    pack = grading_pack(rulepack)
    catalogue: list[CatalogueItem] = []
    if org is not None:
        with unit_of_work() as session:
            catalogue = service.catalogue_of(session, find_organisation(session, org).id)
    conf = settings()
    conf.ensure_home()
    with _progress() as progress:
        result = scan_source(
            spec,
            options=options,
            pack=pack,
            workdir=conf.home / "tmp",
            executor=executor,
            workers=workers or conf.scan_workers or None,
            ray_address=conf.ray_address or None,
            catalogue=catalogue,
            progress=progress,
        )
    emit(result, fmt, output)


def dataset_scan(
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    org: OrgOpt,
    sample: Annotated[
        int | None,
        typer.Option("--sample", min=1, help="Rows to sample (default: every row)."),
    ] = None,
    rulepack: RulepackOpt = None,
    executor: ExecutorOpt = Executor.local,
    fmt: ReportFormatOpt = ReportFormat.table,
    output: OutputOpt = None,
) -> None:
    """Scan a dataset's current version and store the result with it. 扫描数据集并保存结果。"""
    with unit_of_work() as session:
        organisation = find_organisation(session, org)
        dataset = catalog.find_dataset(session, operator(), organisation, name)
        with _progress() as progress:
            stored = service.scan_dataset(
                session,
                operator(),
                settings(),
                dataset=dataset,
                sample=sample,
                rulepack=rulepack,
                executor=executor,
                progress=progress,
            )
        result = ScanResult.model_validate(stored.result)
        digest = stored.result_hash
    emit(result, fmt, output)
    if fmt is ReportFormat.table:
        console().print(f"{_pick('结果哈希', 'result hash')}: {digest}")


def render_scan_summary(result: ScanResult, scanned_at: str, digest: str) -> None:
    """Two lines for ``dataset show``: the latest scan's grade and counts."""
    people = result.individuals
    grade = _pick(result.dataset_grade_label.zh, result.dataset_grade_label.en)
    console().print(
        f"{_pick('最近扫描', 'latest scan')} ({scanned_at}, {result.sample.mode}, "
        f"{result.rulepack.id}@{result.rulepack.version}): "
        f"{_text('dataset_grade')} {grade}; "
        f"{_text('individuals')} {people.estimate:,}; "
        f"{_text('sensitive_individuals')} {people.sensitive:,}; "
        f"{_text('minors')} {people.minors:,}"
    )
    console().print(
        f"  {_text('contains_sensitive')}: "
        f"{', '.join(result.sensitive_categories) or _text('no')}; "
        f"{_text('important_data')}: "
        f"{len(result.important_data.matches) or _text('no')}; {digest}"
    )


# -- the important-data catalogue ----------------------------------------------------------------


@important_app.command("add")
def important_add(
    org: OrgOpt,
    name: Annotated[str, typer.Option("--name", help="The data item, as notified.")],
    field: Annotated[
        list[str], typer.Option("--field", help="A column or field the item covers (repeat).")
    ],
    authority: Annotated[
        str, typer.Option("--authority", help="The department or region that notified it.")
    ],
    reference: Annotated[str, typer.Option(help="The notice's reference.")] = "",
    notified_on: Annotated[
        str | None, typer.Option(help="Date of the notice (YYYY-MM-DD).")
    ] = None,
    level: Annotated[str, typer.Option(help="important or core.")] = "important",
    dataset: Annotated[
        str | None, typer.Option(help="Only datasets of this name (default: all).")
    ] = None,
    description: Annotated[str, typer.Option(help="What the item is.")] = "",
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Declare a data item notified as important (or core) data. 登记重要数据目录项。"""
    try:
        day = date.fromisoformat(notified_on) if notified_on else None
    except ValueError as exc:
        raise InvalidInput(
            f"--notified-on must be a date YYYY-MM-DD, not {notified_on!r}",
            f"--notified-on 须为 YYYY-MM-DD 格式的日期，而不是 {notified_on!r}",
            field="notified_on",
        ) from exc
    if level not in ("important", "core"):
        raise InvalidInput(
            "--level must be important or core", "--level 须为 important 或 core", field="level"
        )
    item = ImportantItemIn(
        name=name,
        fields=field,
        level=level,
        dataset=dataset,
        authority=authority,
        reference=reference,
        notified_on=day,
        description=description,
    )
    with unit_of_work() as session:
        organisation = find_organisation(session, org)
        declared = service.declare_important_item(session, operator(), org=organisation, item=item)
        out = ImportantItemOut.model_validate(declared)
    if fmt is OutputFormat.json:
        print_json(out)
        return
    console().print(
        _pick(f"已登记重要数据目录项 {out.id}", f"declared important-data item {out.id}")
    )


@important_app.command("list")
def important_list(
    org: OrgOpt,
    withdrawn: Annotated[bool, typer.Option(help="Include withdrawn items.")] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List the important-data catalogue. 列出重要数据目录。"""
    with unit_of_work() as session:
        organisation = find_organisation(session, org)
        items = [
            ImportantItemOut.model_validate(i)
            for i in service.list_important_items(
                session, operator(), org_id=organisation.id, include_withdrawn=withdrawn
            )
        ]
    if fmt is OutputFormat.json:
        print_json(items)
        return
    table = Table(title=_text("important_data"))
    for key in ("id", "item", "level", "column", "authority", "reference"):
        table.add_column(_pick(*_HEADINGS[key]))
    for i in items:
        table.add_row(
            str(i.id), i.name, i.level, ", ".join(i.fields), i.authority, i.reference or "-"
        )
    console().print(table)


_HEADINGS = {
    "id": ("编号", "ID"),
    "item": ("目录项", "Item"),
    "level": ("级别", "Level"),
    "column": ("字段", "Fields"),
    "authority": ("告知部门", "Notified by"),
    "reference": ("文号", "Reference"),
}


@important_app.command("withdraw")
def important_withdraw(
    item_id: Annotated[str, typer.Argument(help="The item's id.")],
) -> None:
    """Withdraw an item from the catalogue (it stays on record). 撤回目录项。"""
    try:
        key = uuid.UUID(item_id)
    except ValueError as exc:
        raise InvalidInput(
            f"{item_id!r} is not an item id", f"{item_id!r} 不是目录项编号", field="item_id"
        ) from exc
    with unit_of_work() as session:
        service.withdraw_important_item(session, operator(), key)
    console().print(_pick(f"已撤回 {item_id}", f"withdrawn {item_id}"))


def rulepacks() -> None:
    """List the grading rule packs. 列出分级规则包。"""
    table = Table(title=_pick("分级规则包", "Grading rule packs"))
    for heading in (("标识", "ID"), ("版本", "Version"), ("名称", "Title"), ("级别", "Levels")):
        table.add_column(_pick(*heading))
    for pack in grading_packs():
        table.add_row(
            pack.id,
            pack.version,
            _pick(pack.title.zh, pack.title.en),
            " < ".join(level.id for level in pack.levels),
        )
    console().print(table)
