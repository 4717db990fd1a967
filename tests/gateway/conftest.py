"""Gateway tests run against the session's whole stack; each starts from an empty Redis."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.gateway_client import AgentClient, Client, Customer
from bot.stack import Stack


@pytest.fixture(autouse=True)
def fresh_redis(empty_redis: None) -> None:
    """Every gateway test starts from an empty Redis."""


@pytest.fixture
def clients() -> Iterator[list[Client]]:
    """Sockets a test opened; all closed at its end."""
    opened: list[Client] = []
    yield opened
    # Each close waits for the server's goodbye: close them side by side.
    closing = [threading.Thread(target=client.close, daemon=True) for client in opened]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join(timeout=10)  # a socket the server already dropped may never say goodbye


@pytest.fixture
def customer(stack: Stack, clients: list[Client]) -> Callable[[], Customer]:
    def make() -> Customer:
        client = Customer(stack)
        clients.append(client)
        return client

    return make


@pytest.fixture
def agent(
    stack: Stack, clients: list[Client], agent_account: Callable[..., tuple[str, str]]
) -> Callable[..., tuple[AgentClient, str]]:
    """Create an agent account (unique login) and return a logged-in console with its login."""

    def make(**account: Any) -> tuple[AgentClient, str]:
        login, password = agent_account(**account)
        client = AgentClient(stack)
        clients.append(client)
        client.login(login, password)
        return client, login

    return make
