"""An application's whole life, its deadlines across a Spring Festival, and who may do what."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.assessment import service
from dataport.assessment.models import Application, ApplicationKind, ApplicationStatus, Approval
from dataport.audit.models import AuditEvent
from dataport.catalog import service as catalog
from dataport.catalog import sources
from dataport.config import Settings
from dataport.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dataport.identity.models import Organisation, OrgKind, Role
from dataport.ledger.canonical import canonical_json
from dataport.ledger.models import LedgerEntry
from tests.factories import OPERATOR, Actor, actor, organisation

S = ApplicationStatus


@pytest.fixture
def parties(session: Session, settings: Settings, tmp_path: Path) -> dict[str, object]:
    exporter = organisation(session, "Lingang Motors", registered_zone="lingang")
    recipient = organisation(session, "Rheinwerk GmbH", country="DE")
    centre = organisation(session, "Service Centre", kind=OrgKind.regulator)
    data = tmp_path / "owners.csv"
    data.write_text("vin,owner\nLSVAU2180N2183294,王五\n", encoding="utf-8")
    spec = sources.resolve(str(data))
    inspection = catalog.read_source(OPERATOR, settings, org_id=exporter.id, spec=spec)
    dataset = catalog.register_dataset(
        session,
        OPERATOR,
        org=exporter,
        name="owners",
        spec=spec,
        inspection=inspection,
        sector="automotive",
    ).dataset
    return {
        "exporter": exporter,
        "recipient": recipient,
        "dataset": dataset,
        "officer": actor(session, exporter, Role.data_officer),
        "reviewer": actor(session, centre, Role.reviewer),
        "other": actor(session, organisation(session, "Other Co"), Role.admin),
    }


def submission(parties: dict[str, object], individuals: int, **kw: object) -> service.Submission:
    return service.Submission(
        dataset=parties["dataset"],  # type: ignore[arg-type]
        recipient=parties["recipient"],  # type: ignore[arg-type]
        purpose=str(kw.pop("purpose", "business")),
        individuals=individuals,
        retention="2 years",
        storage_location="Frankfurt, DE",
        **kw,  # type: ignore[arg-type]
    )


def who(parties: dict[str, object], name: str) -> Actor:
    found = parties[name]
    assert isinstance(found, Actor)
    return found


def test_security_assessment_life_across_the_spring_festival(
    session: Session, parties: dict[str, object]
) -> None:
    officer, reviewer = who(parties, "officer"), who(parties, "reviewer")
    app = service.submit(
        session, officer.principal, submission(parties, 1_200_000), on=date(2026, 2, 10)
    )
    assert (app.kind, app.status) == (ApplicationKind.security_assessment, S.submitted)
    assert app.decision["pathway"] == "security_assessment"
    assert (app.due_what, app.due_on) == ("completeness", date(2026, 2, 24))  # Measures Art. 7

    service.request_supplement(
        session,
        reviewer.principal,
        app,
        missing=["legal documents with the recipient"],
        on=date(2026, 2, 12),
    )
    assert app.status is S.supplement_requested
    assert app.due_on is None  # waiting for the exporter; no deadline binds the regulator
    service.resubmit(
        session, officer.principal, app, on=date(2026, 2, 13), note="contract attached"
    )
    assert (app.status, app.due_on) == (S.submitted, date(2026, 2, 27))

    service.confirm_complete(session, reviewer.principal, app, on=date(2026, 2, 13))
    assert (app.due_what, app.due_on) == ("acceptance", date(2026, 3, 2))  # 7 working days
    service.accept(session, reviewer.principal, app, on=date(2026, 2, 24))
    assert (app.due_what, app.due_on) == ("assessment", date(2026, 4, 28))  # 45 working days

    approval = service.approve(
        session,
        reviewer.principal,
        app,
        scope=service.Scope(fields=(), max_individuals=1_200_000),
        on=date(2026, 4, 20),
    )
    assert app.status is S.approved
    assert app.due_on is None
    assert (approval.issued_on, approval.expires_on) == (date(2026, 4, 20), date(2029, 4, 20))
    actions = [e.action for e in service.history(session, app)]
    assert actions == [
        "submit",
        "request_supplement",
        "resubmit",
        "confirm_complete",
        "accept",
        "approve",
    ]
    audited = session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.target_id == str(app.id))
    ).all()
    assert "application.approve" in audited


def test_contract_filing_life(session: Session, parties: dict[str, object]) -> None:
    officer, reviewer = who(parties, "officer"), who(parties, "reviewer")
    app = service.submit(
        session,
        officer.principal,
        submission(parties, 150_000, contract_effective_on=date(2026, 1, 30)),
        on=date(2026, 2, 12),
    )
    assert app.kind is ApplicationKind.contract_filing
    assert (app.due_what, app.due_on) == ("filing_review", date(2026, 3, 11))  # 15 working days
    first = service.history(session, app)[0]
    assert first.details["filing_due"] == "2026-02-13"  # 10 working days after taking effect
    assert first.details["filed_late"] is False
    service.confirm_complete(session, reviewer.principal, app, on=date(2026, 2, 13))
    assert app.status is S.accepted
    approval = service.approve(
        session,
        reviewer.principal,
        app,
        scope=service.Scope(fields=(), max_individuals=150_000),
        on=date(2026, 2, 26),
    )
    assert approval.expires_on is None  # a filed contract has no fixed term


def test_exempt_and_prohibited_transfers_need_no_application(
    session: Session, parties: dict[str, object]
) -> None:
    officer = who(parties, "officer")
    with pytest.raises(InvalidInput, match="no application is needed") as info:
        service.submit(session, officer.principal, submission(parties, 10), on=date(2026, 3, 2))
    assert info.value.field == "pathway"


def test_submission_must_state_retention_and_storage(
    session: Session, parties: dict[str, object]
) -> None:
    officer = who(parties, "officer")
    bad = service.Submission(
        dataset=parties["dataset"],
        recipient=parties["recipient"],
        purpose="business",  # type: ignore[arg-type]
        individuals=200_000,
        retention=" ",
        storage_location="Frankfurt",
    )
    with pytest.raises(InvalidInput) as info:
        service.submit(session, officer.principal, bad, on=date(2026, 3, 2))
    assert info.value.field == "retention"


def test_only_a_regulators_reviewer_moves_an_application(
    session: Session, parties: dict[str, object]
) -> None:
    officer, other = who(parties, "officer"), who(parties, "other")
    app = service.submit(
        session, officer.principal, submission(parties, 200_000), on=date(2026, 3, 2)
    )
    with pytest.raises(PermissionDenied):
        service.confirm_complete(session, officer.principal, app, on=date(2026, 3, 3))
    with pytest.raises(NotFound):
        service.get_application(session, other.principal, app.id)
    assert service.list_applications(session, other.principal) == []
    reviewer = who(parties, "reviewer")
    assert [a.id for a in service.list_applications(session, reviewer.principal)] == [app.id]


def test_steps_out_of_order_are_conflicts(session: Session, parties: dict[str, object]) -> None:
    officer, reviewer = who(parties, "officer"), who(parties, "reviewer")
    app = service.submit(
        session, officer.principal, submission(parties, 1_500_000), on=date(2026, 3, 2)
    )
    with pytest.raises(Conflict, match="cannot approve an application that is submitted"):
        service.approve(
            session, reviewer.principal, app, scope=service.Scope((), 10), on=date(2026, 3, 3)
        )
    with pytest.raises(InvalidInput, match="before the application was received"):
        service.confirm_complete(session, reviewer.principal, app, on=date(2026, 3, 1))
    service.reject(
        session, reviewer.principal, app, reasons=["purpose not necessary"], on=date(2026, 3, 3)
    )
    with pytest.raises(Conflict):
        service.resubmit(session, officer.principal, app, on=date(2026, 3, 4))


def test_scope_cannot_be_wider_than_the_application(
    session: Session, parties: dict[str, object]
) -> None:
    officer, reviewer = who(parties, "officer"), who(parties, "reviewer")
    app = service.submit(
        session,
        officer.principal,
        submission(parties, 1_500_000, fields=("vin", "owner")),
        on=date(2026, 3, 2),
    )
    service.confirm_complete(session, reviewer.principal, app, on=date(2026, 3, 2))
    service.accept(session, reviewer.principal, app, on=date(2026, 3, 3))
    with pytest.raises(InvalidInput, match="not applied for: phone"):
        service.approve(
            session,
            reviewer.principal,
            app,
            scope=service.Scope(fields=("vin", "phone"), max_individuals=10),
            on=date(2026, 3, 4),
        )


def approved(session: Session, parties: dict[str, object], issued: date) -> Approval:
    officer, reviewer = who(parties, "officer"), who(parties, "reviewer")
    app = service.submit(session, officer.principal, submission(parties, 1_000_000), on=issued)
    service.confirm_complete(session, reviewer.principal, app, on=issued)
    service.accept(session, reviewer.principal, app, on=issued)
    return service.approve(
        session, reviewer.principal, app, scope=service.Scope((), 1_000_000), on=issued
    )


def test_extension_window_and_growth_limit(session: Session, parties: dict[str, object]) -> None:
    approval = approved(session, parties, date(2023, 6, 1))
    assert approval.expires_on == date(2026, 6, 1)
    window = service.extension_window(approval)
    assert window.opens == date(2026, 3, 4)  # 60 working days before expiry
    officer = who(parties, "officer")
    with pytest.raises(
        InvalidInput, match="from 2026-03-04 until the result expires on 2026-06-01"
    ):
        service.request_extension(
            session, officer.principal, approval, individuals=1_000_000, on=date(2026, 3, 3)
        )
    with pytest.raises(InvalidInput, match="at most 20% growth"):
        service.request_extension(
            session, officer.principal, approval, individuals=1_200_001, on=date(2026, 3, 4)
        )
    extension = service.request_extension(
        session, officer.principal, approval, individuals=1_200_000, on=date(2026, 3, 4)
    )
    assert extension.kind is ApplicationKind.extension
    reviewer = who(parties, "reviewer")
    service.confirm_complete(session, reviewer.principal, extension, on=date(2026, 3, 5))
    service.accept(session, reviewer.principal, extension, on=date(2026, 3, 6))
    renewed = service.approve(
        session,
        reviewer.principal,
        extension,
        scope=service.Scope((), 1_200_000),
        on=date(2026, 4, 1),
    )
    # Extended by 3 years from the end of the result it extends (Provisions Art. 9).
    assert (renewed.issued_on, renewed.expires_on) == (date(2026, 6, 1), date(2029, 6, 1))


def test_decision_is_stored_with_the_packs_it_used(
    session: Session, parties: dict[str, object]
) -> None:
    officer = who(parties, "officer")
    app = service.submit(
        session, officer.principal, submission(parties, 150_000), on=date(2025, 6, 1)
    )
    session.expire_all()
    stored = session.get_one(Application, app.id)
    assert stored.decision["packs"][0] == "cn-national@2024.03.22"
    assert stored.decision["cumulative"]["individuals"] == 150_000
    assert session.get_one(Organisation, stored.org_id).registered_zone == "lingang"


def test_every_step_is_evidence_in_the_log(session: Session, parties: dict[str, object]) -> None:
    officer, reviewer = who(parties, "officer"), who(parties, "reviewer")
    app = service.submit(
        session, officer.principal, submission(parties, 1_500_000), on=date(2026, 3, 2)
    )
    service.confirm_complete(session, reviewer.principal, app, on=date(2026, 3, 2))
    service.accept(session, reviewer.principal, app, on=date(2026, 3, 3))
    service.approve(
        session, reviewer.principal, app, scope=service.Scope((), 10), on=date(2026, 3, 4)
    )
    records = [
        json.loads(e.data)
        for e in session.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.seq))
    ]
    events = [
        r["event"]
        for r in records
        if r["subject"]["id"] in {str(app.id)} or r["event"] == "approval.issued"
    ]
    assert events == [
        "application.submit",
        "application.confirm_complete",
        "application.accept",
        "application.approve",
        "approval.issued",
    ]
    submitted = next(r for r in records if r["event"] == "application.submit")
    expected = hashlib.sha256(canonical_json(app.decision)).hexdigest()
    assert submitted["facts"]["decision_sha256"] == expected
    assert submitted["facts"]["pathway"] == "security_assessment"
    # Evidence names no person, place or file: ids, hashes, counts and dates only.
    assert "Frankfurt" not in json.dumps(records, ensure_ascii=False)
