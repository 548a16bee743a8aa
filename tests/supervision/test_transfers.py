"""Supervision over recorded transfers: the flows the dashboard counts, the alerts they raise,
and spot checks that hold each drawn transfer to its receipt in the evidence log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.assessment.calendar import today_in_china
from dataport.config import Settings
from dataport.errors import PermissionDenied
from dataport.identity.authz import Principal
from dataport.identity.models import Member, Organisation
from dataport.identity.signin import _principal
from dataport.ledger import service as ledger
from dataport.supervision import campaigns
from dataport.supervision.alerts import alerts
from dataport.supervision.flows import recorded_flows, sent_in_window, tally_by, year_counts
from dataport.transfer.models import Transfer, TransferStatus
from tests.web.world import Console, Transfers, build, send_transfers


@pytest.fixture
def sessions(connection: sa.Connection) -> Callable[[], Session]:
    def make() -> Session:
        return Session(bind=connection, join_transaction_mode="create_savepoint")

    return make


@pytest.fixture
def traded(
    session: Session, sessions: Callable[[], Session], settings: Settings
) -> tuple[Console, Transfers]:
    console = build(session, settings)
    session.flush()
    sent = send_transfers(sessions, settings, console, today_in_china())
    session.expire_all()
    return console, sent


def member(session: Session, email: str) -> Principal:
    found = session.scalars(sa.select(Member).where(Member.email == email)).one()
    return _principal(found, session.get_one(Organisation, found.org_id))


def test_recorded_flows_count_what_left_and_list_what_was_refused(
    session: Session, traded: tuple[Console, Transfers]
) -> None:
    console, sent = traded
    today = today_in_china()
    reviewer = member(session, console.reviewer)
    flows = recorded_flows(session, reviewer, start=today - timedelta(days=400), end=today)
    left = [f for f in flows if f.counted]
    refused = {f.transfer_id: f for f in flows if f.status is TransferStatus.refused}
    assert {f.transfer_id for f in left} == set(sent.delivered)
    assert set(refused) == {sent.refused, sent.b_transfer}
    assert refused[sent.refused].reasons == ("approval_columns",)
    assert refused[sent.b_transfer].reasons == ("approval_required",)
    by_country = tally_by(left, "country")
    assert set(by_country) == {"DE", "SG", "US"}
    total = session.scalar(
        sa.select(sa.func.sum(Transfer.individuals)).where(
            Transfer.status == TransferStatus.delivered
        )
    )
    assert sum(t.individuals for t in by_country.values()) == total


def test_an_exporter_cannot_read_the_recorded_flows(
    session: Session, traded: tuple[Console, Transfers]
) -> None:
    console, _ = traded
    with pytest.raises(PermissionDenied):
        recorded_flows(
            session,
            member(session, console.a_officer),
            start=today_in_china(),
            end=today_in_china(),
        )


def test_the_window_counts_are_the_ones_the_rules_engine_uses(
    session: Session, traded: tuple[Console, Transfers]
) -> None:
    console, _ = traded
    today = today_in_china()
    counted = sent_in_window(session, console.a.id, today)
    rows = session.scalars(
        sa.select(Transfer).where(
            Transfer.org_id == console.a.id,
            Transfer.status == TransferStatus.delivered,
            Transfer.on >= counted.window_from,
        )
    ).all()
    assert counted.transfers == len(rows) > 0
    assert counted.individuals == sum(t.individuals for t in rows)
    assert counted.sensitive_individuals == sum(t.sensitive_individuals for t in rows)
    year = year_counts(session, [console.a.id], today.year)[console.a.id]
    assert year.sent_individuals == sum(t.individuals for t in rows if t.on.year == today.year)


def test_alerts_name_the_transfer_outside_scope_and_the_unusual_one(
    session: Session, traded: tuple[Console, Transfers]
) -> None:
    console, sent = traded
    found = alerts(session, member(session, console.reviewer), today_in_china())
    outside = {a.transfer_id: a for a in found if a.kind == "outside_scope"}
    assert set(outside) == {sent.refused, sent.b_transfer}
    assert outside[sent.refused].severity == "high"
    reasons = outside[sent.refused].values["reasons"]
    assert isinstance(reasons, list)
    assert [r["code"] for r in reasons] == ["approval_columns"]
    unusual = [a for a in found if a.kind == "unusual_transfer"]
    assert [a.transfer_id for a in unusual] == [sent.unusual]
    assert unusual[0].values["usual"] == 300  # the median of the monthly deliveries


def _drawn(
    session: Session, settings: Settings, console: Console, size: int
) -> campaigns.SpotCheckCampaign:
    reviewer = member(session, console.reviewer)
    today = today_in_china()
    campaign = campaigns.announce(
        session,
        reviewer,
        title="出境传输抽查",
        population="transfer",
        period_from=today - timedelta(days=30),
        period_to=today,
        sample_size=size,
    )
    ledger.checkpoint(session, settings)
    campaigns.draw(session, reviewer, campaign)
    return campaign


def test_a_transfer_spot_check_verifies_each_receipt_and_the_record_behind_it(
    session: Session, settings: Settings, traded: tuple[Console, Transfers]
) -> None:
    console, sent = traded
    campaign = _drawn(session, settings, console, 4)
    items = campaigns.items_of(session, campaign)
    assert campaign.population_size == len(sent.delivered)
    assert len(items) == 4
    assert {i.event for i in items} == {"transfer.delivered"}
    assert {i.subject_id for i in items} <= {str(t) for t in sent.delivered}
    for item in items:
        assert item.verification is not None
        assert item.verification["ok"], item.verification
        checks = [c[0] for c in item.verification["checks"]]
        assert checks[-1] == "the transfer record agrees with its proven entry"


def test_a_record_that_disagrees_with_the_log_fails_the_check(
    session: Session, settings: Settings, traded: tuple[Console, Transfers]
) -> None:
    console, _ = traded
    campaign = _drawn(session, settings, console, 2)
    first, second = campaigns.items_of(session, campaign)
    changed = session.get_one(Transfer, uuid.UUID(first.subject_id))
    changed.individuals += 1  # the record edited after the fact
    session.flush()
    assert campaigns.verify_item(session, campaign, first) is False
    assert first.verification is not None
    assert "individuals" in first.verification["error"][0]
    assert "in the log" in first.verification["error"][0]
    session.get_one(Transfer, uuid.UUID(second.subject_id)).status = TransferStatus.aborted
    session.flush()
    assert campaigns.verify_item(session, campaign, second) is False
    assert second.verification is not None
    assert "aborted" in second.verification["error"][0]


def test_an_item_relabelled_in_the_database_is_still_held_to_its_proven_entry(
    session: Session, settings: Settings, traded: tuple[Console, Transfers]
) -> None:
    console, _ = traded
    campaign = _drawn(session, settings, console, 1)
    (item,) = campaigns.items_of(session, campaign)
    session.get_one(Transfer, uuid.UUID(item.subject_id)).individuals += 1
    item.event = "approval.issued"  # the item no longer says it is a delivery
    session.flush()
    assert campaigns.verify_item(session, campaign, item) is False
    assert item.verification is not None
    assert "transfer.delivered" in item.verification["error"][0]
