"""The gateway's gevent server: small frames leave at once (no Nagle), files enough for sockets."""

from __future__ import annotations

import resource
import socket
from collections.abc import Iterable
from typing import Any

import gevent
import gevent.socket
import pytest
from gevent import pywsgi

from handoff.server import (
    WANTED_OPEN_FILES,
    NoDelayHandler,
    foreign_origin,
    raise_open_files_limit,
)


def nodelay_of_this_connection(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Answers with the TCP_NODELAY option of the server's side of the connection."""
    sock = environ["wsgi.input"].rfile.raw._sock
    value = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"1" if value else b"0"]


def ask(port: int) -> bytes:
    client = gevent.socket.create_connection(("127.0.0.1", port))
    client.sendall(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
    answer = b""
    while chunk := client.recv(4096):
        answer += chunk
    client.close()
    return answer.split(b"\r\n\r\n", 1)[1]


@pytest.mark.parametrize(
    ("handler", "nodelay"),
    # The plain handler is the control: without ours, Nagle stays on, so the check can fail.
    [(NoDelayHandler, b"1"), (pywsgi.WSGIHandler, b"0")],
)
def test_every_connection_has_nagle_off(handler: type, nodelay: bytes) -> None:
    server = pywsgi.WSGIServer(
        ("127.0.0.1", 0), nodelay_of_this_connection, handler_class=handler, log=None
    )
    server.start()
    try:
        assert gevent.spawn(ask, server.server_port).get(timeout=10) == nodelay
    finally:
        server.stop()


def test_open_files_are_raised_for_two_files_a_websocket() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = raise_open_files_limit()
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == limit
    assert limit == max(hard, WANTED_OPEN_FILES) or limit == hard


class _Handler:
    def __init__(self, environ: dict[str, str]) -> None:
        self.environ = environ


def test_only_allowed_pages_get_a_websocket_upgrade() -> None:
    allowed = frozenset({"https://shop.example.com"})
    assert foreign_origin(allowed, _Handler({"HTTP_ORIGIN": "https://evil.example"}))
    assert not foreign_origin(allowed, _Handler({"HTTP_ORIGIN": "https://shop.example.com"}))
    assert not foreign_origin(allowed, _Handler({}))  # no page: not a browser
