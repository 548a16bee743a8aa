"""What a domain event puts in the log: a canonical JSON record of ids, hashes and counts.

The log is public evidence, so an entry holds no personal data and nothing an organisation
would keep to itself: no names, no e-mail addresses, no file paths or URLs. It carries the
event, its time, the random ids of the organisation and the record, and the facts worth
proving (a content hash, a version number, a row count, which right went to whom).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dataport.audit.models import AuditEvent
from dataport.ledger.canonical import canonical_json
from dataport.ledger.models import LedgerEntry

ENTRY_TYPE = "dataport.evidence/v1"
#: Set on a session that queued an entry, so the caller can run the sequencer after commit.
QUEUED = "dataport.ledger.queued"

#: The audit actions that are evidence, and the detail fields their entries keep.
EVIDENCE_FIELDS: dict[str, tuple[str, ...]] = {
    "dataset.registered": ("version", "content_hash", "rows", "zone", "sector"),
    "dataset.version_recorded": ("version", "content_hash", "rows"),
    "dataset.right_assigned": ("right", "holder", "previous_holder"),
    # A scan enters by its result's hash, with the counts and grade the rules turn on.
    "dataset.scanned": (
        "version",
        "content_hash",
        "result_hash",
        "mode",
        "rows",
        "dataset_grade",
        "individuals",
        "sensitive_individuals",
        "minors",
        "important_data",
    ),
    # The rules engine's decision enters the log by its hash, with the pathway it reached.
    "application.submit": (
        "kind",
        "pathway",
        "decision_sha256",
        "status",
        "due_on",
        "filing_due",
        "filed_late",
        "extends",
    ),
    "application.request_supplement": ("status", "due_on"),
    "application.resubmit": ("status", "due_on"),
    "application.confirm_complete": ("status", "due_on"),
    "application.accept": ("status", "due_on"),
    "application.approve": ("status", "max_individuals"),
    "application.reject": ("status",),
    "approval.issued": ("application", "expires_on", "max_individuals"),
    "report.generated": ("kind", "format", "sha256", "application", "dataset_version"),
    # Spot checks: the announcement fixes the population before the seed exists; the draw
    # names the checkpoint its seed came from; the outcome enters by its hash.
    "spot_check.announced": ("population", "period_from", "period_to", "sample_size"),
    "spot_check.drawn": ("seed_checkpoint", "seed", "population_size", "drawn"),
    "spot_check.evidence_requested": ("campaign", "log_index"),
    "spot_check.evidence_submitted": ("campaign", "log_index", "sha256"),
    "spot_check.concluded": ("items", "verified", "compliant", "non_compliant", "outcomes_sha256"),
    # Transfers: what left (a version's hash, counts, the decision's hash) or why it did not.
    "transfer.refused": (
        "dataset",
        "dataset_version",
        "content_hash",
        "recipient",
        "approval",
        "pathway",
        "decision_sha256",
        "rows",
        "individuals",
        "sensitive_individuals",
        "reasons",
    ),
    "transfer.delivered": (
        "dataset",
        "dataset_version",
        "content_hash",
        "recipient",
        "approval",
        "pathway",
        "decision_sha256",
        "manifest_sha256",
        "rows",
        "individuals",
        "sensitive_individuals",
        "k_anonymity",
    ),
    "transfer.aborted": ("reasons",),
}


def evidence_record(event: AuditEvent) -> dict[str, Any] | None:
    """The entry for an audit event, or None when the action is not evidence."""
    fields = EVIDENCE_FIELDS.get(event.action)
    if fields is None:
        return None
    return {
        "type": ENTRY_TYPE,
        "event": event.action,
        "at": event.at.isoformat().replace("+00:00", "Z"),
        "org": str(event.org_id) if event.org_id else None,
        "subject": {"type": event.target_type, "id": event.target_id},
        "audit_seq": event.seq,
        "facts": {key: event.details[key] for key in fields if key in event.details},
    }


def queue_evidence(session: Session, event: AuditEvent) -> LedgerEntry | None:
    """Queues the event's entry in the caller's transaction: both commit or neither does."""
    record = evidence_record(event)
    if record is None:
        return None
    entry = LedgerEntry(data=canonical_json(record), org_id=event.org_id, audit_seq=event.seq)
    session.add(entry)
    session.flush()
    session.info[QUEUED] = True
    return entry
