"""The evidence log's operations: set up, append, sequence, prove, hand out receipts, audit.

Services flush and never commit. Entries recording a change are queued in the change's own
transaction (``evidence.queue_evidence``); :func:`integrate_after_commit` runs the sequencer
once that transaction committed, and anything it cannot do now stays durably queued.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dataport.audit.models import AuditEvent
from dataport.config import Settings
from dataport.errors import Conflict, DataportError, InvalidInput, NotFound
from dataport.identity.authz import Permission, Principal, authorize
from dataport.ledger import keys, store
from dataport.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from dataport.ledger.errors import LogMismatchError, ProofRequestError, short_hex
from dataport.ledger.evidence import QUEUED
from dataport.ledger.merkle import EMPTY_ROOT, CompactRange, consistency_proof, inclusion_proof
from dataport.ledger.mirror import LogAudit, audit_files
from dataport.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerLog
from dataport.ledger.note import Ed25519Signer, Ed25519Verifier, parse_verifier_key
from dataport.ledger.receipts import build_receipt
from dataport.ledger.schemas import EvidenceOut, LogStatusOut
from dataport.ledger.store import LOG_ID, DatabaseHashReader, DatabaseLogFiles, Integrated
from dataport.ledger.tiles import ENTRIES, TILE_HEIGHT, TILE_WIDTH, TileId, tiles_for_size

logger = logging.getLogger("dataport.ledger")

#: The URL path under which the API publishes the log (tlog-tiles prefix).
PUBLIC_PREFIX = "/log"


def get_log(session: Session) -> LedgerLog | None:
    return session.get(LedgerLog, LOG_ID)


def require_log(session: Session) -> LedgerLog:
    log = get_log(session)
    if log is None:
        raise _no_log()
    return log


def _no_log() -> NotFound:
    return NotFound(
        "there is no evidence log yet: run 'dataport log init' (or append an entry)",
        "尚无证据日志：请运行 'dataport log init'（或追加一个条目）",
    )


def init_log(
    session: Session, settings: Settings, *, origin: str, signer_key: str | None = None
) -> LedgerLog:
    """Creates the log: its key (generated, or imported) and its size-0 checkpoint."""
    _check_origin(origin)
    existing = get_log(session)
    if existing is not None:
        same_key = signer_key is None or (
            keys.as_log_signer(signer_key).verifier.verifier_key == existing.verifier_key
        )
        if existing.origin == origin and same_key:
            return existing
        raise Conflict(
            f"this installation already has the log {existing.origin} "
            f"(key {existing.verifier_key}); a log's origin and key never change",
            f"本安装已有日志 {existing.origin}（公钥 {existing.verifier_key}）；"
            "日志的来源与密钥不可更改",
        )
    settings.ensure_home()
    signer = keys.create_log_key(settings.home, origin, signer_key)
    log = LedgerLog(
        id=LOG_ID,
        origin=origin,
        verifier_key=signer.verifier.verifier_key,
        size=0,
        root_hash=EMPTY_ROOT,
        right_edge=b"",
        generation=0,
    )
    session.add(log)
    session.flush()
    note = sign_checkpoint(Checkpoint(origin, 0, EMPTY_ROOT), [signer])
    session.add(LedgerCheckpoint(size=0, note=note))
    session.flush()
    return log


def _check_origin(origin: str) -> None:
    if not origin or len(origin) > 200 or any(c.isspace() or c == "+" or c < " " for c in origin):
        raise InvalidInput(
            f"origin {origin!r} must be 1-200 characters without spaces or '+', "
            "e.g. lingang.example.cn/evidence",
            f"来源 {origin!r} 须为 1-200 个字符，不含空白或 '+'，例如 lingang.example.cn/evidence",
            field="origin",
        )


def _signer_on_first_use(session: Session, settings: Settings) -> Ed25519Signer:
    """The signer from ``DATAPORT_HOME``; with neither key nor log, both are made now."""
    path = keys.log_key_path(settings.home)
    if path.exists():
        return keys.load_log_signer(settings.home)
    if get_log(session) is None:
        origin = settings.log_origin or f"dataport.local/log/{secrets.token_hex(4)}"
        init_log(session, settings, origin=origin)
        return keys.load_log_signer(settings.home)
    return keys.load_log_signer(settings.home)  # raises: the log's key is elsewhere


def _integrate(
    session: Session, settings: Settings, new_entries: Sequence[bytes]
) -> Integrated | None:
    signer = _signer_on_first_use(session, settings)
    result = store.integrate(session, signer, new_entries=new_entries)
    if result is None and get_log(session) is None:
        init_log(session, settings, origin=signer.name)
        result = store.integrate(session, signer, new_entries=new_entries)
    return result


def append(session: Session, settings: Settings, entries: Sequence[bytes]) -> Integrated:
    """Appends entries (after any queued ones) and signs the checkpoint that covers them."""
    if not entries:
        raise InvalidInput("nothing to append", "没有要追加的条目", field="entries")
    result = _integrate(session, settings, entries)
    assert result is not None  # noqa: S101 - entries were given
    return result


def integrate_queued(session: Session, settings: Settings) -> Integrated | None:
    """Gives queued entries their indexes (one batch) and signs a checkpoint over them.

    The sequencer lock is the transaction's first statement, so run it in a fresh one.
    """
    return _integrate(session, settings, ())


def has_queued(session: Session) -> bool:
    return (
        session.scalar(sa.select(LedgerEntry.seq).where(LedgerEntry.idx.is_(None)).limit(1))
        is not None
    )


@contextmanager
def unit_of_work(sessions: Callable[[], Session], settings: Settings) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any exception; evidence it queued
    is sequenced into the log once it has committed."""
    session = sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    if session.info.get(QUEUED):
        integrate_after_commit(sessions, settings)


def integrate_after_commit(sessions: Callable[[], Session], settings: Settings) -> None:
    """Runs the sequencer after a transaction that queued entries committed.

    A failure here loses nothing: the entries stay queued for the next run (``dataport log
    checkpoint``), so it is logged rather than raised into a response that already succeeded.
    """
    try:
        while True:
            session = sessions()
            try:
                done = integrate_queued(session, settings)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
            if done is None or done.count < store.BATCH_SIZE:
                return
    except (DataportError, SQLAlchemyError) as error:
        logger.warning("evidence stays queued, not yet in the log: %s", error)


def checkpoint(session: Session, settings: Settings) -> LedgerCheckpoint:
    """Integrates what is queued and returns the latest signed checkpoint."""
    while integrate_queued(session, settings) is not None:
        pass
    if get_log(session) is None:
        _signer_on_first_use(session, settings)
    return latest_checkpoint(session)


def latest_checkpoint(session: Session) -> LedgerCheckpoint:
    found = session.scalars(
        sa.select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
    ).first()
    if found is None:
        require_log(session)
        raise NotFound("the log has no checkpoint", "日志没有检查点")
    return found


def checkpoint_at(session: Session, size: int) -> LedgerCheckpoint:
    found = session.get(LedgerCheckpoint, size)
    if found is None:
        raise NotFound(
            f"the log signed no checkpoint of size {size}",
            f"日志没有签署大小为 {size} 的检查点",
            field="size",
        )
    return found


def checkpoint_sizes(session: Session) -> list[int]:
    return list(session.scalars(sa.select(LedgerCheckpoint.size).order_by(LedgerCheckpoint.size)))


def add_timestamp(session: Session, row: LedgerCheckpoint, token: bytes) -> None:
    row.timestamp = token
    session.flush()


def status(session: Session) -> LogStatusOut:
    log = require_log(session)
    pending = session.scalar(
        sa.select(sa.func.count()).select_from(LedgerEntry).where(LedgerEntry.idx.is_(None))
    )
    return LogStatusOut(
        origin=log.origin,
        verifier_key=log.verifier_key,
        size=log.size,
        root_hash=base64.b64encode(log.root_hash).decode(),
        pending=pending or 0,
        checkpoint=latest_checkpoint(session).note.decode(),
    )


# -- proofs and receipts ------------------------------------------------------------------


def _require_size(log_size: int, size: int) -> None:
    if not 0 < size <= log_size:
        raise ProofRequestError(
            f"the log has {log_size} entries; it cannot prove anything about size {size}",
            f"日志共有 {log_size} 个条目，无法就大小 {size} 给出证明",
            field="size",
        )


def _log_size(session: Session) -> int:
    """The log's size, read alone: proofs need nothing else of the head."""
    size = store.log_size(session)
    if size is None:
        raise _no_log()
    return size


def entry_at(session: Session, index: int) -> LedgerEntry:
    entry = session.scalars(sa.select(LedgerEntry).where(LedgerEntry.idx == index)).first()
    if entry is None:
        raise NotFound(
            f"the log has no entry {index}", f"日志中没有第 {index} 个条目", field="index"
        )
    return entry


def inclusion(session: Session, index: int, size: int | None = None) -> tuple[int, list[bytes]]:
    """The proof of entry ``index`` in the tree of ``size`` (default: the latest)."""
    log_size = _log_size(session)
    size = log_size if size is None else size
    _require_size(log_size, size)
    return size, inclusion_proof(index, size, DatabaseHashReader(session, size))


def consistency(session: Session, old_size: int, new_size: int | None = None) -> list[bytes]:
    log_size = _log_size(session)
    new_size = log_size if new_size is None else new_size
    _require_size(log_size, new_size)
    return consistency_proof(old_size, new_size, DatabaseHashReader(session, new_size))


def receipt(session: Session, index: int, size: int | None = None) -> dict[str, object]:
    """The receipt of entry ``index`` under the latest checkpoint (or the one of ``size``)."""
    log = require_log(session)
    entry = entry_at(session, index)
    signed = latest_checkpoint(session) if size is None else checkpoint_at(session, size)
    if index >= signed.size:
        raise ProofRequestError(
            f"entry {index} is not under the checkpoint of size {signed.size}",
            f"第 {index} 个条目不在大小为 {signed.size} 的检查点之下",
            field="size",
        )
    proof = inclusion_proof(index, signed.size, DatabaseHashReader(session, signed.size))
    return build_receipt(
        origin=log.origin,
        verifier_key=log.verifier_key,
        index=index,
        entry=entry.data,
        checkpoint=signed.note,
        proof=proof,
        timestamp=signed.timestamp,
    )


def receipt_for(session: Session, principal: Principal, index: int) -> dict[str, object]:
    """A receipt for a caller who may read the organisation the entry is about."""
    entry = entry_at(session, index)
    if entry.org_id is not None:
        try:
            authorize(
                principal,
                Permission.dataset_read,
                entry.org_id,
                read_permission=Permission.dataset_read,
                what="entry",
            )
        except NotFound:
            raise NotFound(
                f"the log has no entry {index}", f"日志中没有第 {index} 个条目", field="index"
            ) from None
    return receipt(session, index)


def evidence_of(session: Session, target_type: str, target_id: str) -> list[EvidenceOut]:
    """The entries recorded about one record, oldest first (authorise the record first)."""
    rows = session.execute(
        sa.select(AuditEvent.action, AuditEvent.details, AuditEvent.seq, LedgerEntry.idx)
        .join(LedgerEntry, LedgerEntry.audit_seq == AuditEvent.seq)
        .where(AuditEvent.target_type == target_type, AuditEvent.target_id == target_id)
        .order_by(AuditEvent.seq)
    ).all()
    return [
        EvidenceOut(
            event=row.action,
            version=row.details.get("version") if isinstance(row.details, dict) else None,
            audit_seq=row.seq,
            index=row.idx,
            receipt_url=f"/v1/log/receipts/{row.idx}" if row.idx is not None else None,
            receipt_command=(
                f"dataport log proof --index {row.idx}" if row.idx is not None else None
            ),
        )
        for row in rows
    ]


# -- export and audit ---------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    size: int
    files: int
    checkpoints: int


def export(session: Session, target: MutableMapping[str, bytes]) -> Export:
    """Writes the log as static tlog-tiles files: tiles and bundles, then the checkpoints.

    Partial tiles are written for every checkpoint whose tile is still partial at the latest
    size (tlog-tiles lets a log drop a partial once its full tile exists). ``checkpoint.N``
    keeps every signed checkpoint, for audits; ``checkpoint`` is written last.
    """
    files = DatabaseLogFiles(session)
    latest = latest_checkpoint(session)
    final = Checkpoint.parse(latest.note.decode().rsplit("\n\n", 1)[0] + "\n").size
    sizes = checkpoint_sizes(session)
    paths = {tile.path for tile in tiles_for_size(final)}
    for size in sizes:
        for tile in _partial_tiles(size):
            if _width_at(tile, final) < TILE_WIDTH:
                paths.add(tile.path)
    for path in sorted(paths):
        target[path] = files[path]
    for size in sizes:
        target[f"checkpoint.{size}"] = files[f"checkpoint.{size}"]
    target["checkpoint"] = latest.note
    return Export(final, len(paths) + len(sizes) + 1, len(sizes))


def _partial_tiles(size: int) -> list[TileId]:
    tiles = []
    level = 0
    while hashes := size >> (TILE_HEIGHT * level):
        if hashes % TILE_WIDTH:
            tiles.append(TileId(level, hashes // TILE_WIDTH, hashes % TILE_WIDTH))
        level += 1
    if size % TILE_WIDTH:
        tiles.append(TileId(ENTRIES, size // TILE_WIDTH, size % TILE_WIDTH))
    return tiles


def _width_at(tile: TileId, size: int) -> int:
    level = 0 if tile.level == ENTRIES else tile.level
    return min(TILE_WIDTH, (size >> (TILE_HEIGHT * level)) - tile.index * TILE_WIDTH)


def trusted_key(text: str) -> Ed25519Verifier:
    key = parse_verifier_key(text.strip())
    if not isinstance(key, Ed25519Verifier):
        raise InvalidInput(
            "the log key must be an Ed25519 verifier key (type 0x01)",
            "日志公钥须为 Ed25519 验证公钥（类型 0x01）",
            field="key",
        )
    return key


def verify_database(session: Session, verifier_key: str | None = None) -> LogAudit:
    """The full audit of the log in the database, plus its head row against its checkpoint."""
    log = require_log(session)
    key = trusted_key(verifier_key or log.verifier_key)
    audit = audit_files(DatabaseLogFiles(session), key, origin=log.origin)
    head = open_checkpoint(latest_checkpoint(session).note, key, origin=log.origin).checkpoint
    problems = []
    if (log.size, log.root_hash) != (head.size, head.root_hash) or head != audit.checkpoint:
        problems.append(
            (
                f"the log head says size {log.size} root {short_hex(log.root_hash)}, the latest "
                f"checkpoint {head.size} {short_hex(head.root_hash)}",
                f"日志头部记录大小 {log.size}、根哈希 {short_hex(log.root_hash)}，"
                f"最新检查点为 {head.size}、{short_hex(head.root_hash)}",
            )
        )
    elif b"".join(
        CompactRange.read(log.size, DatabaseHashReader(session, log.size, cache=None)).hashes
    ) != bytes(log.right_edge):
        problems.append(
            ("the log head's right edge differs from the tiles", "日志头部的右边界与瓦片不符")
        )
    indexed = session.scalar(
        sa.select(sa.func.count()).select_from(LedgerEntry).where(LedgerEntry.idx.is_not(None))
    )
    if indexed != log.size:
        problems.append(
            (
                f"{indexed} entries have an index, but the log has {log.size}",
                f"有 {indexed} 个条目带有序号，但日志大小为 {log.size}",
            )
        )
    if problems:
        raise LogMismatchError(
            "; ".join(en for en, _ in problems), "；".join(zh for _, zh in problems)
        )
    return audit
