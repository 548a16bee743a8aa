"""Transfers and destinations as the API and the CLI show them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dataport.catalog.models import Zone
from dataport.transfer.models import TransferStatus


class Reason(BaseModel):
    """Why a transfer was refused (or aborted): a stable code and the reason in both languages."""

    code: str
    en: str
    zh: str


class DestinationIn(BaseModel):
    org_id: uuid.UUID
    name: str
    #: A folder in the organisation's outbox, or a URL with an allowed scheme.
    url: str
    zone: Zone = Zone.domestic
    country: str = Field(min_length=2, max_length=2)


class DestinationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    url: str
    zone: Zone
    country: str
    created_at: datetime


class TransferIn(BaseModel):
    dataset_id: uuid.UUID
    recipient_org_id: uuid.UUID
    #: A declared destination's name or id.
    destination: str
    approval_id: uuid.UUID | None = None
    purpose: str | None = None
    columns: list[str] | None = None
    format: Literal["parquet", "csv"] = "parquet"
    #: The de-identification policy, as the YAML file would hold it (docs/transfers.md).
    policy: dict[str, Any] | None = None


class TransferOut(BaseModel):
    id: uuid.UUID
    status: TransferStatus
    exporter_id: uuid.UUID
    exporter: str
    recipient_id: uuid.UUID
    recipient: str
    dataset_id: uuid.UUID
    dataset: str
    dataset_version: int
    destination: str | None
    approval_id: uuid.UUID | None
    purpose: str
    pathway: str
    format: str
    columns: list[dict[str, Any]]
    rows: int
    individuals: int
    sensitive_individuals: int
    k_anonymity: int | None
    report: dict[str, Any]
    #: The exporter's cumulative counts the decision was made with, this transfer included.
    cumulative: dict[str, Any]
    reasons: list[Reason]
    manifest_sha256: str | None
    #: Index of the delivery's entry in the evidence log, once sequenced.
    log_index: int | None
    on: date
    created_at: datetime
    delivered_at: datetime | None
    receipt_written: bool


class TraceMatch(BaseModel):
    transfer_id: uuid.UUID | None
    recipient: str | None
    recipient_id: uuid.UUID | None
    exporter: str | None
    dataset: str | None
    #: 1 minus the chance (an upper bound) that data not from this transfer agrees this well.
    confidence: float
    agreement: float
    cells: int
    columns: list[str]


class TraceOut(BaseModel):
    file: str
    rows: int
    #: Whether the file was traced to a transfer; ``transfer_id`` is null when not.
    matched: bool
    transfer_id: uuid.UUID | None
    recipient: str | None
    confidence: float
    best: TraceMatch | None
    candidates: int
