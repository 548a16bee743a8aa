"""RFC 3161 timestamps on checkpoints, from a timestamp authority (TSA), via rfc3161-client.

The message timestamped is the checkpoint's note text (origin, size, root), hashed with
SHA-256. A token binds the tree head to the TSA's clock; every entry below the checkpoint's
size inherits that upper bound on its time through its inclusion proof.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerifierBuilder,
    decode_timestamp_response,
)
from rfc3161_client import VerificationError as TimestampVerificationError

from dataport.errors import InvalidInput, Unavailable
from dataport.ledger.errors import MalformedEvidenceError, VerificationError

_SHA256_OID = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
_QUERY_TYPE = "application/timestamp-query"


def timestamp_request(message: bytes) -> tuple[bytes, int | None]:
    """A DER timestamp query over SHA-256(message), with a nonce and the TSA's certificate."""
    request = (
        TimestampRequestBuilder()
        .data(message)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    return request.as_bytes(), request.nonce


def read_response(response: bytes, message: bytes, nonce: int | None) -> TimeStampResponse:
    """Checks a TSA's answer is a granted token over ``message`` for our nonce."""
    try:
        decoded = decode_timestamp_response(response)
    except ValueError as error:
        raise MalformedEvidenceError(
            f"the timestamp response does not parse: {error}",
            f"时间戳响应无法解析：{error}",
        ) from None
    if PKIStatus(decoded.status) not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise VerificationError(
            f"the timestamp authority refused the request (status {decoded.status}: "
            f"{'; '.join(decoded.status_string) or 'no reason given'})",
            f"时间戳机构拒绝了请求（状态 {decoded.status}）",
        )
    imprint = decoded.tst_info.message_imprint
    if imprint.hash_algorithm != _SHA256_OID or imprint.message != hashlib.sha256(message).digest():
        raise VerificationError(
            "the timestamp token is over another message than this checkpoint",
            "时间戳令牌针对的不是本检查点",
        )
    if nonce is not None and decoded.tst_info.nonce != nonce:
        raise VerificationError(
            "the timestamp token answers another request (nonce mismatch)",
            "时间戳令牌对应的是另一个请求（随机数不符）",
        )
    return decoded


def fetch_timestamp(url: str, message: bytes, *, timeout: float = 30) -> bytes:
    """Asks the TSA at ``url`` for a token over ``message``; returns the checked DER answer."""
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(
            f"TSA URL {url!r} is not http(s)", f"TSA 地址 {url!r} 不是 http(s)", field="tsa"
        )
    query, nonce = timestamp_request(message)
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=query, headers={"Content-Type": _QUERY_TYPE}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            body: bytes = answer.read()
    except (urllib.error.URLError, OSError) as error:
        raise Unavailable(
            f"timestamp authority {url} did not answer: {error}",
            f"时间戳机构 {url} 无响应：{error}",
        ) from None
    read_response(body, message, nonce)
    return body


def verify_timestamp(
    response: bytes, message: bytes, roots: Sequence[x509.Certificate]
) -> datetime:
    """Verifies a stored token against trusted TSA roots; returns the time it attests."""
    decoded = read_response(response, message, None)
    if not roots:
        raise VerificationError(
            "no trusted TSA root certificate was given", "未提供可信的时间戳机构根证书"
        )
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    try:
        builder.build().verify_message(decoded, message)
    except TimestampVerificationError as error:
        raise VerificationError(
            f"the timestamp token does not verify: {error}",
            f"时间戳令牌验证失败：{error}",
        ) from None
    return decoded.tst_info.gen_time


def gen_time(response: bytes) -> datetime:
    """The time a token claims, without verifying it (for display)."""
    try:
        return decode_timestamp_response(response).tst_info.gen_time
    except ValueError as error:
        raise MalformedEvidenceError(
            f"the timestamp response does not parse: {error}",
            f"时间戳响应无法解析：{error}",
        ) from None
