"""Scanning registered datasets, storing the results, and the organisation's catalogue of
notified important data. Functions take a ``Session`` and a ``Principal`` and only flush."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.audit.service import record
from dataport.catalog import service as catalog
from dataport.catalog import sources
from dataport.catalog.models import Dataset, DatasetVersion, SourceKind
from dataport.classify.clock import china_today
from dataport.classify.executors import Executor, scan_source
from dataport.classify.grading import grading_pack
from dataport.classify.models import CatalogueLevel, DatasetScan, ImportantDataItem
from dataport.classify.scan import DEFAULT_SAMPLE_ROWS, CatalogueItem, ScanOptions, ScanProgress
from dataport.classify.schemas import ImportantItemIn, ScanResult
from dataport.config import Settings
from dataport.db import utcnow
from dataport.errors import Conflict, InvalidInput, NotFound
from dataport.identity.authz import Permission, Principal, authorize
from dataport.identity.models import Organisation


def result_hash(result: Mapping[str, Any]) -> str:
    """``sha256:`` of a result's JSON with sorted keys and no whitespace."""
    text = json.dumps(result, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- the important-data catalogue --------------------------------------------------------------


def declare_important_item(
    session: Session, principal: Principal, *, org: Organisation, item: ImportantItemIn
) -> ImportantDataItem:
    """Record a data item a department notified to the organisation as important or core."""
    authorize(
        principal,
        Permission.dataset_write,
        org.id,
        read_permission=Permission.dataset_read,
        what="organisation",
    )
    fields = list(dict.fromkeys(f.strip() for f in item.fields if f.strip()))
    if not fields:
        raise InvalidInput(
            "name at least one column or field the item covers",
            "请至少指定该数据项涉及的一个字段",
            field="fields",
        )
    declared = ImportantDataItem(
        org_id=org.id,
        name=item.name.strip(),
        fields=fields,
        level=CatalogueLevel(item.level),
        dataset=item.dataset.strip() if item.dataset else None,
        authority=item.authority.strip(),
        reference=item.reference.strip(),
        notified_on=item.notified_on,
        description=item.description,
        created_by=principal.actor,
    )
    session.add(declared)
    session.flush()
    record(
        session,
        principal,
        "important_data.declared",
        target_type="important_data_item",
        target_id=declared.id,
        org_id=org.id,
        level=str(declared.level),
        fields=len(fields),
        authority=declared.authority,
        reference=declared.reference,
    )
    return declared


def list_important_items(
    session: Session, principal: Principal, *, org_id: uuid.UUID, include_withdrawn: bool = False
) -> Sequence[ImportantDataItem]:
    authorize(
        principal,
        Permission.dataset_read,
        org_id,
        read_permission=Permission.dataset_read,
        what="organisation",
    )
    query = (
        sa.select(ImportantDataItem)
        .where(ImportantDataItem.org_id == org_id)
        .order_by(ImportantDataItem.created_at, ImportantDataItem.name)
    )
    if not include_withdrawn:
        query = query.where(ImportantDataItem.withdrawn_at.is_(None))
    return session.scalars(query).all()


def withdraw_important_item(
    session: Session, principal: Principal, item_id: uuid.UUID
) -> ImportantDataItem:
    """Take an item out of the catalogue; it stays on record with the time it was withdrawn."""
    item = session.get(ImportantDataItem, item_id)
    if item is None:
        raise NotFound("no such important-data item", "不存在该重要数据目录项")
    authorize(
        principal,
        Permission.dataset_write,
        item.org_id,
        read_permission=Permission.dataset_read,
        what="important_data_item",
    )
    if item.withdrawn_at is not None:
        raise Conflict("the item was already withdrawn", "该目录项已撤回")
    item.withdrawn_at = utcnow()
    session.flush()
    record(
        session,
        principal,
        "important_data.withdrawn",
        target_type="important_data_item",
        target_id=item.id,
        org_id=item.org_id,
    )
    return item


def catalogue_of(session: Session, org_id: uuid.UUID) -> list[CatalogueItem]:
    """The organisation's current catalogue, as the scanner matches it."""
    items = session.scalars(
        sa.select(ImportantDataItem).where(
            ImportantDataItem.org_id == org_id, ImportantDataItem.withdrawn_at.is_(None)
        )
    ).all()
    return [
        CatalogueItem(
            id=str(i.id),
            name=i.name,
            level=str(i.level),
            fields=tuple(i.fields),
            dataset=i.dataset,
        )
        for i in items
    ]


# -- scans of registered datasets --------------------------------------------------------------


def scan_dataset(
    session: Session,
    principal: Principal,
    settings: Settings,
    *,
    dataset: Dataset,
    sample: int | None = None,
    rulepack: str | None = None,
    executor: Executor = Executor.local,
    progress: ScanProgress | None = None,
) -> DatasetScan:
    """Scan the dataset's current version and store the result with it.

    The whole content is read unless ``sample`` rows are asked for: the individuals counted
    here are what the cross-border thresholds turn on. A file whose content no longer matches
    the version's hash is refused: the scan would describe data that was never registered.
    """
    authorize(
        principal,
        Permission.dataset_write,
        dataset.org_id,
        read_permission=Permission.dataset_read,
        what="dataset",
    )
    version = catalog.latest_version(session, dataset.id)
    if version is None:  # pragma: no cover - registration always records version 1
        raise NotFound("the dataset has no version to scan", "该数据集没有可扫描的版本")
    spec = catalog.source_spec_of(dataset)
    if version.encoding and spec.format in ("csv", "tsv"):
        spec = sources.resolve(spec.location, format=spec.format, encoding=version.encoding)
    if version.sheet and spec.format == "excel":
        spec = sources.resolve(spec.location, format=spec.format, sheet=version.sheet)
    if not principal.is_operator:
        sources.check_allowed(spec, settings, dataset.org_id)
    if spec.kind is SourceKind.file:
        _check_unchanged(Path(spec.location), version, spec)
    pack = grading_pack(rulepack, sector=dataset.sector)
    result = scan_source(
        spec,
        options=ScanOptions(as_of=china_today(), sample_rows=sample),
        pack=pack,
        workdir=settings.home / "tmp",
        executor=executor,
        workers=settings.scan_workers or None,
        ray_address=settings.ray_address or None,
        catalogue=catalogue_of(session, dataset.org_id),
        dataset_name=dataset.name,
        progress=progress,
    )
    return store_scan(session, principal, dataset=dataset, version=version, result=result)


def _check_unchanged(path: Path, version: DatasetVersion, spec: sources.SourceSpec) -> None:
    if sources.file_hash(path) != version.content_hash:
        raise Conflict(
            f"{spec.display} changed since version {version.number} was recorded; run "
            "'dataport dataset refresh' first, then scan the new version",
            f"{spec.display} 在第 {version.number} 版登记后已发生变化；请先运行 "
            "'dataport dataset refresh' 再扫描新版本",
            field="source",
        )


def store_scan(
    session: Session,
    principal: Principal,
    *,
    dataset: Dataset,
    version: DatasetVersion,
    result: ScanResult,
) -> DatasetScan:
    """Keep a scan result with the dataset version it describes, and record the event."""
    document = result.model_dump(mode="json")
    digest = result_hash(document)
    scan = DatasetScan(
        org_id=dataset.org_id,
        dataset_id=dataset.id,
        version_id=version.id,
        mode=result.sample.mode,
        rows_scanned=result.sample.rows_scanned,
        rulepack=result.rulepack.id,
        rulepack_version=result.rulepack.version,
        contains_pi=result.contains_pi,
        contains_sensitive=result.contains_sensitive,
        individuals=result.individuals.estimate,
        sensitive_individuals=result.individuals.sensitive,
        minors=result.individuals.minors,
        important_data=result.important_data.contains,
        core_data=result.important_data.contains_core,
        dataset_grade=result.dataset_grade,
        result=document,
        result_hash=digest,
        created_by=principal.actor,
    )
    session.add(scan)
    session.flush()
    record(
        session,
        principal,
        "dataset.scanned",
        target_type="dataset",
        target_id=dataset.id,
        org_id=dataset.org_id,
        scan=str(scan.id),
        version=version.number,
        content_hash=version.content_hash,
        result_hash=digest,
        mode=scan.mode,
        rows=scan.rows_scanned,
        rulepack=f"{scan.rulepack}@{scan.rulepack_version}",
        dataset_grade=scan.dataset_grade,
        contains_pi=scan.contains_pi,
        contains_sensitive=scan.contains_sensitive,
        individuals=scan.individuals,
        sensitive_individuals=scan.sensitive_individuals,
        minors=scan.minors,
        important_data=scan.important_data,
    )
    return scan


def latest_scan(session: Session, principal: Principal, dataset: Dataset) -> DatasetScan | None:
    """The newest scan of the dataset (of any version), or None."""
    authorize(
        principal,
        Permission.dataset_read,
        dataset.org_id,
        read_permission=Permission.dataset_read,
        what="dataset",
    )
    return session.scalars(
        sa.select(DatasetScan)
        .where(DatasetScan.dataset_id == dataset.id)
        .order_by(DatasetScan.created_at.desc())
        .limit(1)
    ).first()


def get_scan(
    session: Session, principal: Principal, dataset: Dataset, scan_id: uuid.UUID
) -> DatasetScan:
    authorize(
        principal,
        Permission.dataset_read,
        dataset.org_id,
        read_permission=Permission.dataset_read,
        what="dataset",
    )
    scan = session.get(DatasetScan, scan_id)
    if scan is None or scan.dataset_id != dataset.id:
        raise NotFound("no such scan of this dataset", "该数据集没有这次扫描")
    return scan


def _latest_of_version(session: Session, version_id: uuid.UUID) -> DatasetScan | None:
    return session.scalars(
        sa.select(DatasetScan)
        .where(DatasetScan.version_id == version_id)
        .order_by(DatasetScan.created_at.desc())
        .limit(1)
    ).first()


def stored_scan(session: Session, version_id: uuid.UUID) -> Mapping[str, Any] | None:
    """The newest stored result (the JSON contract) for a dataset version, or None.

    For callers that have already authorised access to the version (reports, the rules).
    """
    scan = _latest_of_version(session, version_id)
    return None if scan is None else scan.result


@dataclass(frozen=True, slots=True)
class ScanFacts:
    """What the cross-border rules need from a scan of one dataset version."""

    scan_id: uuid.UUID
    mode: str
    contains_pi: bool
    contains_sensitive: bool
    individuals: int
    sensitive_individuals: int
    minors: int
    #: Whether the individuals were counted from identifying columns (else: rows with PI).
    individuals_identified: bool
    #: Only items of the declared catalogue (notified or published) make data important.
    important_data: bool
    core_data: bool
    important_items: tuple[str, ...]
    #: Column name to the category ids found in it.
    fields: dict[str, tuple[str, ...]]
    sensitive_categories: tuple[str, ...]
    dataset_grade: str
    rulepack: str


def scan_facts(session: Session, version: DatasetVersion) -> ScanFacts | None:
    """The facts of the newest scan of ``version`` for the rules engine, or None if unscanned."""
    scan = _latest_of_version(session, version.id)
    if scan is None:
        return None
    result = ScanResult.model_validate(scan.result)
    return ScanFacts(
        scan_id=scan.id,
        mode=scan.mode,
        contains_pi=scan.contains_pi,
        contains_sensitive=scan.contains_sensitive,
        individuals=scan.individuals,
        sensitive_individuals=scan.sensitive_individuals,
        minors=scan.minors,
        individuals_identified=result.individuals.identified,
        important_data=scan.important_data,
        core_data=scan.core_data,
        important_items=tuple(dict.fromkeys(m.item_id for m in result.important_data.matches)),
        fields={c.name: tuple(c.categories) for c in result.columns},
        sensitive_categories=tuple(result.sensitive_categories),
        dataset_grade=scan.dataset_grade,
        rulepack=f"{scan.rulepack}@{scan.rulepack_version}",
    )


__all__ = [
    "DEFAULT_SAMPLE_ROWS",
    "ScanFacts",
    "catalogue_of",
    "declare_important_item",
    "get_scan",
    "latest_scan",
    "list_important_items",
    "scan_dataset",
    "scan_facts",
    "store_scan",
    "stored_scan",
    "withdraw_important_item",
]
