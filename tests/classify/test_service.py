"""Scans stored with dataset versions, their evidence, the facts for the rules; the catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.audit.models import AuditEvent
from dataport.catalog import service as catalog
from dataport.catalog import sources
from dataport.classify import service
from dataport.classify.schemas import ImportantItemIn
from dataport.config import Settings
from dataport.errors import Conflict, NotFound
from dataport.identity.models import Role
from dataport.ledger.models import LedgerEntry
from dataport.samples.customers import customers, write_csv
from tests.factories import OPERATOR, actor, organisation


def register(session: Session, settings: Settings, tmp_path: Path, rows: int = 400):  # type: ignore[no-untyped-def]
    org = organisation(session, "Xinghai")
    path = write_csv(customers(rows, seed=3), tmp_path / "customers.csv")
    spec = sources.resolve(str(path))
    inspection = catalog.read_source(OPERATOR, settings, org_id=org.id, spec=spec)
    reg = catalog.register_dataset(
        session, OPERATOR, org=org, name="customers", spec=spec, inspection=inspection
    )
    return org, reg.dataset, reg.version, path


def test_a_scan_is_stored_with_the_version_and_recorded_by_its_hash(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    org, dataset, version, _ = register(session, settings, tmp_path)
    scan = service.scan_dataset(session, OPERATOR, settings, dataset=dataset)
    assert scan.version_id == version.id
    assert scan.mode == "full"
    assert scan.rows_scanned == 400
    assert scan.contains_pi
    assert scan.contains_sensitive
    assert scan.individuals == 400
    assert scan.result_hash == service.result_hash(scan.result)
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "dataset.scanned")
    ).one()
    assert event.details["result_hash"] == scan.result_hash
    assert event.details["version"] == 1
    entry = session.scalars(sa.select(LedgerEntry).where(LedgerEntry.audit_seq == event.seq)).one()
    assert scan.result_hash.encode() in entry.data
    assert service.latest_scan(session, OPERATOR, dataset) is scan
    assert service.get_scan(session, OPERATOR, dataset, scan.id) is scan
    assert service.stored_scan(session, version.id) == scan.result
    assert org.id == scan.org_id


def test_scan_facts_give_the_rules_what_they_need(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    _, dataset, version, _ = register(session, settings, tmp_path)
    assert service.scan_facts(session, version) is None
    scan = service.scan_dataset(session, OPERATOR, settings, dataset=dataset)
    facts = service.scan_facts(session, version)
    assert facts is not None
    assert facts.scan_id == scan.id
    assert facts.contains_pi
    assert facts.individuals == facts.sensitive_individuals == 400
    assert facts.individuals_identified
    assert facts.minors == scan.minors
    assert not facts.important_data
    assert facts.fields["身份证号"][0] == "cn_resident_id"
    assert "bank_card" in facts.sensitive_categories
    assert facts.rulepack == "cn-baseline@2024.10.01"


def test_a_declared_item_makes_the_matching_column_important_until_withdrawn(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    org, dataset, version, _ = register(session, settings, tmp_path)
    item = service.declare_important_item(
        session,
        OPERATOR,
        org=org,
        item=ImportantItemIn(
            name="会员消费统计",
            fields=["累计消费金额"],
            authority="上海市商务委员会",
            reference="沪商〔2025〕1号",
        ),
    )
    assert [i.id for i in service.list_important_items(session, OPERATOR, org_id=org.id)] == [
        item.id
    ]
    service.scan_dataset(session, OPERATOR, settings, dataset=dataset, sample=100)
    facts = service.scan_facts(session, version)
    assert facts is not None
    assert facts.important_data
    assert facts.important_items == (str(item.id),)
    assert facts.dataset_grade == "important"
    service.withdraw_important_item(session, OPERATOR, item.id)
    assert service.list_important_items(session, OPERATOR, org_id=org.id) == []
    with pytest.raises(Conflict):
        service.withdraw_important_item(session, OPERATOR, item.id)
    service.scan_dataset(session, OPERATOR, settings, dataset=dataset, sample=100)
    again = service.scan_facts(session, version)
    assert again is not None
    assert not again.important_data


def test_a_file_changed_since_its_version_is_not_scanned(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    _, dataset, _, path = register(session, settings, tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "x\n", encoding="utf-8")
    with pytest.raises(Conflict, match="dataset refresh"):
        service.scan_dataset(session, OPERATOR, settings, dataset=dataset)


def test_another_organisation_neither_scans_nor_sees_the_scans(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    _, dataset, _, _ = register(session, settings, tmp_path)
    scan = service.scan_dataset(session, OPERATOR, settings, dataset=dataset, sample=50)
    other = actor(session, organisation(session, "Other Co"), Role.admin)
    with pytest.raises(NotFound):
        service.scan_dataset(session, other.principal, settings, dataset=dataset)
    with pytest.raises(NotFound):
        service.latest_scan(session, other.principal, dataset)
    with pytest.raises(NotFound):
        service.get_scan(session, other.principal, dataset, scan.id)
