"""kill -9 at every step of a transfer, in real processes: the destination never holds a
package that looks complete but is not, and running the transfer again settles every case."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport import db
from dataport.assessment import service as applications
from dataport.catalog.models import Zone
from dataport.cli.main import run
from dataport.config import Settings, get_settings
from dataport.ledger import service as ledger
from dataport.ledger.models import LedgerEntry
from dataport.samples.customers import customers, write_csv
from dataport.transfer import destinations, package, service
from dataport.transfer.keys import exporter_keys
from dataport.transfer.models import Transfer, TransferStatus
from tests.conftest import create_database, is_postgres
from tests.factories import OPERATOR, organisation
from tests.transfer.conftest import POLICY, SENT, register

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Installation:
    env: dict[str, str]
    url: str
    home: Path
    outbox: Path
    order: dict[str, object]
    exporter_id: str

    def session(self) -> Iterator[Session]:
        engine = db.make_engine(self.url)
        try:
            with db.session_scope(db.make_sessionmaker(engine)) as session:
                yield session
        finally:
            engine.dispose()


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env = {**os.environ, "DATAPORT_HOME": str(home), "DATAPORT_LANG": "en"}
    # The processes run this checkout's code, whichever one the environment has installed.
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    database = None
    if is_postgres():
        database = create_database(tmp_path)
        env["DATAPORT_DATABASE_URL"] = url = database.url
    else:
        env.pop("DATAPORT_DATABASE_URL", None)
        url = f"sqlite:///{home / 'dataport.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    settings = Settings(home=home, database_url=url)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    table = customers(300, today=date(2026, 1, 1))
    with db.session_scope(db.make_sessionmaker(engine)) as session:
        exporter = organisation(session, "Xinghai Tech", registered_zone="lingang")
        recipient = organisation(session, "Rheinwerk Analytics GmbH", country="DE")
        dataset = register(
            session, settings, exporter, write_csv(table, tmp_path / "c.csv"), "customers"
        )
        service.declare_destination(
            session, OPERATOR, settings, org=exporter, name="frankfurt", url=str(outbox),
            zone=Zone.domestic, country="DE",
        )  # fmt: skip
        day = date(2026, 1, 5)
        application = applications.submit(
            session, OPERATOR,
            applications.Submission(
                dataset=dataset, recipient=recipient, purpose="business", individuals=300,
                sensitive_individuals=300, fields=tuple(SENT), retention="1 year",
                storage_location="Frankfurt",
            ),
            on=day,
        )  # fmt: skip
        applications.confirm_complete(session, OPERATOR, application, on=day)
        approval = applications.approve(
            session, OPERATOR, application,
            scope=applications.Scope(tuple(SENT), 300, 300), on=day,
        )  # fmt: skip
        order = {
            "dataset_id": str(dataset.id),
            "recipient_id": str(recipient.id),
            "destination": "frankfurt",
            "approval_id": str(approval.id),
            "policy": POLICY,
        }
        exporter_id = str(exporter.id)
    engine.dispose()
    yield Installation(env, url, home, outbox, order, exporter_id)
    if database is not None:
        database.engine.dispose()
        database.drop()


def crash_at(inst: Installation, step: str, tmp_path: Path) -> list[str]:
    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps(inst.order), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "tests.transfer.crash", step, str(order_file)],
        env=inst.env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == -signal.SIGKILL, run.stderr
    return run.stdout.split()


def nothing_looks_complete_that_is_not(inst: Installation) -> list[Path]:
    """Every folder with a COMMITTED marker holds exactly the package its manifest signs."""
    key = exporter_keys(inst.home, uuid.UUID(inst.exporter_id)).signer.verifier
    committed = []
    for folder in sorted(inst.outbox.glob("dataport-*")):
        if (folder / package.COMMITTED).exists():
            location, path = destinations.open_package(str(folder))
            package.verify_contents(
                destinations.reader(location, path),
                destinations.hasher(location, path),
                key,
                data_files=destinations.data_files(location, path),
            )
            committed.append(folder)
    return committed


def rerun(inst: Installation, monkeypatch: pytest.MonkeyPatch) -> int:
    """The same transfer again, through the command line (in this process)."""
    for name in ("DATAPORT_HOME", "DATAPORT_LANG", "DATAPORT_DATABASE_URL"):
        if name in inst.env:
            monkeypatch.setenv(name, inst.env[name])
        else:
            monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        return run(
            ["transfer", "customers", "--org", "Xinghai Tech", "--to", "Rheinwerk Analytics GmbH",
             "--dest", "frankfurt", "--approval", str(inst.order["approval_id"]),
             "--policy", str(inst.home / "policy.json")]
        )  # fmt: skip
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("step", "delivered_before_rerun"),
    [
        ("scope_checked", False),
        ("data_written", False),  # mid-write: data file written, no manifest yet
        ("package_staged", False),
        ("delivered", True),  # after delivery, before the log append
        ("recorded", True),  # after the log append, before the receipt
    ],
)
def test_kill_9_at_each_step_then_run_again(
    installation: Installation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    step: str,
    delivered_before_rerun: bool,
) -> None:
    inst = installation
    seen = crash_at(inst, step, tmp_path)
    assert seen[-1] == step
    committed = nothing_looks_complete_that_is_not(inst)
    assert bool(committed) == delivered_before_rerun
    for folder in committed:
        assert not (folder / package.RECEIPT).exists()

    # The same transfer again (through the command line) finishes the interrupted one.
    (inst.home / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    capsys.readouterr()
    assert rerun(inst, monkeypatch) == 0
    assert "finished the transfer an earlier run" in capsys.readouterr().err

    (folder,) = nothing_looks_complete_that_is_not(inst)
    assert list(inst.outbox.iterdir()) == [folder]  # no staging left behind
    for session in inst.session():
        (transfer,) = session.scalars(sa.select(Transfer)).all()
        assert transfer.status is TransferStatus.delivered
        assert transfer.receipt_written_at is not None
        assert folder.name == f"dataport-{transfer.id}"
        delivered = [
            json.loads(data)
            for data in session.scalars(sa.select(LedgerEntry.data)).all()
            if json.loads(data)["event"] == "transfer.delivered"
        ]
        assert len(delivered) == 1
        assert delivered[0]["facts"]["manifest_sha256"] == transfer.manifest_sha256
        ledger.verify_database(session)
        log_key = ledger.require_log(session).verifier_key
    location, path = destinations.open_package(str(folder))
    verdict = package.verify_package(
        destinations.reader(location, path),
        destinations.hasher(location, path),
        exporter_keys(inst.home, transfer.org_id).verifier_key,
        log_key,
    )
    assert verdict.manifest_sha256 == transfer.manifest_sha256


def cli_in_this_process(
    inst: Installation, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> int:
    for name in ("DATAPORT_HOME", "DATAPORT_LANG", "DATAPORT_DATABASE_URL"):
        if name in inst.env:
            monkeypatch.setenv(name, inst.env[name])
        else:
            monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        return run(argv)
    finally:
        get_settings.cache_clear()


def test_two_processes_never_both_deliver_the_same_transfer(
    installation: Installation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inst = installation
    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps(inst.order), encoding="utf-8")
    (inst.home / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    go = tmp_path / "go"
    # The first process holds the transfer mid-delivery (its data file written)...
    first = subprocess.Popen(
        [sys.executable, "-m", "tests.transfer.crash", "data_written", str(order_file), str(go)],
        env=inst.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert first.stdout is not None
        seen = [first.stdout.readline().strip() for _ in range(2)]
        assert seen == ["scope_checked", "data_written"], (
            first.stderr.read() if first.stderr else ""
        )
        for session in inst.session():
            (transfer,) = session.scalars(sa.select(Transfer)).all()
            assert transfer.status is TransferStatus.preparing
            assert transfer.claimed_by is not None
            assert f" {first.pid} " in transfer.claimed_by
        # ...while this one runs the same transfer, resumes it by id, and tries to abort it.
        capsys.readouterr()
        assert rerun(inst, monkeypatch) == 6
        assert "is being delivered by another process" in capsys.readouterr().err
        for argv in (["transfers", "resume", str(transfer.id)],
                     ["transfers", "abort", str(transfer.id)]):  # fmt: skip
            assert cli_in_this_process(inst, monkeypatch, argv) == 6
            assert "is being delivered by another process" in capsys.readouterr().err
        go.touch()
        assert first.wait(timeout=120) == 0, first.stderr.read() if first.stderr else ""
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate()
    (folder,) = nothing_looks_complete_that_is_not(inst)
    assert list(inst.outbox.iterdir()) == [folder]
    for session in inst.session():
        (transfer,) = session.scalars(sa.select(Transfer)).all()
        assert transfer.status is TransferStatus.delivered
        assert transfer.claimed_by is None
        events = [json.loads(d)["event"] for d in session.scalars(sa.select(LedgerEntry.data))]
        assert events.count("transfer.delivered") == 1
        assert "transfer.aborted" not in events


def test_of_runs_claiming_a_transfer_at_the_same_instant_exactly_one_wins(
    installation: Installation, tmp_path: Path
) -> None:
    inst = installation
    crash_at(inst, "scope_checked", tmp_path)  # a transfer left preparing, claimed by no one
    for session in inst.session():
        (transfer,) = session.scalars(sa.select(Transfer)).all()
        transfer_id = transfer.id
    engine = db.make_engine(inst.url)
    sessions = db.make_sessionmaker(engine)
    contenders = 6
    start = threading.Barrier(contenders)

    def contend() -> str:
        start.wait()
        try:
            with db.session_scope(sessions) as session:
                return "won " + service.claim_delivery(session, transfer_id)
        except service.TransferBusy:
            return "busy"

    try:
        with ThreadPoolExecutor(contenders) as pool:
            results = list(pool.map(lambda _: contend(), range(contenders)))
    finally:
        engine.dispose()
    winners = [r for r in results if r.startswith("won ")]
    assert len(winners) == 1, results
    assert results.count("busy") == contenders - 1
    for session in inst.session():
        assert session.get_one(Transfer, transfer_id).claimed_by == winners[0].removeprefix("won ")
