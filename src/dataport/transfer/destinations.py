"""Delivering packages to a destination through fsspec: a local folder, SFTP, S3-compatible.

A package is staged under ``<destination>/.dataport-staging/<transfer id>/``, moved to
``<destination>/dataport-<transfer id>/``, and only then given its ``COMMITTED`` marker: a
folder without the marker is never a package. Removing a package removes the marker first.
Every failure of the destination (full, read-only, unreachable, missing) is a
``DestinationError`` that says which.
"""

from __future__ import annotations

import errno
import hashlib
import inspect
import posixpath
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import fsspec
import polars as pl
from fsspec.implementations.local import LocalFileSystem

from dataport.errors import Unavailable
from dataport.transfer.package import COMMITTED, DATA

STAGING = ".dataport-staging"
_CHUNK = 1 << 20
T = TypeVar("T")


class DestinationError(Unavailable):
    code = "destination_unavailable"


_PASSWORD = re.compile(r"(://[^/:@]*):[^/@]*@")


def redact(url: str) -> str:
    """A destination URL safe to print or record: a password in it replaced by ``***``."""
    return _PASSWORD.sub(r"\1:***@", url)


def package_name(transfer_id: str) -> str:
    return f"dataport-{transfer_id}"


@dataclass(frozen=True)
class Location:
    """An opened destination: its filesystem and the root folder on it."""

    url: str
    fs: Any
    root: str

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def path(self, *parts: str) -> str:
        return posixpath.join(self.root, *parts)

    def staging(self, transfer_id: str) -> str:
        return self.path(STAGING, transfer_id)

    def package(self, transfer_id: str) -> str:
        return self.path(package_name(transfer_id))


#: Writers in Rust (Polars) report the OS error only in their message: "... (os error 28)".
_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def _errno(exc: BaseException) -> int | None:
    code = getattr(exc, "errno", None)
    if isinstance(code, int):
        return code
    found = _OS_ERROR.search(str(exc))
    return int(found.group(1)) if found else None


def _explain(url: str, exc: BaseException) -> DestinationError:
    """The destination's failure, in words a user can act on."""
    code = _errno(exc)
    url = redact(url)
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return DestinationError(
            f"the destination {url} is full: {exc}",
            f"目标位置 {url} 空间已满：{exc}",
            reason="full",
        )
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or isinstance(exc, PermissionError):
        return DestinationError(
            f"the destination {url} is read-only or not writable: {exc}",
            f"目标位置 {url} 只读或不可写：{exc}",
            reason="read_only",
        )
    if code in (errno.ENOENT, errno.ENOTDIR) or isinstance(
        exc, FileNotFoundError | NotADirectoryError
    ):
        return DestinationError(
            f"the destination {url} does not exist or cannot be reached: {exc}",
            f"目标位置 {url} 不存在或无法访问：{exc}",
            reason="missing",
        )
    if isinstance(exc, ImportError):
        return DestinationError(
            f"the destination {url} needs a library that is not installed: {exc}",
            f"目标位置 {url} 需要尚未安装的库：{exc}",
            reason="unsupported",
        )
    return DestinationError(
        f"the destination {url} cannot be reached: {exc}",
        f"无法访问目标位置 {url}：{exc}",
        reason="unreachable",
    )


@contextmanager
def guard(url: str) -> Iterator[None]:
    try:
        yield
    except DestinationError:
        raise
    except (OSError, ImportError, ValueError, TimeoutError, pl.exceptions.PolarsError) as exc:
        raise _explain(url, exc) from exc


def open_location(url: str) -> Location:
    """Open a destination; its root folder must already exist."""
    with guard(url):
        fs, root = fsspec.core.url_to_fs(url)
        if isinstance(fs, LocalFileSystem):
            root = str(Path(root).resolve())
        if not fs.isdir(root):
            raise FileNotFoundError(errno.ENOENT, "no such folder", root)
    return Location(url, fs, root)


def _attempt(location: Location, action: Callable[[], T]) -> T:
    with guard(location.url):
        return action()


def upload(location: Location, local: Path, transfer_id: str) -> None:
    """Copy a package built in a local folder into the destination's staging folder."""

    def put() -> None:
        staging = location.staging(transfer_id)
        location.fs.makedirs(staging, exist_ok=True)
        for path in sorted(local.rglob("*")):
            if path.is_file():
                target = posixpath.join(staging, path.relative_to(local).as_posix())
                location.fs.makedirs(posixpath.dirname(target), exist_ok=True)
                location.fs.put_file(str(path), target)

    _attempt(location, put)


def local_staging(location: Location, transfer_id: str) -> Path:
    """On a local destination the package is built in place, in its staging folder."""
    path = Path(location.staging(transfer_id))
    with guard(location.url):
        if path.exists():
            _remove_tree(location, str(path))
        path.mkdir(parents=True)
    return path


def commit(location: Location, transfer_id: str, manifest_sha256: str) -> None:
    """Move the staged package into place, then write its marker: now it is delivered."""

    def move() -> None:
        final = location.package(transfer_id)
        staging = location.staging(transfer_id)
        if location.fs.exists(final):
            _remove_tree(location, final)
        _rename_tree(location, staging, final)
        _write_atomic(location, posixpath.join(final, COMMITTED), manifest_sha256.encode() + b"\n")
        staging_root = location.path(STAGING)
        if location.is_local and not any(Path(staging_root).iterdir()):
            Path(staging_root).rmdir()

    _attempt(location, move)


def _rename_tree(location: Location, source: str, target: str) -> None:
    if location.is_local:
        Path(source).rename(target)  # one atomic rename on a local filesystem
    elif "recursive" in inspect.signature(location.fs.mv).parameters:
        location.fs.mv(source, target, recursive=True)  # object stores: copy, then delete
    else:
        location.fs.mv(source, target)  # SFTP: one rename on the server


def _write_atomic(location: Location, path: str, data: bytes) -> None:
    temporary = path + ".part"
    with location.fs.open(temporary, "wb") as file:
        file.write(data)
    if location.is_local:
        Path(temporary).replace(path)
    else:
        location.fs.mv(temporary, path)


def write_file(location: Location, transfer_id: str, name: str, data: bytes) -> None:
    """Add a file (the receipt) to a delivered package, atomically."""
    _attempt(
        location,
        lambda: _write_atomic(location, posixpath.join(location.package(transfer_id), name), data),
    )


def committed_manifest(location: Location, transfer_id: str) -> str | None:
    """The manifest hash a delivered package's marker names, or None if there is none."""

    def read() -> str | None:
        marker = posixpath.join(location.package(transfer_id), COMMITTED)
        if not location.fs.exists(marker):
            return None
        return str(location.fs.cat_file(marker).decode("utf-8", "replace").strip())

    return _attempt(location, read)


def _remove_tree(location: Location, path: str) -> None:
    marker = posixpath.join(path, COMMITTED)
    if location.fs.exists(marker):
        location.fs.rm_file(marker)  # first, so a half-removed package never looks complete
    if location.fs.exists(path):
        location.fs.rm(path, recursive=True)


def discard(location: Location, transfer_id: str) -> None:
    """Remove whatever of a transfer is at the destination: its staging and its package."""

    def remove() -> None:
        _remove_tree(location, location.package(transfer_id))
        _remove_tree(location, location.staging(transfer_id))

    _attempt(location, remove)


# -- reading a package back (verification and resuming) ------------------------------------


def reader(location: Location, folder: str) -> Callable[[str], bytes | None]:
    def read(relative: str) -> bytes | None:
        path = posixpath.join(folder, relative)
        with guard(location.url):
            if not location.fs.isfile(path):
                return None
            data: bytes = location.fs.cat_file(path)
            return data

    return read


def hasher(location: Location, folder: str) -> Callable[[str], tuple[str, int] | None]:
    def hash_file(relative: str) -> tuple[str, int] | None:
        path = posixpath.join(folder, relative)
        with guard(location.url):
            if not location.fs.isfile(path):
                return None
            digest = hashlib.sha256()
            size = 0
            with location.fs.open(path, "rb") as file:
                while chunk := file.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
            return "sha256:" + digest.hexdigest(), size

    return hash_file


def data_files(location: Location, folder: str) -> Callable[[], list[str]]:
    def listing() -> list[str]:
        base = posixpath.join(folder, DATA)
        with guard(location.url):
            if not location.fs.isdir(base):
                return []
            found = location.fs.find(base)
        prefix = folder.rstrip("/") + "/"
        return sorted(str(p)[len(prefix) :] if str(p).startswith(prefix) else str(p) for p in found)

    return listing


def open_package(url: str) -> tuple[Location, str]:
    """A package folder given by path or URL: its location (its parent) and its own path."""
    with guard(url):
        fs, path = fsspec.core.url_to_fs(url)
        if isinstance(fs, LocalFileSystem):
            path = str(Path(path).resolve())
        if not fs.isdir(path):
            raise FileNotFoundError(errno.ENOENT, "no such package folder", path)
    return Location(url, fs, posixpath.dirname(path.rstrip("/"))), path
