"""A small world for transfers: an exporter in Lingang, a recipient in Germany, a regulator,
a customer table, a declared destination, and a filed standard contract with its scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.assessment import service as applications
from dataport.assessment.models import Approval
from dataport.catalog import service as catalog
from dataport.catalog import sources
from dataport.catalog.models import Dataset, Zone
from dataport.config import Settings
from dataport.identity.models import Organisation, OrgKind
from dataport.samples.customers import customers, write_csv
from dataport.transfer import runner, service
from dataport.transfer.models import Destination
from dataport.transfer.policy import parse_policy
from tests.factories import OPERATOR, organisation

ROWS = 400
DAY = date(2026, 3, 2)
POLICY = {
    "columns": {
        "姓名": "drop",
        "身份证号": "drop",
        "银行卡号": "drop",
        "电子邮箱": "drop",
        "住址": {"generalise": "city"},
        "出生日期": {"generalise": "year"},
        "手机号": "mask",
    },
    "quasi_identifiers": ["出生日期", "性别"],
}
SENT = ["客户编号", "性别", "出生日期", "手机号", "住址", "注册时间", "累计消费金额", "会员等级"]


@dataclass
class World:
    session: Session
    settings: Settings
    sessions: Callable[[], Session]
    exporter: Organisation
    recipient: Organisation
    other_recipient: Organisation
    dataset: Dataset
    destination: Destination
    outbox: Path
    approval: Approval
    minors: int

    def order(self, **changes: object) -> runner.Order:
        fields: dict[str, object] = {
            "dataset_id": self.dataset.id,
            "recipient_id": self.recipient.id,
            "destination": "frankfurt",
            "approval_id": self.approval.id,
            "policy": parse_policy(POLICY),
        }
        fields.update(changes)
        return runner.Order(**fields)  # type: ignore[arg-type]

    def run(self, order: runner.Order | None = None, **kw: object) -> runner.Outcome:
        return runner.run(
            self.sessions,
            self.settings,
            OPERATOR,
            order or self.order(),
            on=DAY,
            **kw,  # type: ignore[arg-type]
        )


def register(
    session: Session,
    settings: Settings,
    org: Organisation,
    path: Path,
    name: str,
    zone: Zone = Zone.domestic,
) -> Dataset:
    spec = sources.resolve(str(path))
    inspection = catalog.read_source(OPERATOR, settings, org_id=org.id, spec=spec)
    return catalog.register_dataset(
        session, OPERATOR, org=org, name=name, spec=spec, inspection=inspection,
        sector="ecommerce", zone=zone,
    ).dataset  # fmt: skip


@pytest.fixture
def world(session: Session, connection: sa.Connection, settings: Settings, tmp_path: Path) -> World:
    exporter = organisation(session, "Xinghai Tech", registered_zone="lingang")
    recipient = organisation(session, "Rheinwerk Analytics GmbH", country="DE")
    other = organisation(session, "Other Analytics Ltd", country="GB")
    organisation(session, "Lingang Service Centre", kind=OrgKind.regulator)
    table = customers(ROWS, today=date(2026, 1, 1))
    minors = int((table["出生日期"].str.to_date() > date(2012, 3, 2)).sum())
    dataset = register(
        session, settings, exporter, write_csv(table, tmp_path / "customers.csv"), "customers"
    )
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    destination = service.declare_destination(
        session, OPERATOR, settings, org=exporter, name="frankfurt", url=str(outbox),
        zone=Zone.domestic, country="DE",
    )  # fmt: skip
    application = applications.submit(
        session,
        OPERATOR,
        applications.Submission(
            dataset=dataset, recipient=recipient, purpose="business",
            individuals=ROWS - minors, sensitive_individuals=minors, fields=tuple(SENT),
            retention="2 years", storage_location="Frankfurt", contract_effective_on=DAY,
        ),
        on=DAY,
    )  # fmt: skip
    applications.confirm_complete(session, OPERATOR, application, on=DAY)
    approval = applications.approve(
        session, OPERATOR, application,
        scope=applications.Scope(tuple(SENT), ROWS - minors, minors), on=DAY,
    )  # fmt: skip
    session.flush()

    def sessions() -> Session:
        return Session(bind=connection, join_transaction_mode="create_savepoint")

    return World(
        session, settings, sessions, exporter, recipient, other, dataset, destination, outbox,
        approval, minors,
    )  # fmt: skip
