"""Writing to and reading the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.audit.models import AuditEvent
from dataport.identity.authz import Permission, Principal
from dataport.ledger.evidence import queue_evidence


def record(
    session: Session,
    principal: Principal,
    action: str,
    *,
    target_type: str,
    target_id: uuid.UUID | str,
    org_id: uuid.UUID | None,
    **details: Any,
) -> AuditEvent:
    """Append one event in the caller's transaction: it commits or rolls back with the change.

    An event that is evidence (``ledger.evidence.EVIDENCE_FIELDS``) also queues its entry in
    the evidence log, in the same transaction.
    """
    event = AuditEvent(
        org_id=org_id,
        actor=principal.actor,
        member_id=principal.member_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=details,
    )
    session.add(event)
    session.flush()
    queue_evidence(session, event)
    return event


def list_events(
    session: Session,
    principal: Principal,
    *,
    org_id: uuid.UUID | None = None,
    limit: int = 100,
    before_seq: int | None = None,
) -> Sequence[AuditEvent]:
    """The newest events the principal may read, optionally for one organisation."""
    visible = principal.visible_org_ids(Permission.audit_read)
    query = sa.select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if visible is not None:
        query = query.where(AuditEvent.org_id.in_(visible))
    if org_id is not None:
        query = query.where(AuditEvent.org_id == org_id)
    if before_seq is not None:
        query = query.where(AuditEvent.seq < before_seq)
    return session.scalars(query).all()
