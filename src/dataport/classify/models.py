"""Tables of classification: scans stored with dataset versions, important-data catalogues."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dataport.db import Base, JSONDoc, new_id, utcnow
from dataport.identity.models import enum_column


class CatalogueLevel(enum.StrEnum):
    """What a department notified: important data (重要数据) or core data (核心数据)."""

    important = "important"
    core = "core"


class DatasetScan(Base):
    """One scan of one dataset version: the facts the rules need, and the full result."""

    __tablename__ = "dataset_scan"
    __table_args__ = (
        sa.CheckConstraint("individuals >= 0", name="individuals"),
        sa.CheckConstraint("sensitive_individuals >= 0", name="sensitive_individuals"),
        sa.CheckConstraint("minors >= 0", name="minors"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("dataset.id"), index=True)
    version_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("dataset_version.id"), index=True)
    #: ``full`` or ``sample``.
    mode: Mapped[str] = mapped_column(sa.String(16))
    rows_scanned: Mapped[int] = mapped_column(sa.BigInteger)
    rulepack: Mapped[str] = mapped_column(sa.String(64))
    rulepack_version: Mapped[str] = mapped_column(sa.String(32))
    contains_pi: Mapped[bool]
    contains_sensitive: Mapped[bool]
    individuals: Mapped[int] = mapped_column(sa.BigInteger)
    sensitive_individuals: Mapped[int] = mapped_column(sa.BigInteger)
    minors: Mapped[int] = mapped_column(sa.BigInteger)
    important_data: Mapped[bool]
    core_data: Mapped[bool]
    dataset_grade: Mapped[str] = mapped_column(sa.String(32))
    #: The scan's JSON contract (``classify.schemas.ScanResult``): masked examples only.
    result: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    #: ``sha256:`` of the result's canonical JSON, as recorded in the audit trail.
    result_hash: Mapped[str] = mapped_column(sa.String(71))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(300))


class ImportantDataItem(Base):
    """A data item a department notified to the organisation as important (or core) data.

    Only notified or published items are important data for the cross-border rules
    (Provisions Art. 2): the scan matches them by column or field name.
    """

    __tablename__ = "important_data_item"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Column or field names the item covers.
    fields: Mapped[list[str]] = mapped_column(JSONDoc)
    level: Mapped[CatalogueLevel] = mapped_column(enum_column(CatalogueLevel, "catalogue_level"))
    #: Only datasets of this name; None: every dataset of the organisation.
    dataset: Mapped[str | None] = mapped_column(sa.String(200))
    #: The department or region that notified it, and its notice.
    authority: Mapped[str] = mapped_column(sa.String(200))
    reference: Mapped[str] = mapped_column(sa.String(500), default="")
    notified_on: Mapped[date | None]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(300))
    #: When it was withdrawn from the catalogue; withdrawn items are kept for the record.
    withdrawn_at: Mapped[datetime | None]
