"""When Rasa cannot be reached, customers are told and offered a person, never shown an error."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from bot.gateway_client import AgentClient, Customer
from bot.process import QUIET_ENV, ChildProcess, free_port
from bot.stack import Stack


@pytest.fixture
def lonely_gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A second gateway on the same Redis and database, pointed at a Rasa that isn't there.

    Agents stay on the first gateway: what this one decides reaches them through Redis.
    """
    assert stack.redis is not None
    port = free_port()
    settings = dataclasses.replace(
        stack.settings,
        rasa_port=free_port(),
        gateway_port=port,
        allowed_origins=(f"http://127.0.0.1:{port}",),
    )
    log = tmp_path_factory.mktemp("lonely") / "gateway.log"
    env = settings.child_env({**QUIET_ENV, **stack.redis.env()})
    process = ChildProcess("gateway", [sys.executable, "-m", "handoff"], log, env, settings.root)
    process.start()
    twin = Stack(settings, stack.model_path)  # not started: it only names the new gateway's URL
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{twin.gateway_url}/health", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    try:
        yield twin
    finally:
        process.stop()


def test_customers_are_offered_a_person_when_rasa_is_down(
    lonely_gateway: Stack,
    agent: Callable[..., tuple[AgentClient, str]],
) -> None:
    ann, _ = agent()
    sam = Customer(lonely_gateway)
    try:
        sam.start()
        sam.say("hello")
        down = sam.status("bot_unavailable")
        assert "not available" in down["text"]
        assert down["quick_replies"][0]["payload"] == "/request_human"
        sam.say("/request_human")
        assert sam.status("assigned")["agent"] == "Ann Lee"
        chat = ann.wait_for("assigned")
        assert chat["conversation"]["id"] == sam.session_id
        assert chat["conversation"]["reason"] == "bot_unavailable"
    finally:
        sam.close()
