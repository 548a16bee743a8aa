"""A small world for API tests: two companies, a regulator, each with data and tokens."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dataport.catalog import service as catalog
from dataport.catalog import sources
from dataport.config import Settings
from dataport.identity.models import OrgKind, Role
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
    return World(
        a_admin=actor(session, a, Role.admin),
        a_analyst=actor(session, a, Role.analyst),
        b_admin=actor(session, b, Role.admin, email="admin@beta-robotics.example"),
        regulator=actor(session, centre, Role.reviewer),
        a_dataset_id=ids[a.id],
        b_dataset_id=ids[b.id],
        b_file=files[b.id],
    )
