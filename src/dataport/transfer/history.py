"""The exporter's recorded transfers, as the counts the rules engine and approvals turn on.

Cumulative individuals are never typed in: they are summed from the transfers recorded here,
delivered or on their way (a transfer counts from the moment it is allowed).
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.rules.scenario import HistoryEntry
from dataport.transfer.models import Transfer, TransferStatus

#: Transfers that count: delivered, and those on their way.
COUNTED = (TransferStatus.preparing, TransferStatus.delivered)


def history_of(
    session: Session, org_id: uuid.UUID, *, until: date, exclude: uuid.UUID | None = None
) -> list[HistoryEntry]:
    """The exporter's earlier transfers abroad, as the rules engine's history entries."""
    query = sa.select(Transfer.on, Transfer.individuals, Transfer.sensitive_individuals).where(
        Transfer.org_id == org_id, Transfer.status.in_(COUNTED), Transfer.on <= until
    )
    if exclude is not None:
        query = query.where(Transfer.id != exclude)
    return [
        HistoryEntry(
            date=row.on,
            individuals=row.individuals,
            sensitive_individuals=row.sensitive_individuals,
        )
        for row in session.execute(query.order_by(Transfer.on, Transfer.created_at))
    ]


def used_under(
    session: Session, approval_id: uuid.UUID, exclude: uuid.UUID | None = None
) -> tuple[int, int]:
    """Individuals (non-sensitive, sensitive) already sent under an approval."""
    query = sa.select(
        sa.func.coalesce(sa.func.sum(Transfer.individuals), 0),
        sa.func.coalesce(sa.func.sum(Transfer.sensitive_individuals), 0),
    ).where(Transfer.approval_id == approval_id, Transfer.status.in_(COUNTED))
    if exclude is not None:
        query = query.where(Transfer.id != exclude)
    row = session.execute(query).one()
    return int(row[0]), int(row[1])
