"""Alerts for the regulator, computed from the records each time (nothing to go stale).

- an exporter nearing a threshold of the year (90% of it, e.g. 90,000 of 100,000 individuals),
  counted from what it applied for or, when more, from what its transfers sent;
- refusals (applications rejected) in the last 90 days;
- a transfer outside its scope: one the scope check refused, with the reasons recorded, in
  the last 90 days (nothing of it was sent, but it was attempted);
- an unusual volume: an application, or a transfer, for more than three times the
  exporter's usual (the median of its earlier ones, when it has at least two);
- approvals about to expire (within 90 days), and whether an extension was applied for;
- deadlines of the review queue that have passed.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.assessment.models import Application, ApplicationKind, ApplicationStatus, Approval
from dataport.identity.authz import Permission, Principal, require
from dataport.identity.models import Organisation, OrgKind
from dataport.supervision.flows import NEARING, national_thresholds, share, year_counts
from dataport.transfer.history import COUNTED
from dataport.transfer.models import Transfer, TransferStatus

REFUSAL_DAYS = 90
EXPIRY_DAYS = 90
UNUSUAL_FACTOR = 3


@dataclass(frozen=True)
class Alert:
    kind: str
    #: ``high`` needs action now; ``medium`` needs attention.
    severity: str
    org_id: uuid.UUID
    org_name: str
    day: date
    #: The record to open: ``("application", id)`` or ``("approval", application id)``.
    application_id: uuid.UUID | None
    #: The transfer to open, for alerts about a transfer.
    transfer_id: uuid.UUID | None = None
    #: Values for the alert's sentence in the console's catalogue.
    values: dict[str, object] = field(default_factory=dict)


def alerts(session: Session, principal: Principal, today: date) -> list[Alert]:
    require(principal, Permission.supervision_read)
    names = dict(
        session.execute(
            sa.select(Organisation.id, Organisation.name).where(
                Organisation.kind != OrgKind.regulator
            )
        ).all()
    )
    found = (
        _nearing_thresholds(session, names, today)
        + _refusals(session, names, today)
        + _outside_scope(session, names, today)
        + _unusual_volumes(session, names)
        + _unusual_transfers(session, names)
        + _expiring(session, names, today)
        + _overdue(session, names, today)
    )
    order = {"high": 0, "medium": 1}
    return sorted(found, key=lambda a: (order[a.severity], -a.day.toordinal(), a.org_name))


def _nearing_thresholds(session: Session, names: dict[uuid.UUID, str], today: date) -> list[Alert]:
    pack, limits = national_thresholds(today)
    counts = year_counts(session, list(names), today.year)
    found = []
    for org_id, count in counts.items():
        for limit in limits:
            if limit.value < 100:
                continue  # "any sensitive individual" is a trigger, not a level to near
            individuals = limit.fact == "cumulative_individuals"
            applied = count.applied_individuals if individuals else count.applied_sensitive
            sent = count.sent_individuals if individuals else count.sent_sensitive
            volume = max(applied, sent)
            ratio = share(volume, limit)
            if ratio >= NEARING:
                found.append(
                    Alert(
                        kind="threshold",
                        severity="high" if ratio >= 1 else "medium",
                        org_id=org_id,
                        org_name=names[org_id],
                        day=today,
                        application_id=None,
                        values={
                            "count": volume,
                            "threshold": limit.value,
                            "percent": round(ratio * 100),
                            "fact": limit.fact,
                            "pathway": str(limit.pathway),
                            "pack": pack.ref,
                            "basis": "sent" if sent > applied else "applied",
                        },
                    )
                )
    return found


def _refusals(session: Session, names: dict[uuid.UUID, str], today: date) -> list[Alert]:
    since = today - timedelta(days=REFUSAL_DAYS)
    rows = session.scalars(
        sa.select(Application).where(
            Application.status == ApplicationStatus.rejected,
            Application.updated_at >= datetime.combine(since, time.min, UTC),
        )
    ).all()
    return [
        Alert(
            kind="refusal",
            severity="medium",
            org_id=a.org_id,
            org_name=names.get(a.org_id, ""),
            day=a.updated_at.date(),
            application_id=a.id,
            values={"country": a.recipient_country, "individuals": a.individuals},
        )
        for a in rows
        if a.org_id in names
    ]


def _above_usual(earlier: list[int], volume: int) -> dict[str, Any] | None:
    """The alert's figures if ``volume`` exceeds ``UNUSUAL_FACTOR`` times the median of at
    least two earlier volumes; None otherwise."""
    if len(earlier) < 2:
        return None
    usual = statistics.median(earlier)
    if usual <= 0 or volume <= UNUSUAL_FACTOR * usual:
        return None
    return {"count": volume, "usual": int(usual), "factor": round(volume / usual, 1)}


def _unusual_volumes(session: Session, names: dict[uuid.UUID, str]) -> list[Alert]:
    rows = session.scalars(
        sa.select(Application)
        .where(Application.kind != ApplicationKind.extension)
        .order_by(Application.org_id, Application.received_on, Application.created_at)
    ).all()
    return [
        Alert(
            kind="unusual_volume",
            severity="medium",
            org_id=a.org_id,
            org_name=names[a.org_id],
            day=a.received_on,
            application_id=a.id,
            values=values,
        )
        for a, values in _above_earlier(rows)
        if a.status is not ApplicationStatus.rejected and a.org_id in names
    ]


class _Volume(Protocol):
    @property
    def org_id(self) -> uuid.UUID: ...
    @property
    def individuals(self) -> int: ...
    @property
    def sensitive_individuals(self) -> int: ...


_V = TypeVar("_V", bound=_Volume)


def _above_earlier(rows: Sequence[_V]) -> list[tuple[_V, dict[str, Any]]]:
    """The rows (ordered by organisation, then time) whose volume is unusual against the same
    organisation's earlier rows (``_above_usual``), with the alert's figures."""
    history: dict[uuid.UUID, list[int]] = defaultdict(list)
    found = []
    for row in rows:
        earlier = history[row.org_id]
        volume = row.individuals + row.sensitive_individuals
        values = _above_usual(earlier, volume)
        if values:
            found.append((row, values))
        earlier.append(volume)
    return found


def _outside_scope(session: Session, names: dict[uuid.UUID, str], today: date) -> list[Alert]:
    since = today - timedelta(days=REFUSAL_DAYS)
    rows = session.execute(
        sa.select(Transfer, Organisation.country)
        .join(Organisation, Organisation.id == Transfer.recipient_org_id)
        .where(Transfer.status == TransferStatus.refused, Transfer.on >= since)
        .order_by(Transfer.on)
    ).all()
    return [
        Alert(
            kind="outside_scope",
            severity="high",
            org_id=t.org_id,
            org_name=names[t.org_id],
            day=t.on,
            application_id=None,
            transfer_id=t.id,
            values={
                "country": country,
                "individuals": t.individuals + t.sensitive_individuals,
                "reasons": [dict(r) for r in t.reasons],
            },
        )
        for t, country in rows
        if t.org_id in names
    ]


def _unusual_transfers(session: Session, names: dict[uuid.UUID, str]) -> list[Alert]:
    """A transfer of more than three times the median of the exporter's earlier ones."""
    rows = session.scalars(
        sa.select(Transfer)
        .where(Transfer.status.in_(COUNTED))
        .order_by(Transfer.org_id, Transfer.on, Transfer.created_at)
    ).all()
    return [
        Alert(
            kind="unusual_transfer",
            severity="medium",
            org_id=t.org_id,
            org_name=names[t.org_id],
            day=t.on,
            application_id=None,
            transfer_id=t.id,
            values=values,
        )
        for t, values in _above_earlier(rows)
        if t.org_id in names
    ]


def _expiring(session: Session, names: dict[uuid.UUID, str], today: date) -> list[Alert]:
    rows = session.scalars(
        sa.select(Approval).where(
            Approval.expires_on.is_not(None),
            Approval.expires_on >= today,
            Approval.expires_on <= today + timedelta(days=EXPIRY_DAYS),
        )
    ).all()
    extended = set(
        session.scalars(
            sa.select(Application.previous_approval_id).where(
                Application.previous_approval_id.is_not(None),
                Application.status != ApplicationStatus.rejected,
            )
        ).all()
    )
    found = []
    for approval in rows:
        assert approval.expires_on is not None  # noqa: S101 - filtered above
        found.append(
            Alert(
                kind="expiring",
                severity="medium" if approval.id in extended else "high",
                org_id=approval.org_id,
                org_name=names.get(approval.org_id, ""),
                day=approval.expires_on,
                application_id=approval.application_id,
                values={
                    "expires_on": approval.expires_on.isoformat(),
                    "days": (approval.expires_on - today).days,
                    "extension": approval.id in extended,
                },
            )
        )
    return found


def _overdue(session: Session, names: dict[uuid.UUID, str], today: date) -> list[Alert]:
    rows = session.scalars(
        sa.select(Application).where(Application.due_on.is_not(None), Application.due_on < today)
    ).all()
    return [
        Alert(
            kind="overdue",
            severity="high",
            org_id=a.org_id,
            org_name=names.get(a.org_id, ""),
            day=a.due_on or today,
            application_id=a.id,
            values={"due_on": (a.due_on or today).isoformat(), "what": a.due_what or ""},
        )
        for a in rows
    ]
