"""The log's side of tlog-witness: submit the latest checkpoint, keep the cosignature."""

from __future__ import annotations

import urllib.error
import urllib.request

from sqlalchemy.orm import Session

from dataport.errors import InvalidInput, Unavailable
from dataport.ledger.checkpoint import Checkpoint
from dataport.ledger.errors import MalformedEvidenceError, SignatureError, VerificationError
from dataport.ledger.merkle import consistency_proof
from dataport.ledger.note import CosignatureVerifier, open_note, parse_verifier_key
from dataport.ledger.service import latest_checkpoint, require_log
from dataport.ledger.store import DatabaseHashReader
from dataport.ledger.witness import format_request


def cosign_latest(session: Session, url: str, witness_key: str | None) -> bytes:
    """Sends the latest checkpoint to the witness at ``url`` and stores its cosignature.

    Starts from old size 0; a witness that saw more answers 409 with its size, and the
    request is sent again with a consistency proof from there. Returns the cosigned note.
    """
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"{url!r} is not an http(s) URL", f"{url!r} 不是 http(s) 地址")
    require_log(session)
    row = latest_checkpoint(session)
    text = row.note.decode().rsplit("\n\n", 1)[0] + "\n"
    size = Checkpoint.parse(text).size
    verifier = None
    if witness_key is not None:
        parsed = parse_verifier_key(witness_key.strip())
        if not isinstance(parsed, CosignatureVerifier):
            raise InvalidInput(
                "--witness-key must be a cosignature key (type 0x04)",
                "--witness-key 须为联署公钥（类型 0x04）",
            )
        verifier = parsed
    old = 0
    for _ in range(2):
        proof = consistency_proof(old, size, DatabaseHashReader(session, size)) if old else []
        body = format_request(old, proof, row.note)
        status, answer = _post(url.rstrip("/") + "/add-checkpoint", body)
        if status == 409:
            seen = answer.strip()
            if not seen.isdigit():
                break
            old = int(seen)
            if old > size:
                raise VerificationError(
                    f"the witness has seen size {old}, larger than this log's {size}: "
                    "the log was truncated or forked",
                    f"见证方见过大小 {old}，大于本日志的 {size}：日志被截短或分叉",
                )
            continue
        if status != 200:
            reason = answer.decode(errors="replace").strip()
            raise VerificationError(
                f"the witness refused the checkpoint (HTTP {status}): {reason}",
                f"见证方拒绝了检查点（HTTP {status}）：{reason}",
            )
        note = _with_cosignatures(row.note, answer, text, verifier)
        row.note = note
        session.flush()
        return note
    raise VerificationError(
        "the witness keeps answering that its view of the log differs",
        "见证方一再答复其所见日志状态不同",
    )


def _with_cosignatures(
    note: bytes, lines: bytes, text: str, verifier: CosignatureVerifier | None
) -> bytes:
    if not lines.endswith(b"\n") or not lines.startswith("— ".encode()):
        raise MalformedEvidenceError(
            "the witness's answer is not a cosignature line", "见证方的答复不是联署签名行"
        )
    candidate = text.encode() + b"\n" + lines
    if verifier is not None:
        try:
            open_note(candidate, [verifier])
        except SignatureError as error:
            raise SignatureError(
                f"the witness's cosignature does not verify: {error.en}",
                f"见证方的联署签名验证失败：{error.zh}",
            ) from None
    kept = note.rsplit(b"\n\n", 1)[1].splitlines(keepends=True)
    names = {line.split(b" ")[1] for line in lines.splitlines(keepends=True)}
    kept = [line for line in kept if line.split(b" ")[1] not in names]
    return text.encode() + b"\n" + b"".join(kept) + lines


def _post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 - scheme checked by the caller
        url, data=body, headers={"Content-Type": "text/plain"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, OSError) as error:
        raise Unavailable(
            f"witness {url} did not answer: {error}", f"见证方 {url} 无响应：{error}"
        ) from None
