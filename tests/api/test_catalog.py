"""Registering and reading datasets through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dataport.config import Settings
from tests.api.conftest import World, inbox_file


def test_register_list_show_refresh(client: TestClient, world: World, settings: Settings) -> None:
    path = inbox_file(settings, world.a_admin.org.id, "orders.csv", "id,amount\n1,9.5\n2,3\n")
    created = client.post(
        "/v1/datasets",
        json={"name": "orders", "source": str(path), "sector": "ecommerce", "zone": "offshore"},
        headers=world.a_admin.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["new_version"] is True
    dataset = body["dataset"]
    assert dataset["zone"] == "offshore"
    assert dataset["current_version"]["row_count"] == 2
    assert [c["name"] for c in dataset["current_version"]["columns"]] == ["id", "amount"]
    assert {r["holder_name"] for r in dataset["rights"]} == {"Alpha Trading"}

    names = [d["name"] for d in client.get("/v1/datasets", headers=world.a_analyst.headers).json()]
    assert sorted(names) == ["alpha-customers", "orders"]

    same = client.post(
        f"/v1/datasets/{dataset['id']}/versions", json={}, headers=world.a_admin.headers
    )
    assert same.json()["new_version"] is False
    path.write_text("id,amount\n1,9.5\n2,3\n3,4\n")
    changed = client.post(
        f"/v1/datasets/{dataset['id']}/versions", json={}, headers=world.a_admin.headers
    ).json()
    assert (changed["new_version"], changed["version"]["number"]) == (True, 2)
    versions = client.get(f"/v1/datasets/{dataset['id']}/versions", headers=world.a_admin.headers)
    assert [v["number"] for v in versions.json()] == [1, 2]


def test_bad_sources_are_4xx_with_a_clear_message(
    client: TestClient, world: World, settings: Settings
) -> None:
    org = world.a_admin.org.id
    empty = inbox_file(settings, org, "empty.csv", "")
    ragged = inbox_file(settings, org, "ragged.csv", "a,b\n1,2\n3,4,5\n")
    cases = [
        (str(settings.home / "inbox" / str(org) / "missing.csv"), 422, "no such file"),
        (str(empty), 422, "is empty"),
        (str(ragged), 422, "row 3 has 3 fields"),
        ("/etc/hostname.csv", 403, "own folder"),
        (str(world.b_file), 403, "own folder"),
        ("s3://bucket/x.csv", 403, "not enabled"),
    ]
    for source, status, message in cases:
        response = client.post(
            "/v1/datasets", json={"name": "x", "source": source}, headers=world.a_admin.headers
        )
        assert response.status_code == status, (source, response.text)
        assert message in response.json()["detail"], source
    listed = client.get("/v1/datasets", headers=world.a_admin.headers).json()
    assert [d["name"] for d in listed] == ["alpha-customers"]


def test_duplicate_name_is_409(client: TestClient, world: World, settings: Settings) -> None:
    path = inbox_file(settings, world.a_admin.org.id, "c.csv", "a\n1\n")
    response = client.post(
        "/v1/datasets",
        json={"name": "alpha-customers", "source": str(path)},
        headers=world.a_admin.headers,
    )
    assert response.status_code == 409


def test_analysts_read_but_do_not_register(
    client: TestClient, world: World, settings: Settings
) -> None:
    path = inbox_file(settings, world.a_admin.org.id, "c.csv", "a\n1\n")
    response = client.post(
        "/v1/datasets", json={"name": "c", "source": str(path)}, headers=world.a_analyst.headers
    )
    assert response.status_code == 403


def test_assign_rights(client: TestClient, world: World) -> None:
    response = client.put(
        f"/v1/datasets/{world.a_dataset_id}/rights",
        json={"product_operation": str(world.b_admin.org.id)},
        headers=world.a_admin.headers,
    )
    assert response.status_code == 200, response.text
    holders = {r["kind"]: r["holder_name"] for r in response.json()["rights"]}
    assert holders["product_operation"] == "Beta Robotics"
    assert holders["resource_holding"] == "Alpha Trading"
    unknown = client.put(
        f"/v1/datasets/{world.a_dataset_id}/rights",
        json={"processing_use": "00000000-0000-0000-0000-000000000000"},
        headers=world.a_admin.headers,
    )
    assert unknown.status_code == 422


def test_regulator_reads_everything_and_changes_nothing(client: TestClient, world: World) -> None:
    names = {d["name"] for d in client.get("/v1/datasets", headers=world.regulator.headers).json()}
    assert names == {"alpha-customers", "beta-secret-telemetry"}
    shown = client.get(f"/v1/datasets/{world.b_dataset_id}", headers=world.regulator.headers)
    assert shown.status_code == 200
    for method, path, body in (
        ("POST", f"/v1/datasets/{world.b_dataset_id}/versions", {}),
        (
            "PUT",
            f"/v1/datasets/{world.b_dataset_id}/rights",
            {"resource_holding": str(world.regulator.org.id)},
        ),
    ):
        response = client.request(method, path, json=body, headers=world.regulator.headers)
        assert response.status_code == 403, path
    audit = client.get("/v1/audit", headers=world.regulator.headers).json()
    assert any(e["org_id"] == str(world.b_admin.org.id) for e in audit)


def test_audit_trail_records_api_actions(
    client: TestClient, world: World, settings: Settings
) -> None:
    path = inbox_file(settings, world.a_admin.org.id, "new.csv", "a\n1\n")
    client.post(
        "/v1/datasets", json={"name": "new", "source": str(path)}, headers=world.a_admin.headers
    )
    events = client.get("/v1/audit", headers=world.a_admin.headers).json()
    newest = events[0]
    assert newest["action"] == "dataset.registered"
    assert newest["actor"] == f"member:{world.a_admin.member.email}"
    assert client.get("/v1/audit", headers=world.a_analyst.headers).status_code == 403
