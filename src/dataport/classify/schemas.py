"""The scan result as tools read it: the stable JSON contract of ``dataport scan --format json``.

Other tools depend on ``columns`` (each with ``name`` and ``categories``), ``individuals`` and
``dataset_grade``: fields may be added, never renamed or removed. Examples are masked; no raw
personal data is ever part of a result.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

#: Version of the contract; bumped only for additions.
CONTRACT_VERSION = 1


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Label(_Out):
    zh: str
    en: str


class TextSample(_Out):
    """A finding from a bounded sample of a column's free-text cells, not from every row:
    ``cells`` examined, ``matched`` holding the category, found by ``method``."""

    cells: int
    matched: int
    method: str


class Finding(_Out):
    """One category found in a column."""

    category: str
    label: Label
    #: Non-null values holding at least one valid instance, and their share of the column.
    matched: int
    ratio: float
    confidence: float
    #: Masked: an ID keeps region and check digit, a phone its operator prefix.
    examples: list[str]
    #: Whether the column name speaks of the category.
    name_matched: bool
    sensitivity: str
    #: Set when found in a sample of free-text cells; ``matched`` and ``ratio`` are then of the
    #: sample.
    sample: TextSample | None = None


class CatalogueMatchOut(_Out):
    item_id: str
    name: str
    level: str
    column: str


class ColumnResult(_Out):
    name: str
    type: str | None = None
    non_null: int
    #: Category ids found, most confident first; empty if none.
    categories: list[str]
    findings: list[Finding]
    is_pi: bool
    is_sensitive: bool
    grade: str
    grade_label: Label
    grade_rules: list[str]
    flags: list[str] = Field(default_factory=list)
    important_data: list[CatalogueMatchOut] = Field(default_factory=list)


class IdentifierCount(_Out):
    column: str
    category: str
    distinct: int


class Individuals(_Out):
    """Distinct individuals the identifying columns cover (one key per row: ID number, else
    passport or permit, else mobile, else e-mail, else name and address together)."""

    estimate: int
    #: ``exact`` or ``hyperloglog`` (relative standard error in ``relative_error``).
    method: str
    relative_error: float
    #: Individuals whose rows hold sensitive personal information.
    sensitive: int
    #: Distinct resident ID numbers of children under 14 on ``as_of``.
    minors: int
    #: Rows holding personal information: the count when no column identifies anyone.
    rows_with_pi: int
    #: False when no identifying column was found and ``estimate`` counts rows instead.
    identified: bool
    by_identifier: list[IdentifierCount]


class SampleInfo(_Out):
    #: ``full`` (every row read) or ``sample``.
    mode: str
    rows_scanned: int
    #: Rows in the source, when known without reading it (Parquet, Excel, a database table).
    rows_total: int | None
    description: Label


class SourceInfo(_Out):
    location: str
    format: str
    encoding: str | None = None
    sheet: str | None = None
    table: str | None = None


class RulePackRef(_Out):
    id: str
    version: str
    title: Label


class CitationOut(_Out):
    key: str
    ref: str
    zh: str
    en: str
    status: str


class ImportantData(_Out):
    #: Whether any column matches the organisation's declared important-data catalogue.
    contains: bool
    contains_core: bool
    matches: list[CatalogueMatchOut]
    #: Columns a rule pack flags as possibly important: to be declared if notified.
    candidates: list[str]


class ScanResult(_Out):
    contract: int = CONTRACT_VERSION
    scanned_at: datetime
    as_of: date
    source: SourceInfo
    sample: SampleInfo
    rulepack: RulePackRef
    columns: list[ColumnResult]
    individuals: Individuals
    contains_pi: bool
    contains_sensitive: bool
    sensitive_categories: list[str]
    important_data: ImportantData
    dataset_grade: str
    dataset_grade_label: Label
    dataset_grade_rules: list[str]
    dataset_flags: list[str]
    citations: list[CitationOut]
    elapsed_seconds: float


class ImportantItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    #: Column or field names the item covers (matched ignoring case, spaces, ``_`` and ``-``).
    fields: list[str] = Field(min_length=1, max_length=200)
    level: str = Field(default="important", pattern="^(important|core)$")
    #: Only datasets of this name; none: every dataset of the organisation.
    dataset: str | None = Field(default=None, max_length=200)
    authority: str = Field(min_length=1, max_length=200)
    reference: str = Field(default="", max_length=500)
    notified_on: date | None = None
    description: str = Field(default="", max_length=4000)


class ImportantItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    fields: list[str]
    level: str
    dataset: str | None
    authority: str
    reference: str
    notified_on: date | None
    description: str
    created_at: datetime
    created_by: str


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Rows to sample; none: read every row (the default for a registered dataset).
    sample: int | None = Field(default=None, ge=1, le=10_000_000)
    rulepack: str | None = None


class StoredScanOut(BaseModel):
    id: uuid.UUID
    dataset_id: uuid.UUID
    version_id: uuid.UUID
    version: int
    result_hash: str
    created_at: datetime
    created_by: str
    result: ScanResult
