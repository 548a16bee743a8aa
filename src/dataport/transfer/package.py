"""The transfer package: data files, a manifest, its Ed25519 signature, a commit marker, a receipt.

::

    dataport-<transfer id>/
      data/<dataset>.parquet      (or .csv)
      manifest.json               transfer, dataset version, files with SHA-256 and rows, ...
      manifest.sig                a C2SP signed note by the exporter's key over the manifest hash
      COMMITTED                   written last: "sha256:<manifest hash>"; no marker, no package
      receipt.json                the evidence log's receipt of the delivery (inclusion proof)

Verification (``verify_package``) runs offline, fails closed, and names the check that failed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from dataport.ledger.errors import MalformedEvidenceError, VerificationError
from dataport.ledger.note import (
    Ed25519Signer,
    Ed25519Verifier,
    open_note,
    parse_verifier_key,
    sign_note,
)
from dataport.ledger.receipts import verify_receipt

PACKAGE_FORMAT = "dataport-package/v1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
COMMITTED = "COMMITTED"
RECEIPT = "receipt.json"
DATA = "data"
#: The evidence-log event whose entry a package's receipt must prove.
DELIVERED_EVENT = "transfer.delivered"
_CHUNK = 1 << 20


class PackageError(VerificationError):
    code = "package_rejected"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class DataFile:
    path: str
    sha256: str
    bytes: int
    rows: int

    def describe(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "bytes": self.bytes, "rows": self.rows}


#: zstd level of delivered Parquet files.
PARQUET_ZSTD_LEVEL = 1


def write_data(frame: pl.DataFrame, folder: Path, stem: str, fmt: str) -> DataFile:
    """Write the table into ``folder/data/`` and hash what was written."""
    relative = f"{DATA}/{stem}.{fmt}"
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        # zstd's fastest level: a third less CPU than its default, and on tables of
        # identifiers no larger (Parquet's dictionaries do most of the work).
        frame.write_parquet(
            path, compression="zstd", compression_level=PARQUET_ZSTD_LEVEL, statistics=False
        )
    else:
        frame.write_csv(path)
    return DataFile(relative, sha256_file(path), path.stat().st_size, frame.height)


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def signature_text(transfer_id: str, manifest_sha256: str) -> str:
    return f"{PACKAGE_FORMAT}\n{transfer_id}\n{manifest_sha256}\n"


def sign_manifest(signer: Ed25519Signer, transfer_id: str, manifest: bytes) -> bytes:
    return sign_note(signature_text(transfer_id, sha256_bytes(manifest)), [signer])


def write_package_files(
    folder: Path, manifest: dict[str, Any], signer: Ed25519Signer
) -> tuple[str, bytes]:
    """Write the manifest and its signature next to the data; the manifest's hash and bytes."""
    body = manifest_bytes(manifest)
    (folder / MANIFEST).write_bytes(body)
    (folder / SIGNATURE).write_bytes(sign_manifest(signer, str(manifest["transfer_id"]), body))
    return sha256_bytes(body), body


# -- verification --------------------------------------------------------------------------

#: Reads one file of a package by its relative path; None when it does not exist.
Reader = Callable[[str], bytes | None]
#: Hashes one file of a package by its relative path (streaming); None when it does not exist.
Hasher = Callable[[str], tuple[str, int] | None]


@dataclass
class PackageVerdict:
    transfer_id: str
    manifest: dict[str, Any]
    manifest_sha256: str
    log_index: int | None = None
    checks: list[tuple[str, str]] = field(default_factory=list)


def _fail(en: str, zh: str, **details: Any) -> PackageError:
    return PackageError(en, zh, **details)


def exporter_verifier(text: str) -> Ed25519Verifier:
    key = parse_verifier_key(text.strip())
    if not isinstance(key, Ed25519Verifier):
        raise MalformedEvidenceError(
            "--key must be the exporter's Ed25519 verifier key (type 0x01)",
            "--key 须为出境方的 Ed25519 验证公钥（类型 0x01）",
            field="key",
        )
    return key


def verify_package(
    read: Reader,
    hash_file: Hasher,
    exporter_key: str,
    log_key: str,
    *,
    count_rows: Callable[[str], int] | None = None,
    data_files: Callable[[], list[str]] | None = None,
) -> PackageVerdict:
    """Check a package: marker, signature, manifest, every file, and the delivery receipt.

    Returns only when every check passed; raises at the first one that fails.
    """
    verdict = verify_contents(
        read,
        hash_file,
        exporter_verifier(exporter_key),
        count_rows=count_rows,
        data_files=data_files,
    )
    verify_delivery_receipt(read, log_key, verdict)
    return verdict


def verify_contents(
    read: Reader,
    hash_file: Hasher,
    verifier: Ed25519Verifier,
    *,
    count_rows: Callable[[str], int] | None = None,
    data_files: Callable[[], list[str]] | None = None,
) -> PackageVerdict:
    """Everything but the receipt: marker, signature, manifest and every data file."""
    checks: list[tuple[str, str]] = []
    body = read(MANIFEST)
    marker = read(COMMITTED)
    if marker is None:
        raise _fail(
            "the package has no COMMITTED marker: it is incomplete (an interrupted delivery)",
            "数据包没有 COMMITTED 标记：不完整（传输中断）",
        )
    if body is None:
        raise _fail("the package has no manifest.json", "数据包缺少 manifest.json")
    manifest_sha = sha256_bytes(body)
    if marker.decode("utf-8", "replace").strip() != manifest_sha:
        raise _fail(
            f"the COMMITTED marker names {marker.decode('utf-8', 'replace').strip()}, but the "
            f"manifest's hash is {manifest_sha}",
            f"COMMITTED 标记记录的哈希为 {marker.decode('utf-8', 'replace').strip()}，"
            f"而清单的哈希为 {manifest_sha}",
        )
    checks.append(
        ("the package is committed (marker matches the manifest)", "数据包已提交（标记与清单一致）")
    )
    try:
        manifest = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(
            f"manifest.json is not JSON: {exc}", f"manifest.json 不是 JSON：{exc}"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != PACKAGE_FORMAT:
        raise _fail(
            f"manifest.json is not a {PACKAGE_FORMAT} manifest",
            f"manifest.json 不是 {PACKAGE_FORMAT} 清单",
        )
    transfer_id = str(manifest.get("transfer_id", ""))

    signature = read(SIGNATURE)
    if signature is None:
        raise _fail("the package has no manifest.sig", "数据包缺少 manifest.sig")
    note = open_note(signature, [verifier])
    expected = signature_text(transfer_id, manifest_sha)
    if note.text != expected:
        raise _fail(
            f"the signature covers {note.text.strip()!r}, not this manifest ({expected.strip()!r})",
            f"签名所覆盖的内容为 {note.text.strip()!r}，而非本清单（{expected.strip()!r}）",
        )
    checks.append(
        (
            f"the manifest of transfer {transfer_id} is signed by the exporter key {verifier.name}",
            f"传输 {transfer_id} 的清单有出境方密钥 {verifier.name} 的签名",
        )
    )

    files = manifest.get("files")
    if not isinstance(files, list) or not files:
        raise _fail("the manifest lists no data files", "清单未列出任何数据文件")
    listed = set()
    for entry in files:
        path = str(entry.get("path", ""))
        if not path.startswith(f"{DATA}/") or ".." in path.split("/"):
            raise _fail(
                f"the manifest names a file outside data/: {path!r}",
                f"清单列出了 data/ 之外的文件：{path!r}",
            )
        listed.add(path)
        found = hash_file(path)
        if found is None:
            raise _fail(
                f"{path} is listed in the manifest but missing", f"清单列出的 {path} 不存在"
            )
        digest, size = found
        if digest != entry.get("sha256") or size != entry.get("bytes"):
            raise _fail(
                f"{path}: expected {entry.get('sha256')} ({entry.get('bytes')} bytes), "
                f"found {digest} ({size} bytes)",
                f"{path}：应为 {entry.get('sha256')}（{entry.get('bytes')} 字节），"
                f"实际为 {digest}（{size} 字节）",
                path=path,
            )
        if count_rows is not None:
            rows = count_rows(path)
            if rows != entry.get("rows"):
                raise _fail(
                    f"{path}: the manifest says {entry.get('rows')} rows, the file has {rows}",
                    f"{path}：清单记录 {entry.get('rows')} 行，文件实有 {rows} 行",
                )
        checks.append((f"{path}: SHA-256 and size match", f"{path}：SHA-256 与大小一致"))
    if data_files is not None:
        extra = sorted(set(data_files()) - listed)
        if extra:
            raise _fail(
                f"data/ holds files the manifest does not list: {', '.join(extra)}",
                f"data/ 中有清单未列出的文件：{'、'.join(extra)}",
            )

    return PackageVerdict(transfer_id, manifest, manifest_sha, None, checks)


def verify_delivery_receipt(read: Reader, log_key: str, verdict: PackageVerdict) -> None:
    """The receipt beside the package proves the log recorded the delivery of this manifest."""
    receipt = read(RECEIPT)
    if receipt is None:
        raise _fail(
            "the package has no receipt.json: its delivery is not recorded in the evidence log yet",
            "数据包缺少 receipt.json：其交付尚未记入证据日志",
        )
    proven = verify_receipt(receipt, log_key)
    verdict.checks.extend(proven.checks)
    try:
        entry = json.loads(proven.entry.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _fail(
            "the receipt's entry is not a dataport record", "收据中的条目不是 dataport 记录"
        ) from None
    subject = entry.get("subject") or {} if isinstance(entry, dict) else {}
    facts = entry.get("facts") or {} if isinstance(entry, dict) else {}
    event = entry.get("event") if isinstance(entry, dict) else None
    transfer_id, manifest_sha = verdict.transfer_id, verdict.manifest_sha256
    if (
        event != DELIVERED_EVENT
        or subject.get("id") != transfer_id
        or facts.get("manifest_sha256") != manifest_sha
    ):
        raise _fail(
            f"the receipt proves {event} of {subject.get('id')} with manifest "
            f"{facts.get('manifest_sha256')}, not the delivery of this package "
            f"({transfer_id}, {manifest_sha})",
            f"收据证明的是 {subject.get('id')} 的 {event}（清单 "
            f"{facts.get('manifest_sha256')}），而非本数据包的交付（{transfer_id}，{manifest_sha}）",
        )
    verdict.log_index = proven.index
    verdict.checks.append(
        (
            f"the log's entry {proven.index} records the delivery of this very manifest",
            f"日志第 {proven.index} 个条目记录的正是本清单的交付",
        )
    )


def count_rows_local(path: Path) -> int:
    if path.suffix == ".parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    return int(pl.scan_csv(path, infer_schema=False).select(pl.len()).collect().item())
