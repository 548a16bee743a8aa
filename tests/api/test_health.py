"""Probes and the OpenAPI document."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dataport import db


def test_liveness_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["schema"] == db.head_revision()


def test_openapi_documents_every_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/v1/datasets" in spec["paths"]
    assert client.get("/docs").status_code == 200
