"""Auditing a log published as tlog-tiles files: a folder, a web mirror, or the database itself.

The audit recomputes every tile and the root from the entries, checks the latest checkpoint's
signature, and checks every earlier checkpoint it can find (``checkpoint.N``): its signature,
its root against the recomputed tree, and a consistency proof to the next one.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from dataport.errors import InvalidInput, Unavailable
from dataport.ledger.checkpoint import Checkpoint, open_checkpoint
from dataport.ledger.errors import LogMismatchError, MalformedEvidenceError, short_hex
from dataport.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    verify_consistency,
)
from dataport.ledger.note import Ed25519Verifier
from dataport.ledger.tilelog import CHECKPOINT_PATH, audit_log
from dataport.ledger.tiles import TileHashReader, tiles_for_size

_HISTORY_PREFIX = CHECKPOINT_PATH + "."
#: The dataport API lists the sizes of its stored checkpoints here (beside ``checkpoint``).
CHECKPOINT_INDEX = "checkpoints"


@dataclass(frozen=True)
class LogAudit:
    """What a full audit established."""

    checkpoint: Checkpoint
    files_checked: int
    checkpoints_checked: int
    uncommitted: tuple[str, ...]


def audit_files(files: Mapping[str, bytes], log_key: Ed25519Verifier, *, origin: str) -> LogAudit:
    """The full audit of a tlog-tiles log; raises a VerificationError naming what is wrong."""
    try:
        report = audit_log(files, log_key, origin=origin)
        latest = report.checkpoint
        sizes = sorted(
            int(path.removeprefix(_HISTORY_PREFIX))
            for path in files
            if path.startswith(_HISTORY_PREFIX) and path.removeprefix(_HISTORY_PREFIX).isdigit()
        )
        read = TileHashReader(files, latest.size)
        previous: Checkpoint | None = None
        for size in sizes:
            path = f"{_HISTORY_PREFIX}{size}"
            signed = open_checkpoint(files[path], log_key, origin=origin).checkpoint
            _check_history(path, signed, size, latest, read)
            if previous is not None and previous.size > 0:
                _check_consistent(previous, signed, read)
            previous = signed
        if previous is not None and previous.size > 0:
            _check_consistent(previous, latest, read)
    except MalformedEvidenceError as error:
        raise LogMismatchError(error.en, error.zh, **error.details) from None
    checkpoints = len(sizes) + (0 if latest.size in sizes else 1)
    return LogAudit(latest, len(report.verified_paths), checkpoints, report.uncommitted_paths)


def _check_history(
    path: str, signed: Checkpoint, size: int, latest: Checkpoint, read: TileHashReader
) -> None:
    if signed.size != size:
        raise LogMismatchError(
            f"{path} is a checkpoint of size {signed.size}",
            f"{path} 是大小为 {signed.size} 的检查点",
        )
    if size > latest.size:
        raise LogMismatchError(
            f"{path} is larger than the latest checkpoint ({latest.size}): the log shrank",
            f"{path} 大于最新检查点（{latest.size}）：日志被截短",
        )
    root = CompactRange.read(size, read).root() if size else EMPTY_ROOT
    if root != signed.root_hash:
        raise LogMismatchError(
            f"{path} commits to root {short_hex(signed.root_hash)}, but the log's first "
            f"{size} entries hash to {short_hex(root)}: the log was rewritten",
            f"{path} 承诺的根哈希为 {short_hex(signed.root_hash)}，但日志前 {size} 个条目"
            f"计算出 {short_hex(root)}：日志被改写",
        )


def _check_consistent(old: Checkpoint, new: Checkpoint, read: TileHashReader) -> None:
    proof = consistency_proof(old.size, new.size, read)
    verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash)


class HttpLogFiles(Mapping[str, bytes]):
    """A log served over HTTP(S) at ``base_url``, read lazily, file by file.

    Iterating yields what the latest checkpoint implies (a web server cannot be listed),
    and the checkpoints the dataport API lists under ``checkpoints``.
    """

    def __init__(self, base_url: str, *, timeout: float = 30) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InvalidInput(
                f"{base_url!r} is not an http(s) URL",
                f"{base_url!r} 不是 http(s) 地址",
                field="url",
            )
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._cache: OrderedDict[str, bytes] = OrderedDict()

    def __getitem__(self, path: str) -> bytes:
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        url = f"{self._base}/{path}"
        try:
            with urllib.request.urlopen(url, timeout=self._timeout) as answer:  # noqa: S310
                data: bytes = answer.read()
        except urllib.error.HTTPError as error:
            if error.code == 404:
                raise KeyError(path) from None
            raise Unavailable(
                f"{url} answered HTTP {error.code}", f"{url} 返回 HTTP {error.code}"
            ) from None
        except (urllib.error.URLError, OSError) as error:
            raise Unavailable(f"cannot fetch {url}: {error}", f"无法获取 {url}：{error}") from None
        self._cache[path] = data
        if len(self._cache) > 64:
            self._cache.popitem(last=False)
        return data

    def __iter__(self) -> Iterator[str]:
        yield CHECKPOINT_PATH
        try:
            sizes = json.loads(self[CHECKPOINT_INDEX])
        except (KeyError, ValueError):
            sizes = []
        if isinstance(sizes, list):
            yield from (f"{_HISTORY_PREFIX}{size}" for size in sizes if isinstance(size, int))
        try:
            size = Checkpoint.parse(self[CHECKPOINT_PATH].decode().split("\n\n")[0] + "\n").size
        except (KeyError, UnicodeDecodeError, MalformedEvidenceError):
            return
        for tile in tiles_for_size(size):
            yield tile.path

    def __len__(self) -> int:
        return sum(1 for _ in self)
