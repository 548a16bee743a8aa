"""``dataport serve`` as an operator starts it: a real process answering on a real port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import create_database, is_postgres


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_serve_answers_health_readiness_and_refuses_anonymous_calls(tmp_path: Path) -> None:
    env = {**os.environ, "DATAPORT_HOME": str(tmp_path / "home"), "DATAPORT_LANG": "en"}
    database = None
    if is_postgres():
        database = create_database(tmp_path)
        env["DATAPORT_DATABASE_URL"] = database.url
    else:
        env.pop("DATAPORT_DATABASE_URL", None)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "dataport", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = get(f"{base}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "server did not start within 30 s"
                time.sleep(0.2)
        assert (status, body["status"]) == (200, "ok")
        status, body = get(f"{base}/readyz")
        assert (status, body["status"]) == (200, "ready")
        status, body = get(f"{base}/v1/datasets")
        assert status == 401
        assert body["code"] == "not_authenticated"
    finally:
        server.terminate()
        server.wait(timeout=10)
        if database is not None:
            database.engine.dispose()
            database.drop()
