"""How the gateway's web server treats its connections."""

from __future__ import annotations

import socket

from handoff.__main__ import NoDelayRequestHandler


def test_connections_send_small_frames_at_once() -> None:
    """Nagle's algorithm off: a frame right after another must not wait for an acknowledgement.

    With it on, relayed chat lines took up to 42 ms instead of 4 (docs/performance.md).
    """
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        with client, accepted:
            handler = NoDelayRequestHandler.__new__(NoDelayRequestHandler)
            handler.request = accepted
            handler.setup()
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
