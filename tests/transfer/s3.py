"""A real S3-compatible endpoint (moto's HTTP server) on the loopback interface, in a thread."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import fsspec
from moto import settings as moto_settings
from moto.server import ThreadedMotoServer

from tests.servers import free_port

KEY = "dataport-test-key"
SECRET = "dataport-test-secret"  # the test endpoint's own


@dataclass(frozen=True)
class Endpoint:
    url: str

    def filesystem(self) -> Any:
        return fsspec.filesystem(
            "s3", key=KEY, secret=SECRET, endpoint_url=self.url, skip_instance_cache=True
        )

    def bucket(self) -> str:
        """A new, empty bucket."""
        name = f"dataport-{uuid.uuid4().hex[:12]}"
        self.filesystem().mkdir(name)
        return name

    def destination(self, bucket: str, prefix: str = "out", *, key: str = KEY) -> str:
        """The destination URL a user declares for ``bucket/prefix`` on this endpoint."""
        return f"s3://{key}:{SECRET}@{bucket}/{prefix}?endpoint_url={self.url}"


@contextmanager
def s3_endpoint() -> Iterator[Endpoint]:
    """Serves S3 on 127.0.0.1 until the block ends."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield Endpoint(f"http://127.0.0.1:{port}")
    finally:
        server.stop()


@contextmanager
def checking_credentials() -> Iterator[None]:
    """The endpoint refuses access keys it does not know (as a real one does)."""
    before = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    try:
        yield
    finally:
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = before
