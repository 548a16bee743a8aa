"""Registering datasets, recording their versions and rights, and finding them again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from dataport.audit.service import record
from dataport.catalog import sources
from dataport.catalog.models import Dataset, DatasetRight, DatasetVersion, RightKind, Zone
from dataport.catalog.schemas import DatasetOut, RegistrationOut, RightOut, VersionOut
from dataport.catalog.sources import Inspection, Progress, SourceSpec
from dataport.config import Settings
from dataport.db import utcnow
from dataport.errors import Conflict, InvalidInput, NotFound
from dataport.identity.authz import Permission, Principal, authorize
from dataport.identity.models import Organisation


@cache
def sectors() -> dict[str, dict[str, str]]:
    """The sector vocabulary: id to ``{"zh": ..., "en": ...}``."""
    text = (files("dataport.catalog") / "sectors.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, str]] = yaml.safe_load(text)["sectors"]
    return data


def _check_sector(sector: str) -> str:
    if sector not in sectors():
        raise InvalidInput(
            f"unknown sector {sector!r}; known sectors: {', '.join(sectors())}",
            f"未知行业 {sector!r}；可选行业：{', '.join(sectors())}",
            field="sector",
        )
    return sector


@dataclass(frozen=True)
class Registration:
    dataset: Dataset
    version: DatasetVersion
    new_version: bool


def read_source(
    principal: Principal,
    settings: Settings,
    *,
    org_id: uuid.UUID,
    spec: SourceSpec,
    progress: Progress | None = None,
) -> Inspection:
    """Read a source on behalf of ``org_id``, after checking the principal may do so.

    Authorisation comes first: reading a source costs time and reveals facts about it.
    """
    authorize(
        principal,
        Permission.dataset_write,
        org_id,
        read_permission=Permission.dataset_read,
        what="organisation",
    )
    if not principal.is_operator:
        sources.check_allowed(spec, settings, org_id)
    return sources.inspect(
        spec, workdir=settings.home / "tmp", infer_rows=settings.infer_rows, progress=progress
    )


def register_dataset(
    session: Session,
    principal: Principal,
    *,
    org: Organisation,
    name: str,
    spec: SourceSpec,
    inspection: Inspection,
    sector: str = "general",
    zone: Zone = Zone.domestic,
    description: str = "",
) -> Registration:
    """Create a dataset with its first version; the registering organisation holds all rights."""
    authorize(
        principal,
        Permission.dataset_write,
        org.id,
        read_permission=Permission.dataset_read,
        what="organisation",
    )
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput(
            "dataset name must be 1-200 characters", "数据集名称须为 1-200 个字符", field="name"
        )
    _check_sector(sector)
    exists = session.scalar(
        sa.select(Dataset.id).where(Dataset.org_id == org.id, Dataset.name == name)
    )
    if exists:
        raise Conflict(
            f"{org.name} already has a dataset named {name!r}; to record new content, "
            f"use 'dataport dataset refresh {name}'",
            f"{org.name} 已有名为 {name!r} 的数据集；如需登记新内容，请使用 "
            f"'dataport dataset refresh {name}'",
            field="name",
        )
    dataset = Dataset(
        org_id=org.id,
        name=name,
        description=description,
        sector=sector,
        zone=zone,
        source_kind=spec.kind,
        source=spec.display,
        source_table=spec.table,
        format=inspection.format,
        created_by=principal.actor,
    )
    session.add(dataset)
    session.flush()
    for kind in RightKind:
        session.add(DatasetRight(dataset_id=dataset.id, kind=kind, holder_org_id=org.id))
    version = _add_version(session, principal, dataset, spec, inspection, number=1)
    record(
        session,
        principal,
        "dataset.registered",
        target_type="dataset",
        target_id=dataset.id,
        org_id=org.id,
        name=name,
        zone=str(zone),
        sector=sector,
        source=spec.display,
        version=1,
        content_hash=inspection.content_hash,
        rows=inspection.row_count,
    )
    return Registration(dataset, version, new_version=True)


def record_version(
    session: Session,
    principal: Principal,
    *,
    dataset: Dataset,
    spec: SourceSpec,
    inspection: Inspection,
) -> Registration:
    """Record the content just read as a new version, unless it equals the latest one."""
    authorize(
        principal,
        Permission.dataset_write,
        dataset.org_id,
        read_permission=Permission.dataset_read,
        what="dataset",
    )
    latest = latest_version(session, dataset.id)
    if latest is not None and latest.content_hash == inspection.content_hash:
        return Registration(dataset, latest, new_version=False)
    number = (latest.number if latest else 0) + 1
    version = _add_version(session, principal, dataset, spec, inspection, number=number)
    record(
        session,
        principal,
        "dataset.version_recorded",
        target_type="dataset",
        target_id=dataset.id,
        org_id=dataset.org_id,
        version=number,
        content_hash=inspection.content_hash,
        rows=inspection.row_count,
        source=spec.display,
    )
    return Registration(dataset, version, new_version=True)


def source_spec_of(dataset: Dataset, location: str | None = None) -> SourceSpec:
    """How to read a dataset again: its recorded source, or ``location`` in the same format."""
    if location is None:
        if dataset.source_kind == "database" and "***" in dataset.source:
            raise InvalidInput(
                "the recorded database URL had its password removed; pass the URL again",
                "已登记的数据库 URL 不含密码；请重新提供完整 URL",
                field="source",
            )
        location = dataset.source
    fmt = None if dataset.format == "database" else dataset.format
    return sources.resolve(location, table=dataset.source_table, format=fmt)


def _add_version(
    session: Session,
    principal: Principal,
    dataset: Dataset,
    spec: SourceSpec,
    inspection: Inspection,
    *,
    number: int,
) -> DatasetVersion:
    version = DatasetVersion(
        dataset_id=dataset.id,
        number=number,
        content_hash=inspection.content_hash,
        row_count=inspection.row_count,
        byte_size=inspection.byte_size,
        columns=[{"name": c.name, "type": c.type} for c in inspection.columns],
        encoding=inspection.encoding,
        sheet=inspection.sheet,
        source=spec.display,
        created_by=principal.actor,
    )
    session.add(version)
    session.flush()
    return version


def latest_version(session: Session, dataset_id: uuid.UUID) -> DatasetVersion | None:
    return session.scalars(
        sa.select(DatasetVersion)
        .where(DatasetVersion.dataset_id == dataset_id)
        .order_by(DatasetVersion.number.desc())
        .limit(1)
    ).first()


def list_versions(
    session: Session, principal: Principal, dataset: Dataset
) -> Sequence[DatasetVersion]:
    authorize(
        principal,
        Permission.dataset_read,
        dataset.org_id,
        read_permission=Permission.dataset_read,
        what="dataset",
    )
    return session.scalars(
        sa.select(DatasetVersion)
        .where(DatasetVersion.dataset_id == dataset.id)
        .order_by(DatasetVersion.number)
    ).all()


def get_dataset(session: Session, principal: Principal, dataset_id: uuid.UUID) -> Dataset:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound("no such dataset", "不存在该数据集")
    authorize(
        principal,
        Permission.dataset_read,
        dataset.org_id,
        read_permission=Permission.dataset_read,
        what="dataset",
    )
    return dataset


def find_dataset(session: Session, principal: Principal, org: Organisation, name: str) -> Dataset:
    authorize(
        principal,
        Permission.dataset_read,
        org.id,
        read_permission=Permission.dataset_read,
        what="organisation",
    )
    dataset = session.scalars(
        sa.select(Dataset).where(Dataset.org_id == org.id, Dataset.name == name)
    ).first()
    if dataset is None:
        raise NotFound(
            f"{org.name} has no dataset named {name!r}",
            f"{org.name} 没有名为 {name!r} 的数据集",
            field="name",
        )
    return dataset


def list_datasets(
    session: Session, principal: Principal, *, org_id: uuid.UUID | None = None
) -> Sequence[Dataset]:
    visible = principal.visible_org_ids(Permission.dataset_read)
    query = sa.select(Dataset).order_by(Dataset.name, Dataset.created_at)
    if visible is not None:
        query = query.where(Dataset.org_id.in_(visible))
    if org_id is not None:
        query = query.where(Dataset.org_id == org_id)
    return session.scalars(query).all()


def rights_of(session: Session, dataset: Dataset) -> list[tuple[DatasetRight, Organisation]]:
    rows = session.execute(
        sa.select(DatasetRight, Organisation)
        .join(Organisation, Organisation.id == DatasetRight.holder_org_id)
        .where(DatasetRight.dataset_id == dataset.id)
        .order_by(DatasetRight.kind)
    ).all()
    order = list(RightKind)
    return sorted(((r, o) for r, o in rows), key=lambda pair: order.index(pair[0].kind))


def assign_rights(
    session: Session,
    principal: Principal,
    *,
    dataset: Dataset,
    holders: dict[RightKind, Organisation],
) -> None:
    """Hand one or more of the three rights to other organisations (or back)."""
    authorize(
        principal,
        Permission.dataset_write,
        dataset.org_id,
        read_permission=Permission.dataset_read,
        what="dataset",
    )
    if not holders:
        raise InvalidInput(
            "name at least one right to assign", "请至少指定一项要分配的权利", field="rights"
        )
    current = {right.kind: right for right, _ in rights_of(session, dataset)}
    for kind, holder in holders.items():
        right = current[kind]
        if right.holder_org_id == holder.id:
            continue
        previous = right.holder_org_id
        right.holder_org_id = holder.id
        right.since = utcnow()
        session.flush()
        record(
            session,
            principal,
            "dataset.right_assigned",
            target_type="dataset",
            target_id=dataset.id,
            org_id=dataset.org_id,
            right=str(kind),
            holder=str(holder.id),
            holder_name=holder.name,
            previous_holder=str(previous),
        )


def describe_dataset(session: Session, dataset: Dataset) -> DatasetOut:
    """The dataset as the API and CLI show it: current version and rights included."""
    version = latest_version(session, dataset.id)
    rights = [
        RightOut(kind=r.kind, holder_org_id=o.id, holder_name=o.name, since=r.since)
        for r, o in rights_of(session, dataset)
    ]
    return DatasetOut(
        id=dataset.id,
        org_id=dataset.org_id,
        name=dataset.name,
        description=dataset.description,
        sector=dataset.sector,
        zone=dataset.zone,
        source_kind=dataset.source_kind,
        source=dataset.source,
        source_table=dataset.source_table,
        format=dataset.format,
        created_at=dataset.created_at,
        created_by=dataset.created_by,
        current_version=VersionOut.model_validate(version) if version else None,
        rights=rights,
    )


def describe_registration(session: Session, reg: Registration) -> RegistrationOut:
    return RegistrationOut(
        dataset=describe_dataset(session, reg.dataset),
        version=VersionOut.model_validate(reg.version),
        new_version=reg.new_version,
    )
