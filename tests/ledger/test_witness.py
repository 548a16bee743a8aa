"""A witness cosigns only checkpoints consistent with what it saw (C2SP tlog-witness)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dataport.api.witness import create_witness_app
from dataport.config import Settings
from dataport.errors import InvalidInput
from dataport.ledger import (
    Checkpoint,
    CosignatureVerifier,
    consistency_proof,
    cosignature_timestamp,
    open_note,
    parse_verifier_key,
    service,
    sign_checkpoint,
    witness,
)
from dataport.ledger.errors import VerificationError
from dataport.ledger.receipts import verify_receipt
from dataport.ledger.store import DatabaseHashReader
from dataport.ledger.witness_client import cosign_latest
from tests.servers import serving

from .conftest import TESSERA_ORIGIN, TESSERA_SIGNER_KEY, TESSERA_VERIFIER_KEY, tessera_files


@pytest.fixture
def state(tmp_path: Path) -> Path:
    folder = tmp_path / "witness"
    witness.init_witness(folder, "witness.regulator.example")
    witness.trust_log(folder, TESSERA_ORIGIN, TESSERA_VERIFIER_KEY)
    return folder


def _cosigner(state: Path) -> CosignatureVerifier:
    key = parse_verifier_key(witness.witness_verifier_key(state))
    assert isinstance(key, CosignatureVerifier)
    return key


def _proof(old: int, new: int) -> list[bytes]:
    from dataport.ledger import TileHashReader

    return consistency_proof(old, new, TileHashReader(tessera_files(), 15))


def test_the_witness_cosigns_a_growing_log(state: Path) -> None:
    files = tessera_files()
    line = witness.add_checkpoint(
        state, witness.format_request(0, [], files["checkpoint.5"]), clock=lambda: 1_800_000_000
    )
    text = files["checkpoint.5"].decode().rsplit("\n\n", 1)[0] + "\n"
    note = open_note(text.encode() + b"\n" + line, [_cosigner(state)])
    assert cosignature_timestamp(note.signatures[0]) == 1_800_000_000
    witness.add_checkpoint(state, witness.format_request(5, _proof(5, 15), files["checkpoint"]))
    assert [log.size for log in witness.witnessed_logs(state)] == [15]
    # The same checkpoint again is cosigned again.
    witness.add_checkpoint(state, witness.format_request(15, [], files["checkpoint"]))


def test_the_witness_refuses_a_rewritten_history(state: Path) -> None:
    files = tessera_files()
    witness.add_checkpoint(state, witness.format_request(0, [], files["checkpoint.8"]))
    from dataport.ledger import leaf_hash, parse_signer_key, root_from_leaf_hashes

    signer = parse_signer_key(TESSERA_SIGNER_KEY)
    forged_root = root_from_leaf_hashes(leaf_hash(b"x%d" % n) for n in range(15))
    forged = sign_checkpoint(Checkpoint(TESSERA_ORIGIN, 15, forged_root), [signer])
    with pytest.raises(witness.InconsistentCheckpoint):
        witness.add_checkpoint(state, witness.format_request(8, _proof(8, 15), forged))
    fork_at_8 = sign_checkpoint(Checkpoint(TESSERA_ORIGIN, 8, forged_root), [signer])
    with pytest.raises(witness.InconsistentCheckpoint, match="fork"):
        witness.add_checkpoint(state, witness.format_request(8, [], fork_at_8))
    assert [log.size for log in witness.witnessed_logs(state)] == [8]


def test_the_witness_answers_per_the_spec_over_http(state: Path) -> None:
    files = tessera_files()
    client = TestClient(create_witness_app(state))
    post = lambda body: client.post("/add-checkpoint", content=body)  # noqa: E731
    assert post(witness.format_request(0, [], files["checkpoint.3"])).status_code == 200
    stale = post(witness.format_request(0, [], files["checkpoint.5"]))
    assert (stale.status_code, stale.text) == (409, "3\n")
    assert stale.headers["content-type"].startswith("text/x.tlog.size")
    assert post(witness.format_request(9, [], files["checkpoint.5"])).status_code == 400
    unknown = files["checkpoint"].replace(TESSERA_ORIGIN.encode(), b"example.com/unknown", 1)
    assert post(witness.format_request(3, [], unknown)).status_code == 404
    tampered = files["checkpoint"].replace(b"15\n", b"16\n", 1)
    assert post(witness.format_request(3, _proof(3, 15), tampered)).status_code == 403
    bad_proof = _proof(3, 15)[::-1]
    assert post(witness.format_request(3, bad_proof, files["checkpoint"])).status_code == 422
    assert post(b"nonsense").status_code == 400


def test_the_log_gets_cosigned_and_receipts_carry_it(
    session: Session, settings: Settings, state: Path
) -> None:
    service.init_log(session, settings, origin=TESSERA_ORIGIN, signer_key=TESSERA_SIGNER_KEY)
    service.append(session, settings, [b"one", b"two", b"three"])
    witness_key = witness.witness_verifier_key(state)
    with serving(create_witness_app(state)) as url:
        cosign_latest(session, url, witness_key)
        service.append(session, settings, [b"four"])
        # The witness saw size 3: the client learns it from the 409 and sends a proof.
        note = cosign_latest(session, url, witness_key)
    assert note.count("— ".encode()) == 2
    receipt = service.receipt(session, 1)
    import json

    verdict = verify_receipt(
        json.dumps(receipt).encode(), TESSERA_VERIFIER_KEY, witness_keys=[witness_key]
    )
    assert verdict.witnesses == ["witness.regulator.example"]
    assert verdict.size == 4
    assert DatabaseHashReader  # the proof came from the database's tiles
    with pytest.raises(InvalidInput):
        cosign_latest(session, "ftp://witness", None)


def test_a_witness_that_saw_more_reveals_a_truncated_log(
    session: Session, settings: Settings, state: Path
) -> None:
    witness.add_checkpoint(state, witness.format_request(0, [], tessera_files()["checkpoint"]))
    service.init_log(session, settings, origin=TESSERA_ORIGIN, signer_key=TESSERA_SIGNER_KEY)
    service.append(session, settings, [b"one", b"two"])
    with (
        serving(create_witness_app(state)) as url,
        pytest.raises(VerificationError, match="truncated or forked"),
    ):
        cosign_latest(session, url, None)


def test_witness_keys_are_owner_only(state: Path) -> None:
    assert (state / witness.WITNESS_KEY_FILE).stat().st_mode & 0o777 == 0o600
