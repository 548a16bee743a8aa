"""The sequencer's batched writes and the proof reader's tile cache, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dataport.config import Settings
from dataport.errors import NotFound
from dataport.ledger import (
    LogStoreError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
    service,
    verify_consistency,
    verify_inclusion,
)
from dataport.ledger import store as ledger_store
from dataport.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerTile
from dataport.ledger.store import DatabaseHashReader, TileCache
from tests.conftest import is_postgres


def _entries(tag: str, count: int, start: int = 0) -> list[bytes]:
    return [b'{"%s":%d}' % (tag.encode(), n) for n in range(start, start + count)]


def test_a_cached_tile_of_a_rolled_back_history_is_never_served(
    session: Session, settings: Settings
) -> None:
    cache = TileCache()
    rolled_back = session.begin_nested()
    service.append(session, settings, _entries("a", 700))
    inclusion_proof(5, 700, DatabaseHashReader(session, 700, cache))
    cached = cache.full((0, 0))
    assert cached is not None
    rolled_back.rollback()

    entries = _entries("b", 700)
    service.append(session, settings, entries)
    leaves = [leaf_hash(entry) for entry in entries]
    root = root_from_leaf_hashes(leaves)
    for index in (5, 255, 256, 300, 699):
        proof = inclusion_proof(index, 700, DatabaseHashReader(session, 700, cache))
        verify_inclusion(leaves[index], index, 700, proof, root)
    replaced = cache.full((0, 0))
    assert replaced is not None
    assert replaced.root != cached.root


def test_proofs_with_and_without_the_cache_agree_across_tile_levels(
    session: Session, settings: Settings
) -> None:
    # Past 65,536 entries a level-1 tile is full too, so cached tiles are checked against a
    # cached parent as well as against the partial top tile.
    entries = _entries("n", 66_000)
    for start, count in ((0, 1), (1, 255), (256, 4097), (4353, 61_183), (65_536, 464)):
        service.append(session, settings, entries[start : start + count])
    leaves = [leaf_hash(entry) for entry in entries]
    assert service.require_log(session).root_hash == root_from_leaf_hashes(leaves)
    cache = TileCache()
    for size in (257, 4353, 65_536, 66_000):
        root = root_from_leaf_hashes(leaves[:size])
        for index in (0, 255, 256, 4352, 65_535, 65_999):
            if index >= size:
                continue
            uncached = inclusion_proof(index, size, DatabaseHashReader(session, size, None))
            for _ in range(2):  # the second time from the cache
                proof = inclusion_proof(index, size, DatabaseHashReader(session, size, cache))
                assert proof == uncached
            verify_inclusion(leaves[index], index, size, proof, root)
        for old in (1, 256, 4353, 65_535):
            if old >= size:
                continue
            proof = consistency_proof(old, size, DatabaseHashReader(session, size, cache))
            assert proof == consistency_proof(old, size, DatabaseHashReader(session, size, None))
            verify_consistency(old, size, proof, root_from_leaf_hashes(leaves[:old]), root)
    assert cache.full((1, 0)) is not None
    assert service.verify_database(session).checkpoint.size == 66_000


def test_queued_and_new_entries_share_a_batch_across_tiles(
    session: Session, settings: Settings
) -> None:
    service.append(session, settings, _entries("first", 200))
    queued = _entries("queued", 300)
    session.add_all(LedgerEntry(data=entry) for entry in queued)
    session.flush()
    done = service.append(session, settings, _entries("new", 300))
    assert (done.first_index, done.count, done.size) == (200, 600, 800)
    stored = session.scalars(sa.select(LedgerEntry.data).order_by(LedgerEntry.idx)).all()
    assert stored == _entries("first", 200) + queued + _entries("new", 300)
    leaves = [leaf_hash(entry) for entry in stored]
    assert service.require_log(session).root_hash == root_from_leaf_hashes(leaves)
    widths: dict[int, int] = dict(
        session.execute(
            sa.select(LedgerTile.tile_index, sa.func.length(LedgerTile.data)).where(
                LedgerTile.level == 0
            )
        ).all()
    )
    assert widths == {0: 256 * 32, 1: 256 * 32, 2: 256 * 32, 3: 32 * 32}
    service.verify_database(session)


def test_a_tile_that_disagrees_with_the_head_stops_the_sequencer(
    session: Session, settings: Settings
) -> None:
    service.append(session, settings, _entries("n", 300))
    nested = session.begin_nested()
    # An extension, which the database's triggers allow, but not one the head accounts for.
    tile = (LedgerTile.level == 0) & (LedgerTile.tile_index == 1)
    stored = session.scalar(sa.select(LedgerTile.data).where(tile))
    assert stored is not None
    session.execute(sa.update(LedgerTile).where(tile).values(data=stored + b"\x00" * 32))
    with pytest.raises(LogStoreError, match="tile 0/1 holds 45 hashes; a tree of 300 leaves"):
        service.append(session, settings, [b"{}"])
    nested.rollback()
    assert service.append(session, settings, [b"{}"]).size == 301
    service.verify_database(session)


def test_driver_errors_are_raised_as_sqlalchemy_errors(
    session: Session, settings: Settings
) -> None:
    service.append(session, settings, [b'{"a":1}'])
    nested = session.begin_nested()
    session.add(LedgerCheckpoint(size=2, note=b"squatting"))
    session.flush()
    with pytest.raises(IntegrityError):
        service.append(session, settings, [b'{"a":2}'])
    nested.rollback()


@pytest.mark.skipif(is_postgres(), reason="SQLite's own code path")
def test_sqlite_before_returning_locks_and_reads_the_head_in_two_statements(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    assert ledger_store.lock_log(session) is None
    service.append(session, settings, _entries("n", 3))
    head = ledger_store.lock_log(session)
    assert head is not None
    assert head.size == 3


def test_proofs_of_a_missing_log_say_so(session: Session) -> None:
    with pytest.raises(NotFound, match="no evidence log"):
        service.inclusion(session, 0)
    with pytest.raises(NotFound, match="no evidence log"):
        service.consistency(session, 1)
