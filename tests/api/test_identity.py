"""The caller, organisations, members and tokens through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import World


def test_whoami(client: TestClient, world: World) -> None:
    body = client.get("/v1/me", headers=world.a_analyst.headers).json()
    assert body["organisation"]["name"] == "Alpha Trading"
    assert body["role"] == "analyst"
    assert "dataset.write" not in body["permissions"]


def test_organisations_visible_to_each(client: TestClient, world: World) -> None:
    mine = client.get("/v1/organisations", headers=world.a_admin.headers).json()
    assert [o["name"] for o in mine] == ["Alpha Trading"]
    everyone = client.get("/v1/organisations", headers=world.regulator.headers).json()
    assert {o["name"] for o in everyone} == {
        "Alpha Trading",
        "Beta Robotics",
        "Lingang Service Centre",
        "Gamma Analytics GmbH",
    }


def test_admin_adds_member_and_issues_token_that_works_once_revoked_never(
    client: TestClient, world: World
) -> None:
    org_id = world.a_admin.org.id
    created = client.post(
        f"/v1/organisations/{org_id}/members",
        json={"email": "new.officer@alpha.example", "display_name": "赵六", "role": "data_officer"},
        headers=world.a_admin.headers,
    )
    assert created.status_code == 201, created.text
    member_id = created.json()["id"]
    issued = client.post(
        f"/v1/members/{member_id}/tokens",
        json={"name": "etl", "expires_in_days": 30},
        headers=world.a_admin.headers,
    )
    assert issued.status_code == 201
    token = issued.json()["token"]
    new_headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/me", headers=new_headers).json()["role"] == "data_officer"
    listed = client.get(f"/v1/organisations/{org_id}/tokens", headers=world.a_admin.headers)
    assert token not in listed.text
    revoked = client.delete(f"/v1/tokens/{issued.json()['id']}", headers=world.a_admin.headers)
    assert revoked.json()["revoked_at"] is not None
    again = client.get("/v1/me", headers=new_headers)
    assert again.status_code == 401
    assert "revoked" in again.json()["detail"]


def test_non_admins_cannot_manage_people(client: TestClient, world: World) -> None:
    org_id = world.a_analyst.org.id
    response = client.post(
        f"/v1/organisations/{org_id}/members",
        json={"email": "x@alpha.example", "display_name": "x", "role": "admin"},
        headers=world.a_analyst.headers,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_duplicate_member_is_a_conflict(client: TestClient, world: World) -> None:
    response = client.post(
        f"/v1/organisations/{world.a_admin.org.id}/members",
        json={"email": world.a_analyst.member.email, "display_name": "x", "role": "analyst"},
        headers=world.a_admin.headers,
    )
    assert response.status_code == 409
    assert response.json()["field"] == "email"
