"""Tandem's Rasa server: ``rasa run`` in-process, wired the Tandem way.

Usage: ``python -m bot.rasa_server --model models/tandem.tar.gz [more rasa run options]``.

Rasa waits up to ``rasa.core.constants.DEFAULT_REQUEST_TIMEOUT`` (300 s) for a
custom action; a hung action server would hold the conversation's lock for five
minutes. The action server answers ``utter_action_timeout`` after
``ACTION_TIMEOUT`` seconds on its own; this module lowers Rasa's wait to one
second more, as a backstop for when the action server itself is stuck or gone.

The API token comes from the settings and is injected here, never passed on a
command line where other local users could read it in the process list.
"""

from __future__ import annotations

import os
import sys

from core.settings import Settings


def set_action_request_timeout(seconds: float) -> None:
    """Make Rasa give up on the action server after ``seconds``."""
    import rasa.core.actions.action as rasa_action

    rasa_action.DEFAULT_REQUEST_TIMEOUT = seconds  # read by RemoteAction.run at each call


def rasa_run_argv(settings: Settings, extra: list[str]) -> list[str]:
    """The ``rasa run`` command line: API on with token, BIND_HOST's interface, our config files."""
    return [
        "rasa",
        "run",
        "--enable-api",
        "--auth-token",
        settings.rasa_token,
        "--interface",
        settings.bind_host,
        "--port",
        str(settings.rasa_port),
        "--endpoints",
        str(settings.root / "endpoints.yml"),
        "--credentials",
        str(settings.root / "credentials.yml"),
        *extra,
    ]


def main(argv: list[str] | None = None) -> None:
    """Run Rasa until it is stopped (SIGTERM or Ctrl-C)."""
    settings = Settings.from_env()
    if not settings.rasa_token:
        sys.exit("RASA_TOKEN is not set; the Rasa API and REST channel refuse to run without it.")
    set_action_request_timeout(settings.action_timeout + 1)
    # Rasa fills endpoints.yml's ${VARS} from its own environment.
    os.environ.update(settings.rasa_endpoint_env())

    from rasa.__main__ import main as rasa_main

    sys.argv = rasa_run_argv(settings, sys.argv[1:] if argv is None else argv)
    rasa_main()


if __name__ == "__main__":
    main()
