"""Errors are RFC 9457 problem+json, in the caller's language."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dataport.db import utcnow
from dataport.identity.models import ApiToken
from tests.api.conftest import World


def test_missing_and_malformed_credentials(client: TestClient) -> None:
    response = client.get("/v1/datasets")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["type"] == "urn:dataport:error:not_authenticated"
    assert body["status"] == 401
    assert body["instance"] == "/v1/datasets"
    malformed = client.get("/v1/datasets", headers={"Authorization": "Bearer abc"})
    assert malformed.status_code == 401
    assert "malformed" in malformed.json()["detail"]
    basic = client.get("/v1/datasets", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401


def test_messages_follow_accept_language(client: TestClient) -> None:
    zh = client.get("/v1/datasets", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "凭证" in zh.json()["detail"]


def test_validation_errors_name_the_field(client: TestClient, world: World) -> None:
    response = client.post(
        "/v1/datasets", json={"name": "", "source": "x.csv"}, headers=world.a_admin.headers
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "body.name"
    assert body["code"] == "invalid_input"
    unknown = client.post(
        "/v1/datasets",
        json={"name": "n", "source": "x.csv", "colour": "red"},
        headers=world.a_admin.headers,
    )
    assert unknown.json()["field"] == "body.colour"
    bad_id = client.get("/v1/datasets/not-a-uuid", headers=world.a_admin.headers)
    assert bad_id.status_code == 422
    assert bad_id.json()["field"] == "path.dataset_id"


def test_unknown_route_is_a_problem_too(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_expired_token_is_refused(client: TestClient, world: World, session: Session) -> None:
    token = session.get(ApiToken, world.a_admin.principal.token_id)
    assert token is not None
    token.expires_at = utcnow() - timedelta(minutes=1)
    session.flush()
    response = client.get("/v1/me", headers=world.a_admin.headers)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
