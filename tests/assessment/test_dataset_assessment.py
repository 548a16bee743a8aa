"""A registered dataset's decision: facts from its stored scan, counts from recorded transfers.

The same facts give the same decision through a scenario file, the registered-dataset path
and the API.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dataport.assessment import service
from dataport.assessment.calendar import today_in_china
from dataport.catalog import service as catalog
from dataport.catalog import sources
from dataport.classify.service import scan_dataset, scan_facts
from dataport.config import Settings
from dataport.errors import InvalidInput
from dataport.identity.models import Role
from dataport.rules.engine import decide
from dataport.rules.scenario import load_scenario
from dataport.samples.customers import customers, write_csv
from tests.factories import OPERATOR, actor, organisation


@pytest.fixture
def registered(session: Session, settings: Settings) -> dict[str, object]:
    exporter = organisation(session, "Xinghai Retail", registered_zone="lingang")
    recipient = organisation(session, "Rheinwerk GmbH", country="DE")
    path = write_csv(customers(300), settings.home / "inbox" / str(exporter.id) / "customers.csv")
    spec = sources.resolve(str(path))
    inspection = catalog.read_source(OPERATOR, settings, org_id=exporter.id, spec=spec)
    dataset = catalog.register_dataset(
        session,
        OPERATOR,
        org=exporter,
        name="customers",
        spec=spec,
        inspection=inspection,
        sector="ecommerce",
    ).dataset
    return {"exporter": exporter, "recipient": recipient, "dataset": dataset}


def test_an_unscanned_dataset_is_refused_with_the_command_to_run(
    session: Session, registered: dict[str, object]
) -> None:
    with pytest.raises(InvalidInput, match="dataport dataset scan customers"):
        service.assess_dataset(
            session,
            OPERATOR,
            dataset=registered["dataset"],
            recipient=registered["recipient"],  # type: ignore[arg-type]
            purpose="business",
            on=today_in_china(),
        )


def test_the_same_decision_through_the_dataset_the_scenario_file_and_the_api(
    session: Session,
    settings: Settings,
    registered: dict[str, object],
    client: TestClient,
    tmp_path: Path,
) -> None:
    dataset, recipient = registered["dataset"], registered["recipient"]
    scan_dataset(session, OPERATOR, settings, dataset=dataset)  # type: ignore[arg-type]
    facts = scan_facts(session, catalog.latest_version(session, dataset.id))  # type: ignore[arg-type, union-attr]
    assert facts is not None
    assert facts.contains_sensitive  # bank card numbers are financial accounts
    today = today_in_china()

    from_dataset = service.assess_dataset(
        session,
        OPERATOR,
        dataset=dataset,
        recipient=recipient,
        purpose="business",
        on=today,  # type: ignore[arg-type]
    )
    # The scenario a compliance officer would write for the same transfer.
    scenario = {
        "as_of": today.isoformat(),
        "exporter": {"ciio": False, "registered_zone": "lingang", "sector": "ecommerce"},
        "transfer": {
            "purpose": "business",
            "recipient_country": "DE",
            "contains_pi": True,
            "individuals": facts.individuals - facts.minors,
            "sensitive_individuals": facts.sensitive_individuals,
            "important_data": False,
        },
    }
    file = tmp_path / "scenario.yaml"
    file.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    from_file = decide(load_scenario(file))
    officer = actor(session, registered["exporter"], Role.data_officer)  # type: ignore[arg-type]
    response = client.post(
        f"/v1/datasets/{dataset.id}/assessment",  # type: ignore[union-attr]
        json={"recipient_org_id": str(recipient.id), "purpose": "business"},  # type: ignore[union-attr]
        headers=officer.headers,
    )
    assert response.status_code == 200, response.text
    from_api = response.json()

    assert from_dataset.pathway == from_file.pathway == from_api["pathway"]
    assert from_dataset.pathway == "standard_contract_or_certification"  # sensitive PI, < 10,000
    assert from_dataset.cumulative == from_file.cumulative
    assert from_api["cumulative"] == from_file.cumulative.model_dump(mode="json")
    assert [b.rule for b in from_dataset.basis] == [b.rule for b in from_file.basis]
    assert [o.id for o in from_dataset.obligations] == [o.id for o in from_file.obligations]
