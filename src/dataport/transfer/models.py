"""Tables of transfers and of the destinations organisations declare."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dataport.catalog.models import Zone
from dataport.db import Base, JSONDoc, new_id, utcnow
from dataport.identity.models import enum_column


class Destination(Base):
    """A place an organisation has declared it delivers to, with the zone it is in."""

    __tablename__ = "transfer_destination"
    __table_args__ = (sa.UniqueConstraint("org_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: A local folder or an fsspec URL (``sftp://host/path``, ``s3://bucket/prefix``).
    url: Mapped[str] = mapped_column(sa.Text)
    zone: Mapped[Zone] = mapped_column(enum_column(Zone, "destination_zone"))
    #: ISO 3166-1 alpha-2 country where the destination stores the data.
    country: Mapped[str] = mapped_column(sa.String(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(300))


class TransferStatus(enum.StrEnum):
    #: Outside scope: nothing was written anywhere.
    refused = "refused"
    #: In scope and recorded; the package is being built and delivered.
    preparing = "preparing"
    #: The package is committed at the destination and the delivery is in the evidence log.
    delivered = "delivered"
    #: Interrupted and cleaned up: nothing of it remains at the destination.
    aborted = "aborted"


class Transfer(Base):
    __tablename__ = "transfer"
    __table_args__ = (
        # One unfinished transfer per request: two runs racing to start the same transfer
        # cannot both record one (the second insert fails, whichever database).
        sa.Index(
            "uq_transfer_preparing_request",
            "org_id",
            "request_sha256",
            unique=True,
            sqlite_where=sa.text("status = 'preparing'"),
            postgresql_where=sa.text("status = 'preparing'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    status: Mapped[TransferStatus] = mapped_column(
        enum_column(TransferStatus, "transfer_status"), index=True
    )
    dataset_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("dataset.id"), index=True)
    dataset_version_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("dataset_version.id"))
    recipient_org_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisation.id"), index=True
    )
    destination_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("transfer_destination.id")
    )
    #: What was asked for as the destination (a declared name or a URL), for refusals.
    destination_ref: Mapped[str] = mapped_column(sa.Text)
    approval_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("approval.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(32))
    format: Mapped[str] = mapped_column(sa.String(16))
    #: The columns that leave, in order, with the treatment each received.
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    policy_sha256: Mapped[str] = mapped_column(sa.String(71))
    #: SHA-256 of the request (version, recipient, destination, approval, purpose, columns,
    #: format, policy): running the same transfer again finds this one and finishes it.
    request_sha256: Mapped[str] = mapped_column(sa.String(71), index=True)
    #: The rules engine's decision with the exporter's cumulative counts.
    decision: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    pathway: Mapped[str] = mapped_column(sa.String(48))
    rows: Mapped[int] = mapped_column(sa.BigInteger)
    #: Non-sensitive PI individuals and sensitive-PI individuals in what leaves.
    individuals: Mapped[int] = mapped_column(sa.BigInteger)
    sensitive_individuals: Mapped[int] = mapped_column(sa.BigInteger)
    k_anonymity: Mapped[int | None]
    #: What the re-scan of the data sent found, and the watermark's carriers.
    report: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    #: ``[{"code": ..., "en": ..., "zh": ...}]`` when refused (or why it was aborted).
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSONDoc, default=list)
    manifest_sha256: Mapped[str | None] = mapped_column(sa.String(71))
    #: The day (in China) the transfer was made: it counts in that day's window.
    on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(300))
    delivered_at: Mapped[datetime | None]
    #: When the receipt was written beside the package (and for the exporter).
    receipt_written_at: Mapped[datetime | None]
    #: The process delivering it now (``host pid token``), set while ``preparing`` by a
    #: compare-and-set, so two runs of the same transfer never both deliver it.
    claimed_by: Mapped[str | None] = mapped_column(sa.String(200))
    claimed_at: Mapped[datetime | None]
