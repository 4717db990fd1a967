"""Tandem's action server: ``python -m actions.server [package]``.

rasa-sdk's own server has no authentication, no per-call time limit, and echoes
the whole request (the tracker, with personal data) in its 500 answers. This one
serves the same protocol (``POST /webhook``, ``GET /health``) and:

- requires the actions token (``?token=``, as Rasa's endpoint config sends it, or
  ``Authorization: Bearer``);
- runs every call in a worker thread under ``ACTION_TIMEOUT`` seconds, so even an
  action blocked in synchronous I/O cannot stall the conversation; on timeout it
  answers the ``utter_action_timeout`` response;
- never logs or returns the tracker.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from sanic import Sanic, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.accounts import AccountClient
from core.mail import Outbox
from core.service_tokens import is_authorized
from core.settings import Settings

logger = logging.getLogger(__name__)

TIMEOUT_REPLY: dict[str, list[Any]] = {
    "events": [],
    "responses": [{"response": "utter_action_timeout"}],
}
T = TypeVar("T")


async def in_daemon_thread(function: Callable[[], T]) -> T:
    """Run ``function`` in a new daemon thread and await its result.

    A thread cannot be killed, so a call that timed out keeps running; being a
    daemon, it cannot keep the server from exiting (a thread pool's would).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():  # the caller timed out meanwhile
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def target() -> None:
        try:
            result, error = function(), None
        except BaseException as exc:
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed while we ran
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=target, name="action", daemon=True).start()
    return await future


def create_app(settings: Settings, package: str = "actions") -> Sanic:
    """The Sanic app serving every action of ``package``."""
    executor = ActionExecutor()
    executor.register_package(package)
    # env_prefix=None: Sanic must not read SANIC_* variables; settings are the only source.
    app = Sanic("tandem_actions", configure_logging=False, env_prefix=None)

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.post("/webhook")
    async def webhook(request: Request) -> HTTPResponse:
        if not is_authorized(request, settings.actions_token):
            return response.json({"error": "Missing or wrong token."}, status=401)
        try:
            action_call = request.json
        except InvalidUsage:
            action_call = None
        if (
            not isinstance(action_call, dict)
            or not isinstance(action_call.get("next_action"), str)
            or not isinstance(action_call.get("tracker"), dict)
        ):
            return response.json(
                {"error": "The body must be a JSON action call with 'next_action' and 'tracker'."},
                status=400,
            )
        name = action_call["next_action"]
        try:
            result = await asyncio.wait_for(
                in_daemon_thread(lambda: asyncio.run(executor.run(action_call))),
                settings.action_timeout,
            )
        except asyncio.TimeoutError:
            logger.warning("Action %s timed out after %.1f s.", name, settings.action_timeout)
            return response.json(TIMEOUT_REPLY)
        except ActionExecutionRejection as e:
            return response.json({"error": e.message, "action_name": e.action_name}, status=400)
        except ActionNotFoundException as e:
            logger.error("Unknown action %s.", e.action_name)
            return response.json({"error": e.message, "action_name": e.action_name}, status=404)
        except Exception:
            logger.exception("Action %s failed.", name)
            return response.json(
                {"error": "The action failed; see the action server log.", "action_name": name},
                status=500,
            )
        return response.json(result)

    return app


def prepare_database(settings: Settings) -> None:
    """Create the tables of the accounts and the outbox that are missing (safe to repeat)."""
    AccountClient.from_settings(settings).create_schema()
    Outbox.from_settings(settings).create_schema()


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "package", nargs="?", default="actions", help="package whose actions to serve"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    if not settings.actions_token:
        sys.exit("ACTIONS_TOKEN is not set; the action server refuses to run without it.")
    prepare_database(settings)
    app = create_app(settings, args.package)
    logger.info("Action server on http://%s:%d", settings.bind_host, settings.actions_port)
    # No access log: Rasa sends the token in the query string.
    app.run(host=settings.bind_host, port=settings.actions_port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
