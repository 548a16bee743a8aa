"""One transfer from request to receipt, each step committed before the next begins.

1. **Scope.** Prepare the table, decide, check scope; commit the transfer as refused (and
   stop: nothing is written anywhere) or as allowed, ``preparing``.
2. **Deliver.** Build the package in the destination's staging folder (or locally, then
   upload), move it into place, write its ``COMMITTED`` marker.
3. **Record.** Commit the transfer as ``delivered`` with its evidence-log entry; the log
   sequences it.
4. **Receipt.** Write the receipt (inclusion proof) beside the package; commit that it was.

A crash between any two steps leaves the transfer ``preparing`` (nothing complete at the
destination, or a complete package the log does not know yet) or ``delivered`` without its
receipt. Running the same transfer again finds it by its request hash and finishes it:
a committed package is verified and adopted, a partial one is removed and rebuilt with the
same transfer id (and so the same watermark).
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dataport.catalog.models import Dataset, DatasetVersion
from dataport.catalog.service import get_dataset, latest_version
from dataport.config import Settings
from dataport.errors import InvalidInput, NotFound
from dataport.identity.authz import Principal
from dataport.identity.models import Organisation
from dataport.ledger.service import unit_of_work
from dataport.rules.pack import PackRegistry
from dataport.transfer import destinations, package, service
from dataport.transfer.keys import ExporterKeys, exporter_keys
from dataport.transfer.models import Destination, Transfer, TransferStatus
from dataport.transfer.policy import Policy
from dataport.transfer.schemas import Reason

Progress = Callable[[str], None]
Sessions = Callable[[], Session]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class Order:
    """A transfer as asked for, by ids: each step reads the records afresh."""

    dataset_id: uuid.UUID
    recipient_id: uuid.UUID
    destination: str
    approval_id: uuid.UUID | None = None
    purpose: str | None = None
    columns: tuple[str, ...] | None = None
    format: str = "parquet"
    policy: Policy = field(default_factory=Policy)

    def request(self, session: Session, principal: Principal) -> service.TransferRequest:
        dataset = get_dataset(session, principal, self.dataset_id)
        recipient = session.get(Organisation, self.recipient_id)
        if recipient is None:
            raise InvalidInput(
                "no such recipient organisation", "不存在该境外接收方", field="recipient"
            )
        return service.TransferRequest(
            dataset=dataset,
            recipient=recipient,
            destination=self.destination,
            approval_id=self.approval_id,
            purpose=self.purpose,
            columns=self.columns,
            format=self.format,
            policy=self.policy,
        )


@dataclass(frozen=True)
class Outcome:
    transfer_id: uuid.UUID
    status: TransferStatus
    #: Where the package is (its folder or URL), once delivered.
    package: str | None
    resumed: bool
    receipt_written: bool


def run(
    sessions: Sessions,
    settings: Settings,
    principal: Principal,
    order: Order,
    *,
    progress: Progress = _quiet,
    on: date | None = None,
    registry: PackRegistry | None = None,
) -> Outcome:
    """Carry out a transfer, or finish the same one an earlier run left unfinished."""
    try:
        started = _start(sessions, settings, principal, order, on, registry)
    except IntegrityError as exc:
        # Another run recorded the same request between this one's look and its insert.
        raise service.TransferBusy(
            "the same transfer was started by another process a moment ago; wait for it to "
            "finish, then check with 'dataport transfers list'",
            "另一进程刚刚开始了同一传输；请待其完成后用 'dataport transfers list' 查看",
        ) from exc
    if started.status is TransferStatus.refused:
        return Outcome(started.transfer_id, started.status, None, False, False)
    progress("scope_checked")
    return _finish(
        sessions, settings, principal, order, started.transfer_id, started.frame, started.keys,
        progress, started.resumed,
    )  # fmt: skip


@dataclass(frozen=True)
class _Started:
    transfer_id: uuid.UUID
    status: TransferStatus
    resumed: bool
    frame: pl.DataFrame | None = None
    keys: ExporterKeys | None = None


def _start(
    sessions: Sessions,
    settings: Settings,
    principal: Principal,
    order: Order,
    on: date | None,
    registry: PackRegistry | None,
) -> _Started:
    """The transfer this order asks for: the unfinished one of the same request, or a new one."""
    with unit_of_work(sessions, settings) as session:
        request = order.request(session, principal)
        version = latest_version(session, request.dataset.id)
        declared = service.find_destination(session, request.dataset.org_id, order.destination)
        sha = service.request_sha256(
            request, _version(version), str(declared.id) if declared else order.destination
        )
        existing = service.find_unfinished(session, request.dataset.org_id, sha)
        if existing is not None:
            return _Started(existing.id, existing.status, resumed=True)
        prepared = service.prepare(session, principal, settings, request, on=on, registry=registry)
        return _Started(
            prepared.transfer.id, prepared.transfer.status, False, prepared.frame, prepared.keys
        )


def resume(
    sessions: Sessions,
    settings: Settings,
    principal: Principal,
    transfer_id: uuid.UUID,
    *,
    progress: Progress = _quiet,
) -> Outcome:
    """Finish a transfer an earlier run left unfinished."""
    with unit_of_work(sessions, settings) as session:
        transfer = service.get_transfer(session, principal, transfer_id)
        # Reading a transfer is not sending it: only the exporter's officers and admins resume.
        service.require_exporter(principal, transfer)
        if transfer.status not in (TransferStatus.preparing, TransferStatus.delivered):
            raise InvalidInput(
                f"transfer {transfer.id} is {transfer.status}: there is nothing to resume",
                f"传输 {transfer.id} 的状态为 {transfer.status}：没有可继续的内容",
                field="transfer",
            )
        order = order_of(transfer)
    return _finish(sessions, settings, principal, order, transfer_id, None, None, progress, True)


def order_of(transfer: Transfer) -> Order:
    """The order a recorded transfer was made from (to rebuild its table)."""
    return Order(
        dataset_id=transfer.dataset_id,
        recipient_id=transfer.recipient_org_id,
        destination=str(transfer.destination_id) if transfer.destination_id else "",
        approval_id=transfer.approval_id,
        purpose=transfer.purpose,
        columns=tuple(transfer.report["selected"]) if transfer.report.get("selected") else None,
        format=transfer.format,
        policy=_policy_of(transfer),
    )


def _policy_of(transfer: Transfer) -> Policy:
    return Policy.model_validate(transfer.policy)


def _version(version: DatasetVersion | None) -> DatasetVersion:
    if version is None:  # pragma: no cover - registration always records version 1
        raise InvalidInput("the dataset has no version", "数据集没有版本", field="dataset")
    return version


def _finish(
    sessions: Sessions,
    settings: Settings,
    principal: Principal,
    order: Order,
    transfer_id: uuid.UUID,
    frame: pl.DataFrame | None,
    keys: ExporterKeys | None,
    progress: Progress,
    resumed: bool,
) -> Outcome:
    with unit_of_work(sessions, settings) as session:
        transfer = session.get_one(Transfer, transfer_id)
        destination = session.get_one(Destination, transfer.destination_id)
        status, url = transfer.status, service.destination_url(settings, destination)
    location = destinations.open_location(url)
    if status is TransferStatus.preparing:
        # One process at a time delivers a transfer: the claim is committed before any of it.
        with unit_of_work(sessions, settings) as session:
            claim = service.claim_delivery(session, transfer_id)
        held = True
        try:
            try:
                manifest_sha = _deliver(
                    sessions, settings, principal, order, transfer_id, location, frame, keys,
                    progress,
                )  # fmt: skip
            except destinations.DestinationError as error:
                _abort_after(sessions, settings, principal, transfer_id, location, error)
                raise
            progress("delivered")
            with unit_of_work(sessions, settings) as session:
                if not service.release_delivery(session, transfer_id, claim):
                    raise service.TransferBusy(
                        f"another process took transfer {transfer_id} over while this one "
                        "delivered it: this run records nothing",
                        f"传输 {transfer_id} 在本进程交付期间被另一进程接管：本次运行不作记录",
                    )
                service.mark_delivered(
                    session, principal, session.get_one(Transfer, transfer_id), manifest_sha
                )
            held = False  # released by the commit that recorded the delivery
        finally:
            if held:
                # Best effort, the first error is the one to report: a claim left behind is
                # taken over once this process has ended.
                with suppress(Exception), unit_of_work(sessions, settings) as session:
                    service.release_delivery(session, transfer_id, claim)
        progress("recorded")
    written = _write_receipt(sessions, settings, transfer_id, location)
    if written:
        progress("receipt_written")
    return Outcome(
        transfer_id, TransferStatus.delivered, location.package(str(transfer_id)), resumed, written
    )


def _stem(name: str) -> str:
    cleaned = re.sub(r"[^\w.-]+", "_", name).strip("._")
    return cleaned or "data"


def _deliver(
    sessions: Sessions,
    settings: Settings,
    principal: Principal,
    order: Order,
    transfer_id: uuid.UUID,
    location: destinations.Location,
    frame: pl.DataFrame | None,
    keys: ExporterKeys | None,
    progress: Progress,
) -> str:
    """Put the package in place at the destination; the manifest's hash."""
    tid = str(transfer_id)
    with unit_of_work(sessions, settings) as session:
        transfer = session.get_one(Transfer, transfer_id)
        committed = destinations.committed_manifest(location, tid)
        if committed is not None:
            keys = keys or exporter_keys(settings.home, transfer.org_id)
            if _adoptable(location, tid, keys):
                return committed
        destinations.discard(location, tid)
        if frame is None or keys is None:
            frame, keys = service.rebuild(
                session, settings, transfer, order.request(session, principal)
            )
        stem, manifest = _manifest(session, transfer)
    folder = (
        destinations.local_staging(location, tid)
        if location.is_local
        else settings.home / "tmp" / f"transfer-{tid}"
    )
    if not location.is_local:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    try:
        with destinations.guard(location.url):
            written = package.write_data(frame, folder, stem, str(manifest["data_format"]))
            progress("data_written")
            manifest["files"] = [written.describe()]
            manifest_sha, _ = package.write_package_files(folder, manifest, keys.signer)
        if not location.is_local:
            destinations.upload(location, folder, tid)
    finally:
        if not location.is_local:
            shutil.rmtree(folder, ignore_errors=True)
    progress("package_staged")
    destinations.commit(location, tid, manifest_sha)
    return manifest_sha


def _adoptable(location: destinations.Location, tid: str, keys: ExporterKeys) -> bool:
    """A committed package from an earlier run is kept when it verifies in full."""
    folder = location.package(tid)
    try:
        package.verify_contents(
            destinations.reader(location, folder),
            destinations.hasher(location, folder),
            keys.signer.verifier,
            data_files=destinations.data_files(location, folder),
        )
    except package.PackageError:
        return False
    return True


def _manifest(session: Session, transfer: Transfer) -> tuple[str, dict[str, Any]]:
    """The data file's name and the manifest (its files are added once written)."""
    exporter = session.get_one(Organisation, transfer.org_id)
    recipient = session.get_one(Organisation, transfer.recipient_org_id)
    dataset = session.get_one(Dataset, transfer.dataset_id)
    version = session.get_one(DatasetVersion, transfer.dataset_version_id)
    return _stem(dataset.name), {
        "format": package.PACKAGE_FORMAT,
        "transfer_id": str(transfer.id),
        "created_at": transfer.created_at.isoformat().replace("+00:00", "Z"),
        "exporter": {"id": str(exporter.id), "name": exporter.name, "country": exporter.country},
        "recipient": {
            "id": str(recipient.id),
            "name": recipient.name,
            "country": recipient.country,
        },
        "dataset": {
            "id": str(dataset.id),
            "name": dataset.name,
            "version": version.number,
            "content_hash": version.content_hash,
        },
        "purpose": transfer.purpose,
        "pathway": transfer.pathway,
        "approval": str(transfer.approval_id) if transfer.approval_id else None,
        "decision_sha256": service.decision_sha256(transfer.decision),
        "data_format": transfer.format,
        "columns": [
            {k: v for k, v in column.items() if k in ("name", "type", "treatment")}
            for column in transfer.columns
        ],
        "policy": {"sha256": transfer.policy_sha256, "rules": transfer.policy},
        "counts": {
            "rows": transfer.rows,
            "individuals": transfer.individuals,
            "sensitive_individuals": transfer.sensitive_individuals,
            "k_anonymity": transfer.k_anonymity,
        },
        "watermarked": bool(transfer.report.get("watermark", {}).get("carriers")),
    }


def _write_receipt(
    sessions: Sessions, settings: Settings, transfer_id: uuid.UUID, location: destinations.Location
) -> bool:
    """Put the delivery's receipt beside the package; False while the log has not sequenced it."""
    with unit_of_work(sessions, settings) as session:
        transfer = session.get_one(Transfer, transfer_id)
        if transfer.receipt_written_at is not None:
            return True
        try:
            receipt = service.receipt_of(session, transfer)
        except NotFound:
            return False
        body = (json.dumps(receipt, ensure_ascii=False, indent=2) + "\n").encode()
        destinations.write_file(location, str(transfer_id), package.RECEIPT, body)
        service.mark_receipt_written(session, transfer)
    return True


def _abort_after(
    sessions: Sessions,
    settings: Settings,
    principal: Principal,
    transfer_id: uuid.UUID,
    location: destinations.Location,
    error: destinations.DestinationError,
) -> None:
    """A destination that failed: remove what it may hold, record the transfer as aborted."""
    # A read-only or unreachable destination holds nothing complete of it anyway.
    with suppress(destinations.DestinationError):
        destinations.discard(location, str(transfer_id))
    with unit_of_work(sessions, settings) as session:
        service.mark_aborted(
            session,
            principal,
            session.get_one(Transfer, transfer_id),
            Reason(code="destination_unavailable", en=error.en, zh=error.zh),
        )


def abort(
    sessions: Sessions, settings: Settings, principal: Principal, transfer_id: uuid.UUID
) -> Outcome:
    """Give up an interrupted transfer: remove it from the destination, record it as aborted."""
    with unit_of_work(sessions, settings) as session:
        transfer = service.get_transfer(session, principal, transfer_id)
        service.require_exporter(principal, transfer)
        if transfer.status is not TransferStatus.preparing:
            raise InvalidInput(
                f"transfer {transfer.id} is {transfer.status}; only one being prepared can be "
                "aborted",
                f"传输 {transfer.id} 的状态为 {transfer.status}；只有准备中的传输可以中止",
                field="transfer",
            )
        # Claimed, not merely checked: a run that starts now cannot deliver what this removes.
        service.claim_delivery(session, transfer.id)
        destination = session.get_one(Destination, transfer.destination_id)
        location = destinations.open_location(service.destination_url(settings, destination))
        destinations.discard(location, str(transfer_id))
        service.mark_aborted(
            session,
            principal,
            transfer,
            Reason(code="aborted", en="aborted by the exporter", zh="出境方中止了传输"),
        )
    return Outcome(transfer_id, TransferStatus.aborted, None, True, False)
