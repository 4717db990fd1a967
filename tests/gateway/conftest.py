"""Gateway tests run against the session's whole stack; each starts from an empty Redis."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from bot.stack import Stack
from handoff.agents import AgentDirectory
from tests.gateway.clients import AgentClient, Client, Customer

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def empty_redis(stack: Stack) -> None:
    """No queue, presence or conversation left over from another test."""
    assert stack.redis is not None
    redis.Redis.from_url(stack.redis.url).flushdb()


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
def agent(stack: Stack, clients: list[Client]) -> Callable[..., tuple[AgentClient, str]]:
    """Create an agent account (unique login) and return a logged-in console with its login."""
    directory = AgentDirectory(stack.settings.database_url)

    def make(
        role: str = "agent",
        skills: tuple[str, ...] = ("account", "billing", "general"),
        capacity: int = 3,
        name: str = "Ann Lee",
    ) -> tuple[AgentClient, str]:
        login = f"agent-{uuid.uuid4().hex[:8]}"
        directory.add(login, name, PASSWORD, role=role, skills=skills, capacity=capacity)
        client = AgentClient(stack)
        clients.append(client)
        client.login(login, PASSWORD)
        return client, login

    return make
