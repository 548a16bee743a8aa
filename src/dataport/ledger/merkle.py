"""RFC 9162 Merkle trees: hashing, compact ranges, and inclusion and consistency proofs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from dataport.ledger.errors import (
    LogStoreError,
    ProofError,
    ProofLengthError,
    ProofRequestError,
    RootMismatchError,
    TreeRangeError,
)

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
# Tree sizes travel as uint64 in every format this log speaks (checkpoints, witnesses, tiles).
MAX_TREE_SIZE = 2**64 - 1

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    """The RFC 9162 hash of one log entry."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


@dataclass(frozen=True, slots=True)
class NodeId:
    """The complete subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``."""

    level: int
    index: int


@dataclass(frozen=True, slots=True)
class Node:
    """A complete subtree and its hash, as a storage layer persists it."""

    level: int
    index: int
    digest: bytes


class HashReader(Protocol):
    """Reads the stored hashes of complete subtrees, in the order asked.

    Proof generation asks for every hash a proof needs in one call, so a database can answer
    with one query and a tile store with one fetch per tile.
    """

    def __call__(self, nodes: Sequence[NodeId], /) -> Sequence[bytes]: ...


class CompactRange:
    """The right edge of a tree: one complete-subtree hash per set bit of its size.

    Appending is O(log n) and reports every subtree the new leaf completes, so a storage
    layer can persist the tree level by level without ever rereading it.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @classmethod
    def from_hashes(cls, size: int, hashes: Sequence[bytes]) -> CompactRange:
        """Rebuilds the right edge from the hashes of ``compact_range_nodes(size)``."""
        _require_tree_size(size)
        expected = size.bit_count()
        if len(hashes) != expected:
            raise LogStoreError(
                f"a tree of {size} leaves has {expected} right-edge hashes, got {len(hashes)}",
                f"{size} 个叶子的树应有 {expected} 个右边界哈希，实际为 {len(hashes)} 个",
            )
        for position, digest in enumerate(hashes):
            _require_stored_hash(digest, f"right-edge hash {position}")
        restored = cls()
        restored._size = size
        restored._hashes = list(hashes)
        return restored

    @classmethod
    def read(cls, size: int, read_hashes: HashReader) -> CompactRange:
        """Rebuilds the right edge of a stored tree of ``size`` leaves."""
        _require_tree_size(size)
        nodes = compact_range_nodes(size)
        return cls.from_hashes(size, _read_hashes(read_hashes, nodes))

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The hashes of ``compact_range_nodes(self.size)``, in that order."""
        return tuple(self._hashes)

    def append(self, leaf: bytes) -> list[Node]:
        """Adds one leaf hash; returns it and every subtree it completes, lowest level first."""
        _require_stored_hash(leaf, "leaf hash")
        index = self._size
        digest = leaf
        completed = [Node(0, index, digest)]
        level = 0
        # Each trailing one bit of the old size is a complete left sibling waiting for a partner.
        while (index >> level) & 1:
            digest = node_hash(self._hashes.pop(), digest)
            level += 1
            completed.append(Node(level, index >> level, digest))
        self._hashes.append(digest)
        self._size += 1
        return completed

    def root(self) -> bytes:
        """The RFC 9162 root of the tree, ``EMPTY_ROOT`` when it has no leaves."""
        if not self._hashes:
            return EMPTY_ROOT
        return _fold_right(self._hashes)


def compact_range_nodes(size: int) -> list[NodeId]:
    """The complete subtrees whose hashes make up the right edge of a tree, largest first."""
    _require_tree_size(size)
    nodes = []
    begin = 0
    for level in reversed(range(size.bit_length())):
        if (size >> level) & 1:
            nodes.append(NodeId(level, begin >> level))
            begin += 1 << level
    return nodes


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """The RFC 9162 root of the tree over these leaf hashes, in order."""
    tree = CompactRange()
    for leaf in leaf_hashes:
        tree.append(leaf)
    return tree.root()


def inclusion_proof(index: int, size: int, read_hashes: HashReader) -> list[bytes]:
    """The RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    _require_tree_size(size)
    if not 0 <= index < size:
        raise ProofRequestError(
            f"cannot prove leaf {index} in a tree of {size} leaves",
            f"无法在 {size} 个叶子的树中证明第 {index} 个叶子",
        )
    return _proof_from_ranges(_inclusion_ranges(index, size), read_hashes)


def consistency_proof(old_size: int, new_size: int, read_hashes: HashReader) -> list[bytes]:
    """The RFC 9162 proof that the tree of ``old_size`` leaves is a prefix of ``new_size``."""
    _require_tree_size(old_size)
    _require_tree_size(new_size)
    if not 0 < old_size <= new_size:
        raise ProofRequestError(
            f"cannot prove consistency from size {old_size} to size {new_size}",
            f"无法证明从 {old_size} 到 {new_size} 的一致性",
        )
    if old_size == new_size:
        return []
    return _proof_from_ranges(_consistency_ranges(old_size, new_size), read_hashes)


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for leaf ``index`` in a tree of ``size`` leaves.

    RFC 9162 §2.1.3.2, steps 1-4. The caller compares the result with a trusted root.
    """
    _require_tree_size(size)
    if not 0 <= index < size:
        raise TreeRangeError(
            f"leaf index {index} is outside a tree of {size} leaves",
            f"叶子序号 {index} 超出了 {size} 个叶子的树",
            index=index,
            size=size,
        )
    _require_proof_hash(leaf, "leaf hash", "叶子哈希")
    sides = _inclusion_sides(index, size)
    if len(proof) != len(sides):
        raise ProofLengthError(expected=len(sides), actual=len(proof))
    digest = leaf
    for position, (sibling, sibling_on_left) in enumerate(zip(proof, sides, strict=True)):
        _require_proof_hash(sibling, f"proof hash {position}", f"证明第 {position} 个哈希")
        digest = node_hash(sibling, digest) if sibling_on_left else node_hash(digest, sibling)
    return digest


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raises unless ``proof`` shows leaf ``index`` is in the tree of ``size`` with ``root``."""
    computed = root_from_inclusion_proof(leaf, index, size, proof)
    if computed != root:
        raise RootMismatchError("root", expected=root, actual=computed)


def verify_consistency(
    old_size: int,
    new_size: int,
    proof: Sequence[bytes],
    old_root: bytes,
    new_root: bytes,
) -> None:
    """Raises unless ``proof`` shows the tree ``old_root`` is a prefix of ``new_root``.

    RFC 9162 §2.1.4.2, with the conventions of transparency-dev/merkle for degenerate sizes:
    equal sizes need an empty proof and equal roots; a proof from the empty tree is refused,
    because it would prove nothing.
    """
    _require_tree_size(old_size)
    _require_tree_size(new_size)
    if old_size > new_size:
        raise TreeRangeError(
            f"old tree size {old_size} is larger than new tree size {new_size}",
            f"旧树大小 {old_size} 大于新树大小 {new_size}",
            old_size=old_size,
            new_size=new_size,
        )
    if old_size == 0:
        raise TreeRangeError(
            "a consistency proof from the empty tree proves nothing",
            "从空树出发的一致性证明没有意义",
            old_size=old_size,
            new_size=new_size,
        )
    if old_size == new_size:
        if proof:
            raise ProofLengthError(expected=0, actual=len(proof))
        if old_root != new_root:
            raise RootMismatchError("new root", expected=new_root, actual=old_root)
        return

    seeded_with_old_root, sides = _consistency_sides(old_size, new_size)
    expected_length = len(sides) + (0 if seeded_with_old_root else 1)
    if len(proof) != expected_length:
        raise ProofLengthError(expected=expected_length, actual=len(proof))
    for position, digest in enumerate(proof):
        _require_proof_hash(digest, f"proof hash {position}", f"证明第 {position} 个哈希")

    path = [old_root, *proof] if seeded_with_old_root else list(proof)
    old_digest = new_digest = path[0]
    for sibling, on_both_paths in zip(path[1:], sides, strict=True):
        if on_both_paths:
            old_digest = node_hash(sibling, old_digest)
            new_digest = node_hash(sibling, new_digest)
        else:
            new_digest = node_hash(new_digest, sibling)
    if old_digest != old_root:
        raise RootMismatchError("old root", expected=old_root, actual=old_digest)
    if new_digest != new_root:
        raise RootMismatchError("new root", expected=new_root, actual=new_digest)


def _inclusion_sides(index: int, size: int) -> list[bool]:
    """For each hash of a valid inclusion proof, whether it is the left sibling.

    This is the fn/sn walk of RFC 9162 §2.1.3.2 step 4 without the hashing. It ends exactly
    when sn reaches 0, so its length is the only proof length the RFC accepts (steps 4a, 5).
    """
    fn, sn = index, size - 1
    sides = []
    while sn > 0:
        on_left = bool(fn & 1) or fn == sn
        sides.append(on_left)
        if on_left:
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        fn >>= 1
        sn >>= 1
    return sides


def _consistency_sides(old_size: int, new_size: int) -> tuple[bool, list[bool]]:
    """The shape of a valid consistency proof, from the fn/sn walk of RFC 9162 §2.1.4.2.

    Returns whether the walk is seeded with the old root (old size a power of two, step 2)
    and, for each following hash, whether it feeds both running hashes or only the new one.
    """
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    sides = []
    while sn > 0:
        on_both = bool(fn & 1) or fn == sn
        sides.append(on_both)
        if on_both:
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        fn >>= 1
        sn >>= 1
    return (old_size & (old_size - 1)) == 0, sides


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form the proof of ``index`` (RFC 9162 §2.1.3.1)."""
    ranges = []
    begin, end = 0, size
    while end - begin > 1:
        split = begin + _largest_power_of_two_below(end - begin)
        if index < split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((begin, split))
            begin = split
    ranges.reverse()
    return ranges


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form the proof from ``old_size`` (RFC 9162 §2.1.4.1)."""
    ranges = []
    begin, end = 0, new_size
    remaining = old_size
    old_tree_is_a_subtree = True
    while remaining != end - begin:
        split = _largest_power_of_two_below(end - begin)
        if remaining <= split:
            ranges.append((begin + split, end))
            end = begin + split
        else:
            ranges.append((begin, begin + split))
            begin += split
            remaining -= split
            old_tree_is_a_subtree = False
    # The verifier already holds the old root, so it is sent only when it is not itself a
    # node of the new tree's left edge.
    if not old_tree_is_a_subtree:
        ranges.append((begin, end))
    ranges.reverse()
    return ranges


def _proof_from_ranges(ranges: list[tuple[int, int]], read_hashes: HashReader) -> list[bytes]:
    per_range = [_range_nodes(begin, end) for begin, end in ranges]
    stored = _read_hashes(read_hashes, [node for nodes in per_range for node in nodes])
    proof = []
    offset = 0
    for nodes in per_range:
        proof.append(_fold_right(stored[offset : offset + len(nodes)]))
        offset += len(nodes)
    return proof


def _range_nodes(begin: int, end: int) -> list[NodeId]:
    """The complete subtrees that tile the leaf range ``[begin, end)``, left to right."""
    nodes = []
    while begin < end:
        level = (end - begin).bit_length() - 1
        if begin:
            level = min(level, (begin & -begin).bit_length() - 1)
        nodes.append(NodeId(level, begin >> level))
        begin += 1 << level
    return nodes


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    """The hash of a subtree from its complete parts: RFC 9162 trees lean left."""
    digest = hashes[-1]
    for left in reversed(hashes[:-1]):
        digest = node_hash(left, digest)
    return digest


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def _read_hashes(read_hashes: HashReader, nodes: Sequence[NodeId]) -> list[bytes]:
    stored = list(read_hashes(nodes))
    if len(stored) != len(nodes):
        raise LogStoreError(
            f"asked the store for {len(nodes)} hashes, got {len(stored)}",
            f"向存储请求了 {len(nodes)} 个哈希，实际得到 {len(stored)} 个",
        )
    for node, digest in zip(nodes, stored, strict=True):
        _require_stored_hash(digest, f"hash of node {node.level}/{node.index}")
    return stored


def _require_tree_size(size: int) -> None:
    if not 0 <= size <= MAX_TREE_SIZE:
        raise TreeRangeError(
            f"tree size {size} is outside 0..2**64-1",
            f"树大小 {size} 超出 0..2**64-1 的范围",
            size=size,
        )


def _require_proof_hash(digest: bytes, subject: str, subject_zh: str) -> None:
    if len(digest) != HASH_SIZE:
        raise ProofError(
            f"{subject} is {len(digest)} bytes, expected {HASH_SIZE}",
            f"{subject_zh}为 {len(digest)} 字节，应为 {HASH_SIZE} 字节",
        )


def _require_stored_hash(digest: bytes, subject: str) -> None:
    if len(digest) != HASH_SIZE:
        raise LogStoreError(
            f"{subject} is {len(digest)} bytes, expected {HASH_SIZE}",
            f"{subject} 为 {len(digest)} 字节，应为 {HASH_SIZE} 字节",
        )
