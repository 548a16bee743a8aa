"""Errors of the evidence log: malformed evidence, failed verification, inconsistent storage.

::

    InvalidInput (422)
     ├── MalformedEvidenceError  a key, note, checkpoint, tile path, tile or bundle that
     │                           does not parse
     └── ProofRequestError       a proof asked for leaves or sizes the tree does not have
    VerificationError (422)      well-formed evidence that fails verification
     ├── ProofError              an inclusion or consistency proof that does not hold
     │    ├── TreeRangeError     a leaf index or tree size the proof cannot be about
     │    ├── ProofLengthError   a proof with more or fewer hashes than its sizes require
     │    └── RootMismatchError  a proof that leads to another root than the trusted one
     ├── SignatureError          no trusted signature, or a trusted key's signature that fails
     ├── OriginMismatchError     a checkpoint from another log than the one expected
     └── LogMismatchError        a log's files disagree with what its checkpoint commits to
    LogStoreError (500)          storage returned data that contradicts its own layout
"""

from __future__ import annotations

from typing import ClassVar

from dataport.errors import DataportError, InvalidInput


def short_hex(digest: bytes) -> str:
    """A hash as hex, cut to a readable length: enough to tell two hashes apart in a message."""
    text = digest.hex()
    return text if len(text) <= 16 else f"{text[:16]}…"


class MalformedEvidenceError(InvalidInput):
    code = "malformed_evidence"


class ProofRequestError(InvalidInput):
    code = "invalid_proof_request"


class VerificationError(DataportError):
    code = "verification_failed"
    http_status = 422
    # Distinct from bad input (2), so that a script can tell false evidence from a typo.
    exit_code = 8


class ProofError(VerificationError):
    code = "invalid_proof"


class TreeRangeError(ProofError):
    code = "proof_out_of_range"


class ProofLengthError(ProofError):
    code = "proof_length_mismatch"

    def __init__(self, *, expected: int, actual: int) -> None:
        super().__init__(
            f"proof has {actual} hashes, expected {expected}",
            f"证明包含 {actual} 个哈希，应为 {expected} 个",
            expected=expected,
            actual=actual,
        )


class RootMismatchError(ProofError):
    code = "root_mismatch"

    _SUBJECTS_ZH: ClassVar[dict[str, str]] = {
        "root": "根哈希",
        "old root": "旧树根哈希",
        "new root": "新树根哈希",
    }

    def __init__(self, subject: str, *, expected: bytes, actual: bytes) -> None:
        super().__init__(
            f"{subject} mismatch: expected {short_hex(expected)}, got {short_hex(actual)}",
            f"{self._SUBJECTS_ZH[subject]}不一致：应为 {short_hex(expected)}，"
            f"实际为 {short_hex(actual)}",
            expected=expected.hex(),
            actual=actual.hex(),
        )


class SignatureError(VerificationError):
    code = "signature_rejected"


class OriginMismatchError(VerificationError):
    code = "origin_mismatch"


class LogMismatchError(VerificationError):
    code = "log_mismatch"


class LogStoreError(DataportError):
    code = "log_store_inconsistent"
    http_status = 500
