"""`python -m handoff`: run one gateway process (the stack starts it for `make run`)."""

from __future__ import annotations

import logging
import time

from core.settings import Settings
from handoff import create_app, socketio
from handoff.service.gateway import Gateway

TICK_SECONDS = 1.0
log = logging.getLogger("handoff")


def housekeeping(gateway: Gateway) -> None:
    """Every second: agents past their grace period, chats past their SLA."""
    while True:
        socketio.sleep(TICK_SECONDS)
        try:
            gateway.housekeeping.tick(time.time())
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
    )


if __name__ == "__main__":
    main()
