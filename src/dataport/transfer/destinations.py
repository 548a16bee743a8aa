"""Delivering packages to a destination through fsspec: a local folder, SFTP, S3-compatible.

A package is staged under ``<destination>/.dataport-staging/<transfer id>/``, moved to
``<destination>/dataport-<transfer id>/``, and only then given its ``COMMITTED`` marker: a
folder without the marker is never a package. Removing a package removes the marker first.
Object stores (S3) have no rename: there the files are uploaded straight under
``dataport-<transfer id>/`` and the marker, one PUT written last, is what makes it a package.
Every failure of the destination (full, read-only, unreachable, missing, access denied) is a
``DestinationError`` that says which.

An S3-compatible destination (AWS, MinIO, Ceph...) is ``s3://bucket/prefix``, with the
endpoint and region as query options and the credentials either in the URL
(``s3://KEY:SECRET@bucket/prefix?endpoint_url=https://minio.example:9000``) or, better, in
the usual ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` environment variables.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import inspect
import posixpath
import re
import urllib.parse
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
from dataport.urls import redact_password

STAGING = ".dataport-staging"
_CHUNK = 1 << 20
T = TypeVar("T")
#: fsspec protocols of object stores: no directories, no rename, one PUT per object.
_OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs", "abfs", "az"})
#: Options an ``s3://`` URL may carry in its query string.
_S3_OPTIONS = ("endpoint_url", "region")
#: An unreachable S3 endpoint fails within seconds, not after minutes of retries.
_S3_CONFIG = {"connect_timeout": 5, "read_timeout": 60, "retries": {"max_attempts": 3}}


class DestinationError(Unavailable):
    code = "destination_unavailable"


def redact(url: str) -> str:
    """A destination URL safe to print or record: a password in it replaced by ``***``."""
    return redact_password(url)


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

    @property
    def is_object_store(self) -> bool:
        return is_object_store(self.fs)

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
    if _scheme(url) in _OBJECT_STORES and (
        isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM)
    ):
        return DestinationError(
            f"the destination {url} refused access: check its credentials and the bucket's "
            f"permissions: {exc}",
            f"目标位置 {url} 拒绝访问：请检查凭据与存储桶权限：{exc}",
            reason="access_denied",
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


@functools.cache
def _client_errors() -> tuple[type[BaseException], ...]:
    """Errors of the S3 client that are not ``OSError`` (an unreachable endpoint, say)."""
    try:
        from botocore.exceptions import BotoCoreError  # s3fs, and so botocore, is optional
    except ImportError:
        return ()
    return (BotoCoreError,)


@contextmanager
def guard(url: str) -> Iterator[None]:
    try:
        yield
    except DestinationError:
        raise
    except (OSError, ImportError, ValueError, TimeoutError, pl.exceptions.PolarsError) as exc:
        raise _explain(url, exc) from exc
    except _client_errors() as exc:
        raise _explain(url, exc) from exc


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


def is_object_store(fs: Any) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, tuple | list) else (fs.protocol,)
    return bool(_OBJECT_STORES & set(protocols))


def _s3_filesystem(url: str) -> tuple[Any, str]:
    """An ``s3://[KEY:SECRET@]bucket/prefix[?endpoint_url=...&region=...]`` URL opened."""
    parts = urllib.parse.urlsplit(url)
    options = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(options) - set(_S3_OPTIONS))
    if unknown:
        raise DestinationError(
            f"the destination {redact(url)} has unknown options {', '.join(unknown)} "
            f"(known: {', '.join(_S3_OPTIONS)})",
            f"目标位置 {redact(url)} 含未知选项 {'、'.join(unknown)}"
            f"（可用：{'、'.join(_S3_OPTIONS)}）",
            reason="invalid",
        )
    bucket = parts.netloc.rpartition("@")[2]
    if not bucket:
        raise DestinationError(
            f"the destination {redact(url)} names no bucket",
            f"目标位置 {redact(url)} 未指定存储桶",
            reason="invalid",
        )
    settings: dict[str, Any] = {"skip_instance_cache": True, "config_kwargs": dict(_S3_CONFIG)}
    if parts.username is not None:
        settings["key"] = urllib.parse.unquote(parts.username)
        settings["secret"] = urllib.parse.unquote(parts.password or "")
    if options.get("endpoint_url"):
        settings["endpoint_url"] = options["endpoint_url"]
    if options.get("region"):
        settings["client_kwargs"] = {"region_name": options["region"]}
    fs = fsspec.filesystem("s3", **settings)
    return fs, posixpath.join(bucket, parts.path.lstrip("/")).rstrip("/")


def _filesystem(url: str) -> tuple[Any, str]:
    if _scheme(url) in ("s3", "s3a"):
        return _s3_filesystem(url)
    fs, root = fsspec.core.url_to_fs(url)
    if isinstance(fs, LocalFileSystem):
        root = str(Path(root).resolve())
    return fs, root


def _root_exists(fs: Any, root: str) -> bool:
    if is_object_store(fs):
        # A prefix exists once something is in it: the bucket is what must exist (and be
        # reachable with these credentials).
        bucket = root.split("/", 1)[0]
        fs.ls(bucket, detail=False)
        return True
    return bool(fs.isdir(root))


def open_location(url: str) -> Location:
    """Open a destination; its root folder (an object store's bucket) must already exist."""
    with guard(url):
        fs, root = _filesystem(url)
        if not _root_exists(fs, root):
            raise FileNotFoundError(errno.ENOENT, "no such folder", root)
    return Location(url, fs, root)


def _attempt(location: Location, action: Callable[[], T]) -> T:
    with guard(location.url):
        return action()


def upload(location: Location, local: Path, transfer_id: str) -> None:
    """Copy a package built in a local folder into the destination's staging folder (on an
    object store: where it stays, still without its marker)."""

    def put() -> None:
        staging = (
            location.package(transfer_id)
            if location.is_object_store
            else location.staging(transfer_id)
        )
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
        if location.is_object_store:
            # Uploaded in place; one PUT of the marker, after every other object, commits it.
            location.fs.pipe_file(
                posixpath.join(final, COMMITTED), manifest_sha256.encode() + b"\n"
            )
            return
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
    if location.is_object_store:
        location.fs.pipe_file(path, data)  # an object appears whole or not at all
        return
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
        fs, path = _filesystem(url)
        if not fs.isdir(path):
            raise FileNotFoundError(errno.ENOENT, "no such package folder", path)
    return Location(url, fs, posixpath.dirname(path.rstrip("/"))), path
