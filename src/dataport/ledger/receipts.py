"""Receipts: an entry, its index, a signed checkpoint and the inclusion proof, as JSON.

A receipt is verified offline, with the log's public key and, if wanted, the keys of the
witnesses that must have cosigned. Verification fails closed and names the check that failed.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509

from dataport.ledger.checkpoint import open_checkpoint
from dataport.ledger.errors import MalformedEvidenceError, SignatureError, VerificationError
from dataport.ledger.merkle import leaf_hash, verify_inclusion
from dataport.ledger.note import (
    CosignatureVerifier,
    Ed25519Verifier,
    cosignature_timestamp,
    parse_verifier_key,
)
from dataport.ledger.timestamp import verify_timestamp

RECEIPT_FORMAT = "dataport-receipt/v1"
#: Receipts are small; anything much larger is not one.
MAX_RECEIPT_BYTES = 1 << 20


def build_receipt(
    *,
    origin: str,
    verifier_key: str,
    index: int,
    entry: bytes,
    checkpoint: bytes,
    proof: Sequence[bytes],
    timestamp: bytes | None = None,
) -> dict[str, Any]:
    receipt: dict[str, Any] = {
        "format": RECEIPT_FORMAT,
        "log": {"origin": origin, "verifier_key": verifier_key},
        "index": index,
    }
    try:
        receipt["entry"] = entry.decode("utf-8")
    except UnicodeDecodeError:
        receipt["entry_base64"] = base64.b64encode(entry).decode()
    receipt["checkpoint"] = checkpoint.decode("utf-8")
    receipt["inclusion_proof"] = [base64.b64encode(digest).decode() for digest in proof]
    if timestamp is not None:
        receipt["rfc3161_timestamp"] = base64.b64encode(timestamp).decode()
    return receipt


@dataclass
class Progress:
    """How far a verification got: the checks passed, and the one under way."""

    passed: list[tuple[str, str]] = field(default_factory=list)
    current: tuple[str, str] = ("reading the receipt", "读取收据")


@dataclass
class ReceiptVerdict:
    """Everything a verified receipt established; ``checks`` in the order they passed."""

    origin: str
    index: int
    size: int
    root: bytes
    entry: bytes
    witnesses: list[str] = field(default_factory=list)
    timestamp: datetime | None = None
    checks: list[tuple[str, str]] = field(default_factory=list)


def verify_receipt(
    data: bytes,
    log_key: str,
    *,
    witness_keys: Sequence[str] = (),
    tsa_roots: Sequence[x509.Certificate] = (),
    progress: Progress | None = None,
) -> ReceiptVerdict:
    """Verifies a receipt; raises at the first check that fails.

    ``progress`` (if given) shows how far the receipt got: the checks that passed, and the
    one being made when an error was raised.
    """
    progress = progress if progress is not None else Progress()
    checks = progress.passed
    fields = _parse(data)
    checks.append(("the receipt is well formed", "收据格式正确"))
    progress.current = ("the keys given", "所给公钥")

    verifier = parse_verifier_key(log_key.strip())
    if not isinstance(verifier, Ed25519Verifier):
        raise MalformedEvidenceError(
            "--key must be the log's Ed25519 verifier key (type 0x01), not a witness key",
            "--key 须为日志的 Ed25519 验证公钥（类型 0x01），而非见证公钥",
        )
    witnesses = []
    for text in witness_keys:
        witness = parse_verifier_key(text.strip())
        if not isinstance(witness, CosignatureVerifier):
            raise MalformedEvidenceError(
                f"witness key {witness.name} is not a cosignature key (type 0x04)",
                f"见证公钥 {witness.name} 不是联署公钥（类型 0x04）",
            )
        witnesses.append(witness)

    progress.current = ("the checkpoint's signature", "检查点签名")
    signed = open_checkpoint(
        fields["checkpoint"], verifier, origin=verifier.name, cosigners=witnesses
    )
    checkpoint = signed.checkpoint
    checks.append(
        (
            f"the checkpoint (size {checkpoint.size}) is signed by the log key {verifier.name}",
            f"检查点（大小 {checkpoint.size}）有日志密钥 {verifier.name} 的签名",
        )
    )
    cosigned = []
    progress.current = ("the witness cosignatures", "见证联署签名")
    for witness in witnesses:
        found = [
            s
            for s in signed.note.signatures
            if (s.name, s.key_id) == (witness.name, witness.key_id)
        ]
        if not found:
            raise SignatureError(
                f"the checkpoint carries no cosignature by witness {witness.name}",
                f"检查点没有见证方 {witness.name} 的联署签名",
                witness=witness.name,
            )
        cosigned.append(witness.name)
        checks.append(
            (
                f"witness {witness.name} cosigned it at {cosignature_timestamp(found[0])}",
                f"见证方 {witness.name} 已于 {cosignature_timestamp(found[0])} 联署",
            )
        )

    index, entry, proof = fields["index"], fields["entry"], fields["proof"]
    progress.current = ("the inclusion proof", "包含证明")
    verify_inclusion(leaf_hash(entry), index, checkpoint.size, proof, checkpoint.root_hash)
    checks.append(
        (
            f"entry {index} is included in the tree of {checkpoint.size} entries",
            f"第 {index} 个条目包含在 {checkpoint.size} 个条目的树中",
        )
    )

    attested = None
    token = fields["timestamp"]
    progress.current = ("the RFC 3161 timestamp", "RFC 3161 时间戳")
    if tsa_roots:
        if token is None:
            raise VerificationError(
                "a TSA root was given, but the receipt carries no RFC 3161 timestamp",
                "提供了时间戳机构根证书，但收据不含 RFC 3161 时间戳",
            )
        attested = verify_timestamp(token, checkpoint.format().encode(), tsa_roots)
        checks.append(
            (
                f"a trusted TSA attests the checkpoint existed at {attested.isoformat()}",
                f"可信时间戳机构证明检查点在 {attested.isoformat()} 已存在",
            )
        )
    return ReceiptVerdict(
        origin=checkpoint.origin,
        index=index,
        size=checkpoint.size,
        root=checkpoint.root_hash,
        entry=entry,
        witnesses=cosigned,
        timestamp=attested,
        checks=checks,
    )


def _parse(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_RECEIPT_BYTES:
        raise MalformedEvidenceError(
            f"the receipt is {len(data)} bytes, more than a receipt can be",
            f"收据有 {len(data)} 字节，超出收据可能的大小",
        )
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedEvidenceError(
            f"the receipt is not JSON: {error}", f"收据不是 JSON：{error}"
        ) from None
    if not isinstance(document, dict):
        raise _missing("the receipt", "收据", "a JSON object", "JSON 对象")
    if document.get("format") != RECEIPT_FORMAT:
        raise _missing("format", "format", repr(RECEIPT_FORMAT), repr(RECEIPT_FORMAT))
    index = document.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise _missing("index", "index", "a non-negative integer", "非负整数")
    if isinstance(document.get("entry"), str):
        entry = document["entry"].encode("utf-8")
    elif isinstance(document.get("entry_base64"), str):
        entry = _base64(document["entry_base64"], "entry_base64")
    else:
        raise _missing("entry", "entry", "the entry as text", "条目文本")
    checkpoint = document.get("checkpoint")
    if not isinstance(checkpoint, str):
        raise _missing("checkpoint", "checkpoint", "the signed checkpoint", "签名检查点文本")
    proof = document.get("inclusion_proof")
    if not isinstance(proof, list) or not all(isinstance(item, str) for item in proof):
        raise _missing("inclusion_proof", "inclusion_proof", "a list of hashes", "哈希列表")
    token = document.get("rfc3161_timestamp")
    if token is not None and not isinstance(token, str):
        raise _missing("rfc3161_timestamp", "rfc3161_timestamp", "base64 text", "base64 文本")
    return {
        "index": index,
        "entry": entry,
        "checkpoint": checkpoint.encode("utf-8"),
        "proof": [_base64(item, f"inclusion_proof[{n}]") for n, item in enumerate(proof)],
        "timestamp": _base64(token, "rfc3161_timestamp") if token is not None else None,
    }


def _missing(name: str, name_zh: str, expected: str, expected_zh: str) -> MalformedEvidenceError:
    return MalformedEvidenceError(
        f"receipt field {name} is missing or not {expected}",
        f"收据字段 {name_zh} 缺失或不是{expected_zh}",
        field=name,
    )


def _base64(text: str, name: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedEvidenceError(
            f"receipt field {name} is not base64", f"收据字段 {name} 不是 base64", field=name
        ) from None
