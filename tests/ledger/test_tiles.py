"""C2SP tlog-tiles: paths, hash tiles, entry bundles, and proofs read from tiles."""

from __future__ import annotations

import itertools
from functools import cache

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from dataport.ledger import (
    ENTRIES,
    Checkpoint,
    Ed25519Signer,
    LogMismatchError,
    MalformedEvidenceError,
    TileHashReader,
    TileId,
    TileLogWriter,
    consistency_proof,
    decode_entry_bundle,
    decode_hash_tile,
    encode_entry_bundle,
    inclusion_proof,
    leaf_hash,
    parse_tile_path,
    root_from_leaf_hashes,
    tiles_for_size,
    verify_consistency,
    verify_inclusion,
)

from .conftest import TESSERA_ENTRIES

# --- paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (TileId(0, 0), "tile/0/000"),
        (TileId(0, 1234067), "tile/0/x001/x234/067"),
        (TileId(1, 1000), "tile/1/x001/000"),
        (TileId(2, 999, 17), "tile/2/999.p/17"),
        (TileId(63, 0, 1), "tile/63/000.p/1"),
        (TileId(0, 0, 15), "tile/0/000.p/15"),
        (TileId(ENTRIES, 0, 255), "tile/entries/000.p/255"),
        (TileId(ENTRIES, 1_000_000), "tile/entries/x001/x000/000"),
    ],
)
def test_tile_paths_follow_the_spec_and_parse_back(tile: TileId, path: str) -> None:
    assert tile.path == path
    assert parse_tile_path(path) == tile


@pytest.mark.parametrize(
    "path",
    [
        "tile/00/000",
        "tile/64/000",
        "tile/0/00",
        "tile/0/0000",
        "tile/0/x000/001",
        "tile/0/x1/000",
        "tile/0/000.p/0",
        "tile/0/000.p/015",
        "tile/0/000.p/256",
        "tile/0/000.p/",
        "tile/0/000/",
        "tile/data/000",
        "tile/0/001.p/5/",
        "../tile/0/000",
        "/tile/0/000",
    ],
)
def test_non_canonical_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(MalformedEvidenceError):
        parse_tile_path(path)


@pytest.mark.parametrize("tile", [TileId(0, 0, 0), TileId(0, 0, 257), TileId(64, 0), TileId(0, -1)])
def test_impossible_tiles_have_no_path(tile: TileId) -> None:
    with pytest.raises(MalformedEvidenceError):
        _ = tile.path


def test_tiles_for_size_matches_the_spec_example_of_70000_entries() -> None:
    tiles = tiles_for_size(70_000)
    hash_tiles = [tile for tile in tiles if tile.level != ENTRIES]
    assert [tile for tile in hash_tiles if tile.level == 0 and not tile.is_partial] == [
        TileId(0, index) for index in range(273)
    ]
    assert [tile for tile in hash_tiles if tile.is_partial] == [
        TileId(0, 273, 112),
        TileId(1, 1, 17),
        TileId(2, 0, 1),
    ]
    assert TileId(1, 0) in hash_tiles
    assert len(hash_tiles) == 273 + 1 + 1 + 1 + 1
    assert [tile for tile in tiles if tile.level == ENTRIES][-1] == TileId(ENTRIES, 273, 112)


def test_a_tree_of_256_is_one_full_tile_and_a_level_one_partial() -> None:
    assert tiles_for_size(256) == [TileId(0, 0), TileId(1, 0, 1), TileId(ENTRIES, 0)]
    assert tiles_for_size(0) == []


# --- hash tiles and entry bundles ------------------------------------------------------------


def test_the_tessera_bundle_decodes_to_its_entries(tessera_log: dict[str, bytes]) -> None:
    bundle = TileId(ENTRIES, 0, 15)
    entries = decode_entry_bundle(tessera_log[bundle.path], bundle)
    assert entries == list(TESSERA_ENTRIES)
    assert encode_entry_bundle(entries) == tessera_log[bundle.path]


def test_the_tessera_level_zero_tile_holds_the_leaf_hashes(tessera_log: dict[str, bytes]) -> None:
    tile = TileId(0, 0, 15)
    assert decode_hash_tile(tessera_log[tile.path], tile) == [
        leaf_hash(entry) for entry in TESSERA_ENTRIES
    ]


def test_a_truncated_hash_tile_is_refused(tessera_log: dict[str, bytes]) -> None:
    tile = TileId(0, 0, 15)
    with pytest.raises(MalformedEvidenceError, match="is 479 bytes, expected 480"):
        decode_hash_tile(tessera_log[tile.path][:-1], tile)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x03one\x00", "ends inside the length prefix of entry 1"),
        (b"\x00\x03one\x00\x03tw", "entry 1 claims 3 bytes, only 2 remain"),
        (b"\x00\x03one", "holds 1 entries, expected 2"),
        (b"\x00\x03one\x00\x03two\x00\x00", "holds 3 entries, expected 2"),
    ],
    ids=["cut-in-prefix", "cut-in-entry", "too-few", "too-many"],
)
def test_malformed_entry_bundles_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(MalformedEvidenceError, match=reason):
        decode_entry_bundle(data, TileId(ENTRIES, 0, 2))


def test_entries_must_fit_a_two_byte_length() -> None:
    largest = b"x" * 0xFFFF
    bundle = TileId(ENTRIES, 0, 1)
    assert decode_entry_bundle(encode_entry_bundle([largest]), bundle) == [largest]
    with pytest.raises(MalformedEvidenceError, match="65536 bytes"):
        encode_entry_bundle([largest + b"x"])


# --- proofs from tiles -----------------------------------------------------------------------


def _tessera_root(tessera_log: dict[str, bytes], size: int) -> bytes:
    return Checkpoint.parse(
        tessera_log[f"checkpoint.{size}"].decode().split("\n\n")[0] + "\n"
    ).root_hash


@pytest.mark.parametrize("size", range(1, 16))
def test_inclusion_proofs_from_tessera_tiles_verify_against_its_checkpoints(
    size: int, tessera_log: dict[str, bytes]
) -> None:
    read = TileHashReader(tessera_log, size)
    root = _tessera_root(tessera_log, size)
    for index in range(size):
        proof = inclusion_proof(index, size, read)
        verify_inclusion(leaf_hash(TESSERA_ENTRIES[index]), index, size, proof, root)


@pytest.mark.parametrize("old_size", range(1, 16))
def test_consistency_proofs_from_tessera_tiles_verify_between_its_checkpoints(
    old_size: int, tessera_log: dict[str, bytes]
) -> None:
    for new_size in range(old_size, 16):
        proof = consistency_proof(old_size, new_size, TileHashReader(tessera_log, new_size))
        verify_consistency(
            old_size,
            new_size,
            proof,
            _tessera_root(tessera_log, old_size),
            _tessera_root(tessera_log, new_size),
        )


LARGE_LOG_SIZE = 256 * 256 + 300


@cache
def _large_log() -> tuple[dict[str, bytes], tuple[bytes, ...]]:
    """A log spanning two tile levels, written in uneven batches."""
    entries = tuple(i.to_bytes(4, "big") for i in range(LARGE_LOG_SIZE))
    files: dict[str, bytes] = {}
    signer = Ed25519Signer("example.com/large", Ed25519PrivateKey.generate())
    writer = TileLogWriter.create("example.com/large", signer, files)
    for begin, end in _batches(LARGE_LOG_SIZE, [1, 255, 1, 65_000, 279, 300]):
        writer.append_batch(entries[begin:end])
    return files, entries


def _batches(total: int, sizes: list[int]) -> list[tuple[int, int]]:
    bounds = [0]
    for size in sizes:
        bounds.append(bounds[-1] + size)
    assert bounds[-1] == total
    return list(itertools.pairwise(bounds))


@cache
def _large_log_root(size: int) -> bytes:
    return root_from_leaf_hashes(leaf_hash(entry) for entry in _large_log()[1][:size])


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_proofs_from_tiles_across_levels_verify(data: st.DataObject) -> None:
    files, entries = _large_log()
    published = [1, 256, 257, 65_257, 65_536, LARGE_LOG_SIZE]
    size = data.draw(st.sampled_from(published))
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, TileHashReader(files, size))
    verify_inclusion(leaf_hash(entries[index]), index, size, proof, _large_log_root(size))
    old_size = data.draw(st.sampled_from([s for s in published if s <= size]))
    proof = consistency_proof(old_size, size, TileHashReader(files, size))
    verify_consistency(old_size, size, proof, _large_log_root(old_size), _large_log_root(size))


def test_a_pruned_partial_tile_is_read_from_the_full_tile() -> None:
    files, entries = _large_log()
    # Size 257 was published with tile/0/001.p/1; the full tile/0/001 exists since.
    assert "tile/0/001.p/1" in files
    assert "tile/0/001" in files
    pruned = {path: data for path, data in files.items() if path != "tile/0/001.p/1"}
    proof = inclusion_proof(256, 257, TileHashReader(pruned, 257))
    verify_inclusion(leaf_hash(entries[256]), 256, 257, proof, _large_log_root(257))


def test_reading_a_missing_tile_names_it(tessera_log: dict[str, bytes]) -> None:
    without = {path: data for path, data in tessera_log.items() if path != "tile/0/000.p/9"}
    with pytest.raises(LogMismatchError, match=r"the log has no tile/0/000\.p/9"):
        inclusion_proof(0, 9, TileHashReader(without, 9))


def test_reading_a_truncated_tile_is_refused(tessera_log: dict[str, bytes]) -> None:
    truncated = {**tessera_log, "tile/0/000.p/9": tessera_log["tile/0/000.p/9"][:-5]}
    with pytest.raises(MalformedEvidenceError, match="is 283 bytes, expected 288"):
        inclusion_proof(0, 9, TileHashReader(truncated, 9))
