"""Catalog records as the API receives and returns them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dataport.catalog.models import RightKind, SourceKind, Zone


class DatasetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    #: A path under the configured source folders, an enabled URL, or a database URL.
    source: str = Field(min_length=1, max_length=4000)
    table: str | None = Field(default=None, max_length=300)
    format: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    sector: str = "general"
    zone: Zone = Zone.domestic
    description: str = Field(default="", max_length=10_000)


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Read the content from here instead of the dataset's recorded source.
    source: str | None = Field(default=None, max_length=4000)


class RightsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_holding: uuid.UUID | None = None
    processing_use: uuid.UUID | None = None
    product_operation: uuid.UUID | None = None


class ColumnOut(BaseModel):
    name: str
    type: str


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: int
    content_hash: str
    row_count: int
    byte_size: int | None
    columns: list[ColumnOut]
    encoding: str | None
    sheet: str | None
    source: str
    created_at: datetime
    created_by: str


class RightOut(BaseModel):
    kind: RightKind
    holder_org_id: uuid.UUID
    holder_name: str
    since: datetime


class DatasetOut(BaseModel):
    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    description: str
    sector: str
    zone: Zone
    source_kind: SourceKind
    source: str
    source_table: str | None
    format: str
    created_at: datetime
    created_by: str
    current_version: VersionOut | None
    rights: list[RightOut]


class RegistrationOut(BaseModel):
    """The result of reading a dataset's source: the version, and whether it is new."""

    dataset: DatasetOut
    version: VersionOut
    new_version: bool
    detail: dict[str, Any] = Field(default_factory=dict)
