"""The whole stack with the trained model: Rasa's REST channel as customers reach it.

Needs ``models/tandem.tar.gz`` (``make train``). Conversation flows are tested in
tests/e2e/; this module checks the wiring: tokens, input checks, card masking
before storage, and a clean stop.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from rasa.shared.core.domain import Domain

from actions.accounts import AccountClient
from bot.stack import Stack, StackError
from bot.training import model_path
from core.settings import ROOT, Settings

TOKEN = "test-rasa-token"
CARD = "4111 1111 1111 1111"


@pytest.fixture(scope="module")
def stack(new_stack: Callable[[], Stack]) -> Iterator[Stack]:
    """A stack of this module's own: its last test stops it."""
    with new_stack() as running:
        yield running


def say(stack: Stack, message: Any, sender: Any = "customer-1", **kwargs: Any) -> requests.Response:
    kwargs.setdefault("params", {"token": TOKEN})
    return requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        timeout=30,
        **kwargs,
    )


def test_demo_customers_are_loaded_before_the_action_server_starts(stack: Stack) -> None:
    account = AccountClient(stack.settings.database_url).find("dana@example.com")
    assert account is not None and account.id == "ACC-1001"


def test_rasa_api_needs_the_token(stack: Stack) -> None:
    assert requests.get(f"{stack.rasa_url}/status", timeout=5).status_code == 401
    ok = requests.get(f"{stack.rasa_url}/status", params={"token": TOKEN}, timeout=5)
    assert ok.status_code == 200


@pytest.mark.parametrize("params", [{}, {"token": "wrong"}])
def test_rest_channel_refuses_missing_or_wrong_token(stack: Stack, params: dict[str, str]) -> None:
    response = say(stack, "hello", params=params)
    assert response.status_code == 401
    assert "token" in response.json()["error"]


def test_rest_channel_accepts_bearer_token(stack: Stack) -> None:
    response = say(stack, "hello", params={}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.json(), "the bot should answer a greeting"


@pytest.mark.parametrize(
    ("message", "sender"), [("", "c1"), (None, "c1"), ("hi", ""), ("x" * 10_001, "c1")]
)
def test_rest_channel_refuses_bad_input(stack: Stack, message: Any, sender: Any) -> None:
    response = say(stack, message, sender=sender)
    assert response.status_code == 400
    assert response.json()["error"]


def test_card_numbers_are_masked_before_storage(stack: Stack) -> None:
    response = say(stack, f"my card is {CARD}", sender="card-customer")
    assert response.status_code == 200
    notice = Domain.load(ROOT / "domain.yml").responses["utter_card_number_masked"][0]["text"]
    assert response.json()[0]["text"] == notice

    tracker = requests.get(
        f"{stack.rasa_url}/conversations/card-customer/tracker",
        params={"token": TOKEN},
        timeout=10,
    ).json()
    assert tracker["latest_message"]["text"] == "my card is [card ending 1111]"

    assert stack.redis is not None
    store = redis.Redis(host=stack.redis.host, port=stack.redis.port, password=stack.redis.password)
    keys = list(store.scan_iter())
    assert any(b"card-customer" in key for key in keys)
    for key in keys:
        if store.type(key) == b"string":
            value = store.get(key) or b""
            assert CARD.encode() not in value
            assert CARD.replace(" ", "").encode() not in value


def test_stop_leaves_nothing_running(stack: Stack) -> None:
    stack.check()
    assert list(stack.log_files()) == ["redis", "actions", "rasa", "gateway"]
    pids = stack.pids()
    assert list(pids) == ["redis", "actions", "rasa", "gateway"]
    stack.stop()
    for pid in pids.values():
        assert not Path(f"/proc/{pid}").exists()
    settings = stack.settings
    for port in (settings.rasa_port, settings.actions_port, settings.gateway_port):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_refuses_to_start_beside_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        settings = dataclasses.replace(
            Settings.from_env({}),
            actions_port=busy.getsockname()[1],
            rasa_token=TOKEN,
            actions_token="test-actions-token",
            secret_key="test-secret-key",
        )
        stack = Stack(settings, model_path(ROOT), var_dir=tmp_path)
        with pytest.raises(StackError, match="ACTIONS_PORT"):
            stack.start()
    assert stack.pids() == {}
