"""``dataport transfer``, ``transfers``, ``destination``, ``receive`` and ``trace``."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from dataport import db
from dataport.catalog.models import Zone
from dataport.catalog.service import find_dataset
from dataport.cli.context import (
    OutputFormat,
    Table,
    console,
    err_console,
    lang,
    operator,
    print_json,
    ready_engine,
    settings,
    unit_of_work,
)
from dataport.cli.identity import FormatOpt, OrgOpt
from dataport.errors import InvalidInput
from dataport.identity.service import find_organisation
from dataport.transfer import destinations, package, runner, service, trace
from dataport.transfer.keys import exporter_keys
from dataport.transfer.policy import Policy, load_policy
from dataport.transfer.schemas import TransferOut

transfers_app = typer.Typer(
    help="Transfers made: list, show, receipts, resume, abort. 已完成的传输。", no_args_is_help=True
)
destination_app = typer.Typer(
    help="Destinations an organisation delivers to. 数据交付目标位置。", no_args_is_help=True
)

STEPS = {
    "scope_checked": ("in scope: recorded as allowed", "范围核查通过：已记录为获准"),
    "data_written": ("data written", "数据已写入"),
    "package_staged": ("package staged (manifest signed)", "数据包已暂存（清单已签名）"),
    "delivered": ("package committed at the destination", "数据包已在目标位置提交"),
    "recorded": ("delivery recorded in the evidence log", "交付已记入证据日志"),
    "receipt_written": ("receipt written beside the package", "收据已写入数据包旁"),
}


def _pick(en: str, zh: str) -> str:
    return zh if lang() == "zh-CN" else en


def _progress(step: str) -> None:
    en, zh = STEPS.get(step, (step, step))
    err_console().print(f"  ✓ {_pick(en, zh)}")


@contextmanager
def _sessions() -> Iterator[sessionmaker[Session]]:
    engine = ready_engine()
    try:
        yield db.make_sessionmaker(engine)
    finally:
        engine.dispose()


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidInput(
            f"{value!r} is not an id", f"{value!r} 不是有效编号", field=field
        ) from exc


def _columns(values: list[str] | None) -> tuple[str, ...] | None:
    if not values:
        return None
    return tuple(c.strip() for value in values for c in value.split(",") if c.strip())


def _render(out: TransferOut, package_path: str | None = None) -> None:
    show = console()
    show.print(f"[bold]{out.id}[/]  {out.status} · {out.pathway}")
    show.print(
        f"{_pick('Dataset', '数据集')}: {out.dataset} v{out.dataset_version}   "
        f"{_pick('Recipient', '接收方')}: {out.recipient}   "
        f"{_pick('Purpose', '目的')}: {out.purpose}"
    )
    show.print(
        f"{_pick('Rows', '行数')}: {out.rows:,}   {_pick('Individuals', '个人')}: "
        f"{out.individuals:,} (+{out.sensitive_individuals:,} {_pick('sensitive', '敏感')})   "
        f"k-anonymity: {out.k_anonymity if out.k_anonymity is not None else '-'}"
    )
    if out.cumulative:
        people = out.cumulative.get("individuals", 0)
        sensitive = out.cumulative.get("sensitive_individuals", 0)
        counted = out.cumulative.get("transfers_counted", 0)
        show.print(
            _pick(
                f"In the counting window, with this transfer: {people:,} individuals, "
                f"{sensitive:,} with sensitive PI ({counted} transfers)",
                f"计数期内累计（含本次）：{people:,} 人，敏感个人信息 {sensitive:,} 人"
                f"（{counted} 次传输）",
            )
        )
    columns = Table(title=_pick("Columns sent", "发送的列"))
    for key in (
        _pick("column", "列"),
        _pick("treatment", "处理"),
        _pick("found", "识别"),
        _pick("watermark", "水印"),
    ):
        columns.add_column(key)
    carriers = out.report.get("watermark", {}).get("carriers", {})
    for column in out.columns:
        columns.add_row(
            column["name"],
            ", ".join(column.get("treatment", [])),
            ", ".join(column.get("categories", [])) or "-",
            carriers.get(column["name"], "-"),
        )
    show.print(columns)
    for key, en, zh in (
        ("suppressed", "values held by too few rows, sent empty", "个值因持有行数过少而以空值发送"),
        ("not_generalised", "values the generalisation could not read, sent empty",
         "个值无法泛化，以空值发送"),
    ):  # fmt: skip
        for name, count in (out.report.get(key) or {}).items():
            if count:
                show.print(f"{name}: {count:,} {_pick(en, zh)}")
    for reason in out.reasons:
        show.print(f"  ✗ [{reason.code}] {_pick(reason.en, reason.zh)}", markup=False)
    if package_path:
        show.print(f"{_pick('Package', '数据包')}: {package_path}", markup=False)
    if out.log_index is not None:
        show.print(
            f"{_pick('Evidence log entry', '证据日志条目')}: {out.log_index}   "
            f"dataport transfers receipt {out.id}",
            markup=False,
        )


def transfer(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    org: OrgOpt,
    to: Annotated[str, typer.Option("--to", help="The recipient organisation (name or id).")],
    dest: Annotated[str, typer.Option("--dest", help="A declared destination (name), or its URL.")],
    approval: Annotated[
        str | None, typer.Option("--approval", help="The approval or filed contract it is under.")
    ] = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="De-identification policy (YAML).")
    ] = None,
    columns: Annotated[
        list[str] | None,
        typer.Option("--columns", help="Columns to send (comma-separated or repeated)."),
    ] = None,
    data_format: Annotated[
        str, typer.Option("--format", help="parquet (default) or csv.")
    ] = "parquet",
    purpose: Annotated[
        str | None, typer.Option("--purpose", help="Default: the approval's, else business.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the transfer as JSON.")] = False,
) -> None:
    """Send a dataset abroad: scope check, de-identify, watermark, sign, deliver, receipt.
    数据出境传输：范围核查、脱敏、水印、签名、交付、存证回执。"""
    chosen = load_policy(policy) if policy else Policy()
    with unit_of_work() as session:
        exporter = find_organisation(session, org)
        found = find_dataset(session, operator(), exporter, dataset)
        recipient = find_organisation(session, to)
        order = runner.Order(
            dataset_id=found.id,
            recipient_id=recipient.id,
            destination=dest,
            approval_id=_uuid(approval, "approval") if approval else None,
            purpose=purpose,
            columns=_columns(columns),
            format=data_format,
            policy=chosen,
        )
    with _sessions() as sessions:
        outcome = runner.run(sessions, settings(), operator(), order, progress=_progress)
    _outcome(outcome, as_json)


def _outcome(outcome: runner.Outcome, as_json: bool) -> None:
    with unit_of_work() as session:
        found = service.get_transfer(session, operator(), outcome.transfer_id)
        out = service.describe_transfer(session, found)
    if outcome.resumed:
        err_console().print(
            _pick(
                "(finished the transfer an earlier run of the same request left unfinished)",
                "（已完成此前同一请求未完成的传输）",
            )
        )
    if as_json:
        print_json(out.model_dump(mode="json") | {"package": outcome.package})
    else:
        _render(out, outcome.package)
    if out.status == "refused":
        raise service.TransferRefused(
            "the transfer was refused and recorded: "
            + "; ".join(f"{r.en} [{r.code}]" for r in out.reasons),
            "传输被拒绝并已记录：" + "；".join(f"{r.zh}［{r.code}］" for r in out.reasons),
            transfer_id=str(out.id),
            reasons=[r.code for r in out.reasons],
        )
    if not outcome.receipt_written and out.status == "delivered":
        err_console().print(
            _pick(
                "The receipt is not written yet (the evidence log could not sequence the entry): "
                f"run 'dataport log checkpoint', then 'dataport transfers resume {out.id}'.",
                "收据尚未写入（证据日志暂未能排序该条目）：请运行 'dataport log checkpoint'，"
                f"再运行 'dataport transfers resume {out.id}'。",
            )
        )


# -- dataport transfers ... -------------------------------------------------------------------


@transfers_app.command("list")
def list_(
    org: Annotated[
        str | None, typer.Option("--org", envvar="DATAPORT_ORG", help="Only this organisation's.")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List transfers, the newest first. 列出传输记录。"""
    with unit_of_work() as session:
        org_id = find_organisation(session, org).id if org else None
        found = service.list_transfers(session, operator(), org_id=org_id)
        rows = [service.describe_transfer(session, t) for t in found]
    if fmt is OutputFormat.json:
        print_json(rows)
        return
    table = Table(title=_pick("Transfers", "传输记录"))
    for key in ("id", "on", "status", "dataset", "recipient", "pathway", "rows", "individuals"):
        table.add_column(key)
    for out in rows:
        table.add_row(
            str(out.id),
            str(out.on),
            str(out.status),
            f"{out.dataset} v{out.dataset_version}",
            out.recipient,
            out.pathway,
            f"{out.rows:,}",
            f"{out.individuals:,} (+{out.sensitive_individuals:,})",
        )
    console().print(table)


@transfers_app.command("show")
def show(
    transfer_id: Annotated[str, typer.Argument(help="The transfer's id.")],
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Show one transfer. 查看传输详情。"""
    with unit_of_work() as session:
        found = service.get_transfer(session, operator(), _uuid(transfer_id, "transfer"))
        out = service.describe_transfer(session, found)
    if fmt is OutputFormat.json:
        print_json(out)
        return
    _render(out)


@transfers_app.command("receipt")
def receipt(
    transfer_id: Annotated[str, typer.Argument(help="The transfer's id.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write it here instead of stdout.")
    ] = None,
) -> None:
    """The receipt proving the delivery is in the evidence log. 传输存证收据。"""
    with unit_of_work() as session:
        found = service.get_transfer(session, operator(), _uuid(transfer_id, "transfer"))
        body = service.receipt_of(session, found)
    text = json.dumps(body, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@transfers_app.command("resume")
def resume(
    transfer_id: Annotated[str, typer.Argument(help="The transfer's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the transfer as JSON.")] = False,
) -> None:
    """Finish an interrupted transfer. 继续完成中断的传输。"""
    with _sessions() as sessions:
        outcome = runner.resume(
            sessions, settings(), operator(), _uuid(transfer_id, "transfer"), progress=_progress
        )
    _outcome(outcome, as_json)


@transfers_app.command("abort")
def abort(transfer_id: Annotated[str, typer.Argument(help="The transfer's id.")]) -> None:
    """Abort an interrupted transfer: remove it from the destination, record it. 中止传输。"""
    with _sessions() as sessions:
        outcome = runner.abort(sessions, settings(), operator(), _uuid(transfer_id, "transfer"))
    console().print(_pick(f"Aborted {outcome.transfer_id}.", f"已中止 {outcome.transfer_id}。"))


@transfers_app.command("key")
def key(org: OrgOpt) -> None:
    """The exporter's package-signing key, for recipients to verify with. 出境方验签公钥。"""
    with unit_of_work() as session:
        exporter = find_organisation(session, org)
    sys.stdout.write(exporter_keys(settings().home, exporter.id).verifier_key + "\n")


# -- dataport destination ... -----------------------------------------------------------------


@destination_app.command("add")
def destination_add(
    name: Annotated[str, typer.Argument(help="A short name, e.g. frankfurt-sftp.")],
    url: Annotated[str, typer.Argument(help="A local folder or an fsspec URL.")],
    org: OrgOpt,
    zone: Annotated[Zone, typer.Option(help="The zone the destination is in.")] = Zone.domestic,
    country: Annotated[
        str, typer.Option(help="ISO 3166-1 alpha-2 country where the data is stored.")
    ] = "CN",
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Declare a destination. 声明交付目标位置。"""
    with unit_of_work() as session:
        owner = find_organisation(session, org)
        found = service.declare_destination(
            session,
            operator(),
            settings(),
            org=owner,
            name=name,
            url=url,
            zone=zone,
            country=country,
        )
        out = service.describe_destination(found)
    if fmt is OutputFormat.json:
        print_json(out)
        return
    console().print(f"{out.name}  {out.url}  ({out.zone}, {out.country})  {out.id}", markup=False)


@destination_app.command("list")
def destination_list(
    org: Annotated[
        str | None, typer.Option("--org", envvar="DATAPORT_ORG", help="Only this organisation's.")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List declared destinations. 列出目标位置。"""
    with unit_of_work() as session:
        org_id = find_organisation(session, org).id if org else None
        rows = [
            service.describe_destination(d)
            for d in service.list_destinations(session, operator(), org_id=org_id)
        ]
    if fmt is OutputFormat.json:
        print_json(rows)
        return
    table = Table(title=_pick("Destinations", "目标位置"))
    for column in ("name", "url", "zone", "country", "id"):
        table.add_column(column)
    for out in rows:
        table.add_row(out.name, out.url, str(out.zone), out.country, str(out.id))
    console().print(table)


# -- dataport receive / trace -----------------------------------------------------------------


def receive(
    package_dir: Annotated[str, typer.Argument(help="The package folder (or its URL).")],
    key: Annotated[str, typer.Option("--key", help="The exporter's verifier key.")],
    log_key: Annotated[str, typer.Option("--log-key", help="The evidence log's verifier key.")],
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Verify a received package offline: signature, file hashes, receipt. 离线核验数据包。"""
    location, folder = destinations.open_package(package_dir)
    verdict = package.verify_package(
        destinations.reader(location, folder),
        destinations.hasher(location, folder),
        key,
        log_key,
        count_rows=(lambda path: package.count_rows_local(Path(folder) / path))
        if location.is_local
        else None,
        data_files=destinations.data_files(location, folder),
    )
    if fmt is OutputFormat.json:
        print_json(
            {
                "verified": True,
                "transfer_id": verdict.transfer_id,
                "manifest_sha256": verdict.manifest_sha256,
                "log_index": verdict.log_index,
                "exporter": verdict.manifest.get("exporter"),
                "recipient": verdict.manifest.get("recipient"),
                "files": verdict.manifest.get("files"),
                "checks": [en for en, _ in verdict.checks],
            }
        )
        return
    out = console()
    for en, zh in verdict.checks:
        out.print(f"  ✓ {_pick(en, zh)}", markup=False)
    out.print(
        _pick(
            f"Verified: transfer {verdict.transfer_id} from "
            f"{verdict.manifest['exporter']['name']} to {verdict.manifest['recipient']['name']}.",
            f"核验通过：传输 {verdict.transfer_id}，由 {verdict.manifest['exporter']['name']} "
            f"发往 {verdict.manifest['recipient']['name']}。",
        ),
        markup=False,
    )


def trace_command(
    file: Annotated[Path, typer.Argument(help="The leaked file (CSV or Parquet).")],
    org: Annotated[
        str | None, typer.Option("--org", help="Only this exporter's transfers.")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Find the transfer and recipient a leaked file came from. 泄露溯源。"""
    with unit_of_work() as session:
        org_id = find_organisation(session, org).id if org else None
        out = trace.trace_file(session, operator(), settings(), file, org_id=org_id)
    if fmt is OutputFormat.json:
        print_json(out)
        return
    show = console()
    if out.matched and out.best is not None:
        show.print(
            _pick(
                f"Traced: transfer {out.transfer_id} to {out.recipient} ({out.best.dataset}, from "
                f"{out.best.exporter}); confidence {out.confidence}; {out.best.cells} marked "
                f"values, {out.best.agreement:.1%} agree, in {', '.join(out.best.columns)}.",
                f"溯源结果：传输 {out.transfer_id}，接收方 {out.recipient}（{out.best.dataset}，"
                f"出境方 {out.best.exporter}）；置信度 {out.confidence}；"
                f"{out.best.cells} 个带水印的值，"
                f"{out.best.agreement:.1%} 一致，所在列：{'、'.join(out.best.columns)}。",
            ),
            markup=False,
        )
        return
    show.print(
        _pick(
            f"No match: none of the {out.candidates} delivered transfers' watermarks is in "
            f"{out.file} ({out.rows:,} rows).",
            f"未匹配：{out.file}（{out.rows:,} 行）中没有 {out.candidates} 次已交付传输中"
            "任何一次的水印。",
        ),
        markup=False,
    )
