"""RFC 9162 hashing, compact ranges, proof generation and proof verification."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataport.ledger import (
    EMPTY_ROOT,
    CompactRange,
    LogStoreError,
    NodeId,
    ProofError,
    ProofLengthError,
    ProofRequestError,
    RootMismatchError,
    TreeRangeError,
    VerificationError,
    compact_range_nodes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

from .conftest import ConsistencyProbe, InclusionProbe

# The RFC 6962 test leaves of transparency-dev/merkle (testvectors/README.md).
REFERENCE_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
# Roots of each prefix of the reference tree (transparency-dev/merkle testonly/constants.go);
# sizes 0 and 8 are also stated in testvectors/README.md.
REFERENCE_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

MAX_TREE = 1100
# Sizes where the tree's shape changes: 0-2, powers of two, and one either side.
EDGE_SIZES = sorted(
    {1, 2, 3} | {n + d for n in (4, 8, 16, 32, 64, 256, 512, 1024) for d in (-1, 0, 1)}
)


def _mth(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, written straight from its recursive definition, as an oracle."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def _path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(m, D[n])."""
    if len(leaves) <= 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return [*_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_path(m - k, leaves[k:]), _mth(leaves[:k])]


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    """RFC 6962 §2.1.2 SUBPROOF(m, D[n], b)."""
    if m == len(leaves):
        return [] if complete else [_mth(leaves)]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), _mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), _mth(leaves[:k])]


@cache
def _entries() -> tuple[bytes, ...]:
    return tuple(i.to_bytes(2, "big") for i in range(MAX_TREE))


@cache
def _stored_nodes() -> dict[NodeId, bytes]:
    """Every complete subtree of the largest test tree, as a storage layer would keep them."""
    tree = CompactRange()
    nodes = {}
    for entry in _entries():
        for node in tree.append(leaf_hash(entry)):
            nodes[NodeId(node.level, node.index)] = node.digest
    return nodes


def _reader(size: int) -> Callable[[Sequence[NodeId]], list[bytes]]:
    """A HashReader for the tree of ``size`` leaves that refuses to read beyond it."""

    def read(nodes: Sequence[NodeId]) -> list[bytes]:
        for node in nodes:
            assert (node.index + 1) << node.level <= size, f"read {node} beyond size {size}"
        return [_stored_nodes()[node] for node in nodes]

    return read


@cache
def _root(size: int) -> bytes:
    return root_from_leaf_hashes(leaf_hash(entry) for entry in _entries()[:size])


# --- conformance vectors --------------------------------------------------------------------


def test_inclusion_probe(inclusion_probe: InclusionProbe) -> None:
    probe = inclusion_probe
    arguments = (probe.leaf_hash, probe.leaf_index, probe.tree_size, probe.proof, probe.root)
    if probe.want_error:
        with pytest.raises(VerificationError):
            verify_inclusion(*arguments)
    else:
        verify_inclusion(*arguments)


def test_consistency_probe(consistency_probe: ConsistencyProbe) -> None:
    probe = consistency_probe
    arguments = (probe.old_size, probe.new_size, probe.proof, probe.old_root, probe.new_root)
    if probe.want_error:
        with pytest.raises(VerificationError):
            verify_consistency(*arguments)
    else:
        verify_consistency(*arguments)


@pytest.mark.parametrize("size", range(len(REFERENCE_ROOTS)))
def test_reference_tree_roots(size: int) -> None:
    leaves = [leaf_hash(leaf) for leaf in REFERENCE_LEAVES[:size]]
    assert root_from_leaf_hashes(leaves).hex() == REFERENCE_ROOTS[size]


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root_from_leaf_hashes([]) == EMPTY_ROOT


def test_hasher_vectors_of_transparency_dev() -> None:
    assert leaf_hash(b"").hex() == REFERENCE_ROOTS[1]
    assert leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


# --- compact range ---------------------------------------------------------------------------


def test_compact_range_reports_every_completed_subtree_with_its_hash() -> None:
    leaves = _entries()[:70]
    tree = CompactRange()
    seen: dict[NodeId, bytes] = {}
    for size, entry in enumerate(leaves, 1):
        for node in tree.append(leaf_hash(entry)):
            begin, end = node.index << node.level, (node.index + 1) << node.level
            assert end <= size
            assert node.digest == _mth(leaves[begin:end])
            seen[NodeId(node.level, node.index)] = node.digest
        assert tree.root() == _mth(leaves[:size])
    # Every complete subtree of the 70-leaf tree is reported exactly once.
    expected = {(level, i) for level in range(7) for i in range(70 >> level)}
    assert {(node.level, node.index) for node in seen} == expected


@pytest.mark.parametrize("size", [0, *EDGE_SIZES])
def test_compact_range_resumes_from_stored_nodes(size: int) -> None:
    restored = CompactRange.read(size, _reader(size))
    assert restored.size == size
    assert restored.root() == _root(size)
    restored.append(leaf_hash(b"next"))
    assert restored.root() == root_from_leaf_hashes(
        [*(leaf_hash(entry) for entry in _entries()[:size]), leaf_hash(b"next")]
    )


def test_compact_range_nodes_are_the_right_edge_largest_first() -> None:
    assert compact_range_nodes(0) == []
    assert compact_range_nodes(13) == [NodeId(3, 0), NodeId(2, 2), NodeId(0, 12)]


def test_compact_range_refuses_a_store_that_returns_too_few_hashes() -> None:
    with pytest.raises(LogStoreError, match="right-edge hashes"):
        CompactRange.from_hashes(13, [b"\x00" * 32] * 2)


# --- proof generation ------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(1, 34))
def test_inclusion_proofs_match_the_rfc_definition(size: int) -> None:
    leaves = _entries()[:size]
    for index in range(size):
        assert inclusion_proof(index, size, _reader(size)) == _path(index, leaves)


@pytest.mark.parametrize("new_size", range(1, 34))
def test_consistency_proofs_match_the_rfc_definition(new_size: int) -> None:
    leaves = _entries()[:new_size]
    for old_size in range(1, new_size + 1):
        expected = _subproof(old_size, leaves, True) if old_size < new_size else []
        assert consistency_proof(old_size, new_size, _reader(new_size)) == expected


@pytest.mark.parametrize("size", EDGE_SIZES)
def test_every_generated_inclusion_proof_verifies(size: int) -> None:
    for index in range(size):
        proof = inclusion_proof(index, size, _reader(size))
        verify_inclusion(leaf_hash(_entries()[index]), index, size, proof, _root(size))


@pytest.mark.parametrize("new_size", range(1, 65))
def test_consistency_from_every_smaller_size_verifies(new_size: int) -> None:
    for old_size in range(1, new_size + 1):
        proof = consistency_proof(old_size, new_size, _reader(new_size))
        verify_consistency(old_size, new_size, proof, _root(old_size), _root(new_size))


@settings(deadline=None)
@given(st.data())
def test_generated_inclusion_proofs_verify_for_any_size(data: st.DataObject) -> None:
    size = data.draw(st.one_of(st.sampled_from(EDGE_SIZES), st.integers(1, MAX_TREE)))
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, _reader(size))
    assert root_from_inclusion_proof(leaf_hash(_entries()[index]), index, size, proof) == _root(
        size
    )


@settings(deadline=None)
@given(st.data())
def test_generated_consistency_proofs_verify_for_any_sizes(data: st.DataObject) -> None:
    new_size = data.draw(st.one_of(st.sampled_from(EDGE_SIZES), st.integers(1, MAX_TREE)))
    old_size = data.draw(st.integers(1, new_size))
    proof = consistency_proof(old_size, new_size, _reader(new_size))
    verify_consistency(old_size, new_size, proof, _root(old_size), _root(new_size))


@pytest.mark.parametrize(("index", "size"), [(0, 0), (5, 5), (-1, 3)])
def test_inclusion_proof_of_a_leaf_outside_the_tree_is_refused(index: int, size: int) -> None:
    with pytest.raises(ProofRequestError, match=f"leaf {index} in a tree of {size}"):
        inclusion_proof(index, size, _reader(size))


@pytest.mark.parametrize(("old_size", "new_size"), [(0, 0), (0, 5), (6, 5)])
def test_consistency_proof_between_impossible_sizes_is_refused(
    old_size: int, new_size: int
) -> None:
    with pytest.raises(ProofRequestError):
        consistency_proof(old_size, new_size, _reader(new_size))


def test_proof_generation_refuses_a_store_that_returns_the_wrong_hashes() -> None:
    with pytest.raises(LogStoreError, match="asked the store for 3 hashes, got 2"):
        inclusion_proof(0, 8, lambda nodes: [b"\x00" * 32] * 2)
    with pytest.raises(LogStoreError, match="is 31 bytes, expected 32"):
        inclusion_proof(0, 8, lambda nodes: [b"\x00" * 31] * len(nodes))


# --- verification fails closed, saying what it expected ------------------------------------


@settings(deadline=None)
@given(st.data())
def test_a_flipped_bit_anywhere_in_an_inclusion_proof_is_rejected(data: st.DataObject) -> None:
    size = data.draw(st.integers(2, MAX_TREE))
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, _reader(size))
    position = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, 255))
    tampered = list(proof)
    tampered[position] = _flip(tampered[position], bit)
    with pytest.raises(RootMismatchError):
        verify_inclusion(leaf_hash(_entries()[index]), index, size, tampered, _root(size))


@settings(deadline=None)
@given(st.data())
def test_a_flipped_bit_anywhere_in_a_consistency_proof_is_rejected(data: st.DataObject) -> None:
    new_size = data.draw(st.integers(2, MAX_TREE))
    old_size = data.draw(st.integers(1, new_size - 1))
    proof = consistency_proof(old_size, new_size, _reader(new_size))
    position = data.draw(st.integers(0, len(proof) - 1))
    tampered = list(proof)
    tampered[position] = _flip(tampered[position], data.draw(st.integers(0, 255)))
    with pytest.raises(RootMismatchError):
        verify_consistency(old_size, new_size, tampered, _root(old_size), _root(new_size))


@settings(deadline=None)
@given(st.data())
def test_a_proof_for_another_leaf_is_rejected(data: st.DataObject) -> None:
    size = data.draw(st.integers(2, MAX_TREE))
    index, other = data.draw(
        st.lists(st.integers(0, size - 1), min_size=2, max_size=2, unique=True)
    )
    proof = inclusion_proof(other, size, _reader(size))
    with pytest.raises(ProofError):
        verify_inclusion(leaf_hash(_entries()[index]), index, size, proof, _root(size))


def test_root_mismatch_says_expected_and_actual() -> None:
    proof = inclusion_proof(0, 8, _reader(8))
    wrong_root = b"\xab" * 32
    with pytest.raises(RootMismatchError) as caught:
        verify_inclusion(leaf_hash(_entries()[0]), 0, 8, proof, wrong_root)
    message = str(caught.value)
    assert "expected abababababababab" in message
    assert f"got {_root(8).hex()[:16]}" in message
    assert caught.value.details == {"expected": wrong_root.hex(), "actual": _root(8).hex()}


@pytest.mark.parametrize("change", ["one more", "one fewer"])
def test_proof_of_the_wrong_length_says_how_long_it_should_be(change: str) -> None:
    proof = inclusion_proof(5, 8, _reader(8))
    wrong = [*proof, proof[0]] if change == "one more" else proof[:-1]
    with pytest.raises(ProofLengthError, match=f"proof has {len(wrong)} hashes, expected 3"):
        verify_inclusion(leaf_hash(_entries()[5]), 5, 8, wrong, _root(8))


def test_leaf_index_outside_the_tree_is_rejected_before_hashing() -> None:
    with pytest.raises(TreeRangeError, match="leaf index 8 is outside a tree of 8 leaves"):
        verify_inclusion(leaf_hash(b""), 8, 8, [], _root(8))


def test_short_proof_hash_is_rejected_with_its_position() -> None:
    proof = inclusion_proof(0, 8, _reader(8))
    proof[1] = proof[1][:20]
    with pytest.raises(ProofError, match="proof hash 1 is 20 bytes, expected 32"):
        verify_inclusion(leaf_hash(_entries()[0]), 0, 8, proof, _root(8))


def test_consistency_between_equal_sizes_requires_equal_roots() -> None:
    verify_consistency(8, 8, [], _root(8), _root(8))
    with pytest.raises(RootMismatchError):
        verify_consistency(8, 8, [], _root(8), _root(7))


@pytest.mark.parametrize(
    ("old_size", "new_size", "message"),
    [
        (0, 5, "from the empty tree proves nothing"),
        (6, 5, "old tree size 6 is larger than new tree size 5"),
        (1, 2**64, "tree size 18446744073709551616 is outside"),
    ],
)
def test_consistency_between_impossible_sizes_is_rejected(
    old_size: int, new_size: int, message: str
) -> None:
    with pytest.raises(TreeRangeError, match=message):
        verify_consistency(old_size, new_size, [], EMPTY_ROOT, EMPTY_ROOT)


def _flip(digest: bytes, bit: int) -> bytes:
    flipped = bytearray(digest)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)
