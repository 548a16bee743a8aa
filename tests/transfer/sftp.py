"""A real SFTP server (asyncssh) on the loopback interface, in a thread, chrooted to a folder."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncssh
from fsspec.implementations.sftp import SFTPFileSystem

from tests.servers import free_port

USER = "dataport"
PASSWORD = "sftp-test-password"


#: Connections the server accepted, closed one by one when it stops.
_CONNECTIONS: list[asyncssh.SSHServerConnection] = []


class _Server(asyncssh.SSHServer):
    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        _CONNECTIONS.append(conn)

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return (username, password) == (USER, PASSWORD)


@contextmanager
def sftp_server(root: Path) -> Iterator[str]:
    """Serves ``root`` over SFTP until the block ends; yields ``sftp://user:pw@host:port``."""
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, asyncssh.SSHAcceptor] = {}

    async def start() -> None:
        holder["server"] = await asyncssh.create_server(
            _Server,
            "127.0.0.1",
            port,
            server_host_keys=[asyncssh.generate_private_key("ssh-ed25519")],
            sftp_factory=lambda channel: asyncssh.SFTPServer(channel, chroot=str(root).encode()),
        )
        started.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10), "the SFTP server did not start within 10 s"
    try:
        yield f"sftp://{USER}:{PASSWORD}@127.0.0.1:{port}"
    finally:
        # fsspec keeps its clients: close them, then the server, then the loop.
        for client in list(SFTPFileSystem._cache.values()):
            client.ftp.close()
            client.client.close()
        SFTPFileSystem.clear_instance_cache()

        async def stop() -> None:
            for connection in _CONNECTIONS:
                connection.close()
                await connection.wait_closed()
            _CONNECTIONS.clear()
            holder["server"].close()
            await holder["server"].wait_closed()
            await asyncio.sleep(0.05)  # let the transports finish closing

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        gc.collect()  # anything left unclosed warns here, in this test, not in a later one
