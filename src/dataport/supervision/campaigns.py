"""Spot-check campaigns (事后抽查核验): a sample nobody can steer, checked against the log.

1. **Announce.** The campaign (what is sampled, the period, how many) is an evidence-log
   entry. The population is every entry of the sampled kind, dated in the period, that the
   log holds *before* the announcement: it is fixed before anyone can know the seed.
2. **Draw.** The seed is SHA-256 of ``"dataport/spot-check/v1\\n"`` followed by the body
   of the first signed checkpoint that covers the announcement (its origin, size and root
   hash), which did not exist when the campaign was announced. Each entry of the population
   is ranked by SHA-256(seed ‖ its index as 8 bytes big-endian); the ``k`` smallest ranks are
   the sample. Anyone holding the log can recompute both.
3. **Verify.** Each drawn entry's receipt (inclusion proof under the latest checkpoint) is
   verified with the log key recorded when the campaign was announced. A drawn transfer is
   then held to its proven entry: the transfer record must exist, be delivered, and agree
   with the entry on its manifest hash, rows and individuals (fail closed).
4. **Evidence and outcome.** The regulator asks the exporter for evidence; the exporter
   answers; the regulator records an outcome per item and concludes. Each step is in the log.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.assessment.calendar import CHINA, today_in_china
from dataport.audit.models import AuditEvent
from dataport.audit.service import record
from dataport.db import utcnow
from dataport.errors import Conflict, DataportError, InvalidInput, NotFound
from dataport.identity.authz import Permission, Principal, authorize, require
from dataport.ledger import service as ledger
from dataport.ledger.canonical import canonical_json
from dataport.ledger.models import LedgerCheckpoint, LedgerEntry
from dataport.ledger.receipts import Progress, verify_receipt
from dataport.supervision.models import CampaignStatus, Outcome, SpotCheckCampaign, SpotCheckItem
from dataport.transfer.models import Transfer, TransferStatus

#: What a campaign can sample, and the evidence-log events that make up each population.
POPULATIONS: dict[str, tuple[str, ...]] = {
    "approval": ("approval.issued",),
    "application": ("application.submit",),
    "transfer": ("transfer.delivered",),
}
#: What a drawn transfer's record must agree on with its proven delivery entry.
TRANSFER_FACTS = ("manifest_sha256", "rows", "individuals", "sensitive_individuals")
SEED_DOMAIN = b"dataport/spot-check/v1\n"
MAX_SAMPLE = 1000
MAX_TEXT = 2000


def _text(value: str, field: str, en: str, zh: str, limit: int = MAX_TEXT) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"{en} is required", f"请填写{zh}", field=field)
    if len(value) > limit:
        raise InvalidInput(
            f"{en} has at most {limit} characters", f"{zh}最多 {limit} 个字符", field=field
        )
    return value


def announce(
    session: Session,
    principal: Principal,
    *,
    title: str,
    population: str,
    period_from: date,
    period_to: date,
    sample_size: int,
) -> SpotCheckCampaign:
    """Announce a campaign; its entry in the log fixes the population before the seed."""
    require(principal, Permission.spot_check)
    if principal.org_id is None:
        raise InvalidInput(
            "a campaign is announced by a regulator's member",
            "抽查须由监管机构成员发起",
            field="regulator",
        )
    title = _text(title, "title", "a title", "标题", 200)
    if population not in POPULATIONS:
        raise InvalidInput(
            f"unknown population {population!r}; choose one of {', '.join(POPULATIONS)}",
            f"未知的抽查对象 {population!r}；可选：{', '.join(POPULATIONS)}",
            field="population",
        )
    if period_from > period_to:
        raise InvalidInput(
            f"the period starts ({period_from}) after it ends ({period_to})",
            f"期间开始日（{period_from}）晚于结束日（{period_to}）",
            field="period_to",
        )
    if period_to > today_in_china():
        raise InvalidInput(
            f"the period ends in the future ({period_to}): only what happened can be sampled",
            f"期间结束日 {period_to} 晚于今天：只能抽查已发生的事项",
            field="period_to",
        )
    if not 1 <= sample_size <= MAX_SAMPLE:
        raise InvalidInput(
            f"the sample size must be between 1 and {MAX_SAMPLE}",
            f"抽样数量须在 1 至 {MAX_SAMPLE} 之间",
            field="sample_size",
        )
    log = ledger.require_log(session)
    campaign = SpotCheckCampaign(
        regulator_org_id=principal.org_id,
        title=title,
        population=population,
        period_from=period_from,
        period_to=period_to,
        sample_size=sample_size,
        status=CampaignStatus.announced,
        log_key=log.verifier_key,
        announce_audit_seq=0,
        announced_by=principal.actor,
    )
    session.add(campaign)
    session.flush()
    event = record(
        session,
        principal,
        "spot_check.announced",
        target_type="spot_check",
        target_id=campaign.id,
        org_id=principal.org_id,
        population=population,
        period_from=period_from.isoformat(),
        period_to=period_to.isoformat(),
        sample_size=sample_size,
        title=title,
    )
    campaign.announce_audit_seq = event.seq
    session.flush()
    return campaign


def get_campaign(
    session: Session, principal: Principal, campaign_id: uuid.UUID
) -> SpotCheckCampaign:
    """A campaign of the principal's own regulator (another's is reported as absent)."""
    require(principal, Permission.supervision_read)
    campaign = session.get(SpotCheckCampaign, campaign_id)
    if campaign is None or not (
        principal.is_operator or campaign.regulator_org_id == principal.org_id
    ):
        raise NotFound("no such spot-check campaign", "不存在该抽查")
    return campaign


def list_campaigns(session: Session, principal: Principal) -> Sequence[SpotCheckCampaign]:
    require(principal, Permission.supervision_read)
    query = sa.select(SpotCheckCampaign).order_by(SpotCheckCampaign.announced_at.desc())
    if not principal.is_operator:
        query = query.where(SpotCheckCampaign.regulator_org_id == principal.org_id)
    return session.scalars(query).all()


def items_of(session: Session, campaign: SpotCheckCampaign) -> Sequence[SpotCheckItem]:
    return session.scalars(
        sa.select(SpotCheckItem)
        .where(SpotCheckItem.campaign_id == campaign.id)
        .order_by(SpotCheckItem.position)
    ).all()


# -- the draw ------------------------------------------------------------------------------


def seed_from(checkpoint_note: bytes) -> bytes:
    """The seed: SHA-256 of the domain tag and the checkpoint's body (signatures excluded)."""
    body = checkpoint_note.split(b"\n\n", 1)[0] + b"\n"
    return hashlib.sha256(SEED_DOMAIN + body).digest()


def rank(seed: bytes, index: int) -> str:
    return hashlib.sha256(seed + index.to_bytes(8, "big")).hexdigest()


def draw_sample(seed: bytes, population: Sequence[int], k: int) -> list[tuple[int, str]]:
    """The ``k`` indexes of ``population`` with the smallest ranks, smallest first."""
    ranked = sorted((rank(seed, index), index) for index in population)
    return [(index, r) for r, index in ranked[:k]]


@dataclass(frozen=True)
class _Candidate:
    index: int
    org_id: uuid.UUID
    subject_type: str
    subject_id: str
    event: str


def _announcement_index(session: Session, campaign: SpotCheckCampaign) -> int:
    index = session.scalar(
        sa.select(LedgerEntry.idx).where(LedgerEntry.audit_seq == campaign.announce_audit_seq)
    )
    if index is None:
        raise Conflict(
            "the announcement is not in the log yet: the sample can be drawn once a "
            "checkpoint covers it",
            "抽查公告尚未写入日志：待检查点覆盖该公告后方可抽样",
            field="campaign",
        )
    return index


def _seed_checkpoint(session: Session, announce_index: int) -> LedgerCheckpoint:
    found = session.scalars(
        sa.select(LedgerCheckpoint)
        .where(LedgerCheckpoint.size > announce_index)
        .order_by(LedgerCheckpoint.size)
        .limit(1)
    ).first()
    if found is None:
        raise Conflict(
            "no signed checkpoint covers the announcement yet: try again shortly",
            "尚无签名检查点覆盖该公告：请稍后再试",
            field="campaign",
        )
    return found


def _population(
    session: Session, campaign: SpotCheckCampaign, announce_index: int
) -> list[_Candidate]:
    """Entries of the sampled events, dated in the period, logged before the announcement."""
    start = datetime.combine(campaign.period_from, time.min, CHINA)
    end = datetime.combine(campaign.period_to, time.max, CHINA)
    rows = session.execute(
        sa.select(LedgerEntry.idx, LedgerEntry.data, LedgerEntry.org_id)
        .join(AuditEvent, AuditEvent.seq == LedgerEntry.audit_seq)
        .where(
            LedgerEntry.idx.is_not(None),
            LedgerEntry.idx < announce_index,
            LedgerEntry.org_id.is_not(None),
            AuditEvent.action.in_(POPULATIONS[campaign.population]),
        )
        .order_by(LedgerEntry.idx)
    ).all()
    found = []
    for index, data, org_id in rows:
        if index is None or org_id is None:  # pragma: no cover - excluded by the query
            continue
        entry = json.loads(data)
        # The entry's own time decides, as it would for anyone recomputing from the log.
        at = datetime.fromisoformat(str(entry["at"]).replace("Z", "+00:00"))
        if not start <= at <= end:
            continue
        subject = entry.get("subject") or {}
        found.append(
            _Candidate(
                index=int(index),
                org_id=org_id,
                subject_type=str(subject.get("type", "")),
                subject_id=str(subject.get("id", "")),
                event=str(entry.get("event", "")),
            )
        )
    return found


def draw(
    session: Session, principal: Principal, campaign: SpotCheckCampaign
) -> list[SpotCheckItem]:
    """Draw the sample from the checkpoint after the announcement, and verify each receipt."""
    require(principal, Permission.spot_check)
    if campaign.status is not CampaignStatus.announced:
        raise Conflict("the sample was already drawn", "已完成抽样", field="campaign")
    announce_index = _announcement_index(session, campaign)
    checkpoint = _seed_checkpoint(session, announce_index)
    seed = seed_from(checkpoint.note)
    candidates = {c.index: c for c in _population(session, campaign, announce_index)}
    if not candidates:
        raise Conflict(
            "nothing in the log matches this campaign's population and period",
            "日志中没有符合本次抽查对象和期间的记录",
            field="population",
        )
    sample = draw_sample(seed, list(candidates), campaign.sample_size)
    items = []
    for position, (index, item_rank) in enumerate(sample, start=1):
        candidate = candidates[index]
        item = SpotCheckItem(
            campaign_id=campaign.id,
            position=position,
            log_index=index,
            rank=item_rank,
            org_id=candidate.org_id,
            subject_type=candidate.subject_type,
            subject_id=candidate.subject_id,
            event=candidate.event,
        )
        session.add(item)
        items.append(item)
    campaign.announce_index = announce_index
    campaign.seed_checkpoint_size = checkpoint.size
    campaign.seed = seed.hex()
    campaign.population_size = len(candidates)
    campaign.drawn_at = utcnow()
    campaign.status = CampaignStatus.drawn
    session.flush()
    record(
        session,
        principal,
        "spot_check.drawn",
        target_type="spot_check",
        target_id=campaign.id,
        org_id=campaign.regulator_org_id,
        seed_checkpoint=checkpoint.size,
        seed=seed.hex(),
        population_size=len(candidates),
        drawn=[item.log_index for item in items],
    )
    for item in items:
        verify_item(session, campaign, item)
    return items


def verify_item(session: Session, campaign: SpotCheckCampaign, item: SpotCheckItem) -> bool:
    """Check the item's receipt under the latest checkpoint with the campaign's log key."""
    progress = Progress()
    try:
        receipt = ledger.receipt(session, item.log_index)
        verdict = verify_receipt(
            json.dumps(receipt).encode("utf-8"), campaign.log_key, progress=progress
        )
        progress.current = ("the proven entry is the one drawn", "已证明的条目即抽中的条目")
        entry = json.loads(verdict.entry)
        proven = str(entry.get("event", ""))
        if proven != item.event:
            raise RecordMismatch(
                f"the proven entry is a {proven} event, the item says {item.event}",
                f"已证明的条目为 {proven} 事件，而抽查项记为 {item.event}",
            )
        progress.passed.append(progress.current)
        # What the proven entry is, not what the item says, decides the checks it must pass.
        if proven == "transfer.delivered" or campaign.population == "transfer":
            progress.current = (
                "the transfer record agrees with its proven entry",
                "传输记录与已证明的日志条目一致",
            )
            _check_transfer(session, item, entry)
            progress.passed.append(progress.current)
    except DataportError as error:
        item.verification = {
            "ok": False,
            "checks": [list(c) for c in progress.passed],
            "error": [f"{progress.current[0]}: {error.en}", f"{progress.current[1]}：{error.zh}"],
        }
    else:
        item.verification = {
            "ok": True,
            "checks": [list(c) for c in progress.passed],
            "error": None,
        }
    item.verified_at = utcnow()
    session.flush()
    return bool(item.verification["ok"])


class RecordMismatch(DataportError):
    """A record disagrees with the evidence log's entry about it."""

    code = "record_mismatch"
    http_status = 409


def _check_transfer(session: Session, item: SpotCheckItem, entry: dict[str, object]) -> None:
    """The drawn transfer's record is the one the log proves: delivered, same facts."""
    subject = entry.get("subject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    if subject_id != item.subject_id:
        raise RecordMismatch(
            f"the proven entry is about {subject_id}, expected transfer {item.subject_id}",
            f"已证明的条目指向 {subject_id}，应为传输 {item.subject_id}",
        )
    try:
        transfer = session.get(Transfer, uuid.UUID(item.subject_id))
    except ValueError:
        transfer = None
    if transfer is None:
        raise RecordMismatch(
            f"the log proves a delivery of transfer {item.subject_id}, but there is no such record",
            f"日志证明传输 {item.subject_id} 已交付，但不存在该传输记录",
        )
    if transfer.status is not TransferStatus.delivered:
        raise RecordMismatch(
            f"the log proves transfer {transfer.id} was delivered; its record says "
            f"{transfer.status}",
            f"日志证明传输 {transfer.id} 已交付，而记录的状态为 {transfer.status}",
        )
    facts = entry.get("facts")
    proven = facts if isinstance(facts, dict) else {}
    for name in TRANSFER_FACTS:
        expected, actual = proven.get(name), getattr(transfer, name)
        if expected != actual:
            raise RecordMismatch(
                f"transfer {transfer.id}: {name} is {actual!r} in the record, "
                f"{expected!r} in the log",
                f"传输 {transfer.id}：{name} 在记录中为 {actual!r}，在日志中为 {expected!r}",
            )


def receipt_of(session: Session, item: SpotCheckItem) -> dict[str, object]:
    return ledger.receipt(session, item.log_index)


# -- evidence and outcome -----------------------------------------------------------------


def _item(session: Session, campaign: SpotCheckCampaign, item_id: uuid.UUID) -> SpotCheckItem:
    item = session.get(SpotCheckItem, item_id)
    if item is None or item.campaign_id != campaign.id:
        raise NotFound("no such item in this campaign", "本次抽查中没有该项")
    return item


def item_of(session: Session, campaign: SpotCheckCampaign, item_id: uuid.UUID) -> SpotCheckItem:
    return _item(session, campaign, item_id)


def _require_drawn(campaign: SpotCheckCampaign) -> None:
    if campaign.status is not CampaignStatus.drawn:
        raise Conflict(
            f"the campaign is {campaign.status}: this step needs a drawn, open campaign",
            f"抽查状态为 {campaign.status}：此操作仅适用于已抽样且未结束的抽查",
            field="campaign",
        )


def request_evidence(
    session: Session,
    principal: Principal,
    campaign: SpotCheckCampaign,
    item: SpotCheckItem,
    text: str,
) -> None:
    require(principal, Permission.spot_check)
    _require_drawn(campaign)
    item.evidence_request = _text(text, "request", "what evidence is asked for", "所需证明材料")
    item.evidence_requested_at = utcnow()
    session.flush()
    record(
        session,
        principal,
        "spot_check.evidence_requested",
        target_type="spot_check_item",
        target_id=item.id,
        org_id=item.org_id,
        campaign=str(campaign.id),
        log_index=item.log_index,
    )


def evidence_requests(
    session: Session, principal: Principal
) -> Sequence[tuple[SpotCheckItem, SpotCheckCampaign]]:
    """Evidence asked of the principal's organisation, newest first."""
    visible = principal.visible_org_ids(Permission.dataset_read)
    query = (
        sa.select(SpotCheckItem, SpotCheckCampaign)
        .join(SpotCheckCampaign, SpotCheckCampaign.id == SpotCheckItem.campaign_id)
        .where(SpotCheckItem.evidence_requested_at.is_not(None))
        .order_by(SpotCheckItem.evidence_requested_at.desc())
    )
    if visible is not None:
        query = query.where(SpotCheckItem.org_id.in_(visible))
    return [(item, campaign) for item, campaign in session.execute(query).all()]


def respond(session: Session, principal: Principal, item_id: uuid.UUID, text: str) -> SpotCheckItem:
    """The exporter's answer to an evidence request about one of its records."""
    item = session.get(SpotCheckItem, item_id)
    if item is None or item.evidence_requested_at is None:
        raise NotFound("no such evidence request", "不存在该证明材料要求")
    authorize(
        principal,
        Permission.dataset_write,
        item.org_id,
        read_permission=Permission.dataset_read,
        what="request",
    )
    campaign = session.get_one(SpotCheckCampaign, item.campaign_id)
    _require_drawn(campaign)
    answer = _text(text, "response", "the answer", "答复", MAX_TEXT * 5)
    item.evidence_response = answer
    item.evidence_responded_at = utcnow()
    session.flush()
    record(
        session,
        principal,
        "spot_check.evidence_submitted",
        target_type="spot_check_item",
        target_id=item.id,
        org_id=item.org_id,
        campaign=str(campaign.id),
        log_index=item.log_index,
        sha256=hashlib.sha256(answer.encode("utf-8")).hexdigest(),
    )
    return item


def record_outcome(
    session: Session,
    principal: Principal,
    campaign: SpotCheckCampaign,
    item: SpotCheckItem,
    *,
    outcome: str,
    note: str,
) -> None:
    require(principal, Permission.spot_check)
    _require_drawn(campaign)
    try:
        item.outcome = Outcome(outcome)
    except ValueError as exc:
        raise InvalidInput(
            "choose compliant or non-compliant", "请选择合规或不合规", field="outcome"
        ) from exc
    item.outcome_note = note.strip()[:MAX_TEXT] or None
    session.flush()


def conclude(
    session: Session, principal: Principal, campaign: SpotCheckCampaign, conclusion: str
) -> None:
    """Close the campaign; its outcomes enter the log by their hash."""
    require(principal, Permission.spot_check)
    _require_drawn(campaign)
    items = items_of(session, campaign)
    open_items = [i.position for i in items if i.outcome is None]
    if open_items:
        raise InvalidInput(
            f"record an outcome for every item first (missing: {', '.join(map(str, open_items))})",
            f"请先为每一项记录结论（尚缺第 {'、'.join(map(str, open_items))} 项）",
            field="conclusion",
        )
    campaign.conclusion = _text(conclusion, "conclusion", "a conclusion", "结论")
    campaign.concluded_at = utcnow()
    campaign.concluded_by = principal.actor
    campaign.status = CampaignStatus.concluded
    session.flush()
    outcomes = [
        {
            "index": i.log_index,
            "verified": bool(i.verification and i.verification.get("ok")),
            "outcome": str(i.outcome),
        }
        for i in items
    ]
    record(
        session,
        principal,
        "spot_check.concluded",
        target_type="spot_check",
        target_id=campaign.id,
        org_id=campaign.regulator_org_id,
        items=len(items),
        verified=sum(1 for o in outcomes if o["verified"]),
        compliant=sum(1 for i in items if i.outcome is Outcome.compliant),
        non_compliant=sum(1 for i in items if i.outcome is Outcome.non_compliant),
        outcomes_sha256=hashlib.sha256(canonical_json(outcomes)).hexdigest(),
    )
