"""Tables of spot-check campaigns (事后抽查核验) and the items they drew."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dataport.db import Base, JSONDoc, new_id, utcnow
from dataport.identity.models import enum_column


class CampaignStatus(enum.StrEnum):
    #: Announced and in the evidence log; the sample is not drawn yet.
    announced = "announced"
    #: The sample was drawn from the checkpoint that followed the announcement.
    drawn = "drawn"
    #: The outcome is recorded in the evidence log.
    concluded = "concluded"


class Outcome(enum.StrEnum):
    compliant = "compliant"
    non_compliant = "non_compliant"


class SpotCheckCampaign(Base):
    __tablename__ = "spot_check_campaign"
    __table_args__ = (sa.CheckConstraint("sample_size > 0", name="sample_size"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    regulator_org_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisation.id"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    #: What is sampled: a key of ``supervision.campaigns.POPULATIONS``.
    population: Mapped[str] = mapped_column(sa.String(32))
    period_from: Mapped[date]
    period_to: Mapped[date]
    sample_size: Mapped[int]
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus, "campaign_status"), index=True
    )
    #: The log's verifier key when the campaign was announced: receipts are checked with it.
    log_key: Mapped[str] = mapped_column(sa.String(300))
    #: The audit event announcing the campaign; its evidence-log entry fixes the population.
    announce_audit_seq: Mapped[int] = mapped_column(sa.BigInteger)
    announced_at: Mapped[datetime] = mapped_column(default=utcnow)
    announced_by: Mapped[str] = mapped_column(sa.String(300))
    announce_index: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: The first signed checkpoint covering the announcement, and the seed taken from it.
    seed_checkpoint_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    seed: Mapped[str | None] = mapped_column(sa.String(64))
    population_size: Mapped[int | None]
    drawn_at: Mapped[datetime | None]
    conclusion: Mapped[str | None] = mapped_column(sa.Text)
    concluded_at: Mapped[datetime | None]
    concluded_by: Mapped[str | None] = mapped_column(sa.String(300))


class SpotCheckItem(Base):
    """One drawn evidence-log entry: its receipt's verification, evidence asked, outcome."""

    __tablename__ = "spot_check_item"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("spot_check_campaign.id"), index=True
    )
    position: Mapped[int]
    log_index: Mapped[int] = mapped_column(sa.BigInteger)
    #: SHA-256(seed ‖ index), hex: the draw took the smallest.
    rank: Mapped[str] = mapped_column(sa.String(64))
    org_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    subject_type: Mapped[str] = mapped_column(sa.String(32))
    subject_id: Mapped[str] = mapped_column(sa.String(64))
    event: Mapped[str] = mapped_column(sa.String(64))
    #: The receipt check: ``{"ok": bool, "checks": [[en, zh], ...], "error": [en, zh] | null}``.
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    verified_at: Mapped[datetime | None]
    evidence_request: Mapped[str | None] = mapped_column(sa.Text)
    evidence_requested_at: Mapped[datetime | None]
    evidence_response: Mapped[str | None] = mapped_column(sa.Text)
    evidence_responded_at: Mapped[datetime | None]
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome, "spot_check_outcome"))
    outcome_note: Mapped[str | None] = mapped_column(sa.Text)
