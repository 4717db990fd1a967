"""Settings: defaults, parsing, and the round trip to child processes."""

from __future__ import annotations

import dataclasses

import pytest

from core.settings import ROOT, Settings


def test_defaults_from_an_empty_environment() -> None:
    settings = Settings.from_env({})
    assert settings.root == ROOT
    assert settings.database_url == f"sqlite:///{ROOT / 'var' / 'tandem.db'}"
    assert settings.redis_url is None
    assert (settings.rasa_port, settings.actions_port) == (5005, 5055)
    assert settings.rasa_token == settings.actions_token == ""
    assert settings.action_timeout == 4.0
    assert settings.smtp_host is None
    assert settings.reset_link_base.startswith("https://")


def test_values_are_read_and_typed() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://db/tandem",
            "REDIS_URL": "redis://cache:6380/1",
            "RASA_PORT": "6005",
            "ACTIONS_PORT": "6055",
            "RASA_TOKEN": "r",
            "ACTIONS_TOKEN": "a",
            "ACTION_TIMEOUT": "2.5",
            "SMTP_HOST": "mail",
            "SMTP_PORT": "2525",
        }
    )
    assert settings.database_url == "postgresql://db/tandem"
    assert settings.redis_url == "redis://cache:6380/1"
    assert (settings.rasa_port, settings.actions_port) == (6005, 6055)
    assert (settings.rasa_token, settings.actions_token) == ("r", "a")
    assert settings.action_timeout == 2.5
    assert (settings.smtp_host, settings.smtp_port) == ("mail", 2525)


def test_empty_optional_values_mean_unset() -> None:
    settings = Settings.from_env({"REDIS_URL": "", "SMTP_HOST": "", "DATABASE_URL": ""})
    assert settings.redis_url is None
    assert settings.smtp_host is None
    assert settings.database_url.startswith("sqlite:///")


def test_bad_numbers_fail_loudly() -> None:
    with pytest.raises(ValueError):
        Settings.from_env({"RASA_PORT": "five"})


def test_child_env_round_trips() -> None:
    settings = dataclasses.replace(
        Settings.from_env({}), rasa_port=7005, actions_token="t", action_timeout=1.5
    )
    env = settings.child_env({"EXTRA": "1"})
    assert env["EXTRA"] == "1"
    assert Settings.from_env(env) == settings


def test_child_env_overrides_the_parent_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere:6379/0")
    settings = Settings.from_env({})
    assert Settings.from_env(settings.child_env()).redis_url is None
