"""``dataport witness``: run a witness for other parties' logs (C2SP tlog-witness)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from dataport.api.witness import create_witness_app
from dataport.cli.context import console, lang, settings
from dataport.ledger import witness

app = typer.Typer(
    help="A witness: cosigns a log's checkpoints only if they are consistent. 见证方。",
    no_args_is_help=True,
)


def _default_state() -> Path:
    return settings().home / "witness"


StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state",
        envvar="DATAPORT_WITNESS_STATE",
        help="The witness's own folder: its key and what it saw (default: DATAPORT_HOME/witness).",
    ),
]


def say(en: str, zh: str) -> str:
    return zh if lang() == "zh-CN" else en


@app.command("init")
def init(
    name: Annotated[str, typer.Option(help="The witness's key name, e.g. witness.example.org.")],
    state: StateOpt = None,
) -> None:
    """Create the witness's cosigning key; print its verifier key. 创建见证密钥。"""
    key = witness.init_witness(state or _default_state(), name)
    console().print(say("Witness verifier key (publish it):", "见证验证公钥（请公开发布）："))
    sys.stdout.write(key + "\n")


@app.command("key")
def key(state: StateOpt = None) -> None:
    """Print the witness's verifier key. 显示见证验证公钥。"""
    sys.stdout.write(witness.witness_verifier_key(state or _default_state()) + "\n")


@app.command("trust")
def trust(
    origin: Annotated[str, typer.Option(help="The log's origin.")],
    log_key: Annotated[str, typer.Option("--key", help="The log's verifier key.")],
    state: StateOpt = None,
) -> None:
    """Start witnessing a log. 开始见证某个日志。"""
    witness.trust_log(state or _default_state(), origin, log_key)
    console().print(say(f"witnessing {origin}", f"开始见证 {origin}"))


@app.command("list")
def list_(state: StateOpt = None) -> None:
    """The logs witnessed, and the latest size cosigned for each. 列出所见证的日志。"""
    for log in witness.witnessed_logs(state or _default_state()):
        sys.stdout.write(f"{log.origin}\t{log.size}\t{log.verifier_key}\n")


@app.command("add-checkpoint")
def add_checkpoint(
    request: Annotated[
        Path, typer.Argument(help="An add-checkpoint request body (tlog-witness), or -.")
    ] = Path("-"),
    state: StateOpt = None,
) -> None:
    """Handle one add-checkpoint request offline; print the cosignature. 离线联署。"""
    body = sys.stdin.buffer.read() if str(request) == "-" else request.read_bytes()
    sys.stdout.write(witness.add_checkpoint(state or _default_state(), body).decode())


@app.command("serve")
def serve(
    state: StateOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8100,
) -> None:
    """Serve POST /add-checkpoint (C2SP tlog-witness). 提供见证服务。"""
    folder = state or _default_state()
    witness.witness_verifier_key(folder)  # refuse to start without a key
    console().print(f"dataport witness on http://{host}:{port}/add-checkpoint ({folder})")
    uvicorn.run(create_witness_app(folder), host=host, port=port, log_level="info")
