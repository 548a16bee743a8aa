"""A package's own checks, offline: marker, signature, manifest, files. Each one fails closed."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import polars as pl
import pytest

from dataport.errors import PermissionDenied
from dataport.ledger.errors import VerificationError
from dataport.ledger.note import generate_key, parse_signer_key, parse_verifier_key
from dataport.transfer import destinations, package
from dataport.transfer.keys import exporter_keys, key_folder
from dataport.transfer.package import PackageError


def build(folder: Path) -> tuple[Path, str]:
    keys = parse_signer_key(generate_key("dataport.transfer/test").signer_key)
    written = package.write_data(pl.DataFrame({"a": [1, 2, 3]}), folder, "t", "parquet")
    manifest = {
        "format": package.PACKAGE_FORMAT,
        "transfer_id": "t-1",
        "files": [written.describe()],
    }
    sha, _ = package.write_package_files(folder, manifest, keys)  # type: ignore[arg-type]
    (folder / package.COMMITTED).write_text(sha + "\n")
    return folder, keys.verifier.verifier_key


def check(folder: Path, key: str) -> package.PackageVerdict:
    location, path = destinations.open_package(str(folder))
    verifier = parse_verifier_key(key)
    return package.verify_contents(
        destinations.reader(location, path),
        destinations.hasher(location, path),
        verifier,  # type: ignore[arg-type]
        count_rows=lambda p: package.count_rows_local(Path(path) / p),
        data_files=destinations.data_files(location, path),
    )


def test_a_good_package_passes(tmp_path: Path) -> None:
    folder, key = build(tmp_path / "p")
    assert check(folder, key).transfer_id == "t-1"


def test_no_marker_means_incomplete(tmp_path: Path) -> None:
    folder, key = build(tmp_path / "p")
    (folder / package.COMMITTED).unlink()
    with pytest.raises(PackageError, match="incomplete"):
        check(folder, key)


def test_another_key_is_rejected(tmp_path: Path) -> None:
    folder, _ = build(tmp_path / "p")
    other = generate_key("dataport.transfer/test").verifier_key
    with pytest.raises(VerificationError, match="no signature by a trusted key"):
        check(folder, other)


def test_a_changed_manifest_or_an_extra_file_is_caught(tmp_path: Path) -> None:
    folder, key = build(tmp_path / "p")
    (folder / "data" / "extra.csv").write_text("x\n1\n")
    with pytest.raises(PackageError, match=r"does not list: data/extra\.csv"):
        check(folder, key)
    (folder / "data" / "extra.csv").unlink()
    body = (folder / package.MANIFEST).read_bytes().replace(b"t-1", b"t-2")
    (folder / package.MANIFEST).write_bytes(body)
    with pytest.raises(PackageError, match="COMMITTED marker names"):
        check(folder, key)


def test_keys_are_made_once_owner_only_and_refused_when_others_can_read(tmp_path: Path) -> None:
    org = uuid.uuid4()
    first = exporter_keys(tmp_path, org)
    again = exporter_keys(tmp_path, org)
    assert (first.tokenise, first.watermark, first.verifier_key) == (
        again.tokenise,
        again.watermark,
        again.verifier_key,
    )
    files = sorted(key_folder(tmp_path, org).iterdir())
    assert [f.name for f in files] == ["signing.key", "tokenise.key", "watermark.key"]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    files[1].chmod(0o640)
    with pytest.raises(PermissionDenied, match="readable by others"):
        exporter_keys(tmp_path, org)
