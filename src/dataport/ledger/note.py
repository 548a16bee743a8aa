"""C2SP signed notes (v1.0.0) with Ed25519 keys, and tlog-cosignature v1 witness cosignatures."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from dataport.ledger.errors import MalformedEvidenceError, SignatureError

#: Signature type of an Ed25519 note signature (signed-note).
ED25519 = 0x01
#: Signature type of a timestamped Ed25519 witness cosignature (tlog-cosignature v1).
COSIGNATURE_V1 = 0x04

# The spec requires accepting at least 16; golang.org/x/mod/sumdb/note stops at 100.
MAX_SIGNATURES = 100

_SIGNATURE_PREFIX = "— "
_PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"
_KEY_ID_PATTERN = re.compile(r"[0-9a-f]{8}")
_MAX_TIMESTAMP = 2**63 - 1
_ED25519_KEY_SIZE = 32
_KEY_SUBJECTS_ZH = {"verifier key": "验证公钥", "signer key": "签名私钥"}
_ED25519_SIGNATURE_SIZE = 64
_TIMESTAMP_SIZE = 8


class NoteSigner(Protocol):
    """Signs note text with one key, identified by name and key ID."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def sign(self, message: bytes) -> bytes: ...


class NoteVerifier(Protocol):
    """Checks signatures made by one key, identified by name and key ID."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, message: bytes, signature: bytes) -> bool: ...


class KeyPair(NamedTuple):
    """A signer key (secret) and its verifier key (public), in note key-string form."""

    signer_key: str
    verifier_key: str


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the key's name and ID and the signature bytes after the ID."""

    name: str
    key_id: int
    signature: bytes

    def __post_init__(self) -> None:
        _require_key_name(self.name)
        if not 0 <= self.key_id < 2**32:
            raise MalformedEvidenceError(
                f"key ID {self.key_id} does not fit in 32 bits",
                f"密钥标识 {self.key_id} 超出 32 位",
            )

    def line(self) -> str:
        encoded = base64.b64encode(self.key_id.to_bytes(4, "big") + self.signature).decode()
        return f"{_SIGNATURE_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True)
class Note:
    """An opened note: its text, the signatures trusted keys verified, and the others."""

    text: str
    signatures: tuple[NoteSignature, ...]
    unverified_signatures: tuple[NoteSignature, ...]


def key_id(name: str, signature_type: int, public_key: bytes) -> int:
    """The recommended key ID: SHA-256(name || 0x0A || type || public key), first 4 bytes."""
    _require_key_name(name)
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key)
    return int.from_bytes(digest.digest()[:4], "big")


@dataclass(frozen=True)
class _Ed25519PublicKey:
    signature_type: ClassVar[int]

    name: str
    public_key: bytes
    key_id: int = field(init=False)
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.public_key) != _ED25519_KEY_SIZE:
            raise MalformedEvidenceError(
                f"Ed25519 public key is {len(self.public_key)} bytes, expected 32",
                f"Ed25519 公钥为 {len(self.public_key)} 字节，应为 32 字节",
            )
        object.__setattr__(self, "key_id", key_id(self.name, self.signature_type, self.public_key))
        object.__setattr__(self, "_key", Ed25519PublicKey.from_public_bytes(self.public_key))

    @property
    def verifier_key(self) -> str:
        """The key as a note verifier key string, ``name+keyid+base64(type || key)``."""
        return _format_key(self.name, self.key_id, self.signature_type, self.public_key)

    def _verify_ed25519(self, message: bytes, signature: bytes) -> bool:
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Ed25519Verifier(_Ed25519PublicKey):
    """Verifies Ed25519 note signatures (signature type 0x01)."""

    signature_type: ClassVar[int] = ED25519

    def verify(self, message: bytes, signature: bytes) -> bool:
        return len(signature) == _ED25519_SIGNATURE_SIZE and self._verify_ed25519(
            message, signature
        )


@dataclass(frozen=True)
class CosignatureVerifier(_Ed25519PublicKey):
    """Verifies timestamped Ed25519 witness cosignatures (tlog-cosignature v1, type 0x04)."""

    signature_type: ClassVar[int] = COSIGNATURE_V1

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:_TIMESTAMP_SIZE], "big")
        if timestamp > _MAX_TIMESTAMP:
            return False
        return self._verify_ed25519(
            _cosigned_message(message, timestamp), signature[_TIMESTAMP_SIZE:]
        )


class Ed25519Signer:
    """Signs notes with an Ed25519 key (signature type 0x01)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self._verifier = Ed25519Verifier(name, private_key.public_key().public_bytes_raw())

    @property
    def name(self) -> str:
        return self._verifier.name

    @property
    def key_id(self) -> int:
        return self._verifier.key_id

    @property
    def verifier(self) -> Ed25519Verifier:
        return self._verifier

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


class CosignatureSigner:
    """Cosigns checkpoints as a witness: tlog-cosignature v1, timestamped by ``clock``."""

    def __init__(
        self,
        name: str,
        private_key: Ed25519PrivateKey,
        clock: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        self._key = private_key
        self._clock = clock
        self._verifier = CosignatureVerifier(name, private_key.public_key().public_bytes_raw())

    @property
    def name(self) -> str:
        return self._verifier.name

    @property
    def key_id(self) -> int:
        return self._verifier.key_id

    @property
    def verifier(self) -> CosignatureVerifier:
        return self._verifier

    def sign(self, message: bytes) -> bytes:
        timestamp = self._clock()
        if not 0 <= timestamp <= _MAX_TIMESTAMP:
            raise MalformedEvidenceError(
                f"cosignature timestamp {timestamp} is outside 0..2**63-1",
                f"联署时间戳 {timestamp} 超出 0..2**63-1 的范围",
            )
        signature = self._key.sign(_cosigned_message(message, timestamp))
        return timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + signature


def cosignature_timestamp(signature: NoteSignature) -> int:
    """The POSIX time a tlog-cosignature v1 cosignature claims it was made at."""
    if len(signature.signature) != _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE:
        raise MalformedEvidenceError(
            f"cosignature by {signature.name} is {len(signature.signature)} bytes, expected 72",
            f"{signature.name} 的联署签名为 {len(signature.signature)} 字节，应为 72 字节",
        )
    return int.from_bytes(signature.signature[:_TIMESTAMP_SIZE], "big")


def generate_key(name: str, signature_type: int = ED25519) -> KeyPair:
    """A new Ed25519 key pair for note signing (0x01) or witness cosigning (0x04)."""
    _require_ed25519_type(signature_type)
    private_key = Ed25519PrivateKey.generate()
    public = private_key.public_key().public_bytes_raw()
    identifier = key_id(name, signature_type, public)
    seed = private_key.private_bytes_raw()
    return KeyPair(
        signer_key=_PRIVATE_KEY_PREFIX + _format_key(name, identifier, signature_type, seed),
        verifier_key=_format_key(name, identifier, signature_type, public),
    )


def parse_verifier_key(
    verifier_key: str,
) -> Ed25519Verifier | CosignatureVerifier:
    """Reads a note verifier key string, ``name+keyid+base64(type || public key)``."""
    name, identifier, signature_type, public = _parse_key(verifier_key, "verifier key")
    verifier: Ed25519Verifier | CosignatureVerifier = (
        Ed25519Verifier(name, public)
        if signature_type == ED25519
        else CosignatureVerifier(name, public)
    )
    _require_key_id(identifier, verifier.key_id, "verifier key")
    return verifier


def parse_signer_key(
    signer_key: str, clock: Callable[[], int] = lambda: int(time.time())
) -> Ed25519Signer | CosignatureSigner:
    """Reads a note signer key string, ``PRIVATE+KEY+name+keyid+base64(type || seed)``.

    ``clock`` times cosignatures; plain note signatures carry no time.
    """
    if not signer_key.startswith(_PRIVATE_KEY_PREFIX):
        raise MalformedEvidenceError(
            "signer key does not start with PRIVATE+KEY+",
            "签名私钥不以 PRIVATE+KEY+ 开头",
        )
    name, identifier, signature_type, seed = _parse_key(
        signer_key.removeprefix(_PRIVATE_KEY_PREFIX), "signer key"
    )
    if len(seed) != _ED25519_KEY_SIZE:
        raise MalformedEvidenceError(
            f"signer key holds a {len(seed)}-byte Ed25519 seed, expected 32",
            f"签名私钥中的 Ed25519 种子为 {len(seed)} 字节，应为 32 字节",
        )
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    signer: Ed25519Signer | CosignatureSigner = (
        Ed25519Signer(name, private_key)
        if signature_type == ED25519
        else CosignatureSigner(name, private_key, clock)
    )
    # The ID is of the public key, so a wrong seed shows up here rather than as bad signatures.
    _require_key_id(identifier, signer.key_id, "signer key")
    return signer


def sign_note(
    text: str,
    signers: Sequence[NoteSigner],
    *,
    keep: Iterable[NoteSignature] = (),
) -> bytes:
    """Signs ``text`` and returns the encoded note.

    Signatures in ``keep`` (for example the log's own, when a witness cosigns) are written
    first, except those by a key that is signing now, whose new signature replaces them.
    """
    _require_note_text(text)
    message = text.encode()
    new = [NoteSignature(signer.name, signer.key_id, signer.sign(message)) for signer in signers]
    replaced = {(signature.name, signature.key_id) for signature in new}
    lines = [s for s in keep if (s.name, s.key_id) not in replaced] + new
    if not lines:
        raise MalformedEvidenceError(
            "a signed note needs at least one signature",
            "签名注记至少需要一个签名",
        )
    return (text + "\n" + "".join(signature.line() for signature in lines)).encode()


def open_note(note: bytes, verifiers: Iterable[NoteVerifier]) -> Note:
    """Parses a signed note and verifies it against trusted keys.

    Signatures by unknown keys are kept aside, unverified. Every signature by a trusted key
    must verify, and at least one must be present: otherwise the whole note is rejected.
    """
    text, signatures = _parse_note(note)
    trusted = _index_verifiers(verifiers)
    message = text.encode()
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    for signature in signatures:
        verifier = trusted.get((signature.name, signature.key_id))
        if verifier is None:
            if signature not in unverified:
                unverified.append(signature)
            continue
        if not verifier.verify(message, signature.signature):
            raise SignatureError(
                f"signature by {_key_label(signature)} does not verify",
                f"{_key_label(signature)} 的签名验证失败",
                key=_key_label(signature),
            )
        if all((s.name, s.key_id) != (signature.name, signature.key_id) for s in verified):
            verified.append(signature)
    if not verified:
        expected = ", ".join(sorted(f"{name}+{ident:08x}" for name, ident in trusted)) or "none"
        found = ", ".join(_key_label(signature) for signature in signatures)
        raise SignatureError(
            f"note carries no signature by a trusted key: trusted {expected}; found {found}",
            f"注记没有可信密钥的签名：可信密钥 {expected}；注记中的签名 {found}",
            expected=expected,
            found=found,
        )
    return Note(text, tuple(verified), tuple(unverified))


def _parse_note(note: bytes) -> tuple[str, list[NoteSignature]]:
    try:
        decoded = note.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedEvidenceError(
            f"note is not valid UTF-8 (byte {error.start})",
            f"注记不是有效的 UTF-8（第 {error.start} 字节）",
        ) from None
    _require_no_control_characters(decoded)
    split = decoded.rfind("\n\n")
    if split < 0:
        raise MalformedEvidenceError(
            "note has no blank line before its signatures",
            "注记在签名前缺少空行",
        )
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedEvidenceError(
            "note's signature block is empty or does not end in a newline",
            "注记的签名部分为空或不以换行结尾",
        )
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedEvidenceError(
            f"note has {len(lines)} signature lines, more than the {MAX_SIGNATURES} accepted",
            f"注记有 {len(lines)} 个签名行，超过上限 {MAX_SIGNATURES}",
        )
    return text, [_parse_signature_line(number, line) for number, line in enumerate(lines, 1)]


def _parse_signature_line(number: int, line: str) -> NoteSignature:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise MalformedEvidenceError(
            f"signature line {number} does not start with an em dash and a space",
            f"第 {number} 个签名行不以破折号和空格开头",
        )
    name, _, encoded = line.removeprefix(_SIGNATURE_PREFIX).partition(" ")
    raw = _decode_base64(encoded, f"signature line {number}", f"第 {number} 个签名行")
    if len(raw) < 5:
        raise MalformedEvidenceError(
            f"signature line {number} holds {len(raw)} bytes, too short for a key ID and a "
            "signature",
            f"第 {number} 个签名行只有 {len(raw)} 字节，不足以包含密钥标识和签名",
        )
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def _index_verifiers(verifiers: Iterable[NoteVerifier]) -> dict[tuple[str, int], NoteVerifier]:
    index: dict[tuple[str, int], NoteVerifier] = {}
    for verifier in verifiers:
        identity = (verifier.name, verifier.key_id)
        if identity in index:
            # Two keys under one name and ID cannot be told apart on a signature line.
            raise MalformedEvidenceError(
                f"trusted keys include {verifier.name}+{verifier.key_id:08x} twice",
                f"可信密钥中 {verifier.name}+{verifier.key_id:08x} 出现了两次",
            )
        index[identity] = verifier
    return index


def _parse_key(key: str, subject: str) -> tuple[str, int, int, bytes]:
    subject_zh = _KEY_SUBJECTS_ZH[subject]
    # The base64 part may itself contain "+", so only the first two separate fields.
    parts = key.split("+", 2)
    if len(parts) != 3:
        raise MalformedEvidenceError(
            f"{subject} is not of the form name+keyid+base64",
            f"{subject_zh}不符合 name+keyid+base64 格式",
        )
    name, identifier, encoded = parts
    _require_key_name(name)
    if not _KEY_ID_PATTERN.fullmatch(identifier):
        raise MalformedEvidenceError(
            f"{subject} key ID {identifier!r} is not 8 lowercase hex digits",
            f"{subject_zh}的密钥标识 {identifier!r} 不是 8 位小写十六进制数",
        )
    material = _decode_base64(encoded, subject, subject_zh)
    if not material:
        raise MalformedEvidenceError(f"{subject} holds no key", f"{subject_zh}不含密钥")
    _require_ed25519_type(material[0])
    return name, int(identifier, 16), material[0], material[1:]


def _format_key(name: str, identifier: int, signature_type: int, material: bytes) -> str:
    encoded = base64.b64encode(bytes([signature_type]) + material).decode()
    return f"{name}+{identifier:08x}+{encoded}"


def _require_key_id(claimed: int, computed: int, subject: str) -> None:
    if claimed != computed:
        raise MalformedEvidenceError(
            f"{subject} claims key ID {claimed:08x}, but its key hashes to {computed:08x}",
            f"{_KEY_SUBJECTS_ZH[subject]}声明的密钥标识为 {claimed:08x}，"
            f"但按密钥计算应为 {computed:08x}",
        )


def _require_ed25519_type(signature_type: int) -> None:
    if signature_type not in (ED25519, COSIGNATURE_V1):
        raise MalformedEvidenceError(
            f"signature type 0x{signature_type:02x} is not supported; expected 0x01 (Ed25519) "
            "or 0x04 (Ed25519 cosignature)",
            f"不支持签名类型 0x{signature_type:02x}；应为 0x01（Ed25519）或 0x04（Ed25519 联署）",
        )


def _require_key_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" or c < " " for c in name):
        raise MalformedEvidenceError(
            f"key name {name!r} is empty or contains a space, a plus or a control character",
            f"密钥名称 {name!r} 为空，或含有空白、加号或控制字符",
        )


def _require_note_text(text: str) -> None:
    if not text.endswith("\n"):
        raise MalformedEvidenceError(
            "note text is empty or does not end in a newline",
            "注记正文为空或不以换行结尾",
        )
    _require_no_control_characters(text)


def _require_no_control_characters(text: str) -> None:
    for offset, character in enumerate(text):
        if character < " " and character != "\n":
            raise MalformedEvidenceError(
                f"note contains control character U+{ord(character):04X} at offset {offset}",
                f"注记在位置 {offset} 含有控制字符 U+{ord(character):04X}",
            )


def _decode_base64(encoded: str, subject: str, subject_zh: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:  # binascii.Error, and non-ASCII text
        raw = None
    # Only the canonical encoding is accepted, so that one value has one spelling.
    if raw is None or base64.b64encode(raw).decode() != encoded:
        raise MalformedEvidenceError(
            f"{subject} is not canonical standard base64",
            f"{subject_zh}不是规范的标准 base64 编码",
        )
    return raw


def _cosigned_message(checkpoint_text: bytes, timestamp: int) -> bytes:
    return b"cosignature/v1\ntime %d\n" % timestamp + checkpoint_text


def _key_label(signature: NoteSignature) -> str:
    return f"{signature.name}+{signature.key_id:08x}"
