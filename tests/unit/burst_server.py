"""A Socket.IO server run as the gateway runs (gevent, WebSocket), for the client's tests.

It answers `go` (a count) with that many `numbered` events, as fast as it can send them.
Run as a script with the allowed origin; it prints its port.
"""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

import socketio  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402


def main(origin: str) -> None:
    server = socketio.Server(async_mode="gevent", cors_allowed_origins=[origin])

    @server.on("go")
    def go(sid: str, count: int) -> None:
        for n in range(count):
            server.emit("numbered", {"n": n}, to=sid)

    http = WSGIServer(
        ("127.0.0.1", 0), socketio.WSGIApp(server), handler_class=WebSocketHandler, log=None
    )
    http.start()
    print(http.server_port, flush=True)
    http.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
