"""The log's signer key in ``DATAPORT_HOME``: generated on first use or imported, owner-only."""

from __future__ import annotations

import functools
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

from dataport.errors import Conflict, InvalidInput, PermissionDenied, Unavailable
from dataport.ledger.note import (
    CosignatureSigner,
    Ed25519Signer,
    generate_key,
    parse_signer_key,
)

LOG_KEY_FILE = "log.key"


def log_key_path(home: Path) -> Path:
    return home / "ledger" / LOG_KEY_FILE


def write_secret(path: Path, text: str) -> None:
    """Creates ``path`` readable by its owner only; never overwrites an existing key."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise Conflict(
            f"{path} already exists; dataport never overwrites a key",
            f"{path} 已存在；dataport 不会覆盖密钥",
        ) from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text + "\n")
        file.flush()
        os.fsync(file.fileno())


def read_secret(path: Path) -> str:
    """Reads a key file, refusing one that others can read (as ssh does)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise Unavailable(
            f"no signer key at {path}: run 'dataport log init' on the machine that signs",
            f"{path} 没有签名私钥：请在负责签名的机器上运行 'dataport log init'",
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PermissionDenied(
            f"{path} is readable by others (mode {stat.S_IMODE(mode):o}): run 'chmod 600 {path}'",
            f"{path} 可被他人读取（权限 {stat.S_IMODE(mode):o}）：请运行 'chmod 600 {path}'",
        )
    return path.read_text(encoding="utf-8").strip()


def load_log_signer(home: Path) -> Ed25519Signer:
    """The log's signer, read (and its mode checked) every time; parsed once per key text."""
    return _parsed_log_signer(read_secret(log_key_path(home)))


@functools.lru_cache(maxsize=8)
def _parsed_log_signer(signer_key: str) -> Ed25519Signer:
    return as_log_signer(signer_key)


def as_log_signer(signer_key: str) -> Ed25519Signer:
    signer = parse_signer_key(signer_key.strip())
    if not isinstance(signer, Ed25519Signer):
        raise InvalidInput(
            "a log is signed with an Ed25519 note key (type 0x01), not a witness key",
            "日志须使用 Ed25519 注记密钥（类型 0x01）签名，而非见证密钥",
            field="signer_key",
        )
    return signer


def create_log_key(home: Path, origin: str, signer_key: str | None) -> Ed25519Signer:
    """Stores an imported key, or a new one named ``origin``; an existing file is kept."""
    path = log_key_path(home)
    text = signer_key.strip() if signer_key else generate_key(origin).signer_key
    signer = as_log_signer(text)
    if signer.name != origin:
        raise InvalidInput(
            f"the key is named {signer.name!r}, but the log's origin is {origin!r}; "
            "a log's key carries its origin as its name",
            f"密钥名称为 {signer.name!r}，而日志来源为 {origin!r}；日志密钥须以来源为名",
            field="signer_key",
        )
    if path.exists():
        existing = load_log_signer(home)
        if existing.name != origin or (
            signer_key and existing.verifier.verifier_key != signer.verifier.verifier_key
        ):
            raise Conflict(
                f"{path} holds another key ({existing.verifier.verifier_key})",
                f"{path} 中已有另一把密钥（{existing.verifier.verifier_key}）",
            )
        return existing
    try:
        write_secret(path, text)
    except Conflict:
        if signer_key:
            raise
        # Another process generated the key first: use that one.
        return create_log_key(home, origin, None)
    return signer


def load_cosigner(
    path: Path, clock: Callable[[], int] = lambda: int(time.time())
) -> CosignatureSigner:
    signer = parse_signer_key(read_secret(path), clock)
    if not isinstance(signer, CosignatureSigner):
        raise InvalidInput(
            f"{path} is not a witness key (type 0x04)",
            f"{path} 不是见证密钥（类型 0x04）",
        )
    return signer
