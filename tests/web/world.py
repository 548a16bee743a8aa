"""A small world for console tests: two companies, a regulator, people with passwords."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.assessment import service as applications
from dataport.assessment.calendar import today_in_china
from dataport.catalog import service as catalog
from dataport.catalog import sources
from dataport.catalog.models import Dataset, Zone
from dataport.config import Settings
from dataport.identity import service as identity
from dataport.identity import signin
from dataport.identity.models import Member, Organisation, OrgKind, Role
from dataport.ledger.service import unit_of_work
from dataport.samples.customers import customers, write_csv
from dataport.transfer import runner
from dataport.transfer import service as transfers
from dataport.transfer.policy import parse_policy
from tests.factories import OPERATOR, organisation

PASSWORD = "correct horse battery staple"


@dataclass
class Console:
    a: Organisation
    b: Organisation
    regulator: Organisation
    a_officer: str
    a_analyst: str
    b_admin: str
    reviewer: str
    regulator_analyst: str
    a_dataset_id: uuid.UUID
    b_dataset_id: uuid.UUID
    b_application_id: uuid.UUID
    #: Set once ``send_transfers`` made them.
    transfers: Transfers | None = None


def person(session: Session, org: Organisation, email: str, role: Role, name: str) -> str:
    member: Member = identity.add_member(
        session, OPERATOR, org=org, email=email, display_name=name, role=role
    )
    signin.set_password(session, OPERATOR, member, PASSWORD)
    return email


def register(session: Session, settings: Settings, org: Organisation, name: str) -> Dataset:
    folder = settings.home / "inbox" / str(org.id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    path.write_text("vin,owner\nLSVAU2180N2183294,王五\n", encoding="utf-8")
    spec = sources.resolve(str(path))
    inspection = catalog.read_source(OPERATOR, settings, org_id=org.id, spec=spec)
    reg = catalog.register_dataset(
        session, OPERATOR, org=org, name=name, spec=spec, inspection=inspection, sector="automotive"
    )
    return reg.dataset


def build(session: Session, settings: Settings) -> Console:
    a = organisation(session, "星海智能科技", registered_zone="lingang")
    b = organisation(session, "Beta Robotics")
    centre = organisation(session, "临港数据跨境服务中心", kind=OrgKind.regulator)
    recipient = organisation(session, "Rheinwerk Analytics GmbH", country="DE")
    a_data = register(session, settings, a, "车主数据")
    b_data = register(session, settings, b, "beta-secret-telemetry")
    application = applications.submit(
        session,
        OPERATOR,
        applications.Submission(
            dataset=b_data,
            recipient=recipient,
            purpose="business",
            individuals=1_500_000,
            retention="1 year",
            storage_location="Munich, DE",
        ),
        # Arrived twelve days ago: its completeness check is now overdue.
        on=today_in_china() - timedelta(days=12),
    )
    return Console(
        a=a,
        b=b,
        regulator=centre,
        a_officer=person(session, a, "dpo@xinghai.example.cn", Role.data_officer, "李明"),
        a_analyst=person(session, a, "analyst@xinghai.example.cn", Role.analyst, "赵雪"),
        b_admin=person(session, b, "admin@beta-robotics.example", Role.admin, "Bea"),
        reviewer=person(session, centre, "reviewer@lgdata.example.cn", Role.reviewer, "王芳"),
        regulator_analyst=person(session, centre, "analyst@lgdata.example.cn", Role.analyst, "周"),
        a_dataset_id=a_data.id,
        b_dataset_id=b_data.id,
        b_application_id=application.id,
    )


# -- transfers -------------------------------------------------------------------------------

#: Recipients abroad, one per country.
RECIPIENTS = {
    "DE": "Rheinwerk Analytics GmbH",
    "SG": "Lion City Insights Pte. Ltd.",
    "US": "Lakeshore Data Inc.",
    "JP": "Sakura Analytics K.K.",
    "GB": "Thames Risk Partners Ltd.",
}
#: Columns without personal information: such a transfer needs no approval.
TRADE = ("注册时间", "累计消费金额", "会员等级")


def recipient(session: Session, country: str) -> Organisation:
    found = session.scalars(
        sa.select(Organisation).where(Organisation.name == RECIPIENTS[country])
    ).first()
    return found or organisation(session, RECIPIENTS[country], country=country)


#: The demo's policy: the phone number masked, the tier a quasi-identifier.
POLICY = {"columns": {"手机号": "mask"}, "quasi_identifiers": ["会员等级"]}
SENT = ("客户编号", "手机号", "会员等级")
#: A column the approvals do not cover: asking for it is refused.
OUTSIDE = "电子邮箱"


@dataclass
class Transfers:
    """Transfers made through the transfer service, as ``dataport demo`` makes them."""

    outbox: Path
    #: A's delivered transfers, oldest first, and the one refused as outside its scope.
    delivered: list[uuid.UUID]
    refused: uuid.UUID
    #: The largest of A's transfers, well above its usual volume.
    unusual: uuid.UUID
    #: B's transfer (refused: B holds no approval), never to be shown to A.
    b_transfer: uuid.UUID
    recipients: dict[str, uuid.UUID]


def _customers_dataset(
    session: Session,
    settings: Settings,
    org: Organisation,
    name: str,
    rows: int,
    seed: int,
    sector: str = "ecommerce",
) -> Dataset:
    folder = settings.home / "inbox" / str(org.id)
    path = write_csv(customers(rows, seed=seed, today=date(2026, 1, 1)), folder / f"{name}.csv")
    spec = sources.resolve(str(path))
    inspection = catalog.read_source(OPERATOR, settings, org_id=org.id, spec=spec)
    return catalog.register_dataset(
        session, OPERATOR, org=org, name=name, spec=spec, inspection=inspection, sector=sector,
    ).dataset  # fmt: skip


def _approval(session: Session, dataset: Dataset, recipient: Organisation, on: date) -> uuid.UUID:
    application = applications.submit(
        session,
        OPERATOR,
        applications.Submission(
            dataset=dataset, recipient=recipient, purpose="business", individuals=20_000,
            sensitive_individuals=1_000, fields=SENT, retention="2 years",
            storage_location=f"{recipient.country} data centre", contract_effective_on=on,
        ),
        on=on,
    )  # fmt: skip
    applications.confirm_complete(session, OPERATOR, application, on=on)
    approval = applications.approve(
        session, OPERATOR, application, scope=applications.Scope(SENT, 20_000, 1_000), on=on
    )
    return approval.id


def send_transfers(
    sessions: Callable[[], Session], settings: Settings, console: Console, today: date
) -> Transfers:
    """Several months of A's transfers to three countries, one refused and one unusually
    large, and B's refused one; each through ``runner.run`` with a real package delivered."""
    outbox = settings.home / "outbox"
    # About monthly deliveries of the usual size over the last ten months; then, in this
    # year, one refused as outside its scope and one five times the usual size.
    first = today - timedelta(days=330)
    monthly = [first + timedelta(days=10 + 30 * i) for i in range(10)]

    def recent(days: int) -> date:
        return max(today - timedelta(days=days), date(today.year, 1, 1))

    with unit_of_work(sessions, settings) as session:
        a = session.get_one(Organisation, console.a.id)
        b = session.get_one(Organisation, console.b.id)
        recipients = {c: recipient(session, c) for c in ("DE", "SG", "US")}
        members = _customers_dataset(session, settings, a, "会员数据", 300, 11)
        full = _customers_dataset(session, settings, a, "会员数据-全量", 1500, 12)
        b_data = _customers_dataset(session, settings, b, "beta-customers", 200, 13)
        approvals = {
            (members.id, c): _approval(session, members, recipients[c], first) for c in ("DE", "SG")
        }
        approvals[(full.id, "US")] = _approval(session, full, recipients["US"], first)
        for org, country in ((a, "DE"), (a, "SG"), (a, "US"), (b, "DE")):
            name = f"{country.lower()}-1"
            (outbox / str(org.id) / name).mkdir(parents=True, exist_ok=True)
            transfers.declare_destination(
                session, OPERATOR, settings, org=org, name=name,
                url=str(outbox / str(org.id) / name), zone=Zone.domestic, country=country,
            )  # fmt: skip
        ids = {c: r.id for c, r in recipients.items()}
        dataset_ids = (members.id, full.id, b_data.id)
    policy = parse_policy(POLICY)

    def send(dataset: uuid.UUID, country: str, on: date, **extra: object) -> runner.Outcome:
        order = runner.Order(
            dataset_id=dataset, recipient_id=ids[country], destination=f"{country.lower()}-1",
            approval_id=approvals.get((dataset, country)), columns=SENT, policy=policy,
        )  # fmt: skip
        if extra:
            order = replace(order, **extra)  # type: ignore[arg-type]
        return runner.run(sessions, settings, OPERATOR, order, on=on)

    members_id, full_id, b_id = dataset_ids
    delivered = []
    plan = ["DE", "SG", "DE", "DE", "SG", "DE", "SG", "DE", "SG", "DE"]
    for day, country in zip(monthly, plan, strict=True):
        delivered.append(send(members_id, country, day).transfer_id)
    refused = send(members_id, "DE", recent(3), columns=(*SENT, OUTSIDE)).transfer_id
    unusual = send(full_id, "US", recent(2)).transfer_id
    delivered.append(unusual)
    b_transfer = send(b_id, "DE", recent(1)).transfer_id
    console.transfers = Transfers(outbox, delivered, refused, unusual, b_transfer, ids)
    return console.transfers


#: Other exporters' regular transfers: (exporter, sector, dataset, rows, country, personal,
#: how many, every so many days, starting so many days ago). The logistics company sends
#: no personal information: its transfers are exempt and need no approval.
BUSY = [
    ("华东医药数据有限公司", "healthcare", "随访患者名单", 700, "SG", True, 5, 60, 300),
    ("沪港物流科技", "logistics", "跨境运单汇总", 400, "DE", False, 6, 45, 290),
    ("申城金融信息服务", "finance", "海外收件人", 450, "US", True, 3, 80, 250),
    ("申城金融信息服务", "finance", "理财客户画像", 900, "JP", True, 4, 70, 280),
    ("申城金融信息服务", "finance", "风控样本", 350, "GB", True, 3, 90, 240),
]


def busy_transfers(sessions: Callable[[], Session], settings: Settings, today: date) -> None:
    """Months of transfers by the other exporters (made first if absent), to five countries."""
    policy = parse_policy(POLICY)
    orders: list[tuple[date, runner.Order]] = []
    with unit_of_work(sessions, settings) as session:
        for seed, (name, sector, title, rows, country, personal, times, every, ago) in enumerate(
            BUSY, start=31
        ):
            org = session.scalars(
                sa.select(Organisation).where(Organisation.name == name)
            ).first() or organisation(session, name, registered_zone="lingang")
            to = recipient(session, country)
            dataset = _customers_dataset(session, settings, org, title, rows, seed, sector)
            start = today - timedelta(days=ago)
            approval = _approval(session, dataset, to, start) if personal else None
            place = f"{country.lower()}-{seed}"
            folder = settings.home / "outbox" / str(org.id) / place
            folder.mkdir(parents=True, exist_ok=True)
            transfers.declare_destination(
                session, OPERATOR, settings, org=org, name=place, url=str(folder),
                zone=Zone.domestic, country=country,
            )  # fmt: skip
            order = runner.Order(
                dataset_id=dataset.id, recipient_id=to.id, destination=place,
                approval_id=approval, columns=SENT if personal else TRADE,
                policy=policy if personal else parse_policy(None),
            )  # fmt: skip
            days = [start + timedelta(days=every * i) for i in range(times)]
            orders += [(day, order) for day in days if day < today]
    for day, order in sorted(orders, key=lambda o: o[0]):
        runner.run(sessions, settings, OPERATOR, order, on=day)
