"""Every API route, called by one company with another company's ids, reveals nothing of it.

The table below must name every route the app has: a new route without an entry fails here.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    # The evidence log, published to anyone (its entries hold ids, hashes and counts only).
    ("GET", "/log/checkpoint"),
    ("GET", "/log/checkpoint.{size}"),
    ("GET", "/log/checkpoints"),
    ("GET", "/log/key"),
    ("GET", "/log/tile/{path}"),
    ("GET", "/log/proof/inclusion"),
    ("GET", "/log/proof/consistency"),
}


#: Routes that compute an answer from the request alone and touch no stored record.
NO_RECORDS = {("POST", "/v1/assess")}
WHAT_IF = {
    "as_of": "2025-06-01",
    "exporter": {"ciio": False},
    "transfer": {
        "purpose": "business",
        "recipient_country": "DE",
        "contains_pi": True,
        "individuals": 5,
    },
}


def walk(world: World) -> dict[tuple[str, str], tuple[str, dict[str, Any] | None]]:
    """For each route: the URL filled with the OTHER company's ids, and a valid body."""
    b_org = world.b_admin.org.id
    b_member = world.b_admin.member.id
    b_token = world.b_admin.principal.token_id
    b_dataset = world.b_dataset_id
    b_app = world.b_application_id
    return {
        ("GET", "/v1/me"): ("/v1/me", None),
        ("GET", "/v1/organisations"): ("/v1/organisations", None),
        ("GET", "/v1/organisations/{org_id}"): (f"/v1/organisations/{b_org}", None),
        ("GET", "/v1/organisations/{org_id}/members"): (f"/v1/organisations/{b_org}/members", None),
        ("POST", "/v1/organisations/{org_id}/members"): (
            f"/v1/organisations/{b_org}/members",
            {"email": "mole@alpha.example", "display_name": "mole", "role": "admin"},
        ),
        ("GET", "/v1/organisations/{org_id}/tokens"): (f"/v1/organisations/{b_org}/tokens", None),
        ("POST", "/v1/members/{member_id}/tokens"): (
            f"/v1/members/{b_member}/tokens",
            {"name": "stolen"},
        ),
        ("DELETE", "/v1/tokens/{token_id}"): (f"/v1/tokens/{b_token}", None),
        ("GET", "/v1/datasets"): (f"/v1/datasets?org_id={b_org}", None),
        ("POST", "/v1/datasets"): ("/v1/datasets", {"name": "copy", "source": str(world.b_file)}),
        ("GET", "/v1/datasets/{dataset_id}"): (f"/v1/datasets/{b_dataset}", None),
        ("GET", "/v1/datasets/{dataset_id}/versions"): (f"/v1/datasets/{b_dataset}/versions", None),
        ("POST", "/v1/datasets/{dataset_id}/versions"): (f"/v1/datasets/{b_dataset}/versions", {}),
        ("PUT", "/v1/datasets/{dataset_id}/rights"): (
            f"/v1/datasets/{b_dataset}/rights",
            {"resource_holding": str(world.a_admin.org.id)},
        ),
        ("GET", "/v1/audit"): (f"/v1/audit?org_id={b_org}", None),
        ("POST", "/v1/assess"): ("/v1/assess", WHAT_IF),
        ("POST", "/v1/datasets/{dataset_id}/assessment"): (
            f"/v1/datasets/{b_dataset}/assessment",
            {"recipient_org_id": str(world.a_admin.org.id)},
        ),
        ("POST", "/v1/applications"): (
            "/v1/applications",
            {
                "dataset_id": b_dataset,
                "recipient_org_id": str(world.a_admin.org.id),
                "purpose": "business",
                "individuals": 200_000,
                "retention": "1 year",
                "storage_location": "Munich",
            },
        ),
        ("GET", "/v1/applications"): (f"/v1/applications?org_id={b_org}", None),
        ("GET", "/v1/applications/{application_id}"): (f"/v1/applications/{b_app}", None),
        ("POST", "/v1/applications/{application_id}/supplement-request"): (
            f"/v1/applications/{b_app}/supplement-request",
            {"missing": ["x"]},
        ),
        ("POST", "/v1/applications/{application_id}/resubmission"): (
            f"/v1/applications/{b_app}/resubmission",
            {},
        ),
        ("POST", "/v1/applications/{application_id}/completeness"): (
            f"/v1/applications/{b_app}/completeness",
            {},
        ),
        ("POST", "/v1/applications/{application_id}/acceptance"): (
            f"/v1/applications/{b_app}/acceptance",
            {},
        ),
        ("POST", "/v1/applications/{application_id}/approval"): (
            f"/v1/applications/{b_app}/approval",
            {"max_individuals": 1},
        ),
        ("POST", "/v1/applications/{application_id}/rejection"): (
            f"/v1/applications/{b_app}/rejection",
            {"reasons": ["x"]},
        ),
        ("GET", "/v1/approvals/{approval_id}"): (f"/v1/approvals/{world.b_approval_id}", None),
        ("POST", "/v1/approvals/{approval_id}/extension"): (
            f"/v1/approvals/{world.b_approval_id}/extension",
            {"individuals": 1},
        ),
        ("GET", "/v1/applications/{application_id}/reports/{kind}"): (
            f"/v1/applications/{b_app}/reports/pia?format=html&draft=true",
            None,
        ),
        ("POST", "/v1/applications/{application_id}/reports/{kind}"): (
            f"/v1/applications/{b_app}/reports/self-assessment?format=html",
            {"other_matters": "none"},
        ),
        ("POST", "/v1/destinations"): (
            "/v1/destinations",
            {"org_id": str(b_org), "name": "mole", "url": "memory://mole", "country": "DE"},
        ),
        ("GET", "/v1/destinations"): (f"/v1/destinations?org_id={b_org}", None),
        ("POST", "/v1/transfers"): (
            "/v1/transfers",
            {
                "dataset_id": b_dataset,
                "recipient_org_id": str(world.a_admin.org.id),
                "destination": "nowhere",
            },
        ),
        ("GET", "/v1/transfers"): (f"/v1/transfers?org_id={b_org}", None),
        ("GET", "/v1/transfers/{transfer_id}"): (f"/v1/transfers/{world.b_transfer_id}", None),
        ("GET", "/v1/transfers/{transfer_id}/receipt"): (
            f"/v1/transfers/{world.b_transfer_id}/receipt",
            None,
        ),
        ("GET", "/v1/log/receipts/{index}"): (f"/v1/log/receipts/{world.b_log_index}", None),
        ("GET", "/v1/datasets/{dataset_id}/evidence"): (
            f"/v1/datasets/{b_dataset}/evidence",
            None,
        ),
        ("POST", "/v1/datasets/{dataset_id}/scans"): (
            f"/v1/datasets/{b_dataset}/scans",
            {"sample": 10},
        ),
        ("GET", "/v1/datasets/{dataset_id}/scans/latest"): (
            f"/v1/datasets/{b_dataset}/scans/latest",
            None,
        ),
        ("GET", "/v1/datasets/{dataset_id}/scans/{scan_id}"): (
            f"/v1/datasets/{b_dataset}/scans/{uuid.uuid4()}",
            None,
        ),
        ("GET", "/v1/organisations/{org_id}/important-data"): (
            f"/v1/organisations/{b_org}/important-data",
            None,
        ),
        ("POST", "/v1/organisations/{org_id}/important-data"): (
            f"/v1/organisations/{b_org}/important-data",
            {"name": "mole", "fields": ["vin"], "authority": "x"},
        ),
        ("DELETE", "/v1/important-data/{item_id}"): (f"/v1/important-data/{uuid.uuid4()}", None),
    }


def api_routes(client: TestClient) -> set[tuple[str, str]]:
    """Every route the app serves, as its OpenAPI document lists them."""
    paths = client.get("/openapi.json").json()["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item}


def test_the_walk_covers_every_route(client: TestClient, world: World) -> None:
    assert api_routes(client) == set(walk(world)) | PUBLIC


def secrets_of_b(world: World) -> list[str]:
    return [
        "Beta Robotics",
        str(world.b_admin.org.id),
        "beta-secret-telemetry",
        world.b_dataset_id,
        "admin@beta-robotics.example",
        world.b_admin.token[:12],
        str(world.b_file),
        "Munich, DE",  # where B's approved application stores the data abroad
    ]


@pytest.mark.parametrize("role_name", ["a_admin", "a_analyst"])
def test_another_companys_ids_reveal_nothing(
    client: TestClient, world: World, role_name: str
) -> None:
    caller = getattr(world, role_name)
    for (method, route), (url, body) in walk(world).items():
        response = client.request(method, url, json=body, headers=caller.headers)
        assert response.status_code in (200, 201, 403, 404), (method, url, response.text)
        # Writes to another company's records never succeed.
        if method != "GET" and (method, route) not in NO_RECORDS:
            assert response.status_code in (403, 404), (method, url, response.text)
        for secret in secrets_of_b(world):
            if secret in url:
                continue  # the caller sent it; echoing the request path is not a leak
            assert secret not in response.text, (method, url, secret)


def test_foreign_ids_look_exactly_like_missing_ones(client: TestClient, world: World) -> None:
    foreign = client.get(f"/v1/datasets/{world.b_dataset_id}", headers=world.a_admin.headers)
    missing = client.get(f"/v1/datasets/{uuid.uuid4()}", headers=world.a_admin.headers)
    assert foreign.status_code == missing.status_code == 404
    strip = lambda r: {k: v for k, v in r.json().items() if k != "instance"}  # noqa: E731
    assert strip(foreign) == strip(missing)


def test_nothing_was_changed_by_the_walk(client: TestClient, world: World) -> None:
    for (method, _), (url, body) in walk(world).items():
        client.request(method, url, json=body, headers=world.a_admin.headers)
    b = world.b_admin
    assert client.get("/v1/me", headers=b.headers).status_code == 200  # token not revoked
    members = client.get(f"/v1/organisations/{b.org.id}/members", headers=b.headers).json()
    assert [m["email"] for m in members] == ["admin@beta-robotics.example"]
    dataset = client.get(f"/v1/datasets/{world.b_dataset_id}", headers=b.headers).json()
    assert {r["holder_name"] for r in dataset["rights"]} == {"Beta Robotics"}
    assert dataset["current_version"]["number"] == 1
    names = [d["name"] for d in client.get("/v1/datasets", headers=world.a_admin.headers).json()]
    assert names == ["alpha-customers"]
    application = client.get(f"/v1/applications/{world.b_application_id}", headers=b.headers).json()
    assert application["status"] == "approved"
    assert [e["action"] for e in application["history"]] == [
        "submit",
        "confirm_complete",
        "accept",
        "approve",
    ]
