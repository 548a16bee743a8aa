"""Registering datasets and versions, rights, and what an API caller may read."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.audit.models import AuditEvent
from dataport.catalog import service, sources
from dataport.catalog.models import RightKind, Zone
from dataport.config import Settings
from dataport.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dataport.identity.models import Organisation, OrgKind, Role
from tests.factories import OPERATOR, actor, organisation


def register(
    session: Session, org: Organisation, name: str, path: Path, settings: Settings, **kw: object
) -> service.Registration:
    spec = sources.resolve(str(path))
    inspection = service.read_source(OPERATOR, settings, org_id=org.id, spec=spec)
    return service.register_dataset(
        session,
        OPERATOR,
        org=org,
        name=name,
        spec=spec,
        inspection=inspection,
        **kw,  # type: ignore[arg-type]
    )


def refresh(
    session: Session, reg: service.Registration, settings: Settings
) -> service.Registration:
    spec = service.source_spec_of(reg.dataset)
    inspection = service.read_source(OPERATOR, settings, org_id=reg.dataset.org_id, spec=spec)
    return service.record_version(
        session, OPERATOR, dataset=reg.dataset, spec=spec, inspection=inspection
    )


@pytest.fixture
def data_file(settings: Settings) -> Path:
    path = settings.home / "inbox" / "customers.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("name,phone\n张三,13812345678\n", encoding="utf-8")
    return path


def test_registration_records_version_rights_zone_and_audit(
    session: Session, settings: Settings, data_file: Path
) -> None:
    org = organisation(session, "Acme")
    reg = register(
        session, org, "customers", data_file, settings, sector="ecommerce", zone=Zone.offshore
    )
    assert reg.new_version
    assert (reg.version.number, reg.version.row_count) == (1, 1)
    assert reg.dataset.zone is Zone.offshore
    rights = service.rights_of(session, reg.dataset)
    assert {r.kind for r, _ in rights} == set(RightKind)
    assert {holder.id for _, holder in rights} == {org.id}
    actions = session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.target_id == str(reg.dataset.id))
    ).all()
    assert actions == ["dataset.registered"]


def test_unchanged_content_is_recognised_and_changed_content_versioned(
    session: Session, settings: Settings, data_file: Path
) -> None:
    reg = register(session, organisation(session, "Acme"), "customers", data_file, settings)
    same = refresh(session, reg, settings)
    assert not same.new_version
    assert same.version.id == reg.version.id
    data_file.write_text("name,phone\n张三,13812345678\n李四,13987654321\n", encoding="utf-8")
    changed = refresh(session, reg, settings)
    assert changed.new_version
    assert (changed.version.number, changed.version.row_count) == (2, 2)
    assert changed.version.content_hash != reg.version.content_hash
    versions = service.list_versions(session, OPERATOR, reg.dataset)
    assert [v.number for v in versions] == [1, 2]


def test_duplicate_name_in_one_organisation_is_a_conflict_not_in_another(
    session: Session, settings: Settings, data_file: Path
) -> None:
    acme = organisation(session, "Acme")
    register(session, acme, "customers", data_file, settings)
    with pytest.raises(Conflict, match="dataset refresh customers"):
        register(session, acme, "customers", data_file, settings)
    register(session, organisation(session, "Other"), "customers", data_file, settings)


def test_unknown_sector(session: Session, settings: Settings, data_file: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown sector 'mining'") as info:
        register(session, organisation(session, "Acme"), "c", data_file, settings, sector="mining")
    assert info.value.field == "sector"


def test_rights_can_be_held_by_different_organisations(
    session: Session, settings: Settings, data_file: Path
) -> None:
    acme = organisation(session, "Acme")
    exchange = organisation(session, "Exchange", kind=OrgKind.exchange_operator)
    lab = organisation(session, "Lab")
    reg = register(session, acme, "customers", data_file, settings)
    service.assign_rights(
        session,
        OPERATOR,
        dataset=reg.dataset,
        holders={RightKind.processing_use: lab, RightKind.product_operation: exchange},
    )
    holders = {r.kind: o.name for r, o in service.rights_of(session, reg.dataset)}
    assert holders == {
        RightKind.resource_holding: "Acme",
        RightKind.processing_use: "Lab",
        RightKind.product_operation: "Exchange",
    }
    events = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "dataset.right_assigned")
    ).all()
    assert sorted(e.details["holder_name"] for e in events) == ["Exchange", "Lab"]
    with pytest.raises(InvalidInput):
        service.assign_rights(session, OPERATOR, dataset=reg.dataset, holders={})


def test_members_see_only_their_organisations_datasets(
    session: Session, settings: Settings, data_file: Path
) -> None:
    acme = organisation(session, "Acme")
    other = organisation(session, "Other")
    mine = register(session, acme, "mine", data_file, settings)
    theirs = register(session, other, "theirs", data_file, settings)
    analyst = actor(session, acme, Role.analyst)
    assert [d.name for d in service.list_datasets(session, analyst.principal)] == ["mine"]
    assert service.get_dataset(session, analyst.principal, mine.dataset.id) is mine.dataset
    with pytest.raises(NotFound):
        service.get_dataset(session, analyst.principal, theirs.dataset.id)
    with pytest.raises(NotFound):
        service.find_dataset(session, analyst.principal, other, "theirs")
    regulator = actor(
        session, organisation(session, "Centre", kind=OrgKind.regulator), Role.reviewer
    )
    assert {d.name for d in service.list_datasets(session, regulator.principal)} == {
        "mine",
        "theirs",
    }


def test_api_callers_are_authorised_before_anything_is_read(
    session: Session, settings: Settings
) -> None:
    acme = organisation(session, "Acme")
    analyst = actor(session, acme, Role.analyst)
    officer = actor(session, acme, Role.data_officer)
    missing = sources.resolve(str(settings.home / "inbox" / "missing.csv"))
    with pytest.raises(PermissionDenied):
        service.read_source(analyst.principal, settings, org_id=acme.id, spec=missing)
    outside = sources.resolve("/etc/hosts", format="csv")
    with pytest.raises(PermissionDenied):
        service.read_source(officer.principal, settings, org_id=acme.id, spec=outside)
    other = organisation(session, "Other")
    with pytest.raises(NotFound):
        service.read_source(officer.principal, settings, org_id=other.id, spec=missing)


def test_a_recorded_database_source_without_password_must_be_given_again(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 's.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    spec = sources.resolve(f"sqlite:///{tmp_path / 's.db'}", table="t")
    acme = organisation(session, "Acme")
    inspection = service.read_source(OPERATOR, settings, org_id=acme.id, spec=spec)
    reg = service.register_dataset(
        session, OPERATOR, org=acme, name="t", spec=spec, inspection=inspection
    )
    assert service.source_spec_of(reg.dataset).table == "t"
    reg.dataset.source = "postgresql+psycopg://u:***@h/db"
    with pytest.raises(InvalidInput, match="password removed"):
        service.source_spec_of(reg.dataset)
