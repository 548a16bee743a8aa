"""The tlog-tiles writer and auditor, against Tessera's log and against tampering."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from dataport.errors import Conflict
from dataport.ledger import (
    Ed25519Signer,
    Ed25519Verifier,
    LogDirectory,
    LogMismatchError,
    LogStoreError,
    MalformedEvidenceError,
    OriginMismatchError,
    RootMismatchError,
    SignatureError,
    TileHashReader,
    TileLogWriter,
    audit_log,
    consistency_proof,
    leaf_hash,
    open_checkpoint,
    root_from_leaf_hashes,
    tiles_for_size,
    verify_consistency,
)

from .conftest import TESSERA_ENTRIES, TESSERA_ORIGIN, shared_vectors_dir

# --- Tessera's log, byte for byte ------------------------------------------------------------


def test_appending_one_at_a_time_reproduces_each_tessera_file(
    tessera_path: str, tessera_log: dict[str, bytes], rebuilt_tessera_log: dict[str, bytes]
) -> None:
    assert rebuilt_tessera_log.get(tessera_path) == tessera_log[tessera_path]


def test_the_writer_produces_no_file_tessera_does_not(
    tessera_log: dict[str, bytes], rebuilt_tessera_log: dict[str, bytes]
) -> None:
    assert sorted(rebuilt_tessera_log) == sorted(tessera_log)
    assert len(tessera_log) == 1 + 16 + 15 + 15


def test_the_tessera_directory_passes_the_audit(tessera_verifier: Ed25519Verifier) -> None:
    folder = LogDirectory(shared_vectors_dir() / "tessera-log")
    report = audit_log(folder, tessera_verifier, origin=TESSERA_ORIGIN)
    assert report.checkpoint.size == 15
    assert sorted(report.verified_paths) == sorted(
        ["checkpoint"]
        + [f"tile/0/000.p/{width}" for width in range(1, 16)]
        + [f"tile/entries/000.p/{width}" for width in range(1, 16)]
    )
    assert report.uncommitted_paths == ()


@pytest.mark.parametrize("old_size", range(1, 15))
def test_each_earlier_tessera_checkpoint_is_consistent_with_the_latest(
    old_size: int, tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    old = open_checkpoint(
        tessera_log[f"checkpoint.{old_size}"], tessera_verifier, origin=TESSERA_ORIGIN
    ).checkpoint
    new = open_checkpoint(tessera_log["checkpoint"], tessera_verifier, origin=TESSERA_ORIGIN)
    proof = consistency_proof(old_size, 15, TileHashReader(tessera_log, 15))
    verify_consistency(old_size, 15, proof, old.root_hash, new.checkpoint.root_hash)


# --- tampering -------------------------------------------------------------------------------


def _flip(files: dict[str, bytes], path: str, offset: int) -> dict[str, bytes]:
    data = bytearray(files[path])
    data[offset] ^= 0x01
    return {**files, path: bytes(data)}


def _swap_base64_char(data: bytes, position: int) -> bytes:
    """Replaces one base64 character with another, so the text stays well-formed."""
    replacement = b"B" if data[position : position + 1] == b"A" else b"A"
    return data[:position] + replacement + data[position + 1 :]


def _audit(files: dict[str, bytes], verifier: Ed25519Verifier) -> None:
    audit_log(files, verifier, origin=TESSERA_ORIGIN)


def test_a_flipped_byte_in_an_entry_is_detected(
    tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    # Byte 2 is the "o" of "one", the first entry.
    tampered = _flip(tessera_log, "tile/entries/000.p/15", 2)
    with pytest.raises(LogMismatchError) as caught:
        _audit(tampered, tessera_verifier)
    message = str(caught.value)
    root = open_checkpoint(tessera_log["checkpoint"], tessera_verifier, origin=TESSERA_ORIGIN)
    assert f"but the checkpoint commits to {root.checkpoint.root_hash.hex()[:16]}" in message
    assert "; tile/0/000.p/15 hash 0 is" in message


def test_a_flipped_byte_in_an_entry_length_is_detected(
    tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    tampered = _flip(tessera_log, "tile/entries/000.p/15", 1)
    with pytest.raises(MalformedEvidenceError, match=r"tile/entries/000\.p/15"):
        _audit(tampered, tessera_verifier)


def test_a_flipped_byte_in_a_hash_tile_is_detected(
    tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    tampered = _flip(tessera_log, "tile/0/000.p/15", 32 * 4 + 7)
    with pytest.raises(
        LogMismatchError, match=r"tile/0/000\.p/15 hash 4 is [0-9a-f]+…, recomputed"
    ):
        _audit(tampered, tessera_verifier)


def test_a_flipped_byte_in_an_earlier_partial_tile_is_detected(
    tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    tampered = _flip(tessera_log, "tile/0/000.p/7", 0)
    with pytest.raises(LogMismatchError, match=r"tile/0/000\.p/7 hash 0"):
        _audit(tampered, tessera_verifier)


def test_a_flipped_byte_in_an_earlier_entry_bundle_is_detected(
    tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    tampered = _flip(tessera_log, "tile/entries/000.p/3", 9)
    with pytest.raises(LogMismatchError, match=r"tile/entries/000\.p/3 differs .* at byte 9"):
        _audit(tampered, tessera_verifier)


def test_a_flipped_byte_in_the_checkpoint_signature_is_detected(
    tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    signed = tessera_log["checkpoint"]
    # A character of the signature's base64, past the key ID.
    position = signed.rindex(b" ") + 20
    tampered = {**tessera_log, "checkpoint": _swap_base64_char(signed, position)}
    with pytest.raises(SignatureError, match="does not verify"):
        _audit(tampered, tessera_verifier)
    # A raw flipped bit may also break the base64 itself, which is refused as malformed.
    with pytest.raises(MalformedEvidenceError, match="not canonical standard base64"):
        _audit(_flip(tessera_log, "checkpoint", len(signed) - 3), tessera_verifier)


@pytest.mark.parametrize(
    ("original", "forged"),
    [
        (b"\n15\n", b"\n14\n"),
        (b"rKbD", b"rKbE"),
        (b"example.com/log/testdata\n1", b"example.com/log/testdatb\n1"),
    ],
    ids=["size", "root", "origin"],
)
def test_a_changed_checkpoint_body_is_detected(
    original: bytes, forged: bytes, tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    tampered = {**tessera_log, "checkpoint": tessera_log["checkpoint"].replace(original, forged, 1)}
    assert tampered["checkpoint"] != tessera_log["checkpoint"]
    with pytest.raises(SignatureError, match="does not verify"):
        _audit(tampered, tessera_verifier)


def test_a_log_checked_with_the_wrong_key_is_rejected(tessera_log: dict[str, bytes]) -> None:
    wrong = Ed25519Signer(TESSERA_ORIGIN, Ed25519PrivateKey.generate()).verifier
    with pytest.raises(SignatureError, match="no signature by a trusted key"):
        _audit(tessera_log, wrong)


def test_a_log_checked_under_the_wrong_origin_is_rejected(
    tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    with pytest.raises(OriginMismatchError):
        audit_log(tessera_log, tessera_verifier, origin="example.com/log/other")


@pytest.mark.parametrize("path", ["tile/0/000.p/15", "tile/entries/000.p/15", "checkpoint"])
def test_a_missing_file_is_named(
    path: str, tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    without = {name: data for name, data in tessera_log.items() if name != path}
    with pytest.raises(LogMismatchError, match=f"the log has no {path}"):
        _audit(without, tessera_verifier)


def test_a_truncated_tile_is_rejected(
    tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    truncated = {**tessera_log, "tile/0/000.p/15": tessera_log["tile/0/000.p/15"][:-1]}
    with pytest.raises(LogMismatchError, match=r"tile/0/000\.p/15 is 479 bytes, expected 480"):
        _audit(truncated, tessera_verifier)


def test_a_truncated_entry_bundle_is_rejected(
    tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    path = "tile/entries/000.p/15"
    truncated = {**tessera_log, path: tessera_log[path][:-1]}
    with pytest.raises(MalformedEvidenceError, match="entry 14 claims 6 bytes, only 5 remain"):
        _audit(truncated, tessera_verifier)


def test_a_stray_file_in_the_tile_tree_is_rejected(
    tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    with pytest.raises(LogMismatchError, match=r"'tile/0/000\.bak'"):
        _audit({**tessera_log, "tile/0/000.bak": b""}, tessera_verifier)


def test_tiles_beyond_the_checkpoint_are_reported_not_vouched_for(
    tessera_log: dict[str, bytes], tessera_verifier: Ed25519Verifier
) -> None:
    # As after a crash between writing a batch's tiles and publishing its checkpoint.
    earlier = {**tessera_log, "checkpoint": tessera_log["checkpoint.14"]}
    report = audit_log(earlier, tessera_verifier, origin=TESSERA_ORIGIN)
    assert report.checkpoint.size == 14
    assert report.uncommitted_paths == ("tile/0/000.p/15", "tile/entries/000.p/15")


def test_a_rewritten_log_is_self_consistent_but_breaks_consistency_with_an_old_checkpoint(
    tessera_log: dict[str, bytes],
    tessera_signer: Ed25519Signer,
    tessera_verifier: Ed25519Verifier,
) -> None:
    # Someone holding the log key rewrites entry 3 and republishes: the new log audits cleanly
    # on its own, and only a checkpoint kept from before (a witness's) exposes the rewrite.
    rewritten: dict[str, bytes] = {}
    writer = TileLogWriter.create(TESSERA_ORIGIN, tessera_signer, rewritten)
    writer.append_batch([b"THREE" if i == 2 else entry for i, entry in enumerate(TESSERA_ENTRIES)])
    audit_log(rewritten, tessera_verifier, origin=TESSERA_ORIGIN)

    old = open_checkpoint(tessera_log["checkpoint.5"], tessera_verifier, origin=TESSERA_ORIGIN)
    new = open_checkpoint(rewritten["checkpoint"], tessera_verifier, origin=TESSERA_ORIGIN)
    proof = consistency_proof(5, 15, TileHashReader(rewritten, 15))
    with pytest.raises(RootMismatchError, match="old root mismatch"):
        verify_consistency(5, 15, proof, old.checkpoint.root_hash, new.checkpoint.root_hash)


# --- the writer ------------------------------------------------------------------------------


def _signer() -> Ed25519Signer:
    return Ed25519Signer("example.com/log", Ed25519PrivateKey.generate())


def _entries(count: int) -> list[bytes]:
    return [f"receipt {i}".encode() for i in range(count)]


@settings(deadline=None, max_examples=30)
@given(st.lists(st.integers(0, 300), min_size=1, max_size=6))
def test_any_batching_yields_a_log_that_passes_the_audit(batch_sizes: list[int]) -> None:
    signer = _signer()
    entries = _entries(sum(batch_sizes))
    files: dict[str, bytes] = {}
    writer = TileLogWriter.create("example.com/log", signer, files)
    position = 0
    for batch_size in batch_sizes:
        assert writer.append_batch(entries[position : position + batch_size]) == position
        position += batch_size
    report = audit_log(files, signer.verifier, origin="example.com/log")
    assert report.checkpoint.size == len(entries)
    assert report.checkpoint.root_hash == root_from_leaf_hashes(leaf_hash(e) for e in entries)
    assert {tile.path for tile in tiles_for_size(len(entries))} <= set(report.verified_paths)


def test_a_batch_publishes_the_same_tree_as_single_appends() -> None:
    signer = _signer()
    one_by_one: dict[str, bytes] = {}
    batched: dict[str, bytes] = {}
    writer = TileLogWriter.create("example.com/log", signer, one_by_one)
    for entry in _entries(600):
        writer.append(entry)
    TileLogWriter.create("example.com/log", signer, batched).append_batch(_entries(600))
    assert one_by_one["checkpoint"] == batched["checkpoint"]
    for tile in tiles_for_size(600):
        assert one_by_one[tile.path] == batched[tile.path]


def test_the_log_written_to_a_directory_audits_from_the_directory(tmp_path: Path) -> None:
    signer = _signer()
    writer = TileLogWriter.create("example.com/log", signer, LogDirectory(tmp_path))
    writer.append_batch(_entries(300))
    writer.append(b"one more")
    report = audit_log(LogDirectory(tmp_path), signer.verifier, origin="example.com/log")
    assert report.checkpoint.size == 301
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted(LogDirectory(tmp_path))
    assert not any(Path(name).name.startswith(".") for name in written)


@pytest.mark.parametrize("path", ["../outside", "/etc/passwd", "tile//0", "tile/./0", "a\\b"])
def test_the_directory_refuses_paths_that_leave_it(tmp_path: Path, path: str) -> None:
    folder = LogDirectory(tmp_path / "log")
    with pytest.raises(KeyError):
        folder[path] = b"x"
    with pytest.raises(KeyError):
        _ = folder[path]


def test_a_resumed_writer_continues_the_same_log() -> None:
    signer = _signer()
    resumed_files: dict[str, bytes] = {}
    TileLogWriter.create("example.com/log", signer, resumed_files).append_batch(_entries(300))
    resumed = TileLogWriter.resume("example.com/log", signer, signer.verifier, resumed_files)
    assert resumed.size == 300
    resumed.append_batch(_entries(600)[300:])

    straight: dict[str, bytes] = {}
    writer = TileLogWriter.create("example.com/log", signer, straight)
    writer.append_batch(_entries(600)[:300])
    writer.append_batch(_entries(600)[300:])
    assert resumed_files == straight


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("tile/1/000.p/1", "stored tiles hash to root"),
        ("tile/0/001.p/44", "stored tiles hash to root"),
        ("tile/entries/001.p/44", "do not hash to the leaves of its tile"),
    ],
)
def test_resuming_over_a_tampered_right_edge_is_refused(path: str, reason: str) -> None:
    signer = _signer()
    files: dict[str, bytes] = {}
    TileLogWriter.create("example.com/log", signer, files).append_batch(_entries(300))
    tampered = bytearray(files[path])
    tampered[-1] ^= 0x01
    files[path] = bytes(tampered)
    with pytest.raises(LogMismatchError, match=reason):
        TileLogWriter.resume("example.com/log", signer, signer.verifier, files)


def test_resuming_with_a_key_that_is_not_the_log_key_is_refused() -> None:
    signer = _signer()
    files: dict[str, bytes] = {}
    TileLogWriter.create("example.com/log", signer, files)
    with pytest.raises(MalformedEvidenceError, match="is not the log key"):
        TileLogWriter.resume("example.com/log", _signer(), signer.verifier, files)


def test_creating_over_an_existing_log_is_refused() -> None:
    files: dict[str, bytes] = {}
    TileLogWriter.create("example.com/log", _signer(), files)
    with pytest.raises(Conflict):
        TileLogWriter.create("example.com/log", _signer(), files)


def test_a_second_writer_on_the_same_log_is_detected() -> None:
    signer = _signer()
    files: dict[str, bytes] = {}
    first = TileLogWriter.create("example.com/log", signer, files)
    second = TileLogWriter.resume("example.com/log", signer, signer.verifier, files)
    first.append(b"from the first writer")
    with pytest.raises(LogStoreError, match="another writer"):
        second.append(b"from the second writer")


def test_an_oversized_entry_changes_nothing() -> None:
    files: dict[str, bytes] = {}
    writer = TileLogWriter.create("example.com/log", _signer(), files)
    before = dict(files)
    with pytest.raises(MalformedEvidenceError, match="65536 bytes"):
        writer.append_batch([b"fine", b"x" * 65_536])
    assert writer.size == 0
    assert files == before


def test_an_empty_batch_publishes_nothing() -> None:
    files: dict[str, bytes] = {}
    writer = TileLogWriter.create("example.com/log", _signer(), files)
    before = dict(files)
    assert writer.append_batch([]) == 0
    assert files == before


class _FailingStore(dict[str, bytes]):
    """A store whose writes fail after a budget runs out, like a full disk."""

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.budget = budget

    def __setitem__(self, path: str, data: bytes) -> None:
        if self.budget == 0:
            raise OSError("no space left on device")
        self.budget -= 1
        super().__setitem__(path, data)


def test_a_failed_write_leaves_the_writer_at_its_last_checkpoint() -> None:
    signer = _signer()
    files = _FailingStore(budget=1 + 3)
    writer = TileLogWriter.create("example.com/log", signer, files)  # 1 write: the checkpoint
    writer.append(b"first")  # 3 writes: tile, bundle, checkpoint
    files.budget = 1  # the next batch's tile is written, its bundle and checkpoint are not
    with pytest.raises(OSError, match="no space left"):
        writer.append(b"second")
    assert writer.size == 1
    files.budget = 10
    writer.append(b"second, retried")
    report = audit_log(files, signer.verifier, origin="example.com/log")
    assert report.checkpoint.size == 2
    assert report.checkpoint.root_hash == root_from_leaf_hashes(
        [leaf_hash(b"first"), leaf_hash(b"second, retried")]
    )
