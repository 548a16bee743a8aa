"""Tables of the catalog: datasets, their versions and the rights held in them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dataport.db import Base, JSONDoc, new_id, utcnow
from dataport.identity.models import enum_column


class Zone(enum.StrEnum):
    """Where the data lives. Offshore data may never be delivered to a domestic destination."""

    domestic = "domestic"
    offshore = "offshore"


class SourceKind(enum.StrEnum):
    file = "file"
    url = "url"
    database = "database"


class RightKind(enum.StrEnum):
    """The three separable data rights of the "Data Twenty Measures" (数据二十条, 2022)."""

    resource_holding = "resource_holding"  # 数据资源持有权
    processing_use = "processing_use"  # 数据加工使用权
    product_operation = "product_operation"  # 数据产品经营权


class Dataset(Base):
    __tablename__ = "dataset"
    __table_args__ = (sa.UniqueConstraint("org_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    sector: Mapped[str] = mapped_column(sa.String(64))
    zone: Mapped[Zone] = mapped_column(enum_column(Zone, "dataset_zone"))
    source_kind: Mapped[SourceKind] = mapped_column(enum_column(SourceKind, "source_kind"))
    #: Path, URL, or database URL with its password removed.
    source: Mapped[str] = mapped_column(sa.Text)
    source_table: Mapped[str | None] = mapped_column(sa.String(300))
    format: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(300))


class DatasetVersion(Base):
    """One state of a dataset's content, identified by its hash."""

    __tablename__ = "dataset_version"
    __table_args__ = (sa.UniqueConstraint("dataset_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    dataset_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("dataset.id"), index=True)
    number: Mapped[int]
    #: ``sha256:<hex>`` of the file bytes, or of a canonical dump of a database table.
    content_hash: Mapped[str] = mapped_column(sa.String(71), index=True)
    row_count: Mapped[int] = mapped_column(sa.BigInteger)
    byte_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: ``[{"name": ..., "type": ...}, ...]`` in source order.
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    encoding: Mapped[str | None] = mapped_column(sa.String(32))
    sheet: Mapped[str | None] = mapped_column(sa.String(200))
    source: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(300))


class DatasetRight(Base):
    """Who holds one of the three rights in a dataset now (changes are in the audit trail)."""

    __tablename__ = "dataset_right"
    __table_args__ = (sa.UniqueConstraint("dataset_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    dataset_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("dataset.id"), index=True)
    kind: Mapped[RightKind] = mapped_column(enum_column(RightKind, "right_kind"))
    holder_org_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    since: Mapped[datetime] = mapped_column(default=utcnow)
