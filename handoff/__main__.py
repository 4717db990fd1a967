"""`python -m handoff`: run one gateway process (the stack starts it for `make run`)."""

from __future__ import annotations

import logging
import time

from werkzeug.serving import WSGIRequestHandler

from bot.settings import Settings
from handoff import create_app, socketio
from handoff.gateway import Gateway

TICK_SECONDS = 1.0
log = logging.getLogger("handoff")


class NoDelayRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler with Nagle's algorithm off on each connection.

    A chat is many small frames: with Nagle, a frame sent right after another waits for the
    peer's (delayed, up to 40 ms) acknowledgement of the first.
    """

    disable_nagle_algorithm = True  # socketserver sets TCP_NODELAY in setup()


def housekeeping(gateway: Gateway) -> None:
    """Every second: agents past their grace period, chats past their SLA."""
    while True:
        socketio.sleep(TICK_SECONDS)
        try:
            gateway.tick(time.time())
        except Exception:  # one bad tick must not stop the next ones
            log.exception("Housekeeping failed; trying again in a second.")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    app = create_app(settings)
    socketio.start_background_task(housekeeping, app.extensions["tandem"].gateway)
    socketio.run(
        app,
        host="127.0.0.1",
        port=settings.gateway_port,
        allow_unsafe_werkzeug=True,
        log_output=False,
        request_handler=NoDelayRequestHandler,
    )


if __name__ == "__main__":
    main()
