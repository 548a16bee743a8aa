"""C2SP tlog-tiles: tile and entry-bundle paths, hash tiles, entry bundles, reading hashes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from dataport.ledger.errors import LogMismatchError, MalformedEvidenceError
from dataport.ledger.merkle import HASH_SIZE, NodeId, node_hash

#: Levels of the Merkle tree one tile spans; a tile holds 2**8 hashes.
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
#: Entry bundles prefix each entry with a big-endian uint16 length.
MAX_ENTRY_SIZE = 0xFFFF
ENTRIES: Literal["entries"] = "entries"

_MAX_LEVEL = 63
_PATH_PATTERN = re.compile(
    r"tile/(?P<level>entries|0|[1-9][0-9]?)/(?P<index>(?:x[0-9]{3}/)*[0-9]{3})"
    r"(?:\.p/(?P<width>[1-9][0-9]{0,2}))?"
)


@dataclass(frozen=True, slots=True)
class TileId:
    """A hash tile (level 0-63) or an entry bundle (level ``"entries"``) of a given width."""

    level: int | Literal["entries"]
    index: int
    width: int = TILE_WIDTH

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        """The tile's path under the log prefix, e.g. ``tile/0/x001/234.p/7``."""
        if not 0 < self.width <= TILE_WIDTH or self.index < 0:
            raise MalformedEvidenceError(
                f"no tile has index {self.index} and width {self.width}",
                f"不存在序号为 {self.index}、宽度为 {self.width} 的瓦片",
            )
        if self.level != ENTRIES and not 0 <= self.level <= _MAX_LEVEL:
            raise MalformedEvidenceError(
                f"tile level {self.level} is outside 0..63",
                f"瓦片层级 {self.level} 超出 0..63 的范围",
            )
        suffix = f".p/{self.width}" if self.is_partial else ""
        return f"tile/{self.level}/{_encode_index(self.index)}{suffix}"


def parse_tile_path(path: str) -> TileId:
    """Reads a tile or entry-bundle path, accepting only its one canonical spelling."""
    match = _PATH_PATTERN.fullmatch(path)
    if match is None:
        raise MalformedEvidenceError(
            f"{path!r} is not a tlog-tiles tile path",
            f"{path!r} 不是 tlog-tiles 瓦片路径",
        )
    level_text, width_text = match["level"], match["width"]
    level: int | Literal["entries"] = ENTRIES if level_text == ENTRIES else int(level_text)
    width = int(width_text) if width_text else TILE_WIDTH
    tile = TileId(level, int(match["index"].replace("x", "").replace("/", "")), width)
    # Re-encoding refuses what the pattern lets through: level 64 and up, width 256 and up,
    # and padded indexes such as x000/001.
    if tile.path != path:
        raise MalformedEvidenceError(
            f"{path!r} is not the canonical path of a tile",
            f"{path!r} 不是瓦片的规范路径",
        )
    return tile


def tiles_for_size(size: int) -> list[TileId]:
    """Every hash tile and entry bundle a tree of ``size`` leaves is published as."""
    tiles: list[TileId] = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        hashes = size >> (TILE_HEIGHT * level)
        tiles.extend(TileId(level, index) for index in range(hashes // TILE_WIDTH))
        if hashes % TILE_WIDTH:
            tiles.append(TileId(level, hashes // TILE_WIDTH, hashes % TILE_WIDTH))
        level += 1
    bundles = [TileId(ENTRIES, tile.index, tile.width) for tile in tiles if tile.level == 0]
    return tiles + bundles


def encode_hash_tile(hashes: Sequence[bytes]) -> bytes:
    return b"".join(hashes)


def decode_hash_tile(data: bytes, tile: TileId) -> list[bytes]:
    """The hashes of a hash tile, which must be exactly ``tile.width`` hashes long."""
    expected = tile.width * HASH_SIZE
    if len(data) != expected:
        raise MalformedEvidenceError(
            f"{tile.path} is {len(data)} bytes, expected {expected}",
            f"{tile.path} 为 {len(data)} 字节，应为 {expected} 字节",
        )
    return [data[offset : offset + HASH_SIZE] for offset in range(0, expected, HASH_SIZE)]


def encode_entry_bundle(entries: Iterable[bytes]) -> bytes:
    parts = []
    for entry in entries:
        require_entry_size(entry)
        parts.append(len(entry).to_bytes(2, "big") + entry)
    return b"".join(parts)


def decode_entry_bundle(data: bytes, tile: TileId) -> list[bytes]:
    """The entries of a bundle, which must hold exactly ``tile.width`` entries and no more."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise MalformedEvidenceError(
                f"{tile.path} ends inside the length prefix of entry {len(entries)}",
                f"{tile.path} 在第 {len(entries)} 个条目的长度前缀处截断",
            )
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise MalformedEvidenceError(
                f"{tile.path} entry {len(entries)} claims {length} bytes, "
                f"only {len(data) - offset} remain",
                f"{tile.path} 第 {len(entries)} 个条目声明 {length} 字节，"
                f"实际只剩 {len(data) - offset} 字节",
            )
        entries.append(data[offset : offset + length])
        offset += length
    if len(entries) != tile.width:
        raise MalformedEvidenceError(
            f"{tile.path} holds {len(entries)} entries, expected {tile.width}",
            f"{tile.path} 含有 {len(entries)} 个条目，应为 {tile.width} 个",
        )
    return entries


def require_entry_size(entry: bytes) -> None:
    if len(entry) > MAX_ENTRY_SIZE:
        raise MalformedEvidenceError(
            f"entry is {len(entry)} bytes; entry bundles hold at most {MAX_ENTRY_SIZE}",
            f"条目为 {len(entry)} 字节；条目包最多容纳 {MAX_ENTRY_SIZE} 字节",
        )


class TileHashReader:
    """Reads complete-subtree hashes from the hash tiles of a tree of ``size`` leaves.

    A :class:`~dataport.ledger.merkle.HashReader`: each tile is read once per call, and
    the levels between stored tile levels are rehashed from the tile below.
    """

    def __init__(self, files: Mapping[str, bytes], size: int) -> None:
        self._files = files
        self._size = size

    def __call__(self, nodes: Sequence[NodeId], /) -> list[bytes]:
        tiles: dict[tuple[int, int], list[bytes]] = {}
        hashes = []
        for node in nodes:
            tile_level, height_in_tile = divmod(node.level, TILE_HEIGHT)
            first = node.index << height_in_tile
            tile_index, offset = divmod(first, TILE_WIDTH)
            key = (tile_level, tile_index)
            if key not in tiles:
                tiles[key] = self._read_tile(tile_level, tile_index)
            span = tiles[key][offset : offset + (1 << height_in_tile)]
            if len(span) != 1 << height_in_tile:
                raise LogMismatchError(
                    f"node {node.level}/{node.index} is not complete in a tree of "
                    f"{self._size} leaves",
                    f"在 {self._size} 个叶子的树中，节点 {node.level}/{node.index} 不完整",
                )
            hashes.append(_perfect_root(span))
        return hashes

    def _read_tile(self, level: int, index: int) -> list[bytes]:
        available = (self._size >> (TILE_HEIGHT * level)) - index * TILE_WIDTH
        if available <= 0:
            raise LogMismatchError(
                f"a tree of {self._size} leaves has no tile {index} at level {level}",
                f"{self._size} 个叶子的树在第 {level} 层没有第 {index} 个瓦片",
            )
        wanted = TileId(level, index, min(available, TILE_WIDTH))
        data = self._files.get(wanted.path)
        if data is None and wanted.is_partial:
            # A log may drop a partial tile once the full one exists; its prefix is the same.
            full = TileId(level, index)
            stored = self._files.get(full.path)
            if stored is not None:
                return decode_hash_tile(stored, full)[: wanted.width]
        if data is None:
            raise LogMismatchError(
                f"the log has no {wanted.path}, which a tree of {self._size} leaves needs",
                f"日志缺少 {self._size} 个叶子的树所需的 {wanted.path}",
            )
        return decode_hash_tile(data, wanted)


def _encode_index(index: int) -> str:
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def _perfect_root(hashes: list[bytes]) -> bytes:
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]
