"""C2SP tlog-checkpoint: exact text format, and opening signed checkpoints."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dataport.ledger import (
    Checkpoint,
    CosignatureSigner,
    Ed25519Signer,
    Ed25519Verifier,
    MalformedEvidenceError,
    OriginMismatchError,
    SignatureError,
    open_checkpoint,
    sign_checkpoint,
    sign_note,
)

from .conftest import TESSERA_ORIGIN

ROOT_15 = "rKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs="
TEXT_15 = f"{TESSERA_ORIGIN}\n15\n{ROOT_15}\n"


def test_parses_the_tessera_checkpoint() -> None:
    checkpoint = Checkpoint.parse(TEXT_15)
    assert checkpoint == Checkpoint(TESSERA_ORIGIN, 15, base64.b64decode(ROOT_15))
    assert checkpoint.format() == TEXT_15


def test_extension_lines_round_trip() -> None:
    text = f"{TESSERA_ORIGIN}\n15\n{ROOT_15}\nfirst extension\nsecond\n"
    checkpoint = Checkpoint.parse(text)
    assert checkpoint.extensions == ("first extension", "second")
    assert checkpoint.format() == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (TEXT_15[:-1], "does not end in a newline"),
        (f"{TESSERA_ORIGIN}\n15\n", "has 2 lines"),
        (f"{TESSERA_ORIGIN}\n015\n{ROOT_15}\n", "without leading zeros"),
        (f"{TESSERA_ORIGIN}\n+15\n{ROOT_15}\n", "without leading zeros"),
        (f"{TESSERA_ORIGIN}\n 15\n{ROOT_15}\n", "without leading zeros"),
        (f"{TESSERA_ORIGIN}\n-1\n{ROOT_15}\n", "without leading zeros"),
        (f"{TESSERA_ORIGIN}\n１５\n{ROOT_15}\n", "without leading zeros"),
        (f"{TESSERA_ORIGIN}\n{2**64}\n{ROOT_15}\n", "uint64"),
        (f"{TESSERA_ORIGIN}\n15\n{ROOT_15[:-1]}\n", "canonical base64 of a 32-byte hash"),
        # "t" differs from the canonical "s" only in the padding bits of the last byte.
        (f"{TESSERA_ORIGIN}\n15\n{ROOT_15[:-2]}t=\n", "canonical base64"),
        (f"{TESSERA_ORIGIN}\n15\n{base64.b64encode(bytes(31)).decode()}\n", "32-byte"),
        (f"{TESSERA_ORIGIN}\n15\n{ROOT_15} \n", "canonical base64"),
        (f"\n15\n{ROOT_15}\n", "origin is empty"),
        (f"{TESSERA_ORIGIN}\r\n15\n{ROOT_15}\n", "control character"),
        (f"{TESSERA_ORIGIN}\n15\n{ROOT_15}\n\nextension\n", "extension line 1 is empty"),
    ],
    ids=[
        "unterminated",
        "two-lines",
        "leading-zero",
        "plus-sign",
        "leading-space",
        "negative",
        "fullwidth-digits",
        "size-over-uint64",
        "truncated-root",
        "non-canonical-root",
        "31-byte-root",
        "trailing-space",
        "empty-origin",
        "carriage-return",
        "empty-extension",
    ],
)
def test_malformed_checkpoints_are_refused(text: str, reason: str) -> None:
    with pytest.raises(MalformedEvidenceError, match=reason):
        Checkpoint.parse(text)


def test_a_checkpoint_cannot_be_built_with_a_short_root() -> None:
    with pytest.raises(MalformedEvidenceError, match="31 bytes, expected 32"):
        Checkpoint(TESSERA_ORIGIN, 1, bytes(31))


@pytest.mark.parametrize("size", range(16))
def test_every_tessera_checkpoint_opens_with_the_published_key(
    size: int, tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    signed = open_checkpoint(
        tessera_log[f"checkpoint.{size}"], tessera_verifier, origin=TESSERA_ORIGIN
    )
    assert signed.checkpoint.size == size
    assert signed.note.text == signed.checkpoint.format()


def test_a_checkpoint_from_another_log_is_rejected(
    tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    with pytest.raises(OriginMismatchError, match=r"expected 'example\.com/other'"):
        open_checkpoint(tessera_log["checkpoint"], tessera_verifier, origin="example.com/other")


def test_a_checkpoint_signed_by_another_key_is_rejected(tessera_log: dict[str, bytes]) -> None:
    impostor = Ed25519Signer(TESSERA_ORIGIN, Ed25519PrivateKey.generate()).verifier
    with pytest.raises(SignatureError, match="no signature by a trusted key"):
        open_checkpoint(tessera_log["checkpoint"], impostor, origin=TESSERA_ORIGIN)


def test_a_cosignature_alone_does_not_stand_in_for_the_log_signature() -> None:
    log = Ed25519Signer(TESSERA_ORIGIN, Ed25519PrivateKey.generate())
    witness = CosignatureSigner("witness.example/w1", Ed25519PrivateKey.generate(), lambda: 7)
    checkpoint = Checkpoint(TESSERA_ORIGIN, 15, base64.b64decode(ROOT_15))
    only_witnessed = sign_note(checkpoint.format(), [witness])
    with pytest.raises(SignatureError, match="not signed by the log key"):
        open_checkpoint(
            only_witnessed, log.verifier, origin=TESSERA_ORIGIN, cosigners=[witness.verifier]
        )


def test_cosignatures_are_verified_alongside_the_log_signature() -> None:
    log = Ed25519Signer(TESSERA_ORIGIN, Ed25519PrivateKey.generate())
    witness = CosignatureSigner("witness.example/w1", Ed25519PrivateKey.generate(), lambda: 7)
    checkpoint = Checkpoint(TESSERA_ORIGIN, 15, base64.b64decode(ROOT_15))
    signed = sign_checkpoint(checkpoint, [log, witness])
    opened = open_checkpoint(
        signed, log.verifier, origin=TESSERA_ORIGIN, cosigners=[witness.verifier]
    )
    assert opened.checkpoint == checkpoint
    assert [s.name for s in opened.note.signatures] == [TESSERA_ORIGIN, "witness.example/w1"]
