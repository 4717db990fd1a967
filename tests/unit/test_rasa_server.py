"""The Rasa wrapper: its command line and the action-timeout backstop."""

from __future__ import annotations

import dataclasses

import pytest
import rasa.core.actions.action as rasa_action

from bot.rasa_server import rasa_run_argv, set_action_request_timeout
from core.settings import Settings


def test_action_request_timeout_is_lowered(monkeypatch: pytest.MonkeyPatch) -> None:
    # monkeypatch restores Rasa's value after the test.
    monkeypatch.setattr(rasa_action, "DEFAULT_REQUEST_TIMEOUT", rasa_action.DEFAULT_REQUEST_TIMEOUT)
    assert rasa_action.DEFAULT_REQUEST_TIMEOUT == 300
    set_action_request_timeout(5.0)
    assert rasa_action.DEFAULT_REQUEST_TIMEOUT == 5.0


def test_rasa_runs_with_api_token_on_localhost() -> None:
    settings = dataclasses.replace(Settings.from_env({}), rasa_port=6005, rasa_token="secret")
    argv = rasa_run_argv(settings, ["--model", "models/tandem.tar.gz"])
    assert argv[:3] == ["rasa", "run", "--enable-api"]
    pairs = dict(zip(argv[3::2], argv[4::2], strict=True))
    assert pairs["--auth-token"] == "secret"
    assert pairs["--interface"] == "127.0.0.1"
    assert pairs["--port"] == "6005"
    assert pairs["--endpoints"] == str(settings.root / "endpoints.yml")
    assert pairs["--credentials"] == str(settings.root / "credentials.yml")
    assert pairs["--model"] == "models/tandem.tar.gz"
