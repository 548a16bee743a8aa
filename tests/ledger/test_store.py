"""The log in the database: sequencing, tiles, proofs, export and audit (SQLite, PostgreSQL)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from dataport.config import Settings
from dataport.errors import Conflict, InvalidInput, PermissionDenied
from dataport.ledger import (
    Ed25519Verifier,
    LogMismatchError,
    ProofRequestError,
    SignatureError,
    TileLogWriter,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    open_checkpoint,
    root_from_leaf_hashes,
    service,
    verify_consistency,
    verify_inclusion,
)
from dataport.ledger.keys import log_key_path
from dataport.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerLog, LedgerTile
from dataport.ledger.receipts import verify_receipt
from dataport.ledger.store import DatabaseHashReader, DatabaseLogFiles
from dataport.ledger.tilelog import LogDirectory
from tests.conftest import is_postgres

from .conftest import (
    TESSERA_ENTRIES,
    TESSERA_ORIGIN,
    TESSERA_SIGNER_KEY,
    TESSERA_VERIFIER_KEY,
    shared_vectors_dir,
)


@pytest.fixture
def tessera_db(session: Session, settings: Settings) -> Session:
    """The Tessera entries appended one at a time to a database log with Tessera's key."""
    service.init_log(session, settings, origin=TESSERA_ORIGIN, signer_key=TESSERA_SIGNER_KEY)
    for entry in TESSERA_ENTRIES:
        service.append(session, settings, [entry])
    return session


def test_appending_one_at_a_time_exports_exactly_the_tessera_log(
    tessera_db: Session, tmp_path: Path
) -> None:
    service.export(tessera_db, LogDirectory(tmp_path / "export"))
    expected = shared_vectors_dir() / "tessera-log"
    exported = {
        p.relative_to(tmp_path / "export").as_posix(): p.read_bytes()
        for p in (tmp_path / "export").rglob("*")
        if p.is_file()
    }
    upstream = {
        p.relative_to(expected).as_posix(): p.read_bytes()
        for p in expected.rglob("*")
        if p.is_file() and p.name != "LICENSE"
    }
    assert exported == upstream


def test_the_database_log_passes_its_audit(tessera_db: Session) -> None:
    audit = service.verify_database(tessera_db, TESSERA_VERIFIER_KEY)
    assert (audit.checkpoint.size, audit.checkpoints_checked) == (15, 16)


def test_proofs_from_the_database_match_the_pure_tree(session: Session, settings: Settings) -> None:
    entries = [f'{{"n":{n}}}'.encode() for n in range(700)]
    service.append(session, settings, entries[:300])
    service.append(session, settings, entries[300:])
    leaves = [leaf_hash(e) for e in entries]
    files: dict[str, bytes] = {}
    writer = TileLogWriter.create("x", _tessera_signer(), files)
    writer.append_batch(entries)
    root = root_from_leaf_hashes(leaves)
    assert service.require_log(session).root_hash == root
    for index in (0, 1, 255, 256, 299, 511, 512, 699):
        for size in (index + 1, 300, 700):
            if index >= size:
                continue
            proof = inclusion_proof(index, size, DatabaseHashReader(session, size))
            verify_inclusion(
                leaves[index], index, size, proof, root_from_leaf_hashes(leaves[:size])
            )
    proof = consistency_proof(300, 700, DatabaseHashReader(session, 700))
    verify_consistency(300, 700, proof, root_from_leaf_hashes(leaves[:300]), root)


def _tessera_signer():  # type: ignore[no-untyped-def]
    from dataport.ledger import parse_signer_key

    return parse_signer_key(TESSERA_SIGNER_KEY)


def test_a_receipt_verifies_offline_under_each_checkpoint(
    session: Session, settings: Settings
) -> None:
    service.append(session, settings, [b'{"a":1}', b'{"a":2}'])
    service.append(session, settings, [b'{"a":3}'])
    key = service.require_log(session).verifier_key
    for size in (2, 3):
        receipt = service.receipt(session, 1, size)
        verdict = verify_receipt(json.dumps(receipt).encode(), key)
        assert (verdict.index, verdict.size, verdict.entry) == (1, size, b'{"a":2}')
    with pytest.raises(ProofRequestError):
        service.receipt(session, 2, 2)


def test_first_use_generates_an_owner_only_key_and_the_log(
    session: Session, settings: Settings
) -> None:
    done = service.append(session, settings, [b'{"first":true}'])
    assert (done.first_index, done.size) == (0, 1)
    path = log_key_path(settings.home)
    assert path.stat().st_mode & 0o777 == 0o600
    log = service.require_log(session)
    assert log.origin.startswith("dataport.local/log/")
    signed = open_checkpoint(
        service.latest_checkpoint(session).note,
        service.trusted_key(log.verifier_key),
        origin=log.origin,
    )
    assert signed.checkpoint.size == 1


def test_a_key_readable_by_others_is_refused(session: Session, settings: Settings) -> None:
    service.append(session, settings, [b"{}"])
    log_key_path(settings.home).chmod(0o644)
    with pytest.raises(PermissionDenied, match="chmod 600"):
        service.append(session, settings, [b"{}"])


def test_init_is_idempotent_and_refuses_another_origin_or_key(
    session: Session, settings: Settings
) -> None:
    service.init_log(session, settings, origin=TESSERA_ORIGIN, signer_key=TESSERA_SIGNER_KEY)
    service.init_log(session, settings, origin=TESSERA_ORIGIN)
    with pytest.raises(Conflict):
        service.init_log(session, settings, origin="example.com/other")
    with pytest.raises(InvalidInput, match="origin"):
        service.init_log(session, settings, origin="has space")


def test_an_imported_key_must_carry_the_origin_as_its_name(
    session: Session, settings: Settings
) -> None:
    with pytest.raises(InvalidInput, match="named"):
        service.init_log(
            session, settings, origin="example.com/mine", signer_key=TESSERA_SIGNER_KEY
        )


def test_queued_entries_get_indexes_in_queue_order(session: Session, settings: Settings) -> None:
    service.append(session, settings, [b'{"direct":0}'])
    for n in range(3):
        session.add(LedgerEntry(data=json.dumps({"queued": n}).encode()))
    session.flush()
    service.append(session, settings, [b'{"direct":1}'])
    rows = session.execute(
        sa.select(LedgerEntry.idx, LedgerEntry.data).order_by(LedgerEntry.idx)
    ).all()
    assert [r.data for r in rows] == [
        b'{"direct":0}',
        b'{"queued": 0}',
        b'{"queued": 1}',
        b'{"queued": 2}',
        b'{"direct":1}',
    ]
    assert [r.idx for r in rows] == [0, 1, 2, 3, 4]


def test_two_entries_can_never_share_an_index(session: Session, settings: Settings) -> None:
    service.append(session, settings, [b"{}"])
    nested = session.begin_nested()
    session.add(LedgerEntry(idx=0, data=b'{"forged":1}'))
    with pytest.raises(IntegrityError):
        session.flush()
    nested.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        sa.delete(LedgerEntry),
        sa.update(LedgerEntry).values(data=b'{"rewritten":1}'),
        sa.update(LedgerEntry).values(idx=LedgerEntry.idx + 1),
        sa.delete(LedgerTile),
        sa.update(LedgerTile).values(data=b"\x00" * 32),
        sa.delete(LedgerCheckpoint),
        sa.update(LedgerCheckpoint).values(note=b"x"),
    ],
    ids=lambda s: str(s).split("\n")[0],
)
def test_the_database_refuses_to_rewrite_history(
    session: Session, settings: Settings, statement: sa.Executable
) -> None:
    service.append(session, settings, [b'{"a":1}', b'{"a":2}'])
    nested = session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(statement)
    nested.rollback()


def _drop_guards(session: Session) -> None:
    """What an attacker with the database's owner rights can do: remove the triggers."""
    if is_postgres():
        for table in ("ledger_entry", "ledger_tile", "ledger_checkpoint"):
            session.execute(sa.text(f"DROP TRIGGER {table}_guard ON {table}"))
    else:
        for trigger in (
            "ledger_entry_no_rewrite",
            "ledger_entry_no_delete",
            "ledger_tile_only_grows",
            "ledger_tile_no_delete",
            "ledger_checkpoint_keeps_text",
            "ledger_checkpoint_no_delete",
        ):
            session.execute(sa.text(f"DROP TRIGGER {trigger}"))


def _flip_byte(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 1]) + data[offset + 1 :]


TAMPERING = {
    "entry rewritten": lambda s: s.execute(
        sa.update(LedgerEntry).where(LedgerEntry.idx == 7).values(data=b"seven")
    ),
    "entry deleted": lambda s: s.execute(sa.delete(LedgerEntry).where(LedgerEntry.idx == 3)),
    "leaf hash flipped": lambda s: s.execute(
        sa.update(LedgerTile)
        .where(LedgerTile.level == 0)
        .values(data=_flip_byte(s.scalar(sa.select(LedgerTile.data)), 100))
    ),
    "checkpoint re-signed by another key": lambda s: s.execute(
        sa.update(LedgerCheckpoint)
        .where(LedgerCheckpoint.size == 8)
        .values(
            note=_foreign_note(
                s.scalar(sa.select(LedgerCheckpoint.note).where(LedgerCheckpoint.size == 8))
            )
        )
    ),
    "checkpoint from another history": lambda s: s.execute(
        sa.update(LedgerCheckpoint).where(LedgerCheckpoint.size == 8).values(note=_other_history(8))
    ),
    "head rolled back": lambda s: s.execute(sa.update(LedgerLog).values(size=14)),
}


def _foreign_note(note: bytes) -> bytes:
    from dataport.ledger import generate_key, parse_signer_key, sign_note

    text = note.decode().rsplit("\n\n", 1)[0] + "\n"
    signer = parse_signer_key(generate_key(TESSERA_ORIGIN).signer_key)
    return sign_note(text, [signer])


def _other_history(size: int) -> bytes:
    from dataport.ledger import Checkpoint, sign_checkpoint

    root = root_from_leaf_hashes(leaf_hash(b"forged %d" % n) for n in range(size))
    return sign_checkpoint(Checkpoint(TESSERA_ORIGIN, size, root), [_tessera_signer()])


@pytest.mark.parametrize("tampering", sorted(TAMPERING))
def test_log_verify_detects_tampering_anywhere(tessera_db: Session, tampering: str) -> None:
    _drop_guards(tessera_db)
    TAMPERING[tampering](tessera_db)
    tessera_db.expire_all()
    with pytest.raises((LogMismatchError, SignatureError)):
        service.verify_database(tessera_db, TESSERA_VERIFIER_KEY)


def test_verify_with_another_key_fails(tessera_db: Session) -> None:
    from dataport.ledger import generate_key

    with pytest.raises(SignatureError):
        service.verify_database(tessera_db, generate_key(TESSERA_ORIGIN).verifier_key)


def test_the_database_files_serve_partial_tiles_as_prefixes(tessera_db: Session) -> None:
    files = DatabaseLogFiles(tessera_db)
    full = files["tile/0/000.p/15"]
    assert files["tile/0/000.p/4"] == full[: 4 * 32]
    with pytest.raises(KeyError):
        files["tile/0/000.p/16"]
    with pytest.raises(KeyError):
        files["tile/entries/000.p/16"]
    assert files["tile/entries/000.p/2"] == b"\x00\x03one\x00\x03two"


def test_inclusion_proofs_need_a_size_the_log_has(tessera_db: Session) -> None:
    with pytest.raises(ProofRequestError):
        service.inclusion(tessera_db, 3, 16)
    with pytest.raises(ProofRequestError):
        service.inclusion(tessera_db, 15, 15)
    size, proof = service.inclusion(tessera_db, 3, 4)
    checkpoint = open_checkpoint(
        service.checkpoint_at(tessera_db, 4).note, _verifier(), origin=TESSERA_ORIGIN
    ).checkpoint
    verify_inclusion(leaf_hash(b"four"), 3, size, proof, checkpoint.root_hash)


def _verifier() -> Ed25519Verifier:
    return service.trusted_key(TESSERA_VERIFIER_KEY)


def test_export_after_many_batches_is_a_valid_static_log(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    for start in range(0, 1300, 250):
        service.append(session, settings, [b'{"n":%d}' % n for n in range(start, start + 250)])
    done = service.export(session, LogDirectory(tmp_path))
    assert done.size == 1500
    from dataport.ledger.mirror import audit_files

    key = service.trusted_key(service.require_log(session).verifier_key)
    audit = audit_files(LogDirectory(tmp_path), key, origin=key.name)
    assert audit.checkpoint.size == 1500
    assert audit.checkpoints_checked == 7
    # Full tiles replace the partial ones of earlier checkpoints.
    assert not (tmp_path / "tile/0/000.p").exists()
    assert sorted(p.name for p in (tmp_path / "tile/0/005.p").iterdir()) == ["220"]
    tile = base64.b64encode((tmp_path / "tile/0/000").read_bytes()[:32]).decode()
    assert tile == base64.b64encode(leaf_hash(b'{"n":0}')).decode()
