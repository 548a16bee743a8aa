"""Routes for the dataset catalog."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from dataport.api.deps import PrincipalDep, SessionDep, SettingsDep
from dataport.catalog import service, sources
from dataport.catalog.models import DatasetVersion, RightKind
from dataport.catalog.schemas import (
    DatasetIn,
    DatasetOut,
    RegistrationOut,
    RightsIn,
    VersionIn,
    VersionOut,
)
from dataport.errors import InvalidInput
from dataport.identity.models import Organisation

router = APIRouter(prefix="/v1/datasets", tags=["catalog"])


def _registration(session: Session, reg: service.Registration) -> RegistrationOut:
    return service.describe_registration(session, reg)


@router.get("", summary="Datasets the caller may see")
def list_datasets(
    session: SessionDep,
    principal: PrincipalDep,
    org_id: uuid.UUID | None = Query(default=None, description="Only this organisation's"),
) -> list[DatasetOut]:
    datasets = service.list_datasets(session, principal, org_id=org_id)
    return [service.describe_dataset(session, d) for d in datasets]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a dataset")
def register_dataset(
    body: DatasetIn, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> RegistrationOut:
    assert principal.org_id is not None  # noqa: S101 - API principals belong to an organisation
    org = session.get_one(Organisation, principal.org_id)
    spec = sources.resolve(
        body.source,
        table=body.table,
        format=body.format,
        encoding=body.encoding,
        sheet=body.sheet,
    )
    inspection = service.read_source(principal, settings, org_id=org.id, spec=spec)
    reg = service.register_dataset(
        session,
        principal,
        org=org,
        name=body.name,
        spec=spec,
        inspection=inspection,
        sector=body.sector,
        zone=body.zone,
        description=body.description,
    )
    return _registration(session, reg)


@router.get("/{dataset_id}", summary="One dataset, with its current version and rights")
def get_dataset(dataset_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> DatasetOut:
    return service.describe_dataset(session, service.get_dataset(session, principal, dataset_id))


@router.get("/{dataset_id}/versions", summary="Every recorded version of a dataset")
def list_versions(
    dataset_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> list[VersionOut]:
    dataset = service.get_dataset(session, principal, dataset_id)
    versions: list[DatasetVersion] = list(service.list_versions(session, principal, dataset))
    return [VersionOut.model_validate(v) for v in versions]


@router.post(
    "/{dataset_id}/versions",
    summary="Read the source again; records a new version only if the content changed",
)
def refresh_dataset(
    dataset_id: uuid.UUID,
    body: VersionIn,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> RegistrationOut:
    dataset = service.get_dataset(session, principal, dataset_id)
    spec = service.source_spec_of(dataset, body.source)
    inspection = service.read_source(principal, settings, org_id=dataset.org_id, spec=spec)
    reg = service.record_version(
        session, principal, dataset=dataset, spec=spec, inspection=inspection
    )
    return _registration(session, reg)


@router.put("/{dataset_id}/rights", summary="Assign the three data rights")
def assign_rights(
    dataset_id: uuid.UUID, body: RightsIn, session: SessionDep, principal: PrincipalDep
) -> DatasetOut:
    dataset = service.get_dataset(session, principal, dataset_id)
    holders: dict[RightKind, Organisation] = {}
    for kind in RightKind:
        org_id = getattr(body, kind.value)
        if org_id is not None:
            # Any organisation may be named as a holder; naming one reveals nothing of it.
            holders[kind] = _holder(session, org_id, kind)
    service.assign_rights(session, principal, dataset=dataset, holders=holders)
    return service.describe_dataset(session, dataset)


def _holder(session: Session, org_id: uuid.UUID, kind: RightKind) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise InvalidInput(
            f"no organisation {org_id} to hold {kind}",
            f"不存在可持有 {kind} 的组织 {org_id}",
            field=kind.value,
        )
    return org
