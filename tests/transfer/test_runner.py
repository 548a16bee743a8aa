"""A transfer from request to receipt, what is refused and why, and what it leaves behind."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from dataport.assessment import service as applications
from dataport.catalog.models import Zone
from dataport.db import utcnow
from dataport.errors import InvalidInput, NotFound, PermissionDenied
from dataport.identity.models import Role
from dataport.ledger import service as ledger
from dataport.ledger.models import LedgerEntry
from dataport.transfer import destinations, package, runner, service
from dataport.transfer.keys import exporter_keys
from dataport.transfer.models import Transfer, TransferStatus
from dataport.transfer.policy import parse_policy
from tests.factories import OPERATOR, actor
from tests.transfer.conftest import DAY, POLICY, ROWS, SENT, World, register
from tests.transfer.sftp import sftp_server


def entries(world: World, event: str) -> list[dict[str, object]]:
    rows = world.session.scalars(sa.select(LedgerEntry.data)).all()
    found = [json.loads(r) for r in rows]
    return [e for e in found if e["event"] == event]


def verify(world: World, folder: Path) -> package.PackageVerdict:
    location, path = destinations.open_package(str(folder))
    keys = exporter_keys(world.settings.home, world.exporter.id)
    log_key = ledger.require_log(world.session).verifier_key
    return package.verify_package(
        destinations.reader(location, path),
        destinations.hasher(location, path),
        keys.verifier_key,
        log_key,
        count_rows=lambda p: package.count_rows_local(Path(path) / p),
        data_files=destinations.data_files(location, path),
    )


def test_a_transfer_is_delivered_verified_and_counted(world: World) -> None:
    outcome = world.run()
    assert outcome.status is TransferStatus.delivered
    assert outcome.receipt_written
    folder = world.outbox / f"dataport-{outcome.transfer_id}"
    assert sorted(p.name for p in folder.iterdir()) == [
        "COMMITTED", "data", "manifest.json", "manifest.sig", "receipt.json",
    ]  # fmt: skip
    assert not (world.outbox / destinations.STAGING).exists()
    verdict = verify(world, folder)
    manifest = verdict.manifest
    assert manifest["transfer_id"] == str(outcome.transfer_id)
    assert [c["name"] for c in manifest["columns"]] == SENT
    assert manifest["counts"] == {
        "rows": ROWS,
        "individuals": ROWS - world.minors,
        "sensitive_individuals": world.minors,
        "k_anonymity": manifest["counts"]["k_anonymity"],
    }
    assert manifest["pathway"] == "standard_contract_or_certification"
    data = pl.read_parquet(folder / manifest["files"][0]["path"])
    assert data.columns == SENT
    assert data.height == ROWS
    assert data["手机号"].str.contains(r"^\d{3}\*{4,5}\d{3,4}$").all()
    # The evidence log holds the delivery by its manifest hash, and nothing personal.
    delivered = entries(world, "transfer.delivered")
    assert len(delivered) == 1
    facts = delivered[0]["facts"]
    assert isinstance(facts, dict)
    assert facts["manifest_sha256"] == verdict.manifest_sha256
    assert facts["individuals"] == ROWS - world.minors
    assert str(world.outbox) not in json.dumps(delivered)
    assert "frankfurt" not in json.dumps(delivered)
    # The receipt through the service is the one beside the package.
    world.session.expire_all()
    transfer = world.session.get_one(Transfer, outcome.transfer_id)
    assert service.receipt_of(world.session, transfer)["index"] == verdict.log_index


def test_cumulative_counts_come_from_recorded_transfers(world: World) -> None:
    first = world.run(
        world.order(approval_id=None, columns=("客户编号", "会员等级"), policy=parse_policy({}))
    )
    # Customer numbers and tiers are not personal information: exempt, nothing counted.
    world.session.expire_all()
    assert world.session.get_one(Transfer, first.transfer_id).pathway == "exempt"
    delivered = world.run()
    world.session.expire_all()
    transfer = world.session.get_one(Transfer, delivered.transfer_id)
    assert transfer.decision["cumulative"]["transfers_counted"] == 2
    assert transfer.decision["cumulative"]["individuals"] == ROWS - world.minors
    # The next application's decision counts the delivered transfer too.
    decision = applications.assess_submission(
        world.session,
        world.exporter,
        applications.Submission(
            dataset=world.dataset, recipient=world.recipient, purpose="business",
            individuals=1000, retention="1 year", storage_location="Frankfurt",
        ),
        DAY,
    )  # fmt: skip
    cumulative = decision["cumulative"]
    assert isinstance(cumulative, dict)
    assert cumulative["individuals"] == 1000 + ROWS - world.minors
    assert cumulative["sensitive_individuals"] == world.minors


def refused(world: World, order: runner.Order) -> Transfer:
    before = sorted(world.outbox.rglob("*"))
    outcome = world.run(order)
    assert outcome.status is TransferStatus.refused
    assert sorted(world.outbox.rglob("*")) == before  # nothing written at the destination
    world.session.expire_all()
    return world.session.get_one(Transfer, outcome.transfer_id)


def codes(transfer: Transfer) -> list[str]:
    return [r["code"] for r in transfer.reasons]


def test_refusals_name_their_reason_and_are_in_the_evidence_log(world: World) -> None:
    assert codes(refused(world, world.order(approval_id=None))) == ["approval_required"]
    columns = {**POLICY["columns"], "姓名": "mask"}  # type: ignore[dict-item]
    wider = world.order(policy=parse_policy({**POLICY, "columns": columns}))
    transfer = refused(world, wider)
    assert codes(transfer) == ["approval_columns"]
    assert "姓名" in transfer.reasons[0]["en"]
    assert "身份证号" not in transfer.reasons[0]["en"]
    assert codes(refused(world, world.order(recipient_id=world.other_recipient.id))) == [
        "approval_recipient"
    ]
    assert "approval_purpose" in codes(refused(world, world.order(purpose="hr_management")))
    assert codes(refused(world, world.order(destination="/somewhere/else"))) == [
        "destination_undeclared"
    ]
    strict = dict(POLICY, min_k=50)
    assert codes(refused(world, world.order(policy=parse_policy(strict)))) == ["k_anonymity"]
    logged = entries(world, "transfer.refused")
    assert len(logged) == 6
    assert logged[0]["facts"]["reasons"] == ["approval_required"]  # type: ignore[index]
    assert all("/somewhere" not in json.dumps(e) for e in logged)


def test_the_approved_number_of_individuals_is_a_ceiling_over_transfers(world: World) -> None:
    assert world.run().status is TransferStatus.delivered
    transfer = refused(world, world.order())
    assert codes(transfer) == ["approval_individuals", "approval_sensitive_individuals"]


def test_an_expired_approval_does_not_cover(world: World) -> None:
    world.approval.expires_on = date(2026, 3, 1)
    world.session.flush()
    assert codes(refused(world, world.order())) == ["approval_expired"]


def test_offshore_data_never_goes_to_a_domestic_destination(world: World, tmp_path: Path) -> None:
    source = tmp_path / "offshore.csv"
    source.write_text("client_ref,amount\nA-1,10.25\nA-2,11.50\n", encoding="utf-8")
    dataset = register(
        world.session, world.settings, world.exporter, source, "offshore", Zone.offshore
    )
    offshore = tmp_path / "offshore-out"
    offshore.mkdir()
    service.declare_destination(
        world.session, OPERATOR, world.settings, org=world.exporter, name="offshore",
        url=str(offshore), zone=Zone.offshore, country="DE",
    )  # fmt: skip
    world.session.flush()
    order = world.order(dataset_id=dataset.id, approval_id=None, policy=parse_policy({}))
    assert codes(refused(world, order)) == ["offshore_to_domestic"]
    assert (
        world.run(
            world.order(
                dataset_id=dataset.id,
                approval_id=None,
                policy=parse_policy({}),
                destination="offshore",
            )
        ).status
        is TransferStatus.delivered
    )


def test_a_partial_package_is_rebuilt_and_a_complete_one_adopted(world: World) -> None:
    stop = {"at": "data_written"}

    def crash(step: str) -> None:
        if step == stop["at"]:
            raise KeyboardInterrupt(step)

    with pytest.raises(KeyboardInterrupt):
        world.run(progress=crash)
    (staged,) = (world.outbox / destinations.STAGING).iterdir()
    assert not (staged / package.COMMITTED).exists()
    outcome = world.run()  # the same request: finds the transfer and finishes it
    assert outcome.resumed
    assert outcome.transfer_id.hex == staged.name.replace("-", "")
    verify(world, world.outbox / f"dataport-{outcome.transfer_id}")

    stop["at"] = "delivered"
    # No personal information: under the approval, it adds no individuals to its count.
    order = world.order(format="csv", columns=("客户编号", "会员等级"), policy=parse_policy({}))
    with pytest.raises(KeyboardInterrupt):
        world.run(order, progress=crash)
    world.session.expire_all()
    pending = world.session.scalars(
        sa.select(Transfer).where(Transfer.status == TransferStatus.preparing)
    ).one()
    folder = world.outbox / f"dataport-{pending.id}"
    marker = (folder / package.COMMITTED).read_bytes()
    again = world.run(order)
    assert again.transfer_id == pending.id
    assert again.resumed
    assert (folder / package.COMMITTED).read_bytes() == marker  # adopted, not rebuilt
    assert verify(world, folder).manifest["data_format"] == "csv"
    assert len(entries(world, "transfer.delivered")) == 2


def test_an_interrupted_transfer_can_be_aborted(world: World) -> None:
    def crash(step: str) -> None:
        if step == "package_staged":
            raise KeyboardInterrupt(step)

    with pytest.raises(KeyboardInterrupt):
        world.run(progress=crash)
    world.session.expire_all()
    pending = world.session.scalars(sa.select(Transfer)).one()
    runner.abort(world.sessions, world.settings, OPERATOR, pending.id)
    assert [p for p in world.outbox.rglob("*") if p.is_file()] == []
    world.session.expire_all()
    assert world.session.get_one(Transfer, pending.id).status is TransferStatus.aborted
    assert entries(world, "transfer.aborted")[0]["facts"] == {"reasons": ["aborted"]}
    with pytest.raises(NotFound):
        service.receipt_of(world.session, world.session.get_one(Transfer, pending.id))


def test_only_the_exporters_officers_resume_a_transfer(world: World) -> None:
    def crash(step: str) -> None:
        if step == "package_staged":
            raise KeyboardInterrupt(step)

    with pytest.raises(KeyboardInterrupt):
        world.run(progress=crash)
    world.session.expire_all()
    pending = world.session.scalars(sa.select(Transfer)).one()
    analyst = actor(world.session, world.exporter, Role.analyst)
    world.session.commit()
    with pytest.raises(PermissionDenied):
        runner.resume(world.sessions, world.settings, analyst.principal, pending.id)
    world.session.expire_all()
    assert world.session.get_one(Transfer, pending.id).status is TransferStatus.preparing
    officer = actor(world.session, world.exporter, Role.data_officer)
    world.session.commit()
    outcome = runner.resume(world.sessions, world.settings, officer.principal, pending.id)
    assert outcome.transfer_id == pending.id
    world.session.expire_all()
    assert world.session.get_one(Transfer, pending.id).status is TransferStatus.delivered


def test_memory_filesystem_destination(world: World) -> None:
    service.declare_destination(
        world.session, OPERATOR, world.settings, org=world.exporter, name="memory",
        url="memory://dataport-test-out", zone=Zone.domestic, country="DE",
    )  # fmt: skip
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.makedirs("/dataport-test-out", exist_ok=True)
    world.session.flush()
    outcome = world.run(world.order(destination="memory"))
    assert outcome.receipt_written
    folder = f"memory://dataport-test-out/dataport-{outcome.transfer_id}"
    location, path = destinations.open_package(folder)
    keys = exporter_keys(world.settings.home, world.exporter.id)
    verdict = package.verify_package(
        destinations.reader(location, path),
        destinations.hasher(location, path),
        keys.verifier_key,
        ledger.require_log(world.session).verifier_key,
        data_files=destinations.data_files(location, path),
    )
    assert verdict.transfer_id == str(outcome.transfer_id)
    assert not fs.exists(f"/dataport-test-out/{destinations.STAGING}/{outcome.transfer_id}")
    fs.rm("/dataport-test-out", recursive=True)


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Path]:
    """A real, tiny tmpfs: 8 KiB, so a package does not fit."""
    point = tmp_path / "mnt"
    point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(point)], check=True)
    yield point
    subprocess.run(["umount", str(point)], check=True)


def declare(world: World, name: str, url: str) -> None:
    service.declare_destination(
        world.session, OPERATOR, world.settings, org=world.exporter, name=name, url=url,
        zone=Zone.domestic, country="DE",
    )  # fmt: skip
    world.session.flush()


def aborted_with(world: World, order: runner.Order, reason: str) -> None:
    with pytest.raises(destinations.DestinationError) as caught:
        world.run(order)
    assert caught.value.details["reason"] == reason, caught.value.en
    world.session.expire_all()
    (transfer,) = world.session.scalars(sa.select(Transfer)).all()
    assert transfer.status is TransferStatus.aborted
    assert entries(world, "transfer.delivered") == []
    assert entries(world, "transfer.aborted")[0]["facts"] == {
        "reasons": ["destination_unavailable"]
    }


def test_a_full_destination_is_a_clear_error_and_nothing_delivered(
    world: World, mounted: Path
) -> None:
    declare(world, "tiny", str(mounted))
    big = parse_policy({})
    aborted_with(
        world,
        world.order(
            destination="tiny",
            approval_id=None,
            columns=("客户编号", "注册时间", "会员等级"),
            policy=big,
            format="csv",
        ),
        "full",
    )
    assert [p for p in mounted.rglob("*") if p.is_file()] == []


def test_a_read_only_destination_is_a_clear_error(world: World, mounted: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(mounted)], check=True)
    declare(world, "readonly", str(mounted))
    aborted_with(world, world.order(destination="readonly"), "read_only")


def test_a_destination_that_is_gone_is_a_clear_error(world: World, tmp_path: Path) -> None:
    declare(world, "gone", str(tmp_path / "gone"))
    with pytest.raises(destinations.DestinationError) as caught:
        world.run(world.order(destination="gone"))
    assert caught.value.details["reason"] == "missing"
    assert "does not exist" in caught.value.en


def test_a_destination_without_its_library_is_a_clear_error() -> None:
    with pytest.raises(destinations.DestinationError) as caught:
        destinations.open_location("oss://dataport-test-bucket/out")
    # ossfs (fsspec's Alibaba OSS) is not a dependency: the error says which library is missing.
    assert caught.value.details["reason"] == "unsupported"
    assert "ossfs" in caught.value.en


def test_an_sftp_destination(world: World, tmp_path: Path) -> None:
    served = tmp_path / "sftp-root"
    (served / "in").mkdir(parents=True)
    with sftp_server(served) as base:
        declare(world, "sftp", f"{base}/in")
        shown = service.describe_destination(
            service.find_destination(world.session, world.exporter.id, "sftp")
        )
        assert "sftp-test-password" not in shown.url
        assert ":***@" in shown.url
        outcome = world.run(world.order(destination="sftp"))
        assert outcome.receipt_written
        folder = f"{base}/in/dataport-{outcome.transfer_id}"
        location, path = destinations.open_package(folder)
        verdict = package.verify_package(
            destinations.reader(location, path),
            destinations.hasher(location, path),
            exporter_keys(world.settings.home, world.exporter.id).verifier_key,
            ledger.require_log(world.session).verifier_key,
            data_files=destinations.data_files(location, path),
        )
        assert verdict.transfer_id == str(outcome.transfer_id)
    # What the server wrote is the package, and no staging is left behind.
    assert sorted(p.name for p in (served / "in").iterdir()) == [
        destinations.STAGING,
        f"dataport-{outcome.transfer_id}",
    ]
    assert list((served / "in" / destinations.STAGING).iterdir()) == []
    local = served / "in" / f"dataport-{outcome.transfer_id}"
    assert (local / package.COMMITTED).read_text().strip() == verdict.manifest_sha256


def test_two_runs_cannot_both_start_the_same_transfer(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stop(step: str) -> None:
        if step == "scope_checked":
            raise KeyboardInterrupt

    # Not personal information: nothing counted, so nothing else stops a second one.
    exempt = world.order(
        approval_id=None, columns=("客户编号", "会员等级"), policy=parse_policy({})
    )
    with pytest.raises(KeyboardInterrupt):
        world.run(exempt, progress=stop)
    # A second run that looked before the first recorded its transfer (the race's window)
    # still cannot record a second one: one unfinished transfer per request.
    monkeypatch.setattr(service, "find_unfinished", lambda *_: None)
    with pytest.raises(service.TransferBusy) as caught:
        world.run(exempt)
    assert "started by another process" in caught.value.en
    world.session.expire_all()
    (transfer,) = world.session.scalars(sa.select(Transfer)).all()
    assert transfer.status is TransferStatus.preparing
    assert list(world.outbox.iterdir()) == []


def test_a_claim_is_taken_over_only_from_a_dead_process_or_after_its_lease(
    world: World,
) -> None:
    def stop(step: str) -> None:
        if step == "scope_checked":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        world.run(progress=stop)
    (transfer,) = world.session.scalars(sa.select(Transfer)).all()

    def held_by(holder: str, age: timedelta) -> None:
        transfer.claimed_by, transfer.claimed_at = holder, utcnow() - age
        world.session.flush()

    def claim() -> str:
        with world.sessions() as session:
            taken = service.claim_delivery(session, transfer.id)
            session.commit()
        world.session.expire_all()
        return taken

    # A live process (this one), on this machine or another: busy until the lease ends.
    for holder in (f"{socket.gethostname()} {os.getpid()} a1", "elsewhere 4242 b2"):
        held_by(holder, timedelta(minutes=5))
        with pytest.raises(service.TransferBusy, match="being delivered by another process"):
            claim()
        world.session.expire_all()
        assert world.session.get_one(Transfer, transfer.id).claimed_by == holder
    held_by("elsewhere 4242 b2", service.CLAIM_LEASE + timedelta(minutes=1))
    assert claim().startswith(f"{socket.gethostname()} {os.getpid()} ")
    # A process of this machine that has ended: at once.
    gone = f"{socket.gethostname()} {_ended_pid()} c3"
    held_by(gone, timedelta(seconds=1))
    assert claim() != gone
    # Only a preparing transfer is claimed.
    world.session.get_one(Transfer, transfer.id).status = TransferStatus.aborted
    held_by("elsewhere 4242 b2", service.CLAIM_LEASE * 2)
    with pytest.raises(service.TransferBusy):
        claim()


def _ended_pid() -> int:
    """The id of a process that has run and ended."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_run_cannot_claim_a_transfer_while_it_is_being_aborted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stop(step: str) -> None:
        if step == "scope_checked":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        world.run(progress=stop)
    (transfer,) = world.session.scalars(sa.select(Transfer)).all()
    raced: list[str] = []
    discard = destinations.discard

    def run_meanwhile(location: destinations.Location, transfer_id: str) -> None:
        # Another run reaches its claim while the abort removes the package.
        with world.sessions() as session:
            try:
                raced.append("claimed " + service.claim_delivery(session, transfer.id))
            except service.TransferBusy:
                raced.append("busy")
        discard(location, transfer_id)

    monkeypatch.setattr(destinations, "discard", run_meanwhile)
    runner.abort(world.sessions, world.settings, OPERATOR, transfer.id)
    assert raced == ["busy"]
    world.session.expire_all()
    assert world.session.get_one(Transfer, transfer.id).status is TransferStatus.aborted


def test_an_s3_destination_from_the_api_carries_its_own_key(world: World) -> None:
    officer = actor(world.session, world.exporter, Role.data_officer)
    allowed = world.settings.model_copy(update={"remote_schemes": ["s3"]})

    def declare(name: str, url: str) -> None:
        service.declare_destination(
            world.session, officer.principal, allowed, org=world.exporter, name=name, url=url,
            zone=Zone.domestic, country="DE",
        )  # fmt: skip

    with pytest.raises(InvalidInput, match="must carry its own access key"):
        declare("borrowed", "s3://shared-bucket/out?endpoint_url=https://minio.example:9000")
    declare("own", "s3://AKIA1:secret@exporter-bucket/out?endpoint_url=https://minio.example:9000")
    world.session.flush()
    names = [d.name for d in service.list_destinations(world.session, officer.principal)]
    assert "own" in names
    assert "borrowed" not in names


def test_csv_is_refused_for_nested_columns_before_anything_is_recorded(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "telemetry.parquet"
    pl.DataFrame(
        {
            "设备编号": [f"D{i:04d}" for i in range(50)],
            "标签": [["温度", "湿度"]] * 50,
            "读数": [{"温度": 21.5, "湿度": 40.0}] * 50,
            "原始帧": [b"\x00\x01"] * 50,
        }
    ).write_parquet(path)
    telemetry = register(world.session, world.settings, world.exporter, path, "telemetry")
    world.session.flush()
    order = world.order(dataset_id=telemetry.id, approval_id=None, policy=parse_policy(None))
    with pytest.raises(InvalidInput, match="CSV cannot hold the columns 标签, 读数, 原始帧"):
        world.run(replace(order, format="csv"))
    assert world.session.scalars(sa.select(Transfer)).all() == []
    assert list(world.outbox.iterdir()) == []
    # Without them the CSV goes; as Parquet they all go.
    flat = world.run(replace(order, format="csv", columns=("设备编号",)))
    assert flat.status is TransferStatus.delivered
    assert world.run(order).status is TransferStatus.delivered


def test_a_generalisation_that_reads_nothing_is_refused_before_anything_is_recorded(
    world: World,
) -> None:
    # 手机号 holds phone numbers, not addresses: generalised to a city, every cell would leave
    # empty. The policy is refused; a policy that reads most values says how many it could not.
    wrong = parse_policy({"columns": {**POLICY["columns"], "手机号": {"generalise": "city"}}})
    with pytest.raises(InvalidInput, match="generalising column '手机号' to city read none"):
        world.run(world.order(policy=wrong))
    assert world.session.scalars(sa.select(Transfer)).all() == []
    assert list(world.outbox.iterdir()) == []
    outcome = world.run()
    world.session.expire_all()
    report = world.session.get_one(Transfer, outcome.transfer_id).report
    assert report["not_generalised"] == {"出生日期": 0, "住址": 0}
