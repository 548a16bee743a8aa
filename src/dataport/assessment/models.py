"""Tables of applications, their history, and approvals."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dataport.db import Base, JSONDoc, new_id, utcnow
from dataport.identity.models import enum_column


class ApplicationKind(enum.StrEnum):
    #: A security assessment by the CAC (数据出境安全评估申报).
    security_assessment = "security_assessment"
    #: Filing a standard contract with the provincial CAC (标准合同备案).
    contract_filing = "contract_filing"
    #: Extending an approved security assessment by three years (延期申请).
    extension = "extension"


class ApplicationStatus(enum.StrEnum):
    submitted = "submitted"
    supplement_requested = "supplement_requested"
    complete = "complete"
    accepted = "accepted"
    approved = "approved"
    rejected = "rejected"


class Application(Base):
    __tablename__ = "application"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    kind: Mapped[ApplicationKind] = mapped_column(enum_column(ApplicationKind, "application_kind"))
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, "application_status"), index=True
    )
    dataset_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("dataset.id"), index=True)
    dataset_version_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("dataset_version.id"))
    recipient_org_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisation.id"))
    recipient_country: Mapped[str] = mapped_column(sa.String(2))
    purpose: Mapped[str] = mapped_column(sa.String(32))
    fields: Mapped[list[str]] = mapped_column(JSONDoc)
    individuals: Mapped[int] = mapped_column(sa.BigInteger)
    sensitive_individuals: Mapped[int] = mapped_column(sa.BigInteger)
    important_data: Mapped[bool]
    retention: Mapped[str] = mapped_column(sa.String(100))
    storage_location: Mapped[str] = mapped_column(sa.String(200))
    #: The rules engine's decision when the application was made (pathway, basis, packs).
    decision: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    previous_approval_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("approval.id", use_alter=True, name="fk_application_previous_approval")
    )
    contract_effective_on: Mapped[date | None]
    received_on: Mapped[date]
    #: The next deadline and who it binds; None once decided.
    due_on: Mapped[date | None]
    due_what: Mapped[str | None] = mapped_column(sa.String(32))
    due_provisional: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(300))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApplicationEvent(Base):
    """One step in an application's life: who moved it, from what, to what, and why."""

    __tablename__ = "application_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    application_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("application.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    on: Mapped[date]
    actor: Mapped[str] = mapped_column(sa.String(300))
    action: Mapped[str] = mapped_column(sa.String(32))
    from_status: Mapped[str | None] = mapped_column(sa.String(32))
    to_status: Mapped[str] = mapped_column(sa.String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)


class Approval(Base):
    """What the regulator allowed: the scope later transfers are checked against."""

    __tablename__ = "approval"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    application_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("application.id"), unique=True)
    kind: Mapped[ApplicationKind] = mapped_column(enum_column(ApplicationKind, "approval_kind"))
    org_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("dataset.id"), index=True)
    recipient_org_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisation.id"))
    purpose: Mapped[str] = mapped_column(sa.String(32))
    fields: Mapped[list[str]] = mapped_column(JSONDoc)
    max_individuals: Mapped[int] = mapped_column(sa.BigInteger)
    max_sensitive_individuals: Mapped[int] = mapped_column(sa.BigInteger)
    issued_on: Mapped[date]
    #: First day the approval no longer holds (None: a filing without a fixed term).
    expires_on: Mapped[date | None]
    approved_by: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
