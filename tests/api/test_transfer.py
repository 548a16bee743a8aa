"""Transfers through the API: declare, send, refuse (recorded), read, receipts, who sees what."""

from __future__ import annotations

import json

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dataport.config import Settings
from dataport.identity.models import Organisation, Role
from dataport.ledger.models import LedgerEntry
from tests.api.conftest import World
from tests.factories import actor


def gamma(session: Session) -> Organisation:
    return session.scalars(
        sa.select(Organisation).where(Organisation.name == "Gamma Analytics GmbH")
    ).one()


def test_send_read_and_receipt(
    client: TestClient, world: World, settings: Settings, session: Session
) -> None:
    b = world.b_admin
    outbox = settings.home / "outbox" / str(b.org.id) / "munich"
    outbox.mkdir(parents=True)
    declared = client.post(
        "/v1/destinations",
        json={"org_id": str(b.org.id), "name": "munich", "url": str(outbox), "country": "DE"},
        headers=b.headers,
    )
    assert declared.status_code == 201, declared.text
    outside = client.post(
        "/v1/destinations",
        json={"org_id": str(b.org.id), "name": "etc", "url": "/etc", "country": "DE"},
        headers=b.headers,
    )
    assert outside.status_code == 422
    assert outside.json()["field"] == "url"

    body = {
        "dataset_id": world.b_dataset_id,
        "recipient_org_id": str(gamma(session).id),
        "destination": "munich",
    }
    nowhere = {**body, "destination": "nowhere"}
    refused = client.post("/v1/transfers", json=nowhere, headers=b.headers)
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "transfer_refused"
    assert [r["code"] for r in problem["details"]["reasons"]] == ["destination_undeclared"]
    stored = client.get(f"/v1/transfers/{problem['details']['transfer_id']}", headers=b.headers)
    assert stored.json()["status"] == "refused"  # the refusal was committed, not rolled back
    zh = client.post(
        "/v1/transfers", json=nowhere, headers={**b.headers, "Accept-Language": "zh-CN"}
    )
    assert "传输被拒绝" in zh.json()["detail"], zh.text

    sent = client.post(
        "/v1/transfers", json={**body, "approval_id": world.b_approval_id}, headers=b.headers
    )
    assert sent.status_code == 201, sent.text
    transfer = sent.json()
    assert transfer["status"] == "delivered"
    assert transfer["receipt_written"]
    assert (outbox / f"dataport-{transfer['id']}" / "COMMITTED").exists()
    receipt = client.get(f"/v1/transfers/{transfer['id']}/receipt", headers=b.headers).json()
    entry = json.loads(receipt["entry"])
    assert entry["event"] == "transfer.delivered"
    assert entry["facts"]["manifest_sha256"] == transfer["manifest_sha256"]

    # Another company sees nothing; the regulator and the recipient read it.
    a = world.a_admin
    assert client.get(f"/v1/transfers/{transfer['id']}", headers=a.headers).status_code == 404
    assert client.get("/v1/transfers", headers=a.headers).json() == []
    seen = client.get(f"/v1/transfers/{transfer['id']}", headers=world.regulator.headers)
    assert seen.status_code == 200
    recipient = actor(session, gamma(session), Role.analyst, email="analyst@gamma.example")
    theirs = client.get(f"/v1/transfers/{transfer['id']}", headers=recipient.headers).json()
    assert theirs["status"] == "delivered"
    assert "watermark" not in theirs["report"]  # where the mark lies stays with the exporter
    assert "watermark" in transfer["report"]
    events = [json.loads(d)["event"] for d in session.scalars(sa.select(LedgerEntry.data))]
    assert events.count("transfer.refused") == 3
    assert events.count("transfer.delivered") == 1
