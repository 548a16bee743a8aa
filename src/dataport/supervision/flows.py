"""Flows abroad as the regulator sees them, and the thresholds of the year they count against.

A flow is one cross-border activity with its exporter, day, recipient country, sector,
pathway and individuals. The flows that left are the transfers the exporters recorded
(``recorded_flows``: delivered, under way, and refused); the applications they declared to
the regulator (``declared_flows``) remain what the review queue and approvals turn on. The
thresholds are read from the national rule pack in force, never typed here.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from dataport.assessment.models import Application, ApplicationKind, ApplicationStatus, Approval
from dataport.catalog.models import Dataset
from dataport.identity.authz import Permission, Principal, require
from dataport.identity.models import Organisation
from dataport.rules.engine import counting_window
from dataport.rules.pack import Pathway, RulePack, Text, shipped_packs
from dataport.transfer.history import COUNTED, history_of
from dataport.transfer.models import Transfer, TransferStatus

#: Share of a threshold from which an exporter is "nearing" it.
NEARING = 0.9


@dataclass(frozen=True)
class Flow:
    application_id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    dataset_id: uuid.UUID
    day: date
    country: str
    sector: str
    pathway: str
    status: ApplicationStatus
    individuals: int
    sensitive_individuals: int


def declared_flows(session: Session, principal: Principal, *, start: date, end: date) -> list[Flow]:
    """Applications received in ``[start, end]``, across organisations (extensions excluded:
    they continue a flow already counted)."""
    require(principal, Permission.supervision_read)
    rows = session.execute(
        sa.select(Application, Dataset.sector, Organisation.name)
        .join(Dataset, Dataset.id == Application.dataset_id)
        .join(Organisation, Organisation.id == Application.org_id)
        .where(
            Application.received_on >= start,
            Application.received_on <= end,
            Application.kind != ApplicationKind.extension,
        )
        .order_by(Application.received_on)
    ).all()
    return [
        Flow(
            application_id=a.id,
            org_id=a.org_id,
            org_name=name,
            dataset_id=a.dataset_id,
            day=a.received_on,
            country=a.recipient_country,
            sector=sector,
            pathway=str(a.decision.get("pathway", "")),
            status=a.status,
            individuals=a.individuals,
            sensitive_individuals=a.sensitive_individuals,
        )
        for a, sector, name in rows
    ]


@dataclass(frozen=True)
class TransferFlow:
    """One recorded transfer, as the dashboard counts it."""

    transfer_id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    dataset_id: uuid.UUID
    dataset_name: str
    day: date
    #: The recipient's country (where the data goes to be processed).
    country: str
    sector: str
    pathway: str
    status: TransferStatus
    individuals: int
    sensitive_individuals: int
    reasons: tuple[str, ...]

    @property
    def counted(self) -> bool:
        """Delivered or under way: it left (or is leaving) and counts toward the thresholds."""
        return self.status in COUNTED


def recorded_flows(
    session: Session, principal: Principal, *, start: date, end: date
) -> list[TransferFlow]:
    """Every transfer recorded with a day in ``[start, end]``, across organisations."""
    require(principal, Permission.supervision_read)
    recipient = aliased(Organisation)
    rows = session.execute(
        sa.select(Transfer, Dataset.sector, Dataset.name, Organisation.name, recipient.country)
        .join(Dataset, Dataset.id == Transfer.dataset_id)
        .join(Organisation, Organisation.id == Transfer.org_id)
        .join(recipient, recipient.id == Transfer.recipient_org_id)
        .where(Transfer.on >= start, Transfer.on <= end)
        .order_by(Transfer.on, Transfer.created_at)
    ).all()
    return [
        TransferFlow(
            transfer_id=t.id,
            org_id=t.org_id,
            org_name=name,
            dataset_id=t.dataset_id,
            dataset_name=dataset_name,
            day=t.on,
            country=country,
            sector=sector,
            pathway=t.pathway,
            status=t.status,
            individuals=t.individuals,
            sensitive_individuals=t.sensitive_individuals,
            reasons=tuple(str(r.get("code", "")) for r in t.reasons),
        )
        for t, sector, dataset_name, name, country in rows
    ]


@dataclass
class Tally:
    individuals: int = 0
    sensitive_individuals: int = 0
    datasets: int = 0
    flows: int = 0


def tally_by(flows: Iterable[Flow | TransferFlow], key: str) -> dict[str, Tally]:
    """Individuals, distinct datasets and flows per value of ``key`` (month, country, …)."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    datasets: dict[str, set[uuid.UUID]] = defaultdict(set)
    for flow in flows:
        value = flow.day.strftime("%Y-%m") if key == "month" else str(getattr(flow, key))
        tally = tallies[value]
        tally.individuals += flow.individuals
        tally.sensitive_individuals += flow.sensitive_individuals
        tally.flows += 1
        datasets[value].add(flow.dataset_id)
    for value, ids in datasets.items():
        tallies[value].datasets = len(ids)
    return dict(sorted(tallies.items()))


# -- thresholds --------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """A count the national pack's rules turn on, e.g. 100,000 individuals in the year."""

    fact: str
    value: int
    pathway: Pathway
    rule: str
    title: Text


_COUNTED = {
    "cumulative_individuals": "individuals",
    "cumulative_sensitive_individuals": "sensitive_individuals",
}


def _lower_bounds(condition: Any) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    if isinstance(condition, Mapping):
        for key, value in condition.items():
            if key in ("all", "any") and isinstance(value, list):
                for part in value:
                    found += _lower_bounds(part)
            elif key in _COUNTED and isinstance(value, Mapping):
                for op in ("gte", "gt"):
                    if isinstance(value.get(op), int):
                        found.append((key, int(value[op]) + (1 if op == "gt" else 0)))
    return found


def thresholds(pack: RulePack) -> list[Threshold]:
    """Cumulative-count thresholds of a pack's trigger rules, smallest first per fact."""
    found = {
        (fact, bound): Threshold(fact, bound, rule.pathway, rule.id, rule.title)
        for rule in pack.rules
        if rule.stage == "trigger"
        for fact, bound in _lower_bounds(rule.when)
    }
    return sorted(found.values(), key=lambda t: (t.fact, t.value))


def national_thresholds(day: date) -> tuple[RulePack, list[Threshold]]:
    pack = shipped_packs().national(day).pack
    return pack, thresholds(pack)


@dataclass(frozen=True)
class YearCounts:
    """An exporter's volumes in the counting year: applied for, and approved to leave."""

    year: int
    applied_individuals: int
    applied_sensitive: int
    approved_individuals: int
    approved_sensitive: int
    #: Sent by the exporter's recorded transfers (delivered or under way) in the year.
    sent_individuals: int = 0
    sent_sensitive: int = 0


def _sums_by_org(
    session: Session,
    org_ids: Sequence[uuid.UUID],
    columns: tuple[Any, Any, Any],
    *where: sa.ColumnElement[bool],
) -> dict[uuid.UUID, tuple[int, int]]:
    """Per organisation: the sums of the two counted columns over the rows ``where`` selects."""
    org, individuals, sensitive = columns
    sums = dict.fromkeys(org_ids, (0, 0))
    for org_id, n, s in session.execute(
        sa.select(org, sa.func.sum(individuals), sa.func.sum(sensitive))
        .where(org.in_(org_ids), *where)
        .group_by(org)
    ).all():
        sums[org_id] = (int(n or 0), int(s or 0))
    return sums


def year_counts(
    session: Session, org_ids: Sequence[uuid.UUID], year: int
) -> dict[uuid.UUID, YearCounts]:
    """Per organisation: individuals applied for (not rejected), approved, and sent by
    transfers in ``year``."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    applied = _sums_by_org(
        session,
        org_ids,
        (Application.org_id, Application.individuals, Application.sensitive_individuals),
        Application.received_on.between(start, end),
        Application.status != ApplicationStatus.rejected,
        Application.kind != ApplicationKind.extension,
    )
    approved = _sums_by_org(
        session,
        org_ids,
        (Approval.org_id, Approval.max_individuals, Approval.max_sensitive_individuals),
        Approval.issued_on.between(start, end),
    )
    sent = _sums_by_org(
        session,
        org_ids,
        (Transfer.org_id, Transfer.individuals, Transfer.sensitive_individuals),
        Transfer.on.between(start, end),
        Transfer.status.in_(COUNTED),
    )
    return {
        org_id: YearCounts(year, *applied[org_id], *approved[org_id], *sent[org_id])
        for org_id in org_ids
    }


def share(count: int, threshold: Threshold) -> float:
    return count / threshold.value if threshold.value else 0.0


@dataclass(frozen=True)
class Cumulative:
    """An exporter's individuals sent abroad in the counting window, from its transfers."""

    window_from: date
    window_to: date
    individuals: int
    sensitive_individuals: int
    transfers: int


def sent_in_window(session: Session, org_id: uuid.UUID, as_of: date) -> Cumulative:
    """What the rules engine would count for the exporter's next transfer on ``as_of``."""
    pack = shipped_packs().national(as_of).pack
    start = counting_window(as_of, pack.counting_window)
    entries = [e for e in history_of(session, org_id, until=as_of) if e.date >= start]
    return Cumulative(
        window_from=start,
        window_to=as_of,
        individuals=sum(e.individuals for e in entries),
        sensitive_individuals=sum(e.sensitive_individuals for e in entries),
        transfers=len(entries),
    )
