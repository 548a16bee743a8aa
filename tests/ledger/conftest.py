"""The shared conformance vectors and the keys published with them, for the ledger tests."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dataport.ledger import (
    Ed25519Signer,
    Ed25519Verifier,
    TileLogWriter,
    parse_signer_key,
    parse_verifier_key,
)

# tests/ledger/conftest.py -> the repository root; the vectors sit beside the repository.
REPO_ROOT = Path(__file__).resolve().parents[2]

# As published in testvectors/README.md (a test key, upstream's, published for this purpose).
TESSERA_ORIGIN = "example.com/log/testdata"
TESSERA_VERIFIER_KEY = (
    "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"
)
TESSERA_SIGNER_KEY = (
    "PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg"
)
TESSERA_ENTRIES = (
    b"one", b"two", b"three", b"four", b"five", b"six", b"seven", b"eit", b"nain", b"ten",
    b"ileven", b"twelf", b"threeten", b"fourten", b"fivten",
)  # fmt: skip


def shared_vectors_dir() -> Path:
    """The shared test vectors. Missing vectors fail the run: they are never skipped."""
    path = (REPO_ROOT / "../shared/testvectors").resolve()
    if not (path / "README.md").is_file():
        raise FileNotFoundError(
            f"the conformance vectors are missing: expected {path} (../shared/testvectors "
            f"beside the repository root {REPO_ROOT})"
        )
    return path


@dataclass(frozen=True)
class InclusionProbe:
    leaf_index: int
    tree_size: int
    root: bytes
    leaf_hash: bytes
    proof: list[bytes]
    want_error: bool


@dataclass(frozen=True)
class ConsistencyProbe:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    proof: list[bytes]
    want_error: bool


def _probe_files(kind: str) -> list[Path]:
    folder = shared_vectors_dir() / "merkle" / kind
    files = sorted(folder.rglob("*.json"))
    if not files:
        raise FileNotFoundError(f"no {kind} probes under {folder}")
    return files


def _decode(fields: dict[str, Any], name: str) -> bytes:
    return base64.b64decode(fields[name], validate=True)


def _proof(fields: dict[str, Any]) -> list[bytes]:
    # The Go generator writes a missing proof as null.
    return [base64.b64decode(item, validate=True) for item in fields["proof"] or []]


def _inclusion_probe(path: Path) -> InclusionProbe:
    fields = json.loads(path.read_text())
    return InclusionProbe(
        leaf_index=fields["leafIdx"],
        tree_size=fields["treeSize"],
        root=_decode(fields, "root"),
        leaf_hash=_decode(fields, "leafHash"),
        proof=_proof(fields),
        want_error=fields["wantErr"],
    )


def _consistency_probe(path: Path) -> ConsistencyProbe:
    fields = json.loads(path.read_text())
    return ConsistencyProbe(
        old_size=fields["size1"],
        new_size=fields["size2"],
        old_root=_decode(fields, "root1"),
        new_root=_decode(fields, "root2"),
        proof=_proof(fields),
        want_error=fields["wantErr"],
    )


def tessera_files() -> dict[str, bytes]:
    """Every file of the Tessera log except its licence, keyed by path under the log."""
    folder = shared_vectors_dir() / "tessera-log"
    files = {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and path.name != "LICENSE"
    }
    if "checkpoint" not in files:
        raise FileNotFoundError(f"no Tessera log under {folder}")
    return files


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per vector file, named after it, so each probe gives its own verdict."""
    merkle = shared_vectors_dir() / "merkle"
    if "inclusion_probe" in metafunc.fixturenames:
        files = _probe_files("inclusion")
        metafunc.parametrize(
            "inclusion_probe",
            [_inclusion_probe(path) for path in files],
            ids=[path.relative_to(merkle).with_suffix("").as_posix() for path in files],
        )
    if "consistency_probe" in metafunc.fixturenames:
        files = _probe_files("consistency")
        metafunc.parametrize(
            "consistency_probe",
            [_consistency_probe(path) for path in files],
            ids=[path.relative_to(merkle).with_suffix("").as_posix() for path in files],
        )
    if "tessera_path" in metafunc.fixturenames:
        metafunc.parametrize("tessera_path", sorted(tessera_files()))


@pytest.fixture(scope="session")
def tessera_signer() -> Ed25519Signer:
    readme = (shared_vectors_dir() / "README.md").read_text()
    if TESSERA_SIGNER_KEY not in readme or TESSERA_VERIFIER_KEY not in readme:
        raise ValueError("the Tessera keys here differ from those in testvectors/README.md")
    signer = parse_signer_key(TESSERA_SIGNER_KEY)
    assert isinstance(signer, Ed25519Signer)
    return signer


@pytest.fixture(scope="session")
def tessera_verifier() -> Ed25519Verifier:
    verifier = parse_verifier_key(TESSERA_VERIFIER_KEY)
    assert isinstance(verifier, Ed25519Verifier)
    return verifier


@pytest.fixture(scope="session")
def tessera_log() -> dict[str, bytes]:
    """The Tessera log's files, as read from the vectors folder."""
    return tessera_files()


@pytest.fixture(scope="session")
def rebuilt_tessera_log(tessera_signer: Ed25519Signer) -> dict[str, bytes]:
    """Our writer's log of the Tessera entries, appended one at a time, with a
    ``checkpoint.N`` copy of the checkpoint published at each size N, as upstream keeps."""
    files: dict[str, bytes] = {}
    writer = TileLogWriter.create(TESSERA_ORIGIN, tessera_signer, files)
    history = {"checkpoint.0": files["checkpoint"]}
    for entry in TESSERA_ENTRIES:
        writer.append(entry)
        history[f"checkpoint.{writer.size}"] = files["checkpoint"]
    return {**files, **history}
