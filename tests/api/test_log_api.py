"""The evidence log over HTTP: public tiles and proofs, receipts for their owners only."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from fastapi.testclient import TestClient

from dataport.ledger import leaf_hash, verify_inclusion
from dataport.ledger.mirror import HttpLogFiles, audit_files
from dataport.ledger.receipts import verify_receipt
from dataport.ledger.service import trusted_key
from tests.api.conftest import World
from tests.servers import serving


def test_registrations_are_published_as_tiles(client: TestClient, world: World) -> None:
    checkpoint = client.get("/log/checkpoint")
    assert checkpoint.status_code == 200
    assert checkpoint.headers["content-type"].startswith("text/plain")
    origin, size, _root = checkpoint.text.split("\n")[:3]
    assert int(size) == 2  # the two registrations of the world
    key = client.get("/log/key").text.strip()
    assert key.startswith(origin + "+")
    bundle = client.get("/log/tile/entries/000.p/2")
    assert bundle.headers["content-type"] == "application/octet-stream"
    tile = client.get("/log/tile/0/000.p/2").content
    entries = []
    data = bundle.content
    while data:
        length = int.from_bytes(data[:2], "big")
        entries.append(data[2 : 2 + length])
        data = data[2 + length :]
    assert [leaf_hash(e) for e in entries] == [tile[:32], tile[32:]]
    assert client.get("/log/tile/0/000.p/3").status_code == 404
    assert client.get("/log/tile/not/a/tile").status_code == 404
    assert client.get("/log/checkpoints").json() == [0, 2]
    assert client.get("/log/checkpoint.2").text == checkpoint.text


def test_public_proofs(client: TestClient, world: World) -> None:
    proof = client.get("/log/proof/inclusion", params={"index": 1}).json()
    root = client.get("/log/checkpoint").text.split("\n")[2]
    verify_inclusion(
        base64.b64decode(proof["leaf_hash"]),
        1,
        proof["size"],
        [base64.b64decode(p) for p in proof["proof"]],
        base64.b64decode(root),
    )
    consistency = client.get("/log/proof/consistency", params={"old": 1}).json()
    assert consistency["new_size"] == 2
    assert len(consistency["proof"]) == 1
    refused = client.get("/log/proof/inclusion", params={"index": 1, "size": 9})
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_proof_request"


def test_receipts_are_for_the_owner_and_the_regulator(client: TestClient, world: World) -> None:
    evidence = client.get(
        f"/v1/datasets/{world.a_dataset_id}/evidence", headers=world.a_admin.headers
    ).json()
    [registered] = evidence
    assert registered["event"] == "dataset.registered"
    receipt = client.get(registered["receipt_url"], headers=world.a_admin.headers)
    assert receipt.status_code == 200
    key = client.get("/log/key").text.strip()
    verdict = verify_receipt(json.dumps(receipt.json()).encode(), key)
    assert json.loads(verdict.entry)["subject"]["id"] == world.a_dataset_id
    b_index = client.get(
        f"/v1/datasets/{world.b_dataset_id}/evidence", headers=world.b_admin.headers
    ).json()[0]["index"]
    foreign = client.get(f"/v1/log/receipts/{b_index}", headers=world.a_admin.headers)
    missing = client.get("/v1/log/receipts/999", headers=world.a_admin.headers)
    assert foreign.status_code == missing.status_code == 404
    assert (
        client.get(f"/v1/log/receipts/{b_index}", headers=world.regulator.headers).status_code
        == 200
    )
    assert client.get(f"/v1/log/receipts/{b_index}").status_code == 401


def test_refreshing_a_dataset_adds_a_version_entry(client: TestClient, world: World) -> None:
    world.b_file.write_text("vin,owner\nLSVAU2180N2183294,王五\nLSVAU2180N2183295,赵六\n")
    refreshed = client.post(
        f"/v1/datasets/{world.b_dataset_id}/versions", json={}, headers=world.b_admin.headers
    )
    assert refreshed.status_code == 200, refreshed.text
    evidence = client.get(
        f"/v1/datasets/{world.b_dataset_id}/evidence", headers=world.b_admin.headers
    ).json()
    assert [(e["event"], e["version"]) for e in evidence] == [
        ("dataset.registered", 1),
        ("dataset.version_recorded", 2),
    ]
    assert all(e["index"] is not None for e in evidence)


def test_a_mirror_audit_over_http(world: World, client: TestClient, tmp_path: Path) -> None:
    key = trusted_key(client.get("/log/key").text)
    with serving(client.app) as url:
        audit = audit_files(HttpLogFiles(f"{url}/log"), key, origin=key.name)
    assert audit.checkpoint.size == 2
    assert audit.checkpoints_checked >= 2
