"""``dataport log``: the evidence log. ``dataport verify``: check a receipt offline."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509

from dataport import db
from dataport.cli.context import (
    OutputFormat,
    console,
    lang,
    print_json,
    ready_engine,
    settings,
    unit_of_work,
)
from dataport.cli.identity import FormatOpt
from dataport.errors import DataportError, InvalidInput
from dataport.ledger import service, witness_client
from dataport.ledger.canonical import parse_json_entry
from dataport.ledger.checkpoint import Checkpoint
from dataport.ledger.errors import MalformedEvidenceError
from dataport.ledger.keys import log_key_path
from dataport.ledger.mirror import HttpLogFiles, LogAudit, audit_files
from dataport.ledger.receipts import Progress, verify_receipt
from dataport.ledger.store import encode_hashes
from dataport.ledger.tilelog import LogDirectory
from dataport.ledger.timestamp import fetch_timestamp

app = typer.Typer(
    help="The evidence log: append, sign, prove, export, audit. 证据日志。", no_args_is_help=True
)


def say(en: str, zh: str) -> str:
    return zh if lang() == "zh-CN" else en


@app.command("init")
def init(
    origin: Annotated[str, typer.Option(help="The log's identity, a schema-less URL: host/path.")],
    signer_key: Annotated[
        str | None,
        typer.Option(
            "--signer-key",
            help="Import this C2SP note signer key (PRIVATE+KEY+...), or '-' to read it "
            "from standard input; default: generate one.",
        ),
    ] = None,
) -> None:
    """Create the log and its signing key (kept in DATAPORT_HOME, owner-only). 初始化日志。"""
    if signer_key == "-":
        signer_key = sys.stdin.readline().strip()
    with unit_of_work() as session:
        log = service.init_log(session, settings(), origin=origin, signer_key=signer_key)
        origin, key = log.origin, log.verifier_key
    out = console()
    out.print(say(f"Evidence log {origin}", f"证据日志 {origin}"))
    out.print(say("Verifier key (publish it):", "验证公钥（请公开发布）："))
    sys.stdout.write(key + "\n")
    out.print(say("Signer key file: ", "签名私钥文件：") + str(log_key_path(settings().home)))


@app.command("key")
def key() -> None:
    """Print the log's verifier key. 显示日志验证公钥。"""
    with unit_of_work() as session:
        verifier_key = service.require_log(session).verifier_key
    sys.stdout.write(verifier_key + "\n")


@app.command("status")
def status(fmt: FormatOpt = OutputFormat.table) -> None:
    """The log's origin, size, root and queued entries. 日志状态。"""
    with unit_of_work() as session:
        out = service.status(session)
    if fmt is OutputFormat.json:
        print_json(out)
        return
    console().print(
        say(
            f"log {out.origin}: {out.size} entries, root {out.root_hash}, {out.pending} queued",
            f"日志 {out.origin}：{out.size} 个条目，根哈希 {out.root_hash}，{out.pending} 个待排序",
        )
    )


def _lines(files: list[Path]) -> Iterator[tuple[str, bytes]]:
    sources: Iterable[tuple[str, Iterable[bytes]]]
    if not files or files == [Path("-")]:
        sources = [("stdin", sys.stdin.buffer)]
    else:
        sources = ((str(path), _open(path)) for path in files)
    for name, stream in sources:
        for number, line in enumerate(stream, 1):
            line = line.rstrip(b"\r\n")
            if line:
                yield f"{name}:{number}", line


def _open(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as file:
            yield from file
    except OSError as error:
        raise InvalidInput(
            f"cannot read {path}: {error.strerror}", f"无法读取 {path}：{error.strerror}"
        ) from None


@app.command("append")
def append(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Files of entries, one per line (default: stdin).")
    ] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="Append lines as they are, not as canonical JSON.")
    ] = False,
    batch: Annotated[
        int, typer.Option(help="Entries per transaction and checkpoint.", min=1, max=65536)
    ] = 256,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Append entries (JSON objects, stored canonical), one checkpoint per batch. 追加条目。

    Each batch is committed before it is reported: a reported entry is in the log.
    """
    conf = settings()
    engine = ready_engine()
    sessions = db.make_sessionmaker(engine)
    pending: list[bytes] = []

    def flush() -> None:
        with db.session_scope(sessions) as session:
            done = service.append(session, conf, pending)
        pending.clear()
        last = done.first_index + done.count - 1
        if fmt is OutputFormat.json:
            sys.stdout.write(
                json.dumps({"first": done.first_index, "last": last, "size": done.size}) + "\n"
            )
        else:
            sys.stdout.write(
                say(
                    f"appended entries {done.first_index}..{last}; checkpoint size {done.size}\n",
                    f"已追加第 {done.first_index}..{last} 个条目；检查点大小 {done.size}\n",
                )
            )
        sys.stdout.flush()

    try:
        for where, line in _lines(files or []):
            pending.append(line if raw else parse_json_entry(line, where))
            if len(pending) >= batch:
                flush()
        if pending:
            flush()
    finally:
        engine.dispose()


@app.command("checkpoint")
def checkpoint(
    tsa: Annotated[
        str | None,
        typer.Option(help="Also get an RFC 3161 timestamp on it from this TSA URL."),
    ] = None,
) -> None:
    """Sequence queued entries, then print the latest signed checkpoint. 签署检查点。"""
    with unit_of_work() as session:
        row = service.checkpoint(session, settings())
        note = row.note
        if tsa:
            text = note.decode().rsplit("\n\n", 1)[0] + "\n"
            service.add_timestamp(session, row, fetch_timestamp(tsa, text.encode()))
    sys.stdout.write(note.decode())
    if tsa:
        console().print(say(f"timestamped by {tsa}", f"已由 {tsa} 加盖时间戳"))


@app.command("proof")
def proof(
    index: Annotated[int, typer.Option("--index", help="The entry's index.", min=0)],
    size: Annotated[
        int | None, typer.Option("--size", help="Under the checkpoint of this size.", min=1)
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the receipt here.")] = None,
) -> None:
    """Print the receipt of an entry: entry, checkpoint, inclusion proof. 输出收据。"""
    with unit_of_work() as session:
        receipt = service.receipt(session, index, size)
    text = json.dumps(receipt, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    console().print(say(f"receipt written to {out}", f"收据已写入 {out}"))


@app.command("consistency")
def consistency(
    old: Annotated[int, typer.Option("--old", help="The older tree size.", min=1)],
    new: Annotated[
        int | None, typer.Option("--new", help="The newer size (default: latest).", min=1)
    ] = None,
) -> None:
    """Print the consistency proof between two tree sizes. 输出一致性证明。"""
    with unit_of_work() as session:
        new = new or service.require_log(session).size
        hashes = service.consistency(session, old, new)
    print_json({"old_size": old, "new_size": new, "proof": encode_hashes(hashes)})


@app.command("export")
def export(
    directory: Annotated[Path, typer.Argument(help="Folder to write the static log into.")],
) -> None:
    """Write the log as static tlog-tiles files (checkpoint, tile/...). 导出静态日志。"""
    with unit_of_work() as session:
        done = service.export(session, LogDirectory(directory))
    console().print(
        say(
            f"exported {done.files} files (size {done.size}, {done.checkpoints} checkpoints) "
            f"to {directory}",
            f"已导出 {done.files} 个文件（大小 {done.size}，{done.checkpoints} 个检查点）"
            f"到 {directory}",
        )
    )


@app.command("verify")
def verify(
    directory: Annotated[
        Path | None, typer.Argument(help="A folder holding a tlog-tiles log (an export).")
    ] = None,
    url: Annotated[str | None, typer.Option(help="A log served over HTTP(S).")] = None,
    key: Annotated[
        str | None,
        typer.Option(help="The log's verifier key (default: this installation's log key)."),
    ] = None,
) -> None:
    """Audit a whole log: every tile, the root, every checkpoint. 完整审计日志。

    Without DIR or --url, audits this installation's log in its database.
    """
    if directory is not None and url is not None:
        raise InvalidInput("give a folder or --url, not both", "请只指定文件夹或 --url 之一")
    if directory is not None and not (directory / "checkpoint").is_file():
        raise InvalidInput(
            f"{directory} holds no checkpoint file", f"{directory} 中没有 checkpoint 文件"
        )
    if directory is None and url is None:
        with unit_of_work() as session:
            audit = service.verify_database(session, key)
        _report(audit, say("the database", "数据库"))
        return
    if key is None:
        with unit_of_work() as session:
            key = service.require_log(session).verifier_key
    trusted = service.trusted_key(key)
    files = LogDirectory(directory) if directory is not None else HttpLogFiles(url or "")
    audit = audit_files(files, trusted, origin=trusted.name)
    _report(audit, str(directory or url))


def _report(audit: LogAudit, where: str) -> None:
    checkpoint: Checkpoint = audit.checkpoint
    root = encode_hashes([checkpoint.root_hash])[0]
    console().print(
        say(
            f"OK: {where} holds log {checkpoint.origin} of {checkpoint.size} entries, root "
            f"{root}; {audit.files_checked} files recomputed, {audit.checkpoints_checked} "
            "checkpoints signed and consistent",
            f"通过：{where} 中的日志 {checkpoint.origin} 共 {checkpoint.size} 个条目，根哈希 "
            f"{root}；重算 {audit.files_checked} 个文件，{audit.checkpoints_checked} 个检查点"
            "签名有效且前后一致",
        )
    )


@app.command("cosign")
def cosign(
    witness: Annotated[str, typer.Option(help="The witness's URL (it serves add-checkpoint).")],
    witness_key: Annotated[
        str | None,
        typer.Option(help="The witness's verifier key: its cosignature must verify."),
    ] = None,
) -> None:
    """Have a witness cosign the latest checkpoint (C2SP tlog-witness). 请求见证联署。"""
    with unit_of_work() as session:
        note = witness_client.cosign_latest(session, witness, witness_key)
    sys.stdout.write(note.decode())


def verify_command(
    receipt: Annotated[Path, typer.Argument(help="The receipt (JSON), or - for stdin.")],
    key: Annotated[str, typer.Option("--key", help="The log's verifier key.")],
    witness: Annotated[
        list[str] | None,
        typer.Option("--witness", help="A witness verifier key that must have cosigned."),
    ] = None,
    tsa_root: Annotated[
        list[Path] | None,
        typer.Option("--tsa-root", help="PEM root certificate of a trusted timestamp authority."),
    ] = None,
) -> None:
    """Verify a receipt offline, and say exactly what failed if anything does. 离线验证收据。

    Exit code 0: verified; 8: the evidence fails verification; 2: not a receipt.
    """
    data = sys.stdin.buffer.read() if str(receipt) == "-" else _read(receipt)
    roots = [_certificate(path) for path in tsa_root or []]
    progress = Progress()
    out = console()
    try:
        verdict = verify_receipt(
            data, key, witness_keys=witness or [], tsa_roots=roots, progress=progress
        )
    except DataportError as error:
        for en, zh in progress.passed:
            out.print(f"✓ {say(en, zh)}")
        out.print(f"✗ {say(*progress.current)}: {error.message(lang())}")
        out.print(say("NOT VERIFIED", "验证未通过"))
        raise
    for en, zh in verdict.checks:
        out.print(f"✓ {say(en, zh)}")
    out.print(
        say(
            f"VERIFIED: entry {verdict.index} of log {verdict.origin}",
            f"验证通过：日志 {verdict.origin} 的第 {verdict.index} 个条目",
        )
    )
    sys.stdout.write(verdict.entry.decode("utf-8", errors="replace") + "\n")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidInput(
            f"cannot read {path}: {error.strerror}", f"无法读取 {path}：{error.strerror}"
        ) from None


def _certificate(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(_read(path))
    except ValueError:
        raise MalformedEvidenceError(
            f"{path} is not a PEM certificate", f"{path} 不是 PEM 证书"
        ) from None
