"""The real action server, as a child process on a free port with a temporary database."""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from actions.accounts import AccountClient
from actions.server import TIMEOUT_REPLY
from bot.process import QUIET_ENV, ChildProcess, free_port
from core.settings import ROOT, Settings

TOKEN = "test-actions-token"
ACTION_TIMEOUT = 1.0
# Personal data a tracker may hold; it must never come back in an answer or a log.
MARKER = "dana-secret-4821"


@dataclasses.dataclass
class ActionServer:
    url: str
    settings: Settings
    process: ChildProcess

    def call(self, action: str, token: str | None = TOKEN, **kwargs: Any) -> requests.Response:
        params = {"token": token} if token is not None else {}
        return requests.post(
            f"{self.url}/webhook", params=params, json=action_call(action), timeout=10, **kwargs
        )


def action_call(action: str) -> dict[str, Any]:
    """An action call as Rasa sends it, with personal data in the tracker."""
    return {
        "next_action": action,
        "sender_id": "conversation-1",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "conversation-1",
            "slots": {"account_identifier": MARKER},
            "latest_message": {"text": f"my email is {MARKER}@example.com"},
            "events": [],
        },
    }


def start_server(tmp_path: Path) -> ActionServer:
    settings = dataclasses.replace(
        Settings.from_env({}),
        database_url=f"sqlite:///{tmp_path / 'accounts.db'}",
        actions_port=free_port(),
        actions_token=TOKEN,
        action_timeout=ACTION_TIMEOUT,
    )
    process = ChildProcess(
        "actions",
        [sys.executable, "-m", "actions.server", "tests.fixtures.sample_actions"],
        tmp_path / "actions.log",
        settings.child_env(QUIET_ENV),
        ROOT,
    )
    process.start()
    server = ActionServer(f"http://127.0.0.1:{settings.actions_port}", settings, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.running:
        try:
            if requests.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except requests.ConnectionError:
            time.sleep(0.2)
    process.stop()
    pytest.fail(f"action server did not start:\n{process.log_tail(40)}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    running = start_server(tmp_path_factory.mktemp("actions"))
    yield running
    running.process.stop()


def test_health_answers_without_token(server: ActionServer) -> None:
    response = requests.get(f"{server.url}/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("token", [None, "", "wrong-token", TOKEN + "x"])
def test_webhook_refuses_missing_or_wrong_token(server: ActionServer, token: str | None) -> None:
    response = server.call("action_quick", token=token)
    assert response.status_code == 401
    assert MARKER not in response.text


def test_wrong_bearer_token_is_refused(server: ActionServer) -> None:
    response = server.call("action_quick", token=None, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_action_runs_with_query_token(server: ActionServer) -> None:
    response = server.call("action_quick")
    assert response.status_code == 200
    body = response.json()
    assert [r["response"] for r in body["responses"]] == ["utter_quick"]
    assert body["events"] == [
        {"event": "slot", "timestamp": None, "name": "sender_seen", "value": "conversation-1"}
    ]


def test_action_runs_with_bearer_token(server: ActionServer) -> None:
    response = server.call("action_quick", token=None, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200


def test_blocking_sync_action_times_out_politely(server: ActionServer) -> None:
    started = time.monotonic()
    response = server.call("action_slow_sync")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json() == TIMEOUT_REPLY
    assert elapsed < ACTION_TIMEOUT + 2


def test_server_keeps_serving_while_an_action_hangs(server: ActionServer) -> None:
    hung = threading.Thread(target=server.call, args=("action_slow_sync",))
    hung.start()
    time.sleep(0.2)
    started = time.monotonic()
    response = server.call("action_quick")
    assert response.status_code == 200
    assert time.monotonic() - started < ACTION_TIMEOUT
    hung.join()


def test_unknown_action_is_404_in_rasa_sdk_shape(server: ActionServer) -> None:
    response = server.call("action_does_not_exist")
    assert response.status_code == 404
    assert response.json() == {
        "error": "No registered action found for name 'action_does_not_exist'.",
        "action_name": "action_does_not_exist",
    }


def test_rejection_is_400_with_action_name(server: ActionServer) -> None:
    response = server.call("action_rejects")
    assert response.status_code == 400
    assert response.json() == {"error": "not now", "action_name": "action_rejects"}


def test_crash_is_500_without_echoing_the_tracker(server: ActionServer) -> None:
    response = server.call("action_crashes")
    assert response.status_code == 500
    assert response.json() == {
        "error": "The action failed; see the action server log.",
        "action_name": "action_crashes",
    }
    assert MARKER not in response.text
    assert MARKER not in server.process.log_path.read_text()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json " + MARKER.encode(),
        b'"just a string"',
        b'{"tracker": {"x": "' + MARKER.encode() + b'"}}',
    ],
)
def test_malformed_call_is_400_without_echo(server: ActionServer, body: bytes) -> None:
    response = requests.post(
        f"{server.url}/webhook",
        params={"token": TOKEN},
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert MARKER not in response.text


def test_token_never_appears_in_the_log(server: ActionServer) -> None:
    server.call("action_quick")
    assert TOKEN not in server.process.log_path.read_text()


def test_creates_its_tables_at_start_but_loads_no_demo_customers(server: ActionServer) -> None:
    # Demo data is the stack's job (bot/demo.py), not the action server's.
    assert AccountClient(server.settings.database_url).find("dana@example.com") is None


def test_stops_promptly_while_an_action_hangs(tmp_path: Path) -> None:
    running = start_server(tmp_path)
    hung = threading.Thread(target=running.call, args=("action_slow_sync",))
    hung.start()
    hung.join()  # answered (timed out) while the action thread still sleeps
    started = time.monotonic()
    running.process.stop(grace=10)
    assert time.monotonic() - started < 5
    assert running.process.returncode == 0
