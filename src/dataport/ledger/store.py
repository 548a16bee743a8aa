"""The log in the database: the sequencer that integrates entries, and read-only views of it.

Appenders of any number of processes are serialised by one write to the log's head row, the
first statement of every sequencer transaction: on SQLite it takes the database's write lock,
on PostgreSQL the row's lock, and in both the sequencer reads the head as the previous
sequencer committed it (the same statement returns it). The unique index on
``ledger_entry.idx`` backs this up: a second entry at an index fails the transaction instead of
entering the log.

The sequencer is the hot path, so it speaks to the driver directly, with a fixed handful of
statements per batch whatever its size: lock and head in one; queued entries; the entries (one
``executemany`` on SQLite, one binary COPY on PostgreSQL); every tile the batch grew, in one
upsert that appends the new hashes to a stored tile only if it holds exactly what the old size
implies (tiles are never read back); the signed checkpoint; the new head. Proofs read every
tile they need in one query, and keep full tiles in a :class:`TileCache`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

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


# -- the driver ---------------------------------------------------------------------------


class _Driver:
    """The statements of the sequencer and of proofs, run on the session's driver connection.

    Each dialect's statements are constants. A tile upsert appends the new hashes to a stored
    tile only where it holds exactly ``HASH_SIZE * ((old size >> (8 * level)) - 256 * index)``
    bytes, what the old size implies; a new tile is inserted whole.
    """

    LOCK = ""
    SIZE = ""
    QUEUED = ""
    CHECKPOINT = ""
    SET_HEAD = ""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection
        self.dialect = connection.dialect
        self._raw = connection.connection
        self.cursor: Any = self._open_cursor(self._raw.driver_connection)
        self._statement = ""

    def _open_cursor(self, connection: Any) -> Any:
        return connection.cursor()

    def close(self) -> None:
        self.cursor.close()

    def _time(self, value: datetime) -> object:
        """A timestamp as SQLAlchemy binds it on this dialect (SQLite keeps text)."""
        processor = _time_processor(self.dialect)
        return value if processor is None else processor(value)

    def run(self, statement: str, parameters: Sequence[object] = ()) -> Any:
        self._statement = statement
        return self.cursor.execute(statement, parameters)

    def fail(self, error: Exception) -> BaseException:
        """The SQLAlchemy error for a driver error, invalidating a connection that is gone."""
        invalidated = self.dialect.is_disconnect(error, self._raw, self.cursor)  # type: ignore[arg-type]
        if invalidated:
            self._connection.invalidate(error)
        return sa.exc.DBAPIError.instance(
            self._statement,
            None,
            error,
            self.dialect.loaded_dbapi.Error,
            hide_parameters=True,
            connection_invalidated=invalidated,
            dialect=self.dialect,
        )

    def lock(self) -> _Head | None:
        self.run(self.LOCK, (LOG_ID,))
        rows = self.cursor.fetchall()
        if not rows:
            return None
        origin, verifier_key, size, right_edge = rows[0]
        return _Head(origin, verifier_key, size, bytes(right_edge))

    def queued(self, limit: int) -> list[tuple[int, bytes]]:
        self.run(self.QUEUED, (limit,))
        return [(seq, bytes(data)) for seq, data in self.cursor.fetchall()]

    def index_queued(self, first: int, seqs: list[int]) -> int:
        raise NotImplementedError

    def insert_entries(self, first: int, entries: Sequence[bytes]) -> None:
        raise NotImplementedError

    def extend_tiles(self, old_size: int, rows: list[tuple[int, int, bytes]]) -> int:
        """Inserts or extends the tiles, returning how many rows it wrote."""
        raise NotImplementedError

    def add_checkpoint(self, size: int, note: bytes, now: datetime) -> None:
        self.run(self.CHECKPOINT, (size, note, self._time(now)))

    def set_head(self, size: int, root: bytes, edge: bytes, now: datetime) -> None:
        self.run(self.SET_HEAD, (size, root, edge, self._time(now), LOG_ID))

    def tiles(self, keys: list[tuple[int, int]]) -> list[tuple[int, int, bytes]]:
        """The stored tiles at these (level, index) keys, in one query."""
        raise NotImplementedError

    def size(self) -> int | None:
        self.run(self.SIZE, (LOG_ID,))
        row = self.cursor.fetchone()
        return None if row is None else int(row[0])

    def start(self, limit: int) -> tuple[_Head | None, list[tuple[int, bytes]]]:
        """Takes the sequencer lock; returns the head and the oldest queued entries."""
        head = self.lock()
        return head, self.queued(limit) if head is not None else []

    def write(self, batch: _Batch) -> tuple[int, int]:
        """Writes a batch; returns how many queued entries it indexed and tiles it wrote."""
        indexed = self.index_queued(batch.first, batch.queued) if batch.queued else 0
        if batch.entries:
            self.insert_entries(batch.first + len(batch.queued), batch.entries)
        tiles = self.extend_tiles(batch.old_size, batch.tiles)
        self.add_checkpoint(batch.size, batch.note, batch.now)
        self.set_head(batch.size, batch.root, batch.edge, batch.now)
        return indexed, tiles


@dataclass(frozen=True)
class _Batch:
    """What one sequencer run writes."""

    old_size: int
    first: int
    queued: list[int]
    entries: Sequence[bytes]
    tiles: list[tuple[int, int, bytes]]
    size: int
    root: bytes
    edge: bytes
    note: bytes
    now: datetime


class _SQLite(_Driver):
    BUMP = "UPDATE ledger_log SET generation = generation + 1 WHERE id = ?"
    LOCK = BUMP + " RETURNING origin, verifier_key, size, right_edge"
    #: Before SQLite 3.35 (no RETURNING): BUMP, then this.
    HEAD = "SELECT origin, verifier_key, size, right_edge FROM ledger_log WHERE id = ?"
    SIZE = "SELECT size FROM ledger_log WHERE id = ?"
    QUEUED = "SELECT seq, data FROM ledger_entry WHERE idx IS NULL ORDER BY seq LIMIT ?"
    INDEX_QUEUED = "UPDATE ledger_entry SET idx = ? WHERE seq = ?"
    INSERT_ENTRIES = "INSERT INTO ledger_entry (idx, data) VALUES (?, ?)"
    # || makes text of two blobs; CAST gives the same bytes back as a blob.
    EXTEND_TILES = (
        "INSERT INTO ledger_tile (level, tile_index, data) VALUES {rows} "
        "ON CONFLICT (level, tile_index) DO UPDATE "
        "SET data = CAST(ledger_tile.data || excluded.data AS BLOB) "
        "WHERE length(ledger_tile.data) = 32 * ((? >> (8 * excluded.level)) "
        "- 256 * excluded.tile_index)"
    )
    # ORed key lookups: SQLite plans a row-value IN over a list as a scan.
    TILES = "SELECT level, tile_index, data FROM ledger_tile WHERE {keys}"
    CHECKPOINT = "INSERT INTO ledger_checkpoint (size, note, created_at) VALUES (?, ?, ?)"
    SET_HEAD = (
        "UPDATE ledger_log SET size = ?, root_hash = ?, right_edge = ?, updated_at = ? WHERE id = ?"
    )

    def lock(self) -> _Head | None:
        if sqlite3.sqlite_version_info >= (3, 35):
            return super().lock()
        self.run(self.BUMP, (LOG_ID,))
        if self.cursor.rowcount == 0:
            return None
        self.run(self.HEAD, (LOG_ID,))
        origin, verifier_key, size, right_edge = self.cursor.fetchone()
        return _Head(origin, verifier_key, size, bytes(right_edge))

    def index_queued(self, first: int, seqs: list[int]) -> int:
        self._statement = self.INDEX_QUEUED
        self.cursor.executemany(
            self.INDEX_QUEUED, zip(range(first, first + len(seqs)), seqs, strict=True)
        )
        return int(self.cursor.rowcount)

    def insert_entries(self, first: int, entries: Sequence[bytes]) -> None:
        self._statement = self.INSERT_ENTRIES
        self.cursor.executemany(
            self.INSERT_ENTRIES, zip(range(first, first + len(entries)), entries, strict=True)
        )

    def extend_tiles(self, old_size: int, rows: list[tuple[int, int, bytes]]) -> int:
        placeholders = ", ".join(["(?, ?, ?)"] * len(rows))
        self.run(
            self.EXTEND_TILES.format(rows=placeholders),
            [value for row in rows for value in row] + [old_size],
        )
        return int(self.cursor.rowcount)

    def tiles(self, keys: list[tuple[int, int]]) -> list[tuple[int, int, bytes]]:
        placeholders = " OR ".join(["(level = ? AND tile_index = ?)"] * len(keys))
        self.run(self.TILES.format(keys=placeholders), [value for key in keys for value in key])
        return [(level, index, bytes(data)) for level, index, data in self.cursor.fetchall()]


class _PostgreSQL(_Driver):
    """psycopg 3: binary parameters and results; entries by binary COPY, other rows as arrays
    the server unnests: one round trip per statement whatever the batch size."""

    LOCK = (
        "UPDATE ledger_log SET generation = generation + 1 WHERE id = %b "
        "RETURNING origin, verifier_key, size, right_edge"
    )
    SIZE = "SELECT size FROM ledger_log WHERE id = %b"
    QUEUED = "SELECT seq, data FROM ledger_entry WHERE idx IS NULL ORDER BY seq LIMIT %b"
    INDEX_QUEUED = (
        "UPDATE ledger_entry SET idx = batch.idx "
        "FROM unnest(%b::bigint[], %b::bigint[]) AS batch(seq, idx) "
        "WHERE ledger_entry.seq = batch.seq"
    )
    INSERT_ENTRIES = "COPY ledger_entry (idx, data) FROM STDIN (FORMAT BINARY)"
    EXTEND_TILES = (
        "INSERT INTO ledger_tile (level, tile_index, data) "
        "SELECT * FROM unnest(%b::smallint[], %b::bigint[], %b::bytea[]) "
        "ON CONFLICT (level, tile_index) DO UPDATE SET data = ledger_tile.data || excluded.data "
        "WHERE octet_length(ledger_tile.data) = 32 * ((%b::bigint >> (8 * excluded.level)) "
        "- 256 * excluded.tile_index)"
    )
    TILES = (
        "SELECT ledger_tile.level, ledger_tile.tile_index, ledger_tile.data "
        "FROM unnest(%b::smallint[], %b::bigint[]) AS wanted(level, tile_index) "
        "JOIN ledger_tile ON ledger_tile.level = wanted.level "
        "AND ledger_tile.tile_index = wanted.tile_index"
    )
    CHECKPOINT = "INSERT INTO ledger_checkpoint (size, note, created_at) VALUES (%b, %b, %b)"
    SET_HEAD = (
        "UPDATE ledger_log SET size = %b, root_hash = %b, right_edge = %b, updated_at = %b "
        "WHERE id = %b"
    )

    def _open_cursor(self, connection: Any) -> Any:
        return connection.cursor(binary=True)

    def index_queued(self, first: int, seqs: list[int]) -> int:
        self.run(self.INDEX_QUEUED, (seqs, list(range(first, first + len(seqs)))))
        return int(self.cursor.rowcount)

    def insert_entries(self, first: int, entries: Sequence[bytes]) -> None:
        # Binary COPY: for large batches faster than one INSERT over unnested arrays.
        self._statement = self.INSERT_ENTRIES
        with self.cursor.copy(self.INSERT_ENTRIES) as copy:
            copy.set_types(["int8", "bytea"])
            for row in zip(range(first, first + len(entries)), entries, strict=True):
                copy.write_row(row)

    def extend_tiles(self, old_size: int, rows: list[tuple[int, int, bytes]]) -> int:
        levels, indexes, data = zip(*rows, strict=True)
        self.run(self.EXTEND_TILES, (list(levels), list(indexes), list(data), old_size))
        return int(self.cursor.rowcount)

    def tiles(self, keys: list[tuple[int, int]]) -> list[tuple[int, int, bytes]]:
        levels, indexes = zip(*keys, strict=True)
        self.run(self.TILES, (list(levels), list(indexes)))
        return [(level, index, bytes(data)) for level, index, data in self.cursor.fetchall()]


@functools.lru_cache(maxsize=4)
def _time_processor(dialect: sa.Dialect) -> Callable[[datetime], object] | None:
    column_type = _checkpoint.c.created_at.type
    return cast(
        "Callable[[datetime], object] | None",
        column_type.dialect_impl(dialect).bind_processor(dialect),
    )


_DRIVERS: dict[str, type[_Driver]] = {"sqlite": _SQLite, "postgresql": _PostgreSQL}


class _Run:
    """A driver for the session's transaction, as a context that turns driver errors into
    SQLAlchemy's."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        kind = _DRIVERS.get(connection.dialect.name)
        if kind is None:
            raise LogStoreError(
                f"the evidence log runs on SQLite or PostgreSQL, not {connection.dialect.name}",
                f"证据日志只能运行于 SQLite 或 PostgreSQL，不支持 {connection.dialect.name}",
            )
        self.driver = kind(connection)

    def __enter__(self) -> _Driver:
        return self.driver

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        driver = self.driver
        driver.close()
        if isinstance(error, driver.dialect.loaded_dbapi.Error):
            raise driver.fail(error) from error


# -- sequencing ---------------------------------------------------------------------------


def lock_log(session: Session) -> _Head | None:
    """Takes the sequencer lock and returns the head as last committed (None: no log yet)."""
    with _Run(session) as driver:
        return driver.lock()


class _TreeGrower:
    """Adds leaves to the right edge of the tree and collects the tile hashes they add.

    The loop is CompactRange.append specialised for tiles: no object per node, one bytearray
    per tile level holding the hashes added there, in order. Stored tiles are never read: the
    hashes at tile level L start at position ``old size >> 8L``, so each batch only appends.
    """

    def __init__(self, size: int, right_edge: bytes) -> None:
        self.start = size
        self.size = size
        self.edge = split_hashes(right_edge)
        if len(self.edge) != size.bit_count():
            raise LogStoreError(
                f"the log head holds {len(self.edge)} right-edge hashes for size {size}",
                f"日志头部记录的右边界哈希数 {len(self.edge)} 与大小 {size} 不符",
            )
        self.added: list[bytearray] = [bytearray()]

    def add(self, entries: Iterable[bytes]) -> None:
        sha256 = hashlib.sha256
        edge = self.edge
        pop = edge.pop
        push = edge.append
        added = self.added
        leaves = added[0]
        size = self.size
        for entry in entries:
            digest = sha256(b"\x00" + entry).digest()
            leaves += digest
            index = size
            height = 0
            while index & 1:
                digest = sha256(b"\x01" + pop() + digest).digest()
                index >>= 1
                height += 1
                if not height % TILE_HEIGHT:
                    level = height // TILE_HEIGHT
                    if level == len(added):
                        added.append(bytearray())
                    added[level] += digest
            push(digest)
            size += 1
        self.size = size

    def tiles(self) -> list[tuple[int, int, bytes]]:
        """(level, index, hashes to append) for every tile this batch grew, lowest first."""
        rows = []
        for level, data in enumerate(self.added):
            position = self.start >> (TILE_HEIGHT * level)
            offset = 0
            while offset < len(data):
                index, within = divmod(position, TILE_WIDTH)
                take = (TILE_WIDTH - within) * HASH_SIZE
                rows.append((level, index, bytes(data[offset : offset + take])))
                offset += take
                position += take // HASH_SIZE
        return rows

    def root(self) -> bytes:
        return CompactRange.from_hashes(self.size, self.edge).root()


def integrate(
    session: Session,
    signer: NoteSigner,
    *,
    new_entries: Sequence[bytes] = (),
    limit: int = BATCH_SIZE,
) -> Integrated | None:
    """One sequencer run: queued entries first, then ``new_entries``, under one checkpoint.

    Takes the sequencer lock, gives each entry the next index, stores the tiles they fill,
    signs the checkpoint of the new size, and writes the head. The caller commits. Returns
    None when there is no log; a run with nothing to add signs nothing.
    """
    for entry in new_entries:
        require_entry_size(entry)
    with _Run(session) as driver:
        log, queued = driver.start(limit)
        if log is None:
            return None
        if (signer.name, signer.key_id) != _key_identity(log.verifier_key):
            raise LogStoreError(
                f"the signer {signer.name}+{signer.key_id:08x} is not this log's key "
                f"{log.verifier_key}",
                f"签名密钥 {signer.name}+{signer.key_id:08x} 不是本日志的密钥 {log.verifier_key}",
            )
        if not queued and not new_entries:
            return None
        first = log.size
        grower = _TreeGrower(log.size, log.right_edge)
        grower.add(data for _, data in queued)
        grower.add(new_entries)
        rows = grower.tiles()
        root = grower.root()
        note = sign_checkpoint(Checkpoint(log.origin, grower.size, root), [signer])
        batch = _Batch(
            old_size=log.size,
            first=first,
            queued=[seq for seq, _ in queued],
            entries=new_entries,
            tiles=rows,
            size=grower.size,
            root=root,
            edge=b"".join(grower.edge),
            note=note,
            now=utcnow(),
        )
        indexed, written = driver.write(batch)
        if indexed != len(queued):
            raise LogStoreError(
                f"{len(queued)} queued entries were to be indexed, {indexed} were",
                f"应为 {len(queued)} 个排队条目编号，实际为 {indexed} 个",
            )
        if written != len(rows):
            raise _tile_mismatch(driver, log.size, rows)
    # The driver bypasses the identity map: let loaded rows of the log be read again.
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, LedgerLog | LedgerEntry | LedgerTile):
            session.expire(loaded)
    return Integrated(first, grower.size - first, note, grower.size)


def _tile_mismatch(
    driver: _Driver, old_size: int, rows: list[tuple[int, int, bytes]]
) -> LogStoreError:
    """Says which stored tile does not hold what the log head implies."""
    stored = {(level, index): data for level, index, data in driver.tiles([r[:2] for r in rows])}
    for level, index, _ in rows:
        holds = len(stored.get((level, index), b"")) // HASH_SIZE
        needs = max(0, (old_size >> (TILE_HEIGHT * level)) - index * TILE_WIDTH)
        if holds != needs:
            return LogStoreError(
                f"tile {level}/{index} holds {holds} hashes; a tree of {old_size} leaves "
                f"needs {needs} there",
                f"瓦片 {level}/{index} 有 {holds} 个哈希，{old_size} 个叶子的树在此需要 {needs} 个",
            )
    return LogStoreError(  # pragma: no cover - the upsert and this check agree
        "the tiles do not hold what the log head implies", "瓦片与日志头部不符"
    )


def _key_identity(verifier_key: str) -> tuple[str, int]:
    name, key_id, _ = verifier_key.split("+", 2)
    return name, int(key_id, 16)


# -- reading ------------------------------------------------------------------------------


class _TileNodes:
    """Every node inside a hash tile: ``levels[h]`` holds the hashes of height h above the
    tile's own, as many as are complete (``levels[8]`` of a full tile is its root, the hash its
    parent tile holds for it)."""

    __slots__ = ("levels",)

    def __init__(self, data: bytes) -> None:
        sha256 = hashlib.sha256
        pair = 2 * HASH_SIZE
        levels = [data]
        below = data
        for _ in range(TILE_HEIGHT):
            end = len(below) // pair * pair
            if not end:
                break
            below = b"".join(
                [sha256(b"\x01" + below[i : i + pair]).digest() for i in range(0, end, pair)]
            )
            levels.append(below)
        self.levels = levels

    def node(self, height: int, index: int) -> bytes | None:
        """The hash of height ``height`` at ``index`` within the tile, None if incomplete."""
        if height >= len(self.levels):
            return None
        digest = self.levels[height][index * HASH_SIZE : (index + 1) * HASH_SIZE]
        return digest if len(digest) == HASH_SIZE else None

    @property
    def root(self) -> bytes:
        return self.levels[TILE_HEIGHT]


class _LRU:
    """A thread-safe mapping that forgets its least recently used items beyond ``capacity``."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[object, _TileNodes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> _TileNodes | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: object, value: _TileNodes) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class TileCache:
    """What proofs keep between calls in a process: full hash tiles by position, and the
    nodes inside partial tiles by their content.

    A full tile never changes, but keyed by position alone a cache could hand out another
    database's tile, or one whose transaction rolled back. A reader therefore uses a cached
    full tile only when its root is the hash its parent tile holds for it, where the parent was
    read from the database for this proof or was itself cached and so checked. The top tile of
    a tree is never full, so every such chain ends in the database: a cached tile is exactly
    what the database holds. Level 0 (one tile per 256 entries) and the few upper-level tiles
    have capacities of their own, so proofs of random entries do not push out the upper
    levels. A partial tile is read from the database every time; only the hashing of its
    nodes is saved, keyed by its bytes. Full, the default cache holds about 42 MiB: 8 MiB of
    level-0 tiles, 33 MiB of upper-level ones (as many as a log of 134 million entries has),
    half a MiB of partial ones.
    """

    def __init__(self, leaf_tiles: int = 512, upper_tiles: int = 2048, partial_tiles: int = 64):
        self._full = (_LRU(leaf_tiles), _LRU(upper_tiles))
        self._partial = _LRU(partial_tiles)

    def full(self, key: tuple[int, int]) -> _TileNodes | None:
        return self._full[key[0] > 0].get(key)

    def keep_full(self, key: tuple[int, int], nodes: _TileNodes) -> None:
        self._full[key[0] > 0].put(key, nodes)

    def partial(self, data: bytes) -> _TileNodes:
        nodes = self._partial.get(data)
        if nodes is None:
            nodes = _TileNodes(data)
            self._partial.put(data, nodes)
        return nodes

    def clear(self) -> None:
        for lru in (*self._full, self._partial):
            lru.clear()


#: The process's tile cache, used by proofs (audits read the database only).
TILE_CACHE = TileCache()


def log_size(session: Session) -> int | None:
    """The log's size as last committed (None: no log yet), without loading the ORM row."""
    with _Run(session) as driver:
        return driver.size()


class DatabaseHashReader:
    """A HashReader over the stored tiles, for a tree of ``size`` leaves.

    One query per call fetches every tile the nodes need, but for the full tiles found in
    ``cache`` (checked as :class:`TileCache` says); full tiles it fetches go into the cache.
    Without a cache, everything is read from the database.
    """

    def __init__(self, session: Session, size: int, cache: TileCache | None = TILE_CACHE) -> None:
        self._session = session
        self._size = size
        self._cache = cache

    def _width(self, level: int, index: int) -> int:
        available = (self._size >> (TILE_HEIGHT * level)) - index * TILE_WIDTH
        if available <= 0:
            raise LogMismatchError(
                f"a tree of {self._size} leaves has no tile {index} at level {level}",
                f"{self._size} 个叶子的树在第 {level} 层没有第 {index} 个瓦片",
            )
        return min(available, TILE_WIDTH)

    def __call__(self, nodes: Sequence[NodeId], /) -> list[bytes]:
        widths: dict[tuple[int, int], int] = {}
        where = []
        for node in nodes:
            tile_level, height = divmod(node.level, TILE_HEIGHT)
            key = (tile_level, (node.index << height) // TILE_WIDTH)
            if key not in widths:
                widths[key] = self._width(*key)
            where.append((key, height, node.index % (TILE_WIDTH >> height)))
        tiles = self._tiles(widths)
        hashes = []
        for node, (key, height, index) in zip(nodes, where, strict=True):
            digest = tiles[key].node(height, index)
            if digest is None:
                raise LogMismatchError(
                    f"node {node.level}/{node.index} is not complete in a tree of "
                    f"{self._size} leaves",
                    f"在 {self._size} 个叶子的树中，节点 {node.level}/{node.index} 不完整",
                )
            hashes.append(digest)
        return hashes

    def _tiles(self, widths: dict[tuple[int, int], int]) -> dict[tuple[int, int], _TileNodes]:
        """Every tile in ``widths``: full ones from the cache when they check out, the rest
        read in one query (two, if a cached tile turns out not to be this log's)."""
        cache = self._cache
        cached: dict[tuple[int, int], _TileNodes] = {}
        if cache is not None:
            # The parents of full tiles, up to the partial top, vouch for the cached ones.
            for (level, index), width in list(widths.items()):
                while width == TILE_WIDTH:
                    level, index = level + 1, index >> TILE_HEIGHT
                    if (level, index) in widths:
                        break
                    width = widths[level, index] = self._width(level, index)
            for key, width in widths.items():
                if width == TILE_WIDTH and (found := cache.full(key)) is not None:
                    cached[key] = found
        tiles = self._read([key for key in widths if key not in cached], widths)
        for key in sorted(cached, reverse=True):
            parent = tiles.get((key[0] + 1, key[1] >> TILE_HEIGHT))
            if parent is None or parent.node(0, key[1] % TILE_WIDTH) != cached[key].root:
                return self._read(list(widths), widths)
            tiles[key] = cached[key]
        return tiles

    def _read(
        self, keys: list[tuple[int, int]], widths: dict[tuple[int, int], int]
    ) -> dict[tuple[int, int], _TileNodes]:
        tiles: dict[tuple[int, int], _TileNodes] = {}
        if keys:
            with _Run(self._session) as driver:
                rows = driver.tiles(keys)
            cache = self._cache
            for level, index, data in rows:
                length = widths[level, index] * HASH_SIZE
                if len(data) < length:
                    continue
                if cache is None:
                    tiles[level, index] = _TileNodes(data[:length])
                elif length == _TILE_BYTES:
                    tiles[level, index] = _TileNodes(data[:length])
                    cache.keep_full((level, index), tiles[level, index])
                else:
                    tiles[level, index] = cache.partial(data[:length])
        for key in keys:
            if key not in tiles:
                path = TileId(key[0], key[1], widths[key]).path
                raise LogMismatchError(
                    f"the log has no {path}, which a tree of {self._size} leaves needs",
                    f"日志缺少 {self._size} 个叶子的树所需的 {path}",
                )
        return tiles


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
