"""Routes for destinations and transfers (the delivery runs in the request, step by step)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from dataport.api.deps import PrincipalDep, SessionDep, SettingsDep
from dataport.api.problems import request_language
from dataport.errors import NotFound
from dataport.identity.authz import Principal
from dataport.identity.models import Organisation
from dataport.transfer import runner, service
from dataport.transfer.models import TransferStatus
from dataport.transfer.policy import parse_policy
from dataport.transfer.schemas import DestinationIn, DestinationOut, TransferIn, TransferOut

router = APIRouter(prefix="/v1", tags=["transfers"])

REFUSAL_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "Refused (recorded in the evidence log) or invalid",
        "content": {"application/problem+json": {}},
    }
}


@router.post("/destinations", status_code=status.HTTP_201_CREATED, summary="Declare a destination")
def declare_destination(
    body: DestinationIn, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> DestinationOut:
    org = session.get(Organisation, body.org_id)
    if org is None:
        raise NotFound("no such organisation", "不存在该组织")
    found = service.declare_destination(
        session,
        principal,
        settings,
        org=org,
        name=body.name,
        url=body.url,
        zone=body.zone,
        country=body.country,
    )
    return service.describe_destination(found)


@router.get("/destinations", summary="List declared destinations")
def list_destinations(
    session: SessionDep, principal: PrincipalDep, org_id: uuid.UUID | None = None
) -> list[DestinationOut]:
    return [
        service.describe_destination(d)
        for d in service.list_destinations(session, principal, org_id=org_id)
    ]


def _describe(
    sessions: runner.Sessions, principal: Principal, transfer_id: uuid.UUID
) -> TransferOut:
    session: Session = sessions()
    try:
        found = service.get_transfer(session, principal, transfer_id)
        return service.describe_transfer(session, found, principal)
    finally:
        session.close()


@router.post(
    "/transfers",
    status_code=status.HTTP_201_CREATED,
    summary="Transfer a dataset abroad",
    responses=REFUSAL_RESPONSES,
    response_model=TransferOut,
)
def create_transfer(
    body: TransferIn, request: Request, principal: PrincipalDep, settings: SettingsDep
) -> Any:
    """Scope check, de-identification, watermark, signed package, delivery, receipt.

    A refusal is recorded (and in the evidence log) before it is answered: 422
    ``transfer_refused`` with the transfer's id and the reasons.
    """
    sessions: runner.Sessions = request.app.state.sessionmaker
    order = runner.Order(
        dataset_id=body.dataset_id,
        recipient_id=body.recipient_org_id,
        destination=body.destination,
        approval_id=body.approval_id,
        purpose=body.purpose,
        columns=tuple(body.columns) if body.columns is not None else None,
        format=body.format,
        policy=parse_policy(body.policy, "policy"),
    )
    outcome = runner.run(sessions, settings, principal, order)
    out = _describe(sessions, principal, outcome.transfer_id)
    if out.status is TransferStatus.refused:
        refusal = service.TransferRefused(
            "the transfer was refused and recorded: "
            + "; ".join(f"{r.en} [{r.code}]" for r in out.reasons),
            "传输被拒绝并已记录：" + "；".join(f"{r.zh}［{r.code}］" for r in out.reasons),
            transfer_id=str(out.id),
            reasons=[r.model_dump() for r in out.reasons],
        )
        return JSONResponse(
            refusal.problem(request_language(request), request.url.path),
            status_code=refusal.http_status,
            media_type="application/problem+json",
        )
    return out


@router.get("/transfers", summary="List transfers (made, or received)")
def list_transfers(
    session: SessionDep, principal: PrincipalDep, org_id: uuid.UUID | None = None
) -> list[TransferOut]:
    return [
        service.describe_transfer(session, t, principal)
        for t in service.list_transfers(session, principal, org_id=org_id)
    ]


@router.get("/transfers/{transfer_id}", summary="One transfer")
def get_transfer(
    transfer_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> TransferOut:
    found = service.get_transfer(session, principal, transfer_id)
    return service.describe_transfer(session, found, principal)


@router.get("/transfers/{transfer_id}/receipt", summary="The delivery's evidence-log receipt")
def transfer_receipt(
    transfer_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> dict[str, object]:
    found = service.get_transfer(session, principal, transfer_id)
    return service.receipt_of(session, found)
