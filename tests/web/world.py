"""A small world for console tests: two companies, a regulator, people with passwords."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from dataport.assessment import service as applications
from dataport.catalog import service as catalog
from dataport.catalog import sources
from dataport.catalog.models import Dataset
from dataport.config import Settings
from dataport.identity import service as identity
from dataport.identity import signin
from dataport.identity.models import Member, Organisation, OrgKind, Role
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
        on=date(2026, 3, 2),
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
