"""The log under a crash, under concurrent appenders, and fed bad evidence: real processes."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from dataport import db
from dataport.config import Settings
from dataport.ledger import service
from dataport.ledger.models import LedgerEntry
from tests.conftest import CliResult, create_database, is_postgres


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment of a dataport installation that several processes share."""
    env = {**os.environ, "DATAPORT_HOME": str(tmp_path / "home"), "DATAPORT_LANG": "en"}
    database = None
    if is_postgres():
        database = create_database(tmp_path)
        env["DATAPORT_DATABASE_URL"] = database.url
    else:
        env.pop("DATAPORT_DATABASE_URL", None)
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env["TEST_DATABASE_URL"] = database.url if database else f"sqlite:///{home / 'dataport.db'}"
    yield env
    if database is not None:
        database.engine.dispose()
        database.drop()


def init_log(env: dict[str, str], origin: str) -> None:
    engine = db.make_engine(env["TEST_DATABASE_URL"])
    try:
        db.upgrade(engine)
        with db.session_scope(db.make_sessionmaker(engine)) as session:
            service.init_log(session, Settings(home=Path(env["DATAPORT_HOME"])), origin=origin)
    finally:
        engine.dispose()


def verify_log(env: dict[str, str]) -> int:
    """Audits the shared log in this process; returns its size."""
    engine = db.make_engine(env["TEST_DATABASE_URL"])
    try:
        with db.session_scope(db.make_sessionmaker(engine)) as session:
            return service.verify_database(session).checkpoint.size
    finally:
        engine.dispose()


def stored_entries(env: dict[str, str]) -> list[tuple[int, bytes]]:
    engine = db.make_engine(env["TEST_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(LedgerEntry.idx, LedgerEntry.data)
                .where(LedgerEntry.idx.is_not(None))
                .order_by(LedgerEntry.idx)
            ).all()
    finally:
        engine.dispose()
    return [(row.idx, row.data) for row in rows]


def test_kill_9_during_appends_loses_no_acknowledged_entry(
    installation: dict[str, str], tmp_path: Path
) -> None:
    init_log(installation, "example.com/crash")
    lines = [f'{{"n":{n},"pad":"{"x" * 40}"}}' for n in range(64 * 200)]
    source = tmp_path / "entries.jsonl"
    source.write_text("\n".join(lines) + "\n")
    appender = subprocess.Popen(
        [sys.executable, "-m", "dataport", "log", "append", str(source), "--batch", "64",
         "--format", "json"],
        env=installation, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    acknowledged = -1
    assert appender.stdout is not None
    deadline = time.monotonic() + 60
    for line in appender.stdout:
        acknowledged = json.loads(line)["last"]
        if acknowledged >= 64 * 30 - 1 or time.monotonic() > deadline:
            break
    os.kill(appender.pid, signal.SIGKILL)
    _, errors = appender.communicate(timeout=30)
    assert appender.returncode == -signal.SIGKILL
    assert acknowledged >= 0, errors

    assert verify_log(installation) > acknowledged
    stored = stored_entries(installation)
    assert len(stored) > acknowledged
    for index, data in stored[: acknowledged + 1]:
        assert data == lines[index].encode()
    # The log carries on where it stopped, and still verifies.
    resumed = subprocess.run(
        [sys.executable, "-m", "dataport", "log", "append", "--format", "json"],
        input='{"after":"restart"}\n', env=installation, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert json.loads(resumed.stdout)["last"] == len(stored)
    assert verify_log(installation) == len(stored) + 1


def test_concurrent_appenders_never_share_an_index(
    installation: dict[str, str], tmp_path: Path
) -> None:
    init_log(installation, "example.com/busy")
    workers = 4
    per_worker = 400
    processes = []
    for worker in range(workers):
        source = tmp_path / f"worker-{worker}.jsonl"
        source.write_text("".join(f'{{"n":{n},"w":{worker}}}\n' for n in range(per_worker)))
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dataport",
                    "log",
                    "append",
                    str(source),
                    "--batch",
                    "20",
                    "--format",
                    "json",
                ],
                env=installation,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    acknowledged: dict[int, tuple[int, int]] = {}
    for worker, process in enumerate(processes):
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        for line in out.splitlines():
            batch = json.loads(line)
            acknowledged[batch["first"]] = (worker, batch["last"])
    stored = stored_entries(installation)
    assert [index for index, _ in stored] == list(range(workers * per_worker))
    assert len({data for _, data in stored}) == workers * per_worker
    # Every acknowledged batch is where its appender was told it is, and batches interleave.
    for first, (worker, last) in acknowledged.items():
        for index in range(first, last + 1):
            assert json.loads(stored[index][1])["w"] == worker
    order = [worker for _, (worker, _) in sorted(acknowledged.items())]
    assert any(a != b for a, b in itertools.pairwise(order))
    assert verify_log(installation) == workers * per_worker


Cli = Callable[..., CliResult]


@pytest.fixture
def exported(cli: Cli, tmp_path: Path) -> tuple[Path, str, Path]:
    source = tmp_path / "entries.jsonl"
    source.write_text("".join(f'{{"n":{n}}}\n' for n in range(300)))
    assert cli("log", "append", str(source), "--batch", "100").code == 0
    folder = tmp_path / "mirror"
    assert cli("log", "export", str(folder)).code == 0
    receipt = tmp_path / "receipt.json"
    assert cli("log", "proof", "--index", "42", "--out", str(receipt)).code == 0
    return folder, cli("log", "key").out.strip(), receipt


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (
            lambda d: (d / "tile/0/001.p/44").write_bytes(
                (d / "tile/0/001.p/44").read_bytes()[:-5]
            ),
            "tile/0/001.p/44",
        ),
        (
            lambda d: (d / "tile/entries/000").write_bytes(
                (d / "tile/entries/000").read_bytes()[:-1]
            ),
            "tile/entries/000",
        ),
        (lambda d: (d / "tile/0/000").unlink(), "tile/0/000"),
        (
            lambda d: (d / "checkpoint.200").write_bytes((d / "checkpoint.100").read_bytes()),
            "checkpoint.200",
        ),
        (
            lambda d: (d / "checkpoint").write_bytes(
                (d / "checkpoint").read_bytes().replace(b"300\n", b"299\n", 1)
            ),
            "signature",
        ),
    ],
    ids=[
        "truncated tile",
        "truncated bundle",
        "missing tile",
        "swapped checkpoint",
        "edited checkpoint",
    ],
)
def test_a_damaged_mirror_gets_a_clear_verdict(
    cli: Cli, exported: tuple[Path, str, Path], damage: Callable[[Path], object], expected: str
) -> None:
    folder, key, _ = exported
    assert cli("log", "verify", str(folder), "--key", key).code == 0
    damage(folder)
    result = cli("log", "verify", str(folder), "--key", key)
    assert result.code == 8, result.out + result.err
    assert expected in result.err
    assert "Traceback" not in result.err


def test_bad_receipts_and_keys_get_a_clear_verdict(
    cli: Cli, exported: tuple[Path, str, Path], tmp_path: Path
) -> None:
    folder, key, receipt = exported
    assert cli("verify", str(receipt), "--key", key).code == 0
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(receipt.read_bytes()[:200])
    result = cli("verify", str(truncated), "--key", key)
    assert (result.code, "not JSON" in result.err) == (2, True)
    assert cli("verify", str(receipt), "--key", "example.com/x+00000000+AAAA").code == 2
    from dataport.ledger import generate_key

    other = cli("verify", str(receipt), "--key", generate_key("example.com/other").verifier_key)
    assert other.code == 8
    assert "✗ the checkpoint's signature" in other.out
    # A proof for one tree size presented with the checkpoint of another.
    document = json.loads(receipt.read_text())
    document["checkpoint"] = (folder / "checkpoint.200").read_text()
    wrong_size = tmp_path / "wrong-size.json"
    wrong_size.write_text(json.dumps(document))
    result = cli("verify", str(wrong_size), "--key", key)
    assert result.code == 8
    assert "✗ the inclusion proof" in result.out
    assert "Traceback" not in result.out + result.err
