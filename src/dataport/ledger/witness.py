"""A witness (C2SP tlog-witness v1.0.0, tlog-cosignature v1): cosigns consistent checkpoints.

Run by a party other than the log's operator, typically the regulator. For each log it
trusts, it keeps the latest checkpoint it cosigned in its own state folder, and cosigns a new
one only after verifying the log's signature and a consistency proof from that checkpoint:
a log that rewrote history cannot get a cosignature for the rewritten tree.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from dataport.errors import Conflict, DataportError, InvalidInput, NotFound
from dataport.ledger.checkpoint import Checkpoint, open_checkpoint
from dataport.ledger.errors import (
    MalformedEvidenceError,
    ProofError,
    SignatureError,
    VerificationError,
)
from dataport.ledger.keys import load_cosigner, write_secret
from dataport.ledger.merkle import verify_consistency
from dataport.ledger.note import (
    COSIGNATURE_V1,
    Ed25519Verifier,
    NoteSignature,
    generate_key,
    parse_verifier_key,
)

WITNESS_KEY_FILE = "witness.key"
#: tlog-witness allows at most 63 proof lines.
MAX_PROOF_LINES = 63


class WitnessRefusal(DataportError):
    """The witness refused a checkpoint; ``http_status`` is the tlog-witness answer."""

    code = "witness_refused"
    exit_code = 8


class UnknownLog(WitnessRefusal):
    code = "witness_unknown_log"
    http_status = 404


class UntrustedCheckpoint(WitnessRefusal):
    code = "witness_untrusted_checkpoint"
    http_status = 403


class BadRequest(WitnessRefusal):
    code = "witness_bad_request"
    http_status = 400
    exit_code = 2


class StaleOldSize(WitnessRefusal):
    """The submitter's idea of what the witness saw is out of date (409, with the size)."""

    code = "witness_old_size_mismatch"
    http_status = 409
    content_type: ClassVar[str] = "text/x.tlog.size"

    def __init__(self, latest: int, claimed: int) -> None:
        super().__init__(
            f"the witness last saw size {latest}, not {claimed}",
            f"见证方最近见到的大小为 {latest}，而不是 {claimed}",
            latest=latest,
        )
        self.latest = latest


class InconsistentCheckpoint(WitnessRefusal):
    code = "witness_inconsistent_checkpoint"
    http_status = 422


@dataclass(frozen=True)
class WitnessedLog:
    origin: str
    verifier_key: str
    size: int
    root: bytes
    checkpoint: str


def init_witness(state: Path, name: str) -> str:
    """Creates the witness's cosigning key (owner-only); returns its verifier key."""
    pair = generate_key(name, COSIGNATURE_V1)
    write_secret(state / WITNESS_KEY_FILE, pair.signer_key)
    (state / "logs").mkdir(mode=0o700, exist_ok=True)
    return pair.verifier_key


def witness_verifier_key(state: Path) -> str:
    return load_cosigner(state / WITNESS_KEY_FILE).verifier.verifier_key


def trust_log(state: Path, origin: str, verifier_key: str) -> WitnessedLog:
    """Starts witnessing a log: from now on its checkpoints must grow from what was seen."""
    key = parse_verifier_key(verifier_key.strip())
    if not isinstance(key, Ed25519Verifier) or key.name != origin:
        raise InvalidInput(
            f"the log key must be an Ed25519 key named {origin!r}",
            f"日志公钥须为名为 {origin!r} 的 Ed25519 公钥",
            field="key",
        )
    with _locked(state):
        existing = _read(state, origin)
        if existing is not None:
            if existing.verifier_key != key.verifier_key:
                raise Conflict(
                    f"the witness already trusts another key for {origin}",
                    f"见证方已为 {origin} 信任另一把公钥",
                )
            return existing
        log = WitnessedLog(origin, key.verifier_key, 0, b"", "")
        _write(state, log)
        return log


def witnessed_logs(state: Path) -> list[WitnessedLog]:
    folder = state / "logs"
    if not folder.is_dir():
        return []
    return [_load(path) for path in sorted(folder.glob("*.json"))]


def parse_request(body: bytes) -> tuple[int, list[bytes], bytes]:
    """Reads an add-checkpoint body: ``old N``, proof lines, a blank line, the checkpoint."""
    head, separator, note = body.partition(b"\n\n")
    lines = head.split(b"\n")
    if not separator or not lines[0].startswith(b"old "):
        raise BadRequest(
            "the body must start with 'old <size>', proof lines and a blank line",
            "请求体须以 'old <大小>'、证明行和一个空行开头",
        )
    old_text = lines[0][4:]
    if not old_text.isdigit() or (old_text.startswith(b"0") and old_text != b"0"):
        raise BadRequest(f"bad old size {old_text!r}", f"旧大小 {old_text!r} 无效")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise BadRequest("too many proof lines", "证明行过多")
    proof = []
    for line in lines[1:]:
        try:
            proof.append(base64.b64decode(line, validate=True))
        except (binascii.Error, ValueError):
            raise BadRequest("a proof line is not base64", "证明行不是 base64") from None
    return int(old_text), proof, note


def format_request(old: int, proof: Sequence[bytes], note: bytes) -> bytes:
    lines = [f"old {old}".encode()] + [base64.b64encode(digest) for digest in proof]
    return b"\n".join(lines) + b"\n\n" + note


def add_checkpoint(
    state: Path, body: bytes, *, clock: Callable[[], int] = lambda: int(time.time())
) -> bytes:
    """Handles one add-checkpoint request; returns the cosignature line(s) to answer with."""
    old, proof, note = parse_request(body)
    origin = _origin_of(note)
    signer = load_cosigner(state / WITNESS_KEY_FILE, clock)
    with _locked(state):
        log = _read(state, origin)
        if log is None:
            raise UnknownLog(
                f"the witness does not know log {origin!r}", f"见证方不认识日志 {origin!r}"
            )
        key = parse_verifier_key(log.verifier_key)
        assert isinstance(key, Ed25519Verifier)  # noqa: S101 - trust_log stores only these
        try:
            checkpoint = open_checkpoint(note, key, origin=origin).checkpoint
        except (SignatureError, MalformedEvidenceError, VerificationError) as error:
            raise UntrustedCheckpoint(error.en, error.zh) from None
        if old > checkpoint.size:
            raise BadRequest(
                f"old size {old} is larger than the checkpoint's {checkpoint.size}",
                f"旧大小 {old} 大于检查点的 {checkpoint.size}",
            )
        if old != log.size:
            raise StaleOldSize(log.size, old)
        _check_growth(log, checkpoint, proof)
        if checkpoint.size > log.size or not log.checkpoint:
            _write(
                state,
                WitnessedLog(
                    origin, log.verifier_key, checkpoint.size, checkpoint.root_hash, note.decode()
                ),
            )
        signature = NoteSignature(
            signer.name, signer.key_id, signer.sign(checkpoint.format().encode())
        )
        return signature.line().encode()


def _check_growth(log: WitnessedLog, checkpoint: Checkpoint, proof: list[bytes]) -> None:
    if log.size == 0:
        if proof:
            raise InconsistentCheckpoint(
                "a proof from size 0 must be empty", "从大小 0 出发的证明必须为空"
            )
        return
    if checkpoint.size == log.size:
        if proof or checkpoint.root_hash != log.root:
            raise InconsistentCheckpoint(
                f"the log signed another root for size {log.size}: a fork",
                f"日志为大小 {log.size} 签署了另一个根哈希：日志分叉",
            )
        return
    try:
        verify_consistency(log.size, checkpoint.size, proof, log.root, checkpoint.root_hash)
    except ProofError as error:
        raise InconsistentCheckpoint(
            f"the checkpoint is not consistent with size {log.size} the witness saw: {error.en}",
            f"该检查点与见证方见过的大小 {log.size} 不一致：{error.zh}",
        ) from None


def _origin_of(note: bytes) -> str:
    try:
        text = note.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the checkpoint is not UTF-8", "检查点不是 UTF-8") from None
    origin = text.split("\n", 1)[0]
    if not origin:
        raise BadRequest("the checkpoint has no origin line", "检查点缺少来源行")
    return origin


@contextmanager
def _locked(state: Path) -> Iterator[None]:
    """One request at a time: the compare and the write of the new state are atomic."""
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (state / "lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _state_file(state: Path, origin: str) -> Path:
    return state / "logs" / f"{hashlib.sha256(origin.encode()).hexdigest()[:32]}.json"


def _read(state: Path, origin: str) -> WitnessedLog | None:
    path = _state_file(state, origin)
    return _load(path) if path.exists() else None


def _load(path: Path) -> WitnessedLog:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return WitnessedLog(
            data["origin"],
            data["verifier_key"],
            data["size"],
            base64.b64decode(data["root"]),
            data["checkpoint"],
        )
    except (ValueError, KeyError, TypeError) as error:
        raise NotFound(
            f"witness state {path} is damaged: {error}", f"见证状态文件 {path} 已损坏：{error}"
        ) from None


def _write(state: Path, log: WitnessedLog) -> None:
    """Replaces the log's state atomically and durably (temporary file, fsync, rename)."""
    path = _state_file(state, log.origin)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    document = {
        "origin": log.origin,
        "verifier_key": log.verifier_key,
        "size": log.size,
        "root": base64.b64encode(log.root).decode(),
        "checkpoint": log.checkpoint,
    }
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=".", suffix=".tmp", delete=False, encoding="utf-8"
    ) as temporary:
        json.dump(document, temporary)
        temporary.flush()
        os.fsync(temporary.fileno())
    Path(temporary.name).replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
