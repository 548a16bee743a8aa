"""Routes of the evidence log.

Under ``/log`` the log is published as C2SP tlog-tiles (checkpoint, hash tiles, entry
bundles) with its proofs, to anyone: it is public evidence, and its entries hold only ids,
hashes and counts. Receipts, which tie an entry to a caller's own records, need a token.
"""

from __future__ import annotations

import base64
import uuid

from fastapi import APIRouter, Query, Response

from dataport.api.deps import PrincipalDep, SessionDep
from dataport.catalog import service as catalog
from dataport.errors import NotFound
from dataport.ledger import service
from dataport.ledger.errors import MalformedEvidenceError
from dataport.ledger.merkle import leaf_hash
from dataport.ledger.schemas import ConsistencyProofOut, EvidenceOut, InclusionProofOut
from dataport.ledger.store import DatabaseLogFiles, encode_hashes
from dataport.ledger.tiles import parse_tile_path

public = APIRouter(prefix=service.PUBLIC_PREFIX, tags=["evidence log (public)"])
router = APIRouter(prefix="/v1", tags=["evidence log"])

_TEXT = "text/plain; charset=utf-8"
_MUTABLE = {"Cache-Control": "no-cache"}
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


@public.get("/checkpoint", summary="The latest signed checkpoint (C2SP tlog-checkpoint)")
def get_checkpoint(session: SessionDep) -> Response:
    note = service.latest_checkpoint(session).note
    return Response(note, media_type=_TEXT, headers=_MUTABLE)


@public.get("/checkpoint.{size}", summary="The checkpoint the log signed at one size")
def get_checkpoint_at(size: int, session: SessionDep) -> Response:
    note = service.checkpoint_at(session, size).note
    return Response(note, media_type=_TEXT, headers=_MUTABLE)


@public.get("/checkpoints", summary="Sizes of every checkpoint the log signed")
def list_checkpoints(session: SessionDep) -> list[int]:
    return service.checkpoint_sizes(session)


@public.get("/key", summary="The log's verifier key (C2SP signed-note)")
def get_key(session: SessionDep) -> Response:
    return Response(service.require_log(session).verifier_key + "\n", media_type=_TEXT)


@public.get("/tile/{path:path}", summary="A hash tile or entry bundle (C2SP tlog-tiles)")
def get_tile(path: str, session: SessionDep) -> Response:
    full_path = f"tile/{path}"
    try:
        tile = parse_tile_path(full_path)
        data = DatabaseLogFiles(session)[full_path]
    except (MalformedEvidenceError, KeyError):
        raise NotFound(f"no {full_path} in the log", f"日志中没有 {full_path}") from None
    return Response(
        data,
        media_type="application/octet-stream",
        headers=_MUTABLE if tile.is_partial else _IMMUTABLE,
    )


@public.get("/proof/inclusion", summary="Inclusion proof of an entry (RFC 9162)")
def get_inclusion(
    session: SessionDep,
    index: int = Query(ge=0),
    size: int | None = Query(default=None, ge=1, description="Tree size; default the latest"),
) -> InclusionProofOut:
    tree_size, proof = service.inclusion(session, index, size)
    digest = leaf_hash(service.entry_at(session, index).data)
    return InclusionProofOut(
        index=index,
        size=tree_size,
        leaf_hash=base64.b64encode(digest).decode(),
        proof=encode_hashes(proof),
    )


@public.get("/proof/consistency", summary="Consistency proof between two tree sizes (RFC 9162)")
def get_consistency(
    session: SessionDep,
    old: int = Query(ge=1),
    new: int | None = Query(default=None, ge=1, description="Default: the latest size"),
) -> ConsistencyProofOut:
    new_size = new or service.require_log(session).size
    proof = service.consistency(session, old, new_size)
    return ConsistencyProofOut(old_size=old, new_size=new_size, proof=encode_hashes(proof))


@router.get("/log/receipts/{index}", summary="The receipt of an entry about the caller's records")
def get_receipt(index: int, session: SessionDep, principal: PrincipalDep) -> dict[str, object]:
    return service.receipt_for(session, principal, index)


@router.get(
    "/datasets/{dataset_id}/evidence",
    summary="The log entries recorded about a dataset, with their receipts",
)
def dataset_evidence(
    dataset_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> list[EvidenceOut]:
    dataset = catalog.get_dataset(session, principal, dataset_id)
    return service.evidence_of(session, "dataset", str(dataset.id))
