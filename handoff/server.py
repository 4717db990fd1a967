"""The gateway's production server: gevent's WSGI server, one greenlet per connection.

WebSocket and long-polling are both served; WebSocket through gevent-websocket, which uses
the connection's own socket (simple-websocket, the fallback, takes a second file for each).
``python -m handoff`` patches the standard library for gevent before importing this,
so Redis, Rasa and SQL calls yield to other connections instead of blocking them.
"""

from __future__ import annotations

import functools
import logging
import resource
import signal
import socket
import time

import gevent
from gevent import pywsgi
from geventwebsocket.handler import WebSocketHandler

from core.settings import Settings
from handoff.app import create_app, socketio
from handoff.service.gateway import Gateway

TICK_SECONDS = 1.0
# One file per socket, and some for Redis, SQL and logs: raised to this where permitted.
WANTED_OPEN_FILES = 65_536
# On SIGTERM, connections get this long to finish before the process exits.
STOP_SECONDS = 5.0
log = logging.getLogger("handoff")


class NoDelayHandler(WebSocketHandler):
    """Sends each small Socket.IO frame at once, not after Nagle's wait for more data."""

    def handle(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle()


def foreign_origin(allowed: frozenset[str], handler: pywsgi.WSGIHandler) -> bool:
    """True for a request from a page not allowed: it is served as plain HTTP, not upgraded.

    gevent-websocket upgrades before the application runs; a refused page must get
    Engine.IO's own refusal (400, "Not an accepted origin") instead of an open socket.
    """
    origin = handler.environ.get("HTTP_ORIGIN")
    return bool(origin) and origin not in allowed


def raise_open_files_limit() -> int:
    """Every socket is a file: allow WANTED_OPEN_FILES if permitted, else the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for limit in (max(hard, WANTED_OPEN_FILES), hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
        except (ValueError, OSError):  # above the hard limit without the right to raise it
            continue
        return limit
    return soft


def housekeeping(gateway: Gateway) -> None:
    """Every second: agents past their grace period, chats past their SLA."""
    while True:
        socketio.sleep(TICK_SECONDS)
        try:
            gateway.housekeeping.tick(time.time())
        except Exception:  # one bad tick must not stop the next ones
            log.exception("Housekeeping failed; trying again in a second.")


def run() -> None:
    """Serve the gateway of ``Settings.from_env()`` until SIGTERM or SIGINT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # gevent-websocket logs every request line; the gateway logs what matters itself.
    logging.getLogger("geventwebsocket.handler").setLevel(logging.WARNING)
    settings = Settings.from_env()
    open_files = raise_open_files_limit()
    app = create_app(settings, async_mode="gevent")
    threads = gevent.get_hub().threadpool
    app.extensions["tandem"].directory.offload = lambda work: threads.apply(work)
    socketio.start_background_task(housekeeping, app.extensions["tandem"].gateway)
    server = pywsgi.WSGIServer(
        (settings.bind_host, settings.listen_port), app, handler_class=NoDelayHandler, log=None
    )
    # The same pages Engine.IO accepts (handoff/app.py): widget hosts and the gateway's own.
    server.pre_start_hook = functools.partial(
        foreign_origin, frozenset(settings.allowed_origins + settings.own_origins)
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, server.stop, STOP_SECONDS)
    log.info(
        "Gateway serving on %s:%d (gevent, up to %d open sockets)",
        settings.bind_host,
        settings.listen_port,
        open_files,
    )
    server.serve_forever()
