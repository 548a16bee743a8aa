"""Scans and the important-data catalogue through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dataport.config import Settings
from dataport.samples.customers import customers
from tests.api.conftest import World, inbox_file


def test_scan_a_dataset_then_read_the_latest_and_by_id(
    client: TestClient, world: World, settings: Settings
) -> None:
    headers = world.a_admin.headers
    csv = customers(200, seed=9).write_csv()
    path = inbox_file(settings, world.a_admin.org.id, "clients.csv", csv)
    registered = client.post(
        "/v1/datasets", json={"name": "clients", "source": str(path)}, headers=headers
    )
    assert registered.status_code == 201, registered.text
    dataset_id = registered.json()["dataset"]["id"]
    assert client.get(f"/v1/datasets/{dataset_id}/scans/latest", headers=headers).status_code == 404
    made = client.post(f"/v1/datasets/{dataset_id}/scans", json={}, headers=headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["version"] == 1
    assert body["result"]["individuals"]["estimate"] == 200
    assert body["result_hash"].startswith("sha256:")
    latest = client.get(f"/v1/datasets/{dataset_id}/scans/latest", headers=headers).json()
    assert latest["id"] == body["id"]
    by_id = client.get(f"/v1/datasets/{dataset_id}/scans/{body['id']}", headers=headers)
    assert by_id.json()["result"] == body["result"]
    analyst = client.post(
        f"/v1/datasets/{dataset_id}/scans", json={}, headers=world.a_analyst.headers
    )
    assert analyst.status_code == 403
    assert (
        client.get(
            f"/v1/datasets/{dataset_id}/scans/latest", headers=world.a_analyst.headers
        ).status_code
        == 200
    )


def test_the_important_data_catalogue(client: TestClient, world: World) -> None:
    org = world.a_admin.org.id
    headers = world.a_admin.headers
    item = {
        "name": "车辆轨迹汇总",
        "fields": ["trajectory", "轨迹"],
        "authority": "工业和信息化部",
        "reference": "工信部网安〔2025〕1号",
        "notified_on": "2025-04-01",
    }
    made = client.post(f"/v1/organisations/{org}/important-data", json=item, headers=headers)
    assert made.status_code == 201, made.text
    listed = client.get(f"/v1/organisations/{org}/important-data", headers=headers).json()
    assert [i["name"] for i in listed] == ["车辆轨迹汇总"]
    bad = client.post(
        f"/v1/organisations/{org}/important-data", json={**item, "fields": []}, headers=headers
    )
    assert bad.status_code == 422
    withdrawn = client.delete(f"/v1/important-data/{made.json()['id']}", headers=headers)
    assert withdrawn.status_code == 200
    assert client.get(f"/v1/organisations/{org}/important-data", headers=headers).json() == []
