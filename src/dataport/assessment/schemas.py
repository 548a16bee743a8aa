"""Applications and approvals as the API receives and returns them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dataport.assessment.models import ApplicationKind, ApplicationStatus
from dataport.rules.scenario import Purpose


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: The day the step happened; default today in China. A past day records a paper step.
    on: date | None = None


class ApplicationIn(_In):
    dataset_id: uuid.UUID
    recipient_org_id: uuid.UUID
    purpose: Purpose
    individuals: int = Field(ge=0)
    sensitive_individuals: int = Field(default=0, ge=0)
    important_data: bool = False
    fields: list[str] = []
    retention: str = Field(min_length=1, max_length=100)
    storage_location: str = Field(min_length=1, max_length=200)
    contract_effective_on: date | None = None


class DatasetAssessmentIn(_In):
    recipient_org_id: uuid.UUID
    purpose: Purpose = "business"
    #: Field ids for free-trade-zone lists, and the conditions those lists attach.
    fields: list[str] = []
    conditions: dict[str, bool] = {}


class SupplementIn(_In):
    missing: list[str] = Field(min_length=1)


class ResubmitIn(_In):
    note: str = Field(default="", max_length=2000)


class StepIn(_In):
    pass


class ApproveIn(_In):
    fields: list[str] = []
    max_individuals: int = Field(ge=0)
    max_sensitive_individuals: int = Field(default=0, ge=0)
    purpose: Purpose | None = None


class RejectIn(_In):
    reasons: list[str] = Field(min_length=1)


class ExtensionIn(_In):
    individuals: int = Field(ge=0)
    sensitive_individuals: int = Field(default=0, ge=0)


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    on: date
    actor: str
    action: str
    from_status: str | None
    to_status: str
    details: dict[str, Any]


class ApprovalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    application_id: uuid.UUID
    kind: ApplicationKind
    org_id: uuid.UUID
    dataset_id: uuid.UUID
    recipient_org_id: uuid.UUID
    purpose: str
    fields: list[str]
    max_individuals: int
    max_sensitive_individuals: int
    issued_on: date
    expires_on: date | None
    approved_by: str
    extension_opens_on: date | None = None


class ApplicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    org_id: uuid.UUID
    kind: ApplicationKind
    status: ApplicationStatus
    pathway: str
    dataset_id: uuid.UUID
    dataset_version_id: uuid.UUID
    recipient_org_id: uuid.UUID
    recipient_country: str
    purpose: str
    fields: list[str]
    individuals: int
    sensitive_individuals: int
    important_data: bool
    retention: str
    storage_location: str
    contract_effective_on: date | None
    previous_approval_id: uuid.UUID | None
    received_on: date
    #: The next deadline, what it is for, and whether it rests on an unpublished calendar.
    due_on: date | None
    due_what: str | None
    due_provisional: bool
    created_at: datetime
    created_by: str


class ApplicationDetail(ApplicationOut):
    decision: dict[str, Any]
    history: list[EventOut]
    approval: ApprovalOut | None
