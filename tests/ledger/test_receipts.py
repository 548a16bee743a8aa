"""Receipts verified offline: every way a receipt can be wrong gives its own clear verdict."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dataport.config import Settings
from dataport.errors import DataportError
from dataport.ledger import (
    COSIGNATURE_V1,
    MalformedEvidenceError,
    ProofLengthError,
    RootMismatchError,
    SignatureError,
    TreeRangeError,
    generate_key,
    parse_signer_key,
    service,
    sign_note,
)
from dataport.ledger.canonical import canonical_json, parse_json_entry
from dataport.ledger.receipts import Progress, verify_receipt


@pytest.fixture
def signed(session: Session, settings: Settings) -> tuple[dict[str, Any], str]:
    service.append(session, settings, [canonical_json({"n": n}) for n in range(20)])
    return service.receipt(session, 13), service.require_log(session).verifier_key


def encode(receipt: dict[str, Any]) -> bytes:
    return json.dumps(receipt).encode()


def test_a_good_receipt_verifies(signed: tuple[dict[str, Any], str]) -> None:
    receipt, key = signed
    verdict = verify_receipt(encode(receipt), key)
    assert (verdict.index, verdict.size, verdict.entry) == (13, 20, b'{"n":13}')
    assert len(verdict.checks) == 3


BREAKAGES: dict[str, tuple[Any, type[DataportError], str]] = {
    "not json": (lambda r: None, MalformedEvidenceError, "reading the receipt"),
    "wrong format": (lambda r: r.update(format="other/v9"), MalformedEvidenceError, "reading"),
    "negative index": (lambda r: r.update(index=-1), MalformedEvidenceError, "reading"),
    "another entry": (lambda r: r.update(entry='{"n":14}'), RootMismatchError, "inclusion"),
    "another index": (lambda r: r.update(index=12), RootMismatchError, "inclusion"),
    "index beyond the tree": (lambda r: r.update(index=20), TreeRangeError, "inclusion"),
    "proof for another tree size": (
        lambda r: r.update(inclusion_proof=r["inclusion_proof"][:-1]),
        ProofLengthError,
        "inclusion",
    ),
    "proof hash not base64": (
        lambda r: r["inclusion_proof"].__setitem__(0, "%%%"),
        MalformedEvidenceError,
        "reading",
    ),
    "checkpoint root changed": (
        lambda r: r.update(checkpoint=_swap_root(r["checkpoint"])),
        SignatureError,
        "signature",
    ),
    "checkpoint signature removed": (
        lambda r: r.update(checkpoint=r["checkpoint"].rsplit("\n\n", 1)[0] + "\n\n"),
        MalformedEvidenceError,
        "signature",
    ),
}


def _swap_root(note: str) -> str:
    lines = note.split("\n")
    lines[2] = base64.b64encode(b"\x01" * 32).decode()
    return "\n".join(lines)


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_receipt_gets_a_clear_verdict(
    signed: tuple[dict[str, Any], str], breakage: str
) -> None:
    receipt, key = signed
    change, error, stage = BREAKAGES[breakage]
    data = b"{not json" if change(receipt) is None and breakage == "not json" else encode(receipt)
    progress = Progress()
    with pytest.raises(error) as raised:
        verify_receipt(data, key, progress=progress)
    assert stage in progress.current[0]
    assert raised.value.en
    assert raised.value.zh


def test_a_wrong_key_is_refused(signed: tuple[dict[str, Any], str]) -> None:
    receipt, _ = signed
    other = generate_key(receipt["log"]["origin"]).verifier_key
    with pytest.raises(SignatureError, match="no signature by a trusted key"):
        verify_receipt(encode(receipt), other)
    with pytest.raises(MalformedEvidenceError):
        verify_receipt(encode(receipt), "not a key")


def test_a_required_witness_must_have_cosigned(signed: tuple[dict[str, Any], str]) -> None:
    receipt, key = signed
    pair = generate_key("witness.example.org", COSIGNATURE_V1)
    with pytest.raises(SignatureError, match="no cosignature by witness"):
        verify_receipt(encode(receipt), key, witness_keys=[pair.verifier_key])
    text, _ = receipt["checkpoint"].rsplit("\n\n", 1)
    cosigner = parse_signer_key(pair.signer_key, lambda: 1_700_000_000)
    cosigned = sign_note(text + "\n", [cosigner]).decode()
    receipt["checkpoint"] = receipt["checkpoint"] + cosigned.rsplit("\n\n", 1)[1]
    verdict = verify_receipt(encode(receipt), key, witness_keys=[pair.verifier_key])
    assert verdict.witnesses == ["witness.example.org"]
    # A cosignature that does not verify fails the receipt, even when not asked for by key.
    forged = receipt["checkpoint"].replace(cosigned.rsplit(" ", 1)[1][:8], "AAAAAAAA")
    receipt["checkpoint"] = forged
    with pytest.raises((SignatureError, MalformedEvidenceError)):
        verify_receipt(encode(receipt), key, witness_keys=[pair.verifier_key])


def test_canonical_json_is_one_spelling() -> None:
    assert canonical_json({"b": 1, "a": [True, None, "é"], "\u00e9": 0}) == (
        '{"a":[true,null,"é"],"b":1,"é":0}'.encode()
    )
    # RFC 8785 orders keys by UTF-16 code units: U+FB01 sorts after U+1F600's surrogates.
    assert canonical_json({"\ufb01": 1, "\U0001f600": 2}) == '{"😀":2,"ﬁ":1}'.encode()
    assert parse_json_entry(b'{ "b" : 2, "a" : 1 }', "line 1") == b'{"a":1,"b":2}'
    with pytest.raises(MalformedEvidenceError, match="line 3"):
        parse_json_entry(b"[1]", "line 3")
    with pytest.raises(MalformedEvidenceError, match="no canonical"):
        canonical_json({"x": 1.5})
    with pytest.raises(MalformedEvidenceError, match="2\\*\\*53"):
        canonical_json({"x": 2**60})
