"""Routes for scans of datasets and the important-data catalogue."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, status

from dataport.api.deps import PrincipalDep, SessionDep, SettingsDep
from dataport.catalog import service as catalog
from dataport.catalog.models import DatasetVersion
from dataport.classify import service
from dataport.classify.models import DatasetScan
from dataport.classify.schemas import (
    ImportantItemIn,
    ImportantItemOut,
    ScanIn,
    ScanResult,
    StoredScanOut,
)
from dataport.errors import NotFound
from dataport.identity.models import Organisation

router = APIRouter(tags=["classification"])


def _stored(session: SessionDep, scan: DatasetScan) -> StoredScanOut:
    version = session.get_one(DatasetVersion, scan.version_id)
    return StoredScanOut(
        id=scan.id,
        dataset_id=scan.dataset_id,
        version_id=scan.version_id,
        version=version.number,
        result_hash=scan.result_hash,
        created_at=scan.created_at,
        created_by=scan.created_by,
        result=ScanResult.model_validate(scan.result),
    )


@router.post(
    "/v1/datasets/{dataset_id}/scans",
    status_code=status.HTTP_201_CREATED,
    summary="Scan the dataset's current version (every row unless a sample is asked) and store it",
)
def scan_dataset(
    dataset_id: uuid.UUID,
    body: ScanIn,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> StoredScanOut:
    dataset = catalog.get_dataset(session, principal, dataset_id)
    scan = service.scan_dataset(
        session, principal, settings, dataset=dataset, sample=body.sample, rulepack=body.rulepack
    )
    return _stored(session, scan)


@router.get("/v1/datasets/{dataset_id}/scans/latest", summary="The newest scan of a dataset")
def latest_scan(
    dataset_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> StoredScanOut:
    dataset = catalog.get_dataset(session, principal, dataset_id)
    scan = service.latest_scan(session, principal, dataset)
    if scan is None:
        raise NotFound("the dataset has not been scanned yet", "该数据集尚未扫描")
    return _stored(session, scan)


@router.get("/v1/datasets/{dataset_id}/scans/{scan_id}", summary="One stored scan of a dataset")
def get_scan(
    dataset_id: uuid.UUID, scan_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> StoredScanOut:
    dataset = catalog.get_dataset(session, principal, dataset_id)
    return _stored(session, service.get_scan(session, principal, dataset, scan_id))


@router.get(
    "/v1/organisations/{org_id}/important-data",
    summary="An organisation's catalogue of notified important data",
)
def list_important_items(
    org_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    withdrawn: bool = Query(default=False, description="Include withdrawn items"),
) -> list[ImportantItemOut]:
    items = service.list_important_items(
        session, principal, org_id=org_id, include_withdrawn=withdrawn
    )
    return [ImportantItemOut.model_validate(i) for i in items]


@router.post(
    "/v1/organisations/{org_id}/important-data",
    status_code=status.HTTP_201_CREATED,
    summary="Declare a data item a department notified as important (or core) data",
)
def declare_important_item(
    org_id: uuid.UUID, body: ImportantItemIn, session: SessionDep, principal: PrincipalDep
) -> ImportantItemOut:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("no such organisation", "不存在该组织")
    item = service.declare_important_item(session, principal, org=org, item=body)
    return ImportantItemOut.model_validate(item)


@router.delete(
    "/v1/important-data/{item_id}",
    summary="Withdraw an item from the catalogue (it stays on record)",
)
def withdraw_important_item(
    item_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> ImportantItemOut:
    return ImportantItemOut.model_validate(
        service.withdraw_important_item(session, principal, item_id)
    )
