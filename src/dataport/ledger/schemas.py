"""Evidence-log records as the API and CLI return them."""

from __future__ import annotations

from pydantic import BaseModel


class LogStatusOut(BaseModel):
    origin: str
    verifier_key: str
    size: int
    root_hash: str
    pending: int
    checkpoint: str


class InclusionProofOut(BaseModel):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyProofOut(BaseModel):
    old_size: int
    new_size: int
    proof: list[str]


class EvidenceOut(BaseModel):
    """One entry recorded about a record (a dataset): where it is and where its receipt is."""

    event: str
    version: int | None
    audit_seq: int | None
    #: The entry's index in the log; None while it waits for the sequencer.
    index: int | None
    receipt_url: str | None
    receipt_command: str | None
