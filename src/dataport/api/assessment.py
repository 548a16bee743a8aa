"""Routes for what-if decisions, applications to the regulator, and approvals."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Query, status

from dataport.api.deps import PrincipalDep, SessionDep
from dataport.assessment import service
from dataport.assessment.calendar import today_in_china
from dataport.assessment.models import ApplicationStatus
from dataport.assessment.schemas import (
    ApplicationDetail,
    ApplicationIn,
    ApplicationOut,
    ApprovalOut,
    ApproveIn,
    DatasetAssessmentIn,
    ExtensionIn,
    RejectIn,
    ResubmitIn,
    StepIn,
    SupplementIn,
)
from dataport.catalog.service import get_dataset
from dataport.errors import InvalidInput
from dataport.identity.models import Organisation
from dataport.rules.engine import decide
from dataport.rules.scenario import parse_scenario
from dataport.rules.schemas import Decision

router = APIRouter(prefix="/v1", tags=["assessment"])


def _on(day: date | None) -> date:
    today = today_in_china()
    if day is None:
        return today
    if day > today:
        raise InvalidInput(
            f"{day} is in the future (today in China is {today})",
            f"{day} 晚于今天（北京时间 {today}）",
            field="on",
        )
    return day


@router.post("/assess", summary="Decide the legal pathway of a what-if scenario")
def assess(body: dict[str, Any], principal: PrincipalDep) -> Decision:
    # The scenario schema is documented in docs/rulepacks.md; it is validated like a file.
    return decide(parse_scenario(body, source="request"))


@router.post(
    "/datasets/{dataset_id}/assessment",
    summary="Decide the pathway for sending a registered dataset (facts from its stored scan)",
)
def assess_dataset(
    dataset_id: uuid.UUID, body: DatasetAssessmentIn, session: SessionDep, principal: PrincipalDep
) -> Decision:
    dataset = get_dataset(session, principal, dataset_id)
    recipient = session.get(Organisation, body.recipient_org_id)
    if recipient is None:
        raise InvalidInput(
            "no such recipient organisation", "不存在该境外接收方", field="recipient_org_id"
        )
    return service.assess_dataset(
        session,
        principal,
        dataset=dataset,
        recipient=recipient,
        purpose=body.purpose,
        fields=body.fields,
        conditions=body.conditions,
        on=_on(body.on),
    )


@router.post("/applications", status_code=status.HTTP_201_CREATED, summary="Submit an application")
def submit(body: ApplicationIn, session: SessionDep, principal: PrincipalDep) -> ApplicationDetail:
    dataset = get_dataset(session, principal, body.dataset_id)
    recipient = session.get(Organisation, body.recipient_org_id)
    if recipient is None:
        raise InvalidInput(
            "no such recipient organisation", "不存在该境外接收方", field="recipient_org_id"
        )
    application = service.submit(
        session,
        principal,
        service.Submission(
            dataset=dataset,
            recipient=recipient,
            purpose=body.purpose,
            individuals=body.individuals,
            sensitive_individuals=body.sensitive_individuals,
            important_data=body.important_data,
            fields=tuple(body.fields),
            retention=body.retention,
            storage_location=body.storage_location,
            contract_effective_on=body.contract_effective_on,
        ),
        on=_on(body.on),
    )
    return service.describe_application(session, application)


@router.get("/applications", summary="Applications, the most urgent deadline first")
def list_applications(
    session: SessionDep,
    principal: PrincipalDep,
    org_id: uuid.UUID | None = Query(default=None),
    status_: ApplicationStatus | None = Query(default=None, alias="status"),
) -> list[ApplicationOut]:
    found = service.list_applications(session, principal, org_id=org_id, status=status_)
    return [service.summarise_application(a) for a in found]


@router.get("/applications/{application_id}", summary="An application, its history and approval")
def get_application(
    application_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> ApplicationDetail:
    application = service.get_application(session, principal, application_id)
    return service.describe_application(session, application)


@router.post(
    "/applications/{application_id}/supplement-request", summary="Ask for missing materials"
)
def request_supplement(
    application_id: uuid.UUID, body: SupplementIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationDetail:
    application = service.get_application(session, principal, application_id)
    service.request_supplement(
        session, principal, application, missing=body.missing, on=_on(body.on)
    )
    return service.describe_application(session, application)


@router.post("/applications/{application_id}/resubmission", summary="Resubmit with the supplements")
def resubmit(
    application_id: uuid.UUID, body: ResubmitIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationDetail:
    application = service.get_application(session, principal, application_id)
    service.resubmit(session, principal, application, on=_on(body.on), note=body.note)
    return service.describe_application(session, application)


@router.post(
    "/applications/{application_id}/completeness", summary="Confirm the materials are complete"
)
def confirm_complete(
    application_id: uuid.UUID, body: StepIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationDetail:
    application = service.get_application(session, principal, application_id)
    service.confirm_complete(session, principal, application, on=_on(body.on))
    return service.describe_application(session, application)


@router.post("/applications/{application_id}/acceptance", summary="Accept for assessment")
def accept(
    application_id: uuid.UUID, body: StepIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationDetail:
    application = service.get_application(session, principal, application_id)
    service.accept(session, principal, application, on=_on(body.on))
    return service.describe_application(session, application)


@router.post("/applications/{application_id}/approval", summary="Approve with a scope")
def approve(
    application_id: uuid.UUID, body: ApproveIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationDetail:
    application = service.get_application(session, principal, application_id)
    service.approve(
        session,
        principal,
        application,
        scope=service.Scope(
            fields=tuple(body.fields),
            max_individuals=body.max_individuals,
            max_sensitive_individuals=body.max_sensitive_individuals,
            purpose=body.purpose,
        ),
        on=_on(body.on),
    )
    return service.describe_application(session, application)


@router.post("/applications/{application_id}/rejection", summary="Reject, with reasons")
def reject(
    application_id: uuid.UUID, body: RejectIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationDetail:
    application = service.get_application(session, principal, application_id)
    service.reject(session, principal, application, reasons=body.reasons, on=_on(body.on))
    return service.describe_application(session, application)


@router.get("/approvals/{approval_id}", summary="An approval and its scope")
def get_approval(
    approval_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> ApprovalOut:
    return service.describe_approval(service.get_approval(session, principal, approval_id))


@router.post(
    "/approvals/{approval_id}/extension",
    status_code=status.HTTP_201_CREATED,
    summary="Apply to extend an assessment result by 3 years",
)
def request_extension(
    approval_id: uuid.UUID, body: ExtensionIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationDetail:
    approval = service.get_approval(session, principal, approval_id)
    application = service.request_extension(
        session,
        principal,
        approval,
        individuals=body.individuals,
        sensitive_individuals=body.sensitive_individuals,
        on=_on(body.on),
    )
    return service.describe_application(session, application)
