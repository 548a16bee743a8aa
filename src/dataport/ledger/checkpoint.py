"""C2SP tlog-checkpoint v1.0.0: the signed statement of a log's origin, size and root hash."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dataport.ledger.errors import MalformedEvidenceError, OriginMismatchError, SignatureError
from dataport.ledger.merkle import HASH_SIZE, MAX_TREE_SIZE
from dataport.ledger.note import Note, NoteSigner, NoteVerifier, open_note, sign_note

_SIZE_PATTERN = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: who (origin), how many entries (size) and their root hash."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require_line(self.origin, "origin", "来源")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise MalformedEvidenceError(
                f"checkpoint size {self.size} is outside 0..2**64-1",
                f"检查点的树大小 {self.size} 超出 0..2**64-1 的范围",
            )
        if len(self.root_hash) != HASH_SIZE:
            raise MalformedEvidenceError(
                f"checkpoint root hash is {len(self.root_hash)} bytes, expected {HASH_SIZE}",
                f"检查点根哈希为 {len(self.root_hash)} 字节，应为 {HASH_SIZE} 字节",
            )
        for number, extension in enumerate(self.extensions, 1):
            _require_line(extension, f"extension line {number}", f"第 {number} 个扩展行")

    def format(self) -> str:
        """The checkpoint as note text: origin, size, base64 root, extensions; one per line."""
        root = base64.b64encode(self.root_hash).decode()
        return "".join(
            f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions)
        )

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Reads checkpoint note text, refusing anything but the exact line structure."""
        if not text.endswith("\n"):
            raise MalformedEvidenceError(
                "checkpoint text does not end in a newline",
                "检查点正文不以换行结尾",
            )
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedEvidenceError(
                f"checkpoint has {len(lines)} lines, expected at least 3 (origin, size, root)",
                f"检查点只有 {len(lines)} 行，至少应有 3 行（来源、大小、根哈希）",
            )
        origin, size, root, *extensions = lines
        if not _SIZE_PATTERN.fullmatch(size) or int(size) > MAX_TREE_SIZE:
            raise MalformedEvidenceError(
                f"checkpoint size {size!r} is not a decimal uint64 without leading zeros",
                f"检查点的树大小 {size!r} 不是无前导零的十进制 uint64",
            )
        return cls(origin, int(size), _decode_root(root), tuple(extensions))


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint whose log signature has been verified, with the note that carried it."""

    checkpoint: Checkpoint
    note: Note


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[NoteSigner]) -> bytes:
    """The checkpoint as a signed note."""
    return sign_note(checkpoint.format(), signers)


def open_checkpoint(
    signed: bytes,
    log_key: NoteVerifier,
    *,
    origin: str,
    cosigners: Iterable[NoteVerifier] = (),
) -> SignedCheckpoint:
    """Verifies a signed checkpoint from the log of ``origin``, signed by ``log_key``.

    A signature by a cosigner alone is not enough: the log itself must have signed. Valid
    cosignatures by ``cosigners`` are verified too and returned in the note's signatures.
    """
    note = open_note(signed, [log_key, *cosigners])
    if all((s.name, s.key_id) != (log_key.name, log_key.key_id) for s in note.signatures):
        raise SignatureError(
            f"checkpoint is not signed by the log key {log_key.name}+{log_key.key_id:08x}",
            f"检查点没有日志密钥 {log_key.name}+{log_key.key_id:08x} 的签名",
        )
    checkpoint = Checkpoint.parse(note.text)
    if checkpoint.origin != origin:
        raise OriginMismatchError(
            f"checkpoint is from log {checkpoint.origin!r}, expected {origin!r}",
            f"检查点来自日志 {checkpoint.origin!r}，应为 {origin!r}",
            expected=origin,
            actual=checkpoint.origin,
        )
    return SignedCheckpoint(checkpoint, note)


def _decode_root(encoded: str) -> bytes:
    try:
        root = base64.b64decode(encoded, validate=True)
    except ValueError:
        root = b""
    if len(root) != HASH_SIZE or base64.b64encode(root).decode() != encoded:
        raise MalformedEvidenceError(
            f"checkpoint root {encoded!r} is not the canonical base64 of a {HASH_SIZE}-byte hash",
            f"检查点根哈希 {encoded!r} 不是 {HASH_SIZE} 字节哈希的规范 base64 编码",
        )
    return root


def _require_line(value: str, subject: str, subject_zh: str) -> None:
    if not value or any(character < " " for character in value):
        raise MalformedEvidenceError(
            f"checkpoint {subject} is empty or contains a control character",
            f"检查点的{subject_zh}为空或含有控制字符",
        )
