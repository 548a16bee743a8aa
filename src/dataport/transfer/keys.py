"""An exporter's transfer secrets, generated on first use under ``DATAPORT_HOME``, owner-only.

Three per organisation, in ``<home>/transfer/<organisation id>/``:

- ``tokenise.key``: the HMAC-SHA256 key of keyed tokenisation (stable across transfers, so
  tokens join abroad);
- ``watermark.key``: the key that selects and sets the watermark's cells;
- ``signing.key``: the Ed25519 note key that signs package manifests; its verifier key is
  what recipients are given (``dataport transfer key``).

And ``destinations/<destination id>.secret``: the password (an S3 secret key, an SFTP
password) of a destination declared with one in its URL; the database keeps the URL with
``***`` in its place.

Keys are never logged, printed or stored in the database.
"""

from __future__ import annotations

import secrets
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from dataport.errors import Conflict
from dataport.ledger.keys import read_secret, write_secret
from dataport.ledger.note import Ed25519Signer, generate_key, parse_signer_key

TOKENISE = "tokenise.key"
WATERMARK = "watermark.key"
SIGNING = "signing.key"


def key_folder(home: Path, org_id: uuid.UUID) -> Path:
    return home / "transfer" / str(org_id)


def signing_key_name(org_id: uuid.UUID) -> str:
    """The name a package signature carries: the exporter's id, nothing it keeps private."""
    return f"dataport.transfer/{org_id}"


@dataclass(frozen=True)
class ExporterKeys:
    #: 64 hex characters; the HMAC key is their ASCII bytes (256 bits of secret).
    tokenise: str
    watermark: str
    signer: Ed25519Signer

    @property
    def verifier_key(self) -> str:
        return self.signer.verifier.verifier_key


def _secret(path: Path, make: str) -> str:
    if not path.exists():
        with suppress(Conflict):  # another process made it first: use that one
            write_secret(path, make)
    return read_secret(path)


def exporter_keys(home: Path, org_id: uuid.UUID) -> ExporterKeys:
    """The organisation's keys, made now if they do not exist yet."""
    folder = key_folder(home, org_id)
    tokenise = _secret(folder / TOKENISE, secrets.token_hex(32))
    watermark = _secret(folder / WATERMARK, secrets.token_hex(32))
    signing = _secret(folder / SIGNING, generate_key(signing_key_name(org_id)).signer_key)
    signer = parse_signer_key(signing)
    assert isinstance(signer, Ed25519Signer)  # noqa: S101 - generate_key makes Ed25519 keys
    return ExporterKeys(tokenise=tokenise, watermark=watermark, signer=signer)


def watermark_key_if_any(home: Path, org_id: uuid.UUID) -> str | None:
    """The watermark key, without making one: tracing needs existing keys only."""
    path = key_folder(home, org_id) / WATERMARK
    return read_secret(path) if path.exists() else None


def destination_secret_path(home: Path, org_id: uuid.UUID, destination_id: uuid.UUID) -> Path:
    return key_folder(home, org_id) / "destinations" / f"{destination_id}.secret"
