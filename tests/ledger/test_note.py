"""C2SP signed notes, note keys, and tlog-cosignature v1 cosignatures."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from dataport.ledger import (
    COSIGNATURE_V1,
    ED25519,
    CosignatureSigner,
    CosignatureVerifier,
    Ed25519Signer,
    Ed25519Verifier,
    MalformedEvidenceError,
    NoteSignature,
    SignatureError,
    cosignature_timestamp,
    generate_key,
    key_id,
    open_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
)

from .conftest import TESSERA_VERIFIER_KEY

# golang.org/x/mod/sumdb/note, note_test.go: a deterministic signing vector.
PETER_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VERIFIER_KEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_LINE = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb"
    "6KE6RyyBwJnAM=\n"
)
ENOCH_LINE = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33"
    "WWd1RvMc+QQ=\n"
)

# C2SP signed-note, "Example".
SPEC_VERIFIER_KEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONnc"
    "AlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# C2SP tlog-cosignature, the example's witness line.
SPEC_COSIGNATURE = (
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIU"
    "BkBIfZ+qnA=="
)

CHECKPOINT_TEXT = "example.com/log\n3\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n"


def _peter() -> Ed25519Verifier:
    verifier = parse_verifier_key(PETER_VERIFIER_KEY)
    assert isinstance(verifier, Ed25519Verifier)
    return verifier


def _enoch() -> Ed25519Verifier:
    verifier = parse_verifier_key(ENOCH_VERIFIER_KEY)
    assert isinstance(verifier, Ed25519Verifier)
    return verifier


# --- signing and opening ---------------------------------------------------------------------


def test_signing_reproduces_the_go_vector_byte_for_byte() -> None:
    signer = parse_signer_key(PETER_SIGNER_KEY)
    assert sign_note(TEXT, [signer]) == (TEXT + "\n" + PETER_LINE).encode()
    assert isinstance(signer, Ed25519Signer)
    assert signer.verifier.verifier_key == PETER_VERIFIER_KEY


def test_the_signed_note_spec_example_verifies() -> None:
    note = open_note(SPEC_NOTE.encode(), [parse_verifier_key(SPEC_VERIFIER_KEY)])
    assert note.text == "This is an example message.\n"
    assert [(s.name, s.key_id) for s in note.signatures] == [("example.com/foo", 0x530D903A)]


def test_signatures_by_unknown_keys_are_kept_aside_unverified() -> None:
    note = open_note((TEXT + "\n" + PETER_LINE + ENOCH_LINE).encode(), [_peter()])
    assert note.text == TEXT
    assert [s.name for s in note.signatures] == ["PeterNeumann"]
    assert [(s.name, s.key_id) for s in note.unverified_signatures] == [("EnochRoot", 0xAF0CFE78)]


def test_every_trusted_signature_is_verified() -> None:
    note = open_note((TEXT + "\n" + PETER_LINE + ENOCH_LINE).encode(), [_peter(), _enoch()])
    assert [s.name for s in note.signatures] == ["PeterNeumann", "EnochRoot"]
    assert note.unverified_signatures == ()


def test_a_note_without_a_trusted_signature_is_rejected_naming_both_sides() -> None:
    with pytest.raises(SignatureError) as caught:
        open_note((TEXT + "\n" + ENOCH_LINE).encode(), [_peter()])
    assert "trusted PeterNeumann+c74f20a3; found EnochRoot+af0cfe78" in str(caught.value)


def test_a_note_with_no_trusted_keys_at_all_is_rejected() -> None:
    with pytest.raises(SignatureError, match="trusted none"):
        open_note((TEXT + "\n" + PETER_LINE).encode(), [])


def test_a_failing_signature_by_a_trusted_key_rejects_the_whole_note() -> None:
    bad_line = PETER_LINE[:60] + "ABCD" + PETER_LINE[60:]
    with pytest.raises(SignatureError, match=r"signature by PeterNeumann\+c74f20a3 does not"):
        open_note((TEXT + "\n" + bad_line + ENOCH_LINE).encode(), [_peter(), _enoch()])


def test_a_second_signature_line_by_a_trusted_key_must_verify_too() -> None:
    bad_line = PETER_LINE[:60] + "ABCD" + PETER_LINE[60:]
    with pytest.raises(SignatureError):
        open_note((TEXT + "\n" + PETER_LINE + bad_line).encode(), [_peter()])


def test_repeated_signature_lines_are_reported_once() -> None:
    note = open_note(
        (TEXT + "\n" + PETER_LINE + PETER_LINE + ENOCH_LINE + ENOCH_LINE).encode(), [_peter()]
    )
    assert len(note.signatures) == 1
    assert len(note.unverified_signatures) == 1


def test_a_tampered_text_is_rejected() -> None:
    tampered = TEXT.replace("problem,", "problem;")
    with pytest.raises(SignatureError):
        open_note((tampered + "\n" + PETER_LINE).encode(), [_peter()])


def test_the_same_key_given_twice_is_refused() -> None:
    with pytest.raises(MalformedEvidenceError, match="twice"):
        open_note((TEXT + "\n" + PETER_LINE).encode(), [_peter(), _peter()])


def test_more_than_100_signatures_are_refused() -> None:
    with pytest.raises(MalformedEvidenceError, match="101 signature lines"):
        open_note((TEXT + "\n" + PETER_LINE * 101).encode(), [_peter()])


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        (TEXT.encode(), "no blank line"),
        ((TEXT + "\n").encode(), "signature block is empty"),
        ((TEXT + "\n" + PETER_LINE[:-1]).encode(), "does not end in a newline"),
        (("\x01" + TEXT + "\n" + PETER_LINE).encode(), "control character U\\+0001"),
        (b"\xff" + (TEXT + "\n" + PETER_LINE).encode(), "not valid UTF-8"),
        ((TEXT + "\n" + PETER_LINE.replace("PeterNeumann", "Bad Name")).encode(), "not canon"),
        ((TEXT + "\n" + PETER_LINE + "Unexpected line.\n").encode(), "em dash"),
        ((TEXT + "\n" + "— PeterNeumann AAAAAA==\n").encode(), "too short"),
        ((TEXT + "\n" + PETER_LINE.replace("AM=", "AN=")).encode(), "not canonical"),
        ((TEXT + "\n" + PETER_LINE.replace("PeterNeumann", "Peter+Neumann")).encode(), "plus"),
    ],
    ids=[
        "text-only",
        "no-signatures",
        "unterminated-signature",
        "control-character",
        "invalid-utf8",
        "space-in-name",
        "stray-line",
        "signature-too-short",
        "non-canonical-base64",
        "plus-in-name",
    ],
)
def test_malformed_notes_are_rejected_with_the_reason(note: bytes, reason: str) -> None:
    with pytest.raises(MalformedEvidenceError, match=reason):
        open_note(note, [_peter()])


def test_resigning_replaces_the_signers_own_old_signature_and_keeps_others() -> None:
    signer = parse_signer_key(PETER_SIGNER_KEY)
    stale = NoteSignature("PeterNeumann", 0xC74F20A3, b"stale signature")
    enoch = open_note((TEXT + "\n" + ENOCH_LINE).encode(), [_enoch()]).signatures[0]
    signed = sign_note(TEXT, [signer], keep=[stale, enoch])
    assert signed == (TEXT + "\n" + ENOCH_LINE + PETER_LINE).encode()


@pytest.mark.parametrize("text", ["", "no final newline", "tab\there\n"])
def test_signing_malformed_text_is_refused(text: str) -> None:
    with pytest.raises(MalformedEvidenceError):
        sign_note(text, [parse_signer_key(PETER_SIGNER_KEY)])


def test_a_note_needs_at_least_one_signature() -> None:
    with pytest.raises(MalformedEvidenceError, match="at least one signature"):
        sign_note(TEXT, [])


# --- keys ------------------------------------------------------------------------------------


def test_key_id_is_the_truncated_hash_of_name_type_and_key() -> None:
    tessera = parse_verifier_key(TESSERA_VERIFIER_KEY)
    assert key_id("example.com/log/testdata", ED25519, tessera.public_key) == 0x33D7B496
    assert tessera.key_id == 0x33D7B496


@pytest.mark.parametrize("key", [PETER_VERIFIER_KEY, PETER_SIGNER_KEY], ids=["vkey", "skey"])
def test_every_mangling_of_a_key_string_is_refused(key: str) -> None:
    parse = parse_verifier_key if key == PETER_VERIFIER_KEY else parse_signer_key
    manglings = {key[i:j] for i in range(len(key)) for j in range(i + 1, len(key) + 1)}
    manglings |= {key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))}
    manglings.discard(key)
    accepted = []
    for mangled in manglings:
        try:
            parse(mangled)
        except MalformedEvidenceError:
            continue
        accepted.append(mangled)
    assert accepted == []


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        # golang.org/x/mod note_test.go: right key ID, wrong key length (its base64 also has
        # stray bits in the last character, which is refused first) / unknown type.
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "not canonical standard base64",
        ),
        (
            "PeterNeumann+5bdbe860+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==",
            "33 bytes",
        ),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "type 0x65"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "lowercase hex"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "hashes to"),
    ],
)
def test_key_strings_with_inconsistent_parts_are_refused(key: str, reason: str) -> None:
    with pytest.raises(MalformedEvidenceError, match=reason):
        parse_verifier_key(key)


@pytest.mark.parametrize("signature_type", [ED25519, COSIGNATURE_V1])
def test_generated_keys_sign_and_verify(signature_type: int) -> None:
    signer_key, verifier_key = generate_key("witness.example/w1", signature_type)
    signer = parse_signer_key(signer_key, clock=lambda: 1_700_000_000)
    verifier = parse_verifier_key(verifier_key)
    assert (signer.name, signer.key_id) == (verifier.name, verifier.key_id)
    assert signer.verifier.verifier_key == verifier_key
    assert signer_key.startswith("PRIVATE+KEY+witness.example/w1+")
    note = sign_note(CHECKPOINT_TEXT, [signer])
    assert open_note(note, [verifier]).signatures[0].key_id == verifier.key_id
    with pytest.raises(SignatureError):
        open_note(note.replace(b"\n3\n", b"\n4\n"), [verifier])


def test_generate_key_refuses_unknown_types_and_bad_names() -> None:
    with pytest.raises(MalformedEvidenceError, match="0x02"):
        generate_key("example.com/log", 0x02)
    with pytest.raises(MalformedEvidenceError, match="space"):
        generate_key("example.com/my log")


# --- cosignatures ----------------------------------------------------------------------------


def test_the_cosignature_spec_example_encodes_key_id_then_timestamp() -> None:
    raw = base64.b64decode(SPEC_COSIGNATURE)
    signature = NoteSignature("witness.example.com/w1", int.from_bytes(raw[:4], "big"), raw[4:])
    assert len(raw) == 4 + 8 + 64
    assert cosignature_timestamp(signature) == 1679315147


def test_a_witness_cosigns_a_checkpoint_over_the_specified_message() -> None:
    log = Ed25519Signer("example.com/log", Ed25519PrivateKey.generate())
    witness_key = Ed25519PrivateKey.generate()
    witness = CosignatureSigner("witness.example/w1", witness_key, clock=lambda: 1679315147)

    logged = open_note(sign_note(CHECKPOINT_TEXT, [log]), [log.verifier])
    cosigned = sign_note(logged.text, [witness], keep=logged.signatures)
    note = open_note(cosigned, [log.verifier, witness.verifier])

    assert [s.name for s in note.signatures] == ["example.com/log", "witness.example/w1"]
    cosignature = note.signatures[1]
    assert cosignature_timestamp(cosignature) == 1679315147
    message = f"cosignature/v1\ntime 1679315147\n{CHECKPOINT_TEXT}".encode()
    public: Ed25519PublicKey = witness_key.public_key()
    public.verify(cosignature.signature[8:], message)


def test_a_cosignature_key_is_not_a_note_signing_key() -> None:
    private_key = Ed25519PrivateKey.generate()
    as_log = Ed25519Signer("example.com/same", private_key)
    as_witness = CosignatureSigner("example.com/same", private_key, clock=lambda: 0)
    assert as_log.key_id != as_witness.key_id
    # A plain note signature relabelled as a cosignature (timestamp 0) must not verify:
    # the cosigned message is domain-separated by its "cosignature/v1" header.
    relabelled = NoteSignature(
        as_witness.name, as_witness.key_id, bytes(8) + as_log.sign(CHECKPOINT_TEXT.encode())
    )
    with pytest.raises(SignatureError):
        open_note(sign_note(CHECKPOINT_TEXT, [], keep=[relabelled]), [as_witness.verifier])


def test_a_cosignature_with_an_out_of_range_timestamp_is_rejected() -> None:
    witness_key = Ed25519PrivateKey.generate()
    verifier = CosignatureVerifier("w", witness_key.public_key().public_bytes_raw())
    timestamp = 2**63
    message = f"cosignature/v1\ntime {timestamp}\n{CHECKPOINT_TEXT}".encode()
    signature = timestamp.to_bytes(8, "big") + witness_key.sign(message)
    assert not verifier.verify(CHECKPOINT_TEXT.encode(), signature)
    with pytest.raises(MalformedEvidenceError, match=r"outside 0\.\.2"):
        CosignatureSigner("w", witness_key, clock=lambda: -1).sign(b"text\n")


def test_a_cosignature_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(MalformedEvidenceError, match="expected 72"):
        cosignature_timestamp(NoteSignature("w", 1, b"\x00" * 64))
