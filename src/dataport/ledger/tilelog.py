"""A tlog-tiles log as files: a writer that appends and publishes, and an offline auditor."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dataport.errors import Conflict
from dataport.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from dataport.ledger.errors import (
    LogMismatchError,
    LogStoreError,
    MalformedEvidenceError,
    short_hex,
)
from dataport.ledger.merkle import HASH_SIZE, CompactRange, NodeId, leaf_hash
from dataport.ledger.note import NoteSigner, NoteVerifier
from dataport.ledger.tiles import (
    ENTRIES,
    TILE_HEIGHT,
    TILE_WIDTH,
    TileHashReader,
    TileId,
    decode_entry_bundle,
    encode_entry_bundle,
    encode_hash_tile,
    parse_tile_path,
    require_entry_size,
)

CHECKPOINT_PATH = "checkpoint"

# An audit reports at most this many disagreements: enough to locate a fault, not a flood.
_MAX_REPORTED_PROBLEMS = 10


class _TileBuilder:
    """Grows a tree entry by entry and cuts it into hash tiles and entry bundles."""

    def __init__(
        self,
        tree: CompactRange,
        open_tiles: dict[int, list[bytes]],
        open_bundle: list[bytes],
    ) -> None:
        self._tree = tree
        # Hashes of the rightmost, incomplete tile at each tile level.
        self._open_tiles = open_tiles
        self._open_bundle = open_bundle

    @classmethod
    def empty(cls) -> _TileBuilder:
        return cls(CompactRange(), {}, [])

    def copy(self) -> _TileBuilder:
        return _TileBuilder(
            CompactRange.from_hashes(self._tree.size, self._tree.hashes),
            {level: list(hashes) for level, hashes in self._open_tiles.items()},
            list(self._open_bundle),
        )

    @property
    def size(self) -> int:
        return self._tree.size

    def root(self) -> bytes:
        return self._tree.root()

    def add(self, entry: bytes) -> list[tuple[TileId, bytes]]:
        """Appends one entry; returns the full tiles and bundle it completes."""
        completed = []
        for node in self._tree.append(leaf_hash(entry)):
            tile_level, height_in_tile = divmod(node.level, TILE_HEIGHT)
            if height_in_tile:
                continue
            hashes = self._open_tiles.setdefault(tile_level, [])
            hashes.append(node.digest)
            if len(hashes) == TILE_WIDTH:
                tile = TileId(tile_level, node.index // TILE_WIDTH)
                completed.append((tile, encode_hash_tile(hashes)))
                hashes.clear()
        self._open_bundle.append(entry)
        if len(self._open_bundle) == TILE_WIDTH:
            bundle = TileId(ENTRIES, (self._tree.size - 1) // TILE_WIDTH)
            completed.append((bundle, encode_entry_bundle(self._open_bundle)))
            self._open_bundle.clear()
        return completed

    def partial_tiles(self) -> list[tuple[TileId, bytes]]:
        """The partial tiles and bundle of the current size, lowest level first."""
        size = self._tree.size
        partial = []
        for level, hashes in sorted(self._open_tiles.items()):
            if hashes:
                index = (size >> (TILE_HEIGHT * level)) // TILE_WIDTH
                partial.append((TileId(level, index, len(hashes)), encode_hash_tile(hashes)))
        if self._open_bundle:
            bundle = TileId(ENTRIES, size // TILE_WIDTH, len(self._open_bundle))
            partial.append((bundle, encode_entry_bundle(self._open_bundle)))
        return partial


class TileLogWriter:
    """Appends entries to a tlog-tiles log held in ``files`` and publishes its checkpoints.

    Each batch writes its tiles and bundles first and the signed checkpoint last, so a crash
    leaves the previous checkpoint valid. One writer per log: the storage layer must
    serialise appends. Build with :meth:`create` or :meth:`resume`.
    """

    def __init__(
        self,
        origin: str,
        signer: NoteSigner,
        files: MutableMapping[str, bytes],
        builder: _TileBuilder,
        published: bytes | None,
    ) -> None:
        self._origin = origin
        self._signer = signer
        self._files = files
        self._builder = builder
        self._published = published

    @classmethod
    def create(
        cls, origin: str, signer: NoteSigner, files: MutableMapping[str, bytes]
    ) -> TileLogWriter:
        """Starts a new, empty log and publishes its size-0 checkpoint."""
        if CHECKPOINT_PATH in files:
            raise Conflict(
                "the log already has a checkpoint: resume it rather than start over",
                "日志已有检查点：应继续该日志，而不是重新开始",
            )
        writer = cls(origin, signer, files, _TileBuilder.empty(), None)
        writer._publish(writer._builder)
        return writer

    @classmethod
    def resume(
        cls,
        origin: str,
        signer: NoteSigner,
        log_key: NoteVerifier,
        files: MutableMapping[str, bytes],
    ) -> TileLogWriter:
        """Continues a log from its published checkpoint and the tiles that checkpoint implies.

        Only the right edge is read, and it must hash to the checkpoint's root; this is not an
        audit of the whole log (see :func:`audit_log`).
        """
        if (signer.name, signer.key_id) != (log_key.name, log_key.key_id):
            raise MalformedEvidenceError(
                f"signer {signer.name}+{signer.key_id:08x} is not the log key "
                f"{log_key.name}+{log_key.key_id:08x}",
                f"签名密钥 {signer.name}+{signer.key_id:08x} 不是日志密钥 "
                f"{log_key.name}+{log_key.key_id:08x}",
            )
        signed = _require_file(files, CHECKPOINT_PATH)
        checkpoint = open_checkpoint(signed, log_key, origin=origin).checkpoint
        builder = _restore_builder(files, checkpoint)
        return cls(origin, signer, files, builder, signed)

    @property
    def size(self) -> int:
        return self._builder.size

    def append(self, entry: bytes) -> int:
        """Appends one entry, publishes the new checkpoint, and returns the entry's index."""
        return self.append_batch([entry])

    def append_batch(self, entries: Sequence[bytes]) -> int:
        """Appends entries in order under one new checkpoint; returns the first one's index."""
        for entry in entries:
            require_entry_size(entry)
        first = self._builder.size
        if not entries:
            return first
        if self._files.get(CHECKPOINT_PATH) != self._published:
            raise LogStoreError(
                "the log's checkpoint changed since this writer published it: another writer "
                "is appending to the same log",
                "日志检查点在本写入器发布后被改动：另有写入器在写同一日志",
            )
        # Work on a copy so that a failed write leaves this writer at its published state.
        builder = self._builder.copy()
        written: dict[str, bytes] = {}
        for entry in entries:
            written.update((tile.path, data) for tile, data in builder.add(entry))
        written.update((tile.path, data) for tile, data in builder.partial_tiles())
        for path, data in written.items():
            self._files[path] = data
        self._publish(builder)
        return first

    def _publish(self, builder: _TileBuilder) -> None:
        checkpoint = Checkpoint(self._origin, builder.size, builder.root())
        signed = sign_checkpoint(checkpoint, [self._signer])
        self._files[CHECKPOINT_PATH] = signed
        self._builder = builder
        self._published = signed


@dataclass(frozen=True)
class AuditReport:
    """What an audit established: the verified checkpoint and every file checked against it.

    ``uncommitted_paths`` are tiles beyond the checkpoint (a batch written but not yet
    published); the checkpoint does not vouch for them, so they were not checked.
    """

    checkpoint: Checkpoint
    verified_paths: tuple[str, ...]
    uncommitted_paths: tuple[str, ...]


def audit_log(files: Mapping[str, bytes], log_key: NoteVerifier, *, origin: str) -> AuditReport:
    """Checks a tlog-tiles log offline: its checkpoint, and every tile and bundle under it.

    Recomputes the tree from the entry bundles, compares every stored hash tile and every
    partial version of a tile or bundle with the recomputed one, and compares the root with
    the signed checkpoint. Files outside ``checkpoint`` and ``tile/`` are not part of the
    layout and are ignored.
    """
    checkpoint = open_checkpoint(
        _require_file(files, CHECKPOINT_PATH), log_key, origin=origin
    ).checkpoint
    stored = _stored_tiles(files)
    verified = [CHECKPOINT_PATH]
    uncommitted: list[str] = []
    problems: list[tuple[str, str]] = []

    def check(tile: TileId, expected: bytes) -> None:
        """Compares the tile the checkpoint implies, then every earlier partial of it."""
        _require_file(files, tile.path)
        versions = stored.pop((tile.level, tile.index), {})
        for width, path in sorted(versions.items(), reverse=True):
            if width > tile.width:
                uncommitted.append(path)
                continue
            problem = _compare(path, _prefix(tile, expected, width), files[path])
            if problem:
                problems.append(problem)
            verified.append(path)

    builder = _TileBuilder.empty()
    for bundle_index in range(-(-checkpoint.size // TILE_WIDTH)):
        width = min(TILE_WIDTH, checkpoint.size - bundle_index * TILE_WIDTH)
        bundle = TileId(ENTRIES, bundle_index, width)
        for entry in decode_entry_bundle(_require_file(files, bundle.path), bundle):
            for tile, data in builder.add(entry):
                check(tile, data)
    for tile, data in builder.partial_tiles():
        check(tile, data)

    root = builder.root()
    if root != checkpoint.root_hash:
        problems.insert(
            0,
            (
                f"the entries hash to root {short_hex(root)}, but the checkpoint commits to "
                f"{short_hex(checkpoint.root_hash)}",
                f"条目计算出的根哈希为 {short_hex(root)}，检查点承诺的是 "
                f"{short_hex(checkpoint.root_hash)}",
            ),
        )
    if problems:
        shown = problems[:_MAX_REPORTED_PROBLEMS]
        raise LogMismatchError(
            f"log does not match its checkpoint at size {checkpoint.size}: "
            + "; ".join(en for en, _ in shown),
            f"日志与其大小为 {checkpoint.size} 的检查点不符：" + "；".join(zh for _, zh in shown),
            problems=[en for en, _ in problems],
        )
    uncommitted.extend(path for versions in stored.values() for path in versions.values())
    return AuditReport(checkpoint, tuple(verified), tuple(sorted(uncommitted)))


class LogDirectory(MutableMapping[str, bytes]):
    """A log's files in a folder, keyed by their path under the log prefix.

    Writes go to a temporary file that is synced and then renamed into place, so a reader
    or a crash never sees half a tile or half a checkpoint.
    """

    def __init__(self, root: Path) -> None:
        self._root = root

    def __getitem__(self, path: str) -> bytes:
        try:
            return self._file(path).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(path) from None

    def __setitem__(self, path: str, data: bytes) -> None:
        target = self._file(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=target.parent, prefix=".", suffix=".tmp", delete=False
        ) as temporary:
            try:
                temporary.write(data)
                temporary.flush()
                os.fsync(temporary.fileno())
            except BaseException:
                Path(temporary.name).unlink()
                raise
        Path(temporary.name).replace(target)
        if os.name == "posix":
            # The rename itself is durable only once the directory entry is on disk.
            directory = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

    def __delitem__(self, path: str) -> None:
        try:
            self._file(path).unlink()
        except FileNotFoundError:
            raise KeyError(path) from None

    def __iter__(self) -> Iterator[str]:
        for file in sorted(self._root.rglob("*")):
            # Names starting with a dot are temporary files of interrupted writes.
            if file.is_file() and not file.name.startswith("."):
                yield file.relative_to(self._root).as_posix()

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def _file(self, path: str) -> Path:
        segments = path.split("/")
        if any(segment in ("", ".", "..") or "\\" in segment for segment in segments):
            raise KeyError(path)
        return self._root.joinpath(*segments)


def _restore_builder(files: Mapping[str, bytes], checkpoint: Checkpoint) -> _TileBuilder:
    size = checkpoint.size
    read = TileHashReader(files, size)
    tree = CompactRange.read(size, read)
    if tree.root() != checkpoint.root_hash:
        raise LogMismatchError(
            f"the stored tiles hash to root {short_hex(tree.root())}, but the checkpoint "
            f"commits to {short_hex(checkpoint.root_hash)}",
            f"已存储的瓦片计算出的根哈希为 {short_hex(tree.root())}，检查点承诺的是 "
            f"{short_hex(checkpoint.root_hash)}",
        )
    open_tiles = {}
    level = 0
    while hashes_at_level := size >> (TILE_HEIGHT * level):
        width = hashes_at_level % TILE_WIDTH
        first = hashes_at_level - width
        nodes = [NodeId(TILE_HEIGHT * level, first + offset) for offset in range(width)]
        open_tiles[level] = list(read(nodes))
        level += 1
    open_bundle: list[bytes] = []
    if size % TILE_WIDTH:
        bundle = TileId(ENTRIES, size // TILE_WIDTH, size % TILE_WIDTH)
        open_bundle = decode_entry_bundle(_require_file(files, bundle.path), bundle)
        if [leaf_hash(entry) for entry in open_bundle] != open_tiles[0]:
            raise LogMismatchError(
                f"the entries of {bundle.path} do not hash to the leaves of its tile",
                f"{bundle.path} 中的条目与其瓦片中的叶子哈希不符",
            )
    return _TileBuilder(tree, open_tiles, open_bundle)


def _stored_tiles(files: Mapping[str, bytes]) -> dict[tuple[int | str, int], dict[int, str]]:
    """Every tile file present, grouped by tile and keyed by width."""
    stored: dict[tuple[int | str, int], dict[int, str]] = {}
    for path in files:
        if not path.startswith("tile/"):
            continue
        try:
            tile = parse_tile_path(path)
        except MalformedEvidenceError:
            raise LogMismatchError(
                f"the log holds {path!r}, which is not a tlog-tiles tile",
                f"日志中有不属于 tlog-tiles 布局的文件 {path!r}",
            ) from None
        stored.setdefault((tile.level, tile.index), {})[tile.width] = path
    return stored


def _prefix(tile: TileId, data: bytes, width: int) -> bytes:
    """The first ``width`` hashes or entries of a tile or bundle this module encoded."""
    if tile.level != ENTRIES:
        return data[: width * HASH_SIZE]
    offset = 0
    for _ in range(width):
        offset += 2 + int.from_bytes(data[offset : offset + 2], "big")
    return data[:offset]


def _compare(path: str, expected: bytes, actual: bytes) -> tuple[str, str] | None:
    if actual == expected:
        return None
    if len(actual) != len(expected):
        return (
            f"{path} is {len(actual)} bytes, expected {len(expected)}",
            f"{path} 为 {len(actual)} 字节，应为 {len(expected)} 字节",
        )
    offset = next(i for i, (a, b) in enumerate(zip(actual, expected, strict=True)) if a != b)
    if path.startswith("tile/entries/"):
        return (
            f"{path} differs from the recomputed bundle at byte {offset}",
            f"{path} 在第 {offset} 字节处与重算的条目包不同",
        )
    position = offset // HASH_SIZE
    window = slice(position * HASH_SIZE, (position + 1) * HASH_SIZE)
    return (
        f"{path} hash {position} is {short_hex(actual[window])}, recomputed "
        f"{short_hex(expected[window])}",
        f"{path} 第 {position} 个哈希为 {short_hex(actual[window])}，重算应为 "
        f"{short_hex(expected[window])}",
    )


def _require_file(files: Mapping[str, bytes], path: str) -> bytes:
    data = files.get(path)
    if data is None:
        raise LogMismatchError(f"the log has no {path}", f"日志缺少 {path}")
    return data
