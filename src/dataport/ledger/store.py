"""The log in the database: the sequencer that integrates entries, and read-only views of it.

Appenders of any number of processes are serialised by one write to the log's head row, the
first statement of every sequencer transaction: on SQLite it takes the database's write lock,
on PostgreSQL the row's lock, and in both the sequencer then reads the head as the previous
sequencer committed it. The unique index on ``ledger_entry.idx`` backs this up: a second
entry at an index fails the transaction instead of entering the log.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dataport.db import utcnow
from dataport.ledger.checkpoint import Checkpoint, sign_checkpoint
from dataport.ledger.errors import LogMismatchError, LogStoreError, MalformedEvidenceError
from dataport.ledger.merkle import HASH_SIZE, CompactRange, NodeId
from dataport.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerLog, LedgerTile
from dataport.ledger.note import NoteSigner
from dataport.ledger.tilelog import CHECKPOINT_PATH
from dataport.ledger.tiles import (
    ENTRIES,
    TILE_HEIGHT,
    TILE_WIDTH,
    TileHashReader,
    TileId,
    encode_entry_bundle,
    parse_tile_path,
    require_entry_size,
)

LOG_ID = 1
#: Entries integrated per sequencer transaction at most.
BATCH_SIZE = 4096
_TILE_BYTES = TILE_WIDTH * HASH_SIZE
_entry = cast(sa.Table, LedgerEntry.__table__)
_tile = cast(sa.Table, LedgerTile.__table__)
_log = cast(sa.Table, LedgerLog.__table__)
_checkpoint = cast(sa.Table, LedgerCheckpoint.__table__)


@dataclass(frozen=True)
class Integrated:
    """What one sequencer run did: the entries it indexed and the checkpoint it signed."""

    first_index: int
    count: int
    checkpoint: bytes
    size: int


def split_hashes(data: bytes) -> list[bytes]:
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


@dataclass(frozen=True)
class _Head:
    origin: str
    verifier_key: str
    size: int
    right_edge: bytes


def lock_log(session: Session) -> _Head | None:
    """Takes the sequencer lock and returns the head as last committed (None: no log yet)."""
    locked = session.execute(
        sa.update(_log).where(_log.c.id == LOG_ID).values(generation=_log.c.generation + 1)
    )
    if getattr(locked, "rowcount", 0) == 0:
        return None
    row = session.execute(
        sa.select(_log.c.origin, _log.c.verifier_key, _log.c.size, _log.c.right_edge).where(
            _log.c.id == LOG_ID
        )
    ).one()
    return _Head(row.origin, row.verifier_key, row.size, bytes(row.right_edge))


def _executemany(session: Session, sql: str, rows: list[tuple[object, ...]]) -> None:
    """One statement over many rows, straight to the driver: no per-row Python above it.

    ``sql`` uses ``?`` placeholders, rewritten to the driver's own style.
    """
    connection = session.connection()
    if connection.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


class _TreeGrower:
    """Adds leaves to the right edge of the tree and collects the hash tiles they fill.

    The loop is CompactRange.append specialised for tiles: no object per node, one
    bytearray per open tile.
    """

    def __init__(self, session: Session, size: int, right_edge: bytes) -> None:
        self.size = size
        self.edge = split_hashes(right_edge)
        if len(self.edge) != size.bit_count():
            raise LogStoreError(
                f"the log head holds {len(self.edge)} right-edge hashes for size {size}",
                f"日志头部记录的右边界哈希数 {len(self.edge)} 与大小 {size} 不符",
            )
        # The open (rightmost, incomplete) tile at each tile level, as stored.
        self.open: list[bytearray] = []
        self.open_index: list[int] = []
        self.stored: set[tuple[int, int]] = set()
        self.full: list[tuple[int, int, bytes]] = []
        level = 0
        keys = []
        while size >> (TILE_HEIGHT * level):
            hashes = size >> (TILE_HEIGHT * level)
            self.open_index.append(hashes // TILE_WIDTH)
            self.open.append(bytearray())
            if hashes % TILE_WIDTH:
                keys.append((level, hashes // TILE_WIDTH))
            level += 1
        if keys:
            rows = session.execute(
                sa.select(_tile.c.level, _tile.c.tile_index, _tile.c.data).where(_tiles_where(keys))
            ).all()
            for row in rows:
                self.open[row.level] += row.data
                self.stored.add((row.level, row.tile_index))
            for level, index in keys:
                expected = ((size >> (TILE_HEIGHT * level)) % TILE_WIDTH) * HASH_SIZE
                if len(self.open[level]) < expected:
                    raise LogStoreError(
                        f"tile {level}/{index} holds {len(self.open[level]) // HASH_SIZE} "
                        f"hashes; a tree of {size} leaves needs {expected // HASH_SIZE}",
                        f"瓦片 {level}/{index} 只有 {len(self.open[level]) // HASH_SIZE} 个哈希，"
                        f"{size} 个叶子的树需要 {expected // HASH_SIZE} 个",
                    )
                del self.open[level][expected:]
        self.touched: set[int] = set()

    def add(self, entries: Iterable[bytes]) -> None:
        sha256 = hashlib.sha256
        edge = self.edge
        size = self.size
        for entry in entries:
            digest = sha256(b"\x00" + entry).digest()
            self._put(0, digest)
            index = size
            level = 0
            while index & 1:
                digest = sha256(b"\x01" + edge.pop() + digest).digest()
                index >>= 1
                level += 1
                if not level % TILE_HEIGHT:
                    self._put(level // TILE_HEIGHT, digest)
            edge.append(digest)
            size += 1
        self.size = size

    def _put(self, tile_level: int, digest: bytes) -> None:
        if tile_level == len(self.open):
            self.open.append(bytearray())
            self.open_index.append(0)
        tile = self.open[tile_level]
        tile += digest
        self.touched.add(tile_level)
        if len(tile) == _TILE_BYTES:
            self.full.append((tile_level, self.open_index[tile_level], bytes(tile)))
            tile.clear()
            self.open_index[tile_level] += 1

    def root(self) -> bytes:
        return CompactRange.from_hashes(self.size, self.edge).root()

    def write(self, session: Session) -> None:
        """Stores the tiles this batch filled or grew: inserts new ones, extends stored ones."""
        inserts: list[dict[str, object]] = []
        updates: list[dict[str, object]] = []
        for level, index, data in self.full:
            row = {"l": level, "i": index, "d": data}
            (updates if (level, index) in self.stored else inserts).append(row)
        for level in sorted(self.touched):
            if self.open[level]:
                index = self.open_index[level]
                row = {"l": level, "i": index, "d": bytes(self.open[level])}
                (updates if (level, index) in self.stored else inserts).append(row)
        if inserts:
            session.execute(
                _tile.insert().values(
                    level=sa.bindparam("l"), tile_index=sa.bindparam("i"), data=sa.bindparam("d")
                ),
                inserts,
            )
        if updates:
            session.execute(
                _tile.update()
                .where(_tile.c.level == sa.bindparam("l"), _tile.c.tile_index == sa.bindparam("i"))
                .values(data=sa.bindparam("d")),
                updates,
            )


def integrate(
    session: Session,
    signer: NoteSigner,
    *,
    new_entries: Sequence[bytes] = (),
    limit: int = BATCH_SIZE,
) -> Integrated | None:
    """One sequencer run: queued entries first, then ``new_entries``, under one checkpoint.

    Takes the sequencer lock, gives each entry the next index, stores the tiles they fill,
    signs the checkpoint of the new size, and flushes. The caller commits. Returns None when
    there is no log; a run with nothing to add signs nothing.
    """
    for entry in new_entries:
        require_entry_size(entry)
    log = lock_log(session)
    if log is None:
        return None
    if (signer.name, signer.key_id) != _key_identity(log.verifier_key):
        raise LogStoreError(
            f"the signer {signer.name}+{signer.key_id:08x} is not this log's key "
            f"{log.verifier_key}",
            f"签名密钥 {signer.name}+{signer.key_id:08x} 不是本日志的密钥 {log.verifier_key}",
        )
    queued = session.execute(
        sa.select(_entry.c.seq, _entry.c.data)
        .where(_entry.c.idx.is_(None))
        .order_by(_entry.c.seq)
        .limit(limit)
    ).all()
    if not queued and not new_entries:
        return None
    first = log.size
    grower = _TreeGrower(session, log.size, log.right_edge)
    if queued:
        grower.add(row.data for row in queued)
        _executemany(
            session,
            "UPDATE ledger_entry SET idx = ? WHERE seq = ?",
            [(first + n, row.seq) for n, row in enumerate(queued)],
        )
    if new_entries:
        start = grower.size
        grower.add(new_entries)
        _executemany(
            session,
            "INSERT INTO ledger_entry (idx, data) VALUES (?, ?)",
            list(zip(range(start, start + len(new_entries)), new_entries, strict=True)),
        )
    grower.write(session)
    root = grower.root()
    note = sign_checkpoint(Checkpoint(log.origin, grower.size, root), [signer])
    now = utcnow()
    session.execute(sa.insert(_checkpoint).values(size=grower.size, note=note, created_at=now))
    session.execute(
        sa.update(_log)
        .where(_log.c.id == LOG_ID)
        .values(size=grower.size, root_hash=root, right_edge=b"".join(grower.edge), updated_at=now)
    )
    # Core statements bypass the identity map: let loaded rows of the log be read again.
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, LedgerLog | LedgerEntry):
            session.expire(loaded)
    return Integrated(first, grower.size - first, note, grower.size)


def _tiles_where(keys: list[tuple[int, int]]) -> sa.ColumnElement[bool]:
    """Tiles by (level, index), as ORed key lookups: SQLite plans a row-value IN as a scan."""
    return sa.or_(
        *(sa.and_(_tile.c.level == level, _tile.c.tile_index == index) for level, index in keys)
    )


def _key_identity(verifier_key: str) -> tuple[str, int]:
    name, key_id, _ = verifier_key.split("+", 2)
    return name, int(key_id, 16)


# -- reading ------------------------------------------------------------------------------


class DatabaseHashReader:
    """A HashReader over the stored tiles, for a tree of ``size`` leaves: one query per call."""

    def __init__(self, session: Session, size: int) -> None:
        self._session = session
        self._size = size

    def __call__(self, nodes: Sequence[NodeId], /) -> Sequence[bytes]:
        wanted: dict[tuple[int, int], TileId] = {}
        for node in nodes:
            tile_level, height = divmod(node.level, TILE_HEIGHT)
            index = (node.index << height) // TILE_WIDTH
            available = (self._size >> (TILE_HEIGHT * tile_level)) - index * TILE_WIDTH
            if available > 0:
                wanted[tile_level, index] = TileId(tile_level, index, min(available, TILE_WIDTH))
        files: dict[str, bytes] = {}
        if wanted:
            rows = self._session.execute(
                sa.select(_tile.c.level, _tile.c.tile_index, _tile.c.data).where(
                    _tiles_where(list(wanted))
                )
            ).all()
            for row in rows:
                tile = wanted[row.level, row.tile_index]
                if len(row.data) >= tile.width * HASH_SIZE:
                    files[tile.path] = row.data[: tile.width * HASH_SIZE]
        return TileHashReader(files, self._size)(nodes)


class DatabaseLogFiles(Mapping[str, bytes]):
    """The database log as tlog-tiles files: what export writes and what the audit reads.

    ``checkpoint`` is the latest checkpoint, ``checkpoint.N`` every one the log signed.
    A partial tile ``.p/W`` is served as the first W hashes of the stored tile, which only
    ever grows. Entry bundles are assembled from the entries.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def __getitem__(self, path: str) -> bytes:
        if path == CHECKPOINT_PATH:
            note = self._session.scalar(
                sa.select(LedgerCheckpoint.note).order_by(LedgerCheckpoint.size.desc()).limit(1)
            )
            if note is None:
                raise KeyError(path)
            return note
        if path.startswith(CHECKPOINT_PATH + "."):
            size = path.removeprefix(CHECKPOINT_PATH + ".")
            if not size.isdigit():
                raise KeyError(path)
            note = self._session.scalar(
                sa.select(LedgerCheckpoint.note).where(LedgerCheckpoint.size == int(size))
            )
            if note is None:
                raise KeyError(path)
            return note
        try:
            tile = parse_tile_path(path)
        except MalformedEvidenceError:
            raise KeyError(path) from None
        if tile.level == ENTRIES:
            return self._bundle(tile, path)
        data = self._session.scalar(
            sa.select(_tile.c.data).where(
                _tile.c.level == tile.level, _tile.c.tile_index == tile.index
            )
        )
        if data is None or len(data) < tile.width * HASH_SIZE:
            raise KeyError(path)
        return bytes(data[: tile.width * HASH_SIZE])

    def _bundle(self, tile: TileId, path: str) -> bytes:
        first = tile.index * TILE_WIDTH
        rows = self._session.execute(
            sa.select(_entry.c.idx, _entry.c.data)
            .where(_entry.c.idx >= first, _entry.c.idx < first + tile.width)
            .order_by(_entry.c.idx)
        ).all()
        if not rows:
            raise KeyError(path)
        for expected, row in enumerate(rows, first):
            if row.idx != expected:
                raise LogMismatchError(
                    f"the log has no entry {expected}, which {path} needs",
                    f"日志缺少 {path} 所需的第 {expected} 个条目",
                )
        if len(rows) < tile.width:
            if _has_entry(self._session, first + len(rows)):
                raise LogMismatchError(
                    f"the log has no entry {first + len(rows)}, which {path} needs",
                    f"日志缺少 {path} 所需的第 {first + len(rows)} 个条目",
                )
            raise KeyError(path)
        return encode_entry_bundle(row.data for row in rows)

    def __iter__(self) -> Iterator[str]:
        yield CHECKPOINT_PATH
        for size in self._session.scalars(
            sa.select(LedgerCheckpoint.size).order_by(LedgerCheckpoint.size)
        ):
            yield f"{CHECKPOINT_PATH}.{size}"
        for row in self._session.execute(
            sa.select(_tile.c.level, _tile.c.tile_index, sa.func.length(_tile.c.data))
        ):
            width = row[2] // HASH_SIZE
            if width:
                yield TileId(row.level, row.tile_index, width).path
        count = self._session.scalar(sa.select(sa.func.max(_entry.c.idx)))
        if count is not None:
            entries = count + 1
            for index in range(-(-entries // TILE_WIDTH)):
                yield TileId(ENTRIES, index, min(TILE_WIDTH, entries - index * TILE_WIDTH)).path

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _has_entry(session: Session, index: int) -> bool:
    return session.scalar(sa.select(_entry.c.seq).where(_entry.c.idx > index).limit(1)) is not None


def encode_hashes(hashes: Iterable[bytes]) -> list[str]:
    return [base64.b64encode(digest).decode() for digest in hashes]
