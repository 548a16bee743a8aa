"""What-if decisions and an application's life through the API."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dataport.identity.models import OrgKind, Role
from dataport.rules.engine import decide
from dataport.rules.scenario import parse_scenario
from tests.api.conftest import World
from tests.factories import actor, organisation

SCENARIO: dict[str, Any] = {
    "as_of": "2025-06-01",
    "exporter": {"ciio": False, "registered_zone": "lingang", "sector": "automotive"},
    "transfer": {
        "purpose": "business",
        "recipient_country": "DE",
        "contains_pi": True,
        "individuals": 150_000,
        "sensitive_individuals": 0,
    },
    "history": [{"date": "2025-01-10", "individuals": 20_000}],
}


def test_assess_gives_the_same_decision_as_the_engine(client: TestClient, world: World) -> None:
    response = client.post("/v1/assess", json=SCENARIO, headers=world.a_analyst.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == decide(parse_scenario(SCENARIO)).model_dump(mode="json")
    assert body["pathway"] == "standard_contract_or_certification"


def test_assess_names_the_bad_field(client: TestClient, world: World) -> None:
    bad = {**SCENARIO, "transfer": {**SCENARIO["transfer"], "individuals": -3}}
    response = client.post("/v1/assess", json=bad, headers=world.a_analyst.headers)
    assert response.status_code == 422
    assert response.json()["field"] == "transfer.individuals"
    early = {**SCENARIO, "as_of": "2020-01-01", "history": []}
    response = client.post("/v1/assess", json=early, headers=world.a_analyst.headers)
    assert response.status_code == 422
    assert response.json()["field"] == "as_of"


def test_application_life_through_the_api(
    client: TestClient, world: World, session: Session
) -> None:
    exporter = world.a_admin
    reviewer = actor(
        session, organisation(session, "Shanghai CAC", kind=OrgKind.regulator), Role.reviewer
    )
    submitted = client.post(
        "/v1/applications",
        json={
            "dataset_id": world.a_dataset_id,
            "recipient_org_id": str(world.b_admin.org.id),
            "purpose": "business",
            "individuals": 1_200_000,
            "retention": "2 years",
            "storage_location": "Frankfurt, DE",
            "on": "2026-02-10",
        },
        headers=exporter.headers,
    )
    assert submitted.status_code == 201, submitted.text
    app = submitted.json()
    assert (app["kind"], app["due_what"], app["due_on"]) == (
        "security_assessment",
        "completeness",
        "2026-02-24",
    )
    base = f"/v1/applications/{app['id']}"
    # The exporter cannot review its own application.
    assert client.post(f"{base}/completeness", json={}, headers=exporter.headers).status_code == 403
    steps = [
        ("completeness", {"on": "2026-02-13"}, "acceptance", "2026-03-02"),
        ("acceptance", {"on": "2026-02-24"}, "assessment", "2026-04-28"),
    ]
    for step, body, due_what, due_on in steps:
        response = client.post(f"{base}/{step}", json=body, headers=reviewer.headers)
        assert response.status_code == 200, response.text
        assert (response.json()["due_what"], response.json()["due_on"]) == (due_what, due_on)
    approved = client.post(
        f"{base}/approval",
        json={"max_individuals": 1_200_000, "on": "2026-04-20"},
        headers=reviewer.headers,
    ).json()
    assert approved["status"] == "approved"
    assert approved["approval"]["expires_on"] == "2029-04-20"
    listed = client.get("/v1/applications", headers=exporter.headers).json()
    assert [a["id"] for a in listed] == [app["id"]]
    everything = client.get("/v1/applications", headers=reviewer.headers).json()
    assert {a["id"] for a in everything} == {app["id"], world.b_application_id}


def test_future_days_and_exempt_transfers_are_refused(client: TestClient, world: World) -> None:
    body = {
        "dataset_id": world.a_dataset_id,
        "recipient_org_id": str(world.b_admin.org.id),
        "purpose": "business",
        "individuals": 10,
        "retention": "1 year",
        "storage_location": "DE",
    }
    exempt = client.post("/v1/applications", json=body, headers=world.a_admin.headers)
    assert exempt.status_code == 422
    assert "no application is needed" in exempt.json()["detail"]
    future = {**body, "individuals": 2_000_000, "on": date(2100, 1, 1).isoformat()}
    response = client.post("/v1/applications", json=future, headers=world.a_admin.headers)
    assert response.status_code == 422
    assert response.json()["field"] == "on"
