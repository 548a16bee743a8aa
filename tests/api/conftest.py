"""A small world for API tests: two companies, a regulator, each with data and tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.assessment import service as applications
from dataport.catalog import service as catalog
from dataport.catalog import sources
from dataport.catalog.models import Dataset
from dataport.config import Settings
from dataport.identity.models import Organisation, OrgKind, Role
from dataport.ledger import service as ledger
from dataport.ledger.models import LedgerEntry
from dataport.transfer import service as transfers
from tests.factories import OPERATOR, Actor, actor, organisation


def inbox_file(settings: Settings, org_id: object, name: str, text: str) -> Path:
    folder = settings.home / "inbox" / str(org_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class World:
    a_admin: Actor
    a_analyst: Actor
    b_admin: Actor
    regulator: Actor
    a_dataset_id: str
    b_dataset_id: str
    b_file: Path
    #: Index in the evidence log of the entry recording B's registration.
    b_log_index: int
    #: B's approved application to send its data abroad, and the approval.
    b_application_id: str
    b_approval_id: str
    #: A transfer B asked for (refused: its destination was never declared).
    b_transfer_id: str


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    a = organisation(session, "Alpha Trading")
    b = organisation(session, "Beta Robotics")
    centre = organisation(session, "Lingang Service Centre", kind=OrgKind.regulator)
    ids = {}
    files = {}
    for org, name in ((a, "alpha-customers"), (b, "beta-secret-telemetry")):
        path = inbox_file(settings, org.id, f"{name}.csv", "vin,owner\nLSVAU2180N2183294,王五\n")
        spec = sources.resolve(str(path))
        inspection = catalog.read_source(OPERATOR, settings, org_id=org.id, spec=spec)
        reg = catalog.register_dataset(
            session, OPERATOR, org=org, name=name, spec=spec, inspection=inspection
        )
        ids[org.id] = str(reg.dataset.id)
        files[org.id] = path
    session.flush()
    ledger.checkpoint(session, settings)
    b_log_index = session.scalar(
        sa.select(LedgerEntry.idx).where(LedgerEntry.org_id == b.id, LedgerEntry.idx.is_not(None))
    )
    assert b_log_index is not None
    b_application, b_approval = _approved_application(session, b, ids[b.id])
    b_transfer = transfers.prepare(
        session,
        OPERATOR,
        settings,
        transfers.TransferRequest(
            dataset=session.get_one(Dataset, uuid.UUID(ids[b.id])),
            recipient=session.scalars(
                sa.select(Organisation).where(Organisation.name == "Gamma Analytics GmbH")
            ).one(),
            destination="nowhere",
        ),
    ).transfer
    return World(
        a_admin=actor(session, a, Role.admin),
        a_analyst=actor(session, a, Role.analyst),
        b_admin=actor(session, b, Role.admin, email="admin@beta-robotics.example"),
        regulator=actor(session, centre, Role.reviewer),
        a_dataset_id=ids[a.id],
        b_dataset_id=ids[b.id],
        b_file=files[b.id],
        b_log_index=b_log_index,
        b_application_id=str(b_application),
        b_approval_id=str(b_approval),
        b_transfer_id=str(b_transfer.id),
    )


def _approved_application(
    session: Session, org: Organisation, dataset_id: str
) -> tuple[object, object]:
    recipient = organisation(session, "Gamma Analytics GmbH", country="DE")
    dataset = session.get_one(Dataset, uuid.UUID(dataset_id))
    day = date(2026, 3, 2)
    application = applications.submit(
        session,
        OPERATOR,
        applications.Submission(
            dataset=dataset,
            recipient=recipient,
            purpose="business",
            individuals=1_500_000,
            retention="1 year",
            storage_location="Munich, DE",
        ),
        on=day,
    )
    applications.confirm_complete(session, OPERATOR, application, on=day)
    applications.accept(session, OPERATOR, application, on=day)
    approval = applications.approve(
        session, OPERATOR, application, scope=applications.Scope((), 1_500_000), on=day
    )
    return application.id, approval.id
