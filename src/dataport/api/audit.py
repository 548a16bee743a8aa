"""Routes for reading the audit trail."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from dataport.api.deps import PrincipalDep, SessionDep
from dataport.audit import service
from dataport.audit.schemas import AuditEventOut

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", summary="The newest audit events the caller may read")
def list_events(
    session: SessionDep,
    principal: PrincipalDep,
    org_id: uuid.UUID | None = Query(default=None),
    limit: int = Query(default=100, ge=1, le=1000),
    before_seq: int | None = Query(default=None, ge=1, description="Page: events before this"),
) -> list[AuditEventOut]:
    events = service.list_events(
        session, principal, org_id=org_id, limit=limit, before_seq=before_seq
    )
    return [AuditEventOut.model_validate(e) for e in events]
