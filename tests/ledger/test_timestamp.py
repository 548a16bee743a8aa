"""RFC 3161 timestamps on checkpoints, from a real (local) timestamp authority: openssl ts."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from fastapi import FastAPI, Request, Response

from dataport.ledger.errors import VerificationError
from dataport.ledger.timestamp import read_response, timestamp_request, verify_timestamp
from tests.conftest import CliResult
from tests.servers import serving

_CONFIG = """
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = {dir}/serial
crypto_device = builtin
signer_cert = {dir}/tsa.pem
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """A timestamp authority on the loopback interface; yields its URL, root and another root."""
    folder = tmp_path / "tsa"
    folder.mkdir()
    root_key = ec.generate_private_key(ec.SECP256R1())
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate("Test Root CA", root_key, "Test Root CA", root_key, ca=True)
    leaf = _certificate("Test TSA", tsa_key, "Test Root CA", root_key, ca=False)
    (folder / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.key").write_bytes(
        tsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (folder / "serial").write_text("01\n")
    (folder / "openssl.cnf").write_text(_CONFIG.format(dir=folder))
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _certificate("Other Root", other_key, "Other Root", other_key, ca=True)
    (folder / "other.pem").write_bytes(other.public_bytes(serialization.Encoding.PEM))

    app = FastAPI()

    @app.post("/tsa")
    async def reply(request: Request) -> Response:
        (folder / "query.tsq").write_bytes(await request.body())
        subprocess.run(
            ["openssl", "ts", "-reply", "-config", str(folder / "openssl.cnf"),
             "-queryfile", str(folder / "query.tsq"), "-out", str(folder / "reply.tsr")],
            check=True, capture_output=True,
        )  # fmt: skip
        return Response(
            (folder / "reply.tsr").read_bytes(), media_type="application/timestamp-reply"
        )

    with serving(app) as url:
        yield f"{url}/tsa", folder / "root.pem", folder / "other.pem"


def test_a_checkpoint_timestamped_by_a_tsa_verifies_in_the_receipt(
    cli: Callable[..., CliResult], tsa: tuple[str, Path, Path], tmp_path: Path
) -> None:
    url, root, other = tsa
    entries = tmp_path / "entries.jsonl"
    entries.write_text('{"event":"a"}\n{"event":"b"}\n')
    assert cli("log", "append", str(entries)).code == 0
    stamped = cli("log", "checkpoint", "--tsa", url)
    assert stamped.code == 0, stamped.err
    receipt = tmp_path / "receipt.json"
    assert cli("log", "proof", "--index", "1", "--out", str(receipt)).code == 0
    assert "rfc3161_timestamp" in json.loads(receipt.read_text())
    key = cli("log", "key").out.strip()
    verified = cli("verify", str(receipt), "--key", key, "--tsa-root", str(root))
    assert verified.code == 0, verified.out + verified.err
    assert "a trusted TSA attests" in verified.out
    refused = cli("verify", str(receipt), "--key", key, "--tsa-root", str(other))
    assert refused.code == 8
    assert "✗ the RFC 3161 timestamp" in refused.out


def test_a_token_over_another_message_is_refused(tsa: tuple[str, Path, Path]) -> None:
    import urllib.request

    url, root, _ = tsa
    query, nonce = timestamp_request(b"checkpoint text\n")
    request = urllib.request.Request(url, data=query, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        token = answer.read()
    read_response(token, b"checkpoint text\n", nonce)
    with pytest.raises(VerificationError, match="another message"):
        read_response(token, b"another text\n", nonce)
    with pytest.raises(VerificationError, match="nonce"):
        read_response(token, b"checkpoint text\n", (nonce or 0) + 1)
    cert = x509.load_pem_x509_certificate(root.read_bytes())
    assert verify_timestamp(token, b"checkpoint text\n", [cert]).year >= 2026
