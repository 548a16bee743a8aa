"""Delivery to S3-compatible storage (a real S3 endpoint on the loopback interface): the
package appears complete or not at all, the recipient verifies it from the bucket, and a
destination that cannot be used is a clear error with nothing recorded as delivered."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from dataport.audit.models import AuditEvent
from dataport.catalog.models import Zone
from dataport.cli.main import run as cli
from dataport.ledger import service as ledger
from dataport.ledger.models import LedgerEntry
from dataport.transfer import destinations, package, service
from dataport.transfer.keys import destination_secret_path, exporter_keys
from dataport.transfer.models import Destination, Transfer, TransferStatus
from tests.factories import OPERATOR
from tests.servers import free_port
from tests.transfer.conftest import World
from tests.transfer.s3 import KEY, SECRET, Endpoint, checking_credentials, s3_endpoint


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    with s3_endpoint() as served:
        yield served


def declare(world: World, name: str, url: str) -> None:
    service.declare_destination(
        world.session, OPERATOR, world.settings, org=world.exporter, name=name, url=url,
        zone=Zone.domestic, country="DE",
    )  # fmt: skip
    world.session.flush()


def delivered_entries(world: World) -> list[dict[str, object]]:
    rows = [json.loads(r) for r in world.session.scalars(sa.select(LedgerEntry.data)).all()]
    return [e for e in rows if e["event"] == "transfer.delivered"]


def verify(world: World, url: str) -> package.PackageVerdict:
    location, path = destinations.open_package(url)
    return package.verify_package(
        destinations.reader(location, path),
        destinations.hasher(location, path),
        exporter_keys(world.settings.home, world.exporter.id).verifier_key,
        ledger.require_log(world.session).verifier_key,
        data_files=destinations.data_files(location, path),
    )


def test_a_package_delivered_to_s3_is_verified_from_the_bucket(
    world: World, endpoint: Endpoint, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = endpoint.bucket()
    declare(world, "minio", endpoint.destination(bucket))
    shown = service.describe_destination(
        service.find_destination(world.session, world.exporter.id, "minio")
    )
    assert SECRET not in shown.url
    assert f"{KEY}:***@" in shown.url
    # The database keeps the URL without its secret, which waits in an owner-only file.
    row = world.session.scalars(sa.select(Destination).filter_by(name="minio")).one()
    assert SECRET not in row.url
    kept = destination_secret_path(world.settings.home, world.exporter.id, row.id)
    assert (kept.read_text().strip(), stat.S_IMODE(kept.stat().st_mode)) == (SECRET, 0o600)
    outcome = world.run(world.order(destination="minio"))
    assert outcome.status is TransferStatus.delivered
    assert outcome.receipt_written
    tid = outcome.transfer_id
    fs = endpoint.filesystem()
    # Only the package is in the bucket: no staging, no temporary objects.
    assert sorted(p.rsplit("/", 1)[-1] for p in fs.find(bucket)) == [
        "COMMITTED", "customers.parquet", "manifest.json", "manifest.sig", "receipt.json",
    ]  # fmt: skip
    url = endpoint.destination(bucket, f"out/dataport-{tid}")
    verdict = verify(world, url)
    assert verdict.transfer_id == str(tid)
    assert fs.cat_file(f"{bucket}/out/dataport-{tid}/COMMITTED").decode().strip() == (
        verdict.manifest_sha256
    )
    # The recipient's command line verifies it straight from the bucket.
    capsys.readouterr()
    code = cli([
        "receive", url, "--format", "json",
        "--key", exporter_keys(world.settings.home, world.exporter.id).verifier_key,
        "--log-key", ledger.require_log(world.session).verifier_key,
    ])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["transfer_id"] == str(tid)


def test_a_destination_given_by_its_url_leaves_no_secret_in_the_records(
    world: World, endpoint: Endpoint
) -> None:
    bucket = endpoint.bucket()
    url = endpoint.destination(bucket)
    declare(world, "minio", url)
    # The declared destination named by its URL, and an undeclared one (refused).
    assert world.run(world.order(destination=url)).status is TransferStatus.delivered
    other = endpoint.destination(bucket, "elsewhere")
    assert world.run(world.order(destination=other)).status is TransferStatus.refused
    world.session.expire_all()
    for transfer in world.session.scalars(sa.select(Transfer)).all():
        assert SECRET not in transfer.destination_ref
        assert SECRET not in json.dumps(transfer.reasons, ensure_ascii=False)
    for details in world.session.scalars(sa.select(AuditEvent.details)).all():
        assert SECRET not in json.dumps(details, ensure_ascii=False)
    for data in world.session.scalars(sa.select(LedgerEntry.data)).all():
        assert SECRET.encode() not in data
    for declared in world.session.scalars(sa.select(Destination.url)).all():
        assert SECRET not in declared


def test_a_destination_kept_whole_in_the_database_still_delivers(
    world: World, endpoint: Endpoint
) -> None:
    # Declared before passwords left the database: its URL there holds the secret itself.
    world.session.add(
        Destination(
            org_id=world.exporter.id, name="legacy", url=endpoint.destination(endpoint.bucket()),
            zone=Zone.domestic, country="DE", created_by="operator",
        )
    )  # fmt: skip
    world.session.flush()
    assert world.run(world.order(destination="legacy")).status is TransferStatus.delivered


def test_an_interrupted_s3_delivery_is_never_a_package_and_is_redone(
    world: World, endpoint: Endpoint
) -> None:
    bucket = endpoint.bucket()
    declare(world, "minio", endpoint.destination(bucket))

    def crash(step: str) -> None:
        if step == "package_staged":  # every object uploaded, the marker not yet written
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        world.run(world.order(destination="minio"), progress=crash)
    (transfer,) = world.session.scalars(sa.select(Transfer)).all()
    tid = transfer.id
    assert transfer.status is TransferStatus.preparing
    fs = endpoint.filesystem()
    left = sorted(p.rsplit("/", 1)[-1] for p in fs.find(bucket))
    assert "manifest.json" in left
    assert package.COMMITTED not in left
    location, path = destinations.open_package(endpoint.destination(bucket, f"out/dataport-{tid}"))
    with pytest.raises(package.PackageError, match="no COMMITTED marker"):
        package.verify_contents(
            destinations.reader(location, path),
            destinations.hasher(location, path),
            exporter_keys(world.settings.home, world.exporter.id).signer.verifier,
        )
    assert delivered_entries(world) == []
    # Running it again removes the partial upload and delivers the same transfer whole.
    outcome = world.run(world.order(destination="minio"))
    assert outcome.transfer_id == tid
    assert outcome.resumed
    assert verify(world, endpoint.destination(bucket, f"out/dataport-{tid}")).transfer_id == (
        str(tid)
    )
    assert len(delivered_entries(world)) == 1


def not_delivered(world: World, url: str, reason: str) -> destinations.DestinationError:
    declare(world, "s3", url)
    with pytest.raises(destinations.DestinationError) as caught:
        world.run(world.order(destination="s3"))
    assert caught.value.details["reason"] == reason, caught.value.en
    assert SECRET not in caught.value.en
    world.session.expire_all()
    (transfer,) = world.session.scalars(sa.select(Transfer)).all()
    assert transfer.status is TransferStatus.preparing
    assert transfer.delivered_at is None
    assert delivered_entries(world) == []
    return caught.value


def test_a_missing_bucket_is_a_clear_error_and_the_transfer_waits_for_it(
    world: World, endpoint: Endpoint
) -> None:
    bucket = "dataport-not-created-yet"
    error = not_delivered(world, endpoint.destination(bucket), "missing")
    assert "does not exist" in error.en
    assert bucket in error.en
    endpoint.filesystem().mkdir(bucket)
    (transfer,) = world.session.scalars(sa.select(Transfer)).all()
    outcome = world.run(world.order(destination="s3"))
    assert outcome.transfer_id == transfer.id
    assert outcome.status is TransferStatus.delivered


def test_an_unreachable_endpoint_is_a_clear_error(world: World) -> None:
    url = f"s3://{KEY}:{SECRET}@bucket/out?endpoint_url=http://127.0.0.1:{free_port()}"
    error = not_delivered(world, url, "unreachable")
    assert "cannot be reached" in error.en
    assert "Could not connect" in error.en


def test_denied_credentials_are_a_clear_error(world: World, endpoint: Endpoint) -> None:
    bucket = endpoint.bucket()
    with checking_credentials():
        url = endpoint.destination(bucket, key="unknown-key")
        error = not_delivered(world, url, "access_denied")
    assert "refused access" in error.en
    assert "credentials" in error.en
    assert endpoint.filesystem().find(bucket) == []


def test_unknown_s3_options_are_refused() -> None:
    with pytest.raises(destinations.DestinationError) as caught:
        destinations.open_location("s3://bucket/out?endpoint=http://127.0.0.1:9")
    assert "unknown options endpoint" in caught.value.en
    assert "endpoint_url" in caught.value.en


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("s3://AKIAEXAMPLE:wJalr%2FK7MDENG@bucket/out", "wJalr%2FK7MDENG"),
        # Pasted without percent-encoding: AWS secrets often hold a '/' (or an '@').
        ("s3://AKIAEXAMPLE:wJalr/K7MDENG@bucket/out", "K7MDENG"),
        ("s3://AKIAEXAMPLE:wJalr@K7MDENG@bucket/out", "K7MDENG"),
        ("s3://bucket/out?endpoint_url=https://minio:pa/ss@minio.example:9000", "pa/ss"),
    ],
)
def test_a_secret_in_a_destination_url_is_never_shown(url: str, secret: str) -> None:
    shown = destinations.redact(url)
    assert secret not in shown
    assert "***" in shown


def test_a_url_without_a_secret_is_shown_as_given() -> None:
    for url in (
        "s3://bucket/out?endpoint_url=https://minio.example:9000",
        "/srv/out",
        "sftp://ops@host:22/out",
    ):
        assert destinations.redact(url) == url


def test_a_destination_rolled_back_leaves_no_password_file(world: World) -> None:
    url = "sftp://exporter:s3cret-pass@sftp.example.invalid/out"

    def declared(name: str) -> Path:
        found = service.declare_destination(
            world.session, OPERATOR, world.settings, org=world.exporter, name=name, url=url,
            zone=Zone.domestic, country="DE",
        )  # fmt: skip
        path = destination_secret_path(world.settings.home, world.exporter.id, found.id)
        assert path.read_text().strip() == "s3cret-pass"
        return path

    world.session.commit()  # the world as it is set up stays
    gone = declared("dropped")
    world.session.rollback()
    assert not gone.exists()
    kept = declared("kept")
    world.session.begin_nested().rollback()  # a savepoint undone within it keeps it
    world.session.commit()
    world.session.rollback()  # a later transaction undone leaves the committed one alone
    assert kept.exists()
