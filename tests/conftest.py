"""Fixtures shared by the test folders: the whole stack on the trained model."""

from __future__ import annotations

import dataclasses
import itertools
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import requests
from cryptography.fernet import Fernet

from actions.accounts import AccountClient
from bot.demo import reset_customers
from bot.gateway_client import AgentClient, Client, Customer
from bot.postgres import EmbeddedPostgres
from bot.stack import Stack, private_settings
from bot.training import model_path
from core.settings import ROOT, Settings
from handoff.records.agents import AgentDirectory

RASA_TOKEN = "test-rasa-token"
CUSTOMER_TOKEN_SECRET = "test-customer-token-secret-of-32-bytes!"
AGENT_PASSWORD = "correct horse battery"
METRICS_TOKEN = "test-metrics-token"  # the cluster's: its gateways' /metrics need it


@pytest.fixture(scope="session")
def stack_database(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[Settings], Settings]]:
    """Each new stack's settings on its database: SQLite in its folder, or a fresh PostgreSQL one.

    With TANDEM_TEST_DATABASE=postgresql one embedded server runs for the session
    and every stack gets a database of its own on it, so no test sees another's rows.
    """
    engine = os.environ.get("TANDEM_TEST_DATABASE", "sqlite")
    if engine == "sqlite":
        yield lambda settings: settings
        return
    if engine != "postgresql":
        pytest.fail(f"TANDEM_TEST_DATABASE is {engine!r}; use sqlite or postgresql")
    numbers = itertools.count(1)
    server = EmbeddedPostgres(tmp_path_factory.mktemp("postgres") / "postgres.log")
    with server:
        yield lambda settings: dataclasses.replace(
            settings,
            database_url=server.create_database(f"stack_{next(numbers)}").url,
            # Mail kept in a database other than SQLite is encrypted with a configured key.
            outbox_key=Fernet.generate_key().decode(),
        )


@pytest.fixture(scope="session")
def new_stack(
    tmp_path_factory: pytest.TempPathFactory, stack_database: Callable[[Settings], Settings]
) -> Callable[..., Stack]:
    """Make a Stack (not started) on free ports, fresh tokens and its own temporary database."""
    model = model_path(ROOT)
    if not model.exists():
        pytest.fail(f"{model} is missing: run `make train` first.")

    def make(*, more_origins: tuple[str, ...] = (), **options: Any) -> Stack:
        """``options``: Stack's own, such as ``gateways=2, rasa_servers=2``;
        ``more_origins``: host sites allowed besides the gateway's own pages."""
        var = tmp_path_factory.mktemp("stack")
        settings = stack_database(private_settings(Settings.from_env({}), var))
        settings = dataclasses.replace(
            settings,
            allowed_origins=settings.allowed_origins + more_origins,
            rasa_token=RASA_TOKEN,
            customer_token_secret=CUSTOMER_TOKEN_SECRET,
            # short, so tests of the SLA and the grace period wait seconds, not minutes
            queue_sla_seconds=3.0,
            agent_grace_seconds=5.0,
            # every test's sockets come from 127.0.0.1 (50 racing agents, among others)
            max_connections_per_client=1000,
        )
        return Stack(settings, model, var_dir=var, **options)

    return make


@pytest.fixture(scope="session")
def stack(new_stack: Callable[[], Stack]) -> Iterator[Stack]:
    """Redis, the action server and Rasa, started once for the whole session."""
    with new_stack() as running:
        yield running


@pytest.fixture(scope="session")
def cluster(new_stack: Callable[..., Stack]) -> Iterator[Stack]:
    """Two gateways behind HAProxy and two Rasa servers, started once for the session and
    shared by the cluster and fault tests (each fault test leaves it whole again)."""
    stack = new_stack(gateways=2, rasa_servers=2)
    stack.settings = dataclasses.replace(stack.settings, metrics_token=METRICS_TOKEN)
    with stack:
        yield stack


@pytest.fixture
def fresh_cluster(cluster: Stack) -> Stack:
    """The cluster with no queue, presence or conversation left over from another test."""
    assert cluster.redis is not None
    redis.Redis.from_url(cluster.redis.url).flushdb()
    return cluster


@pytest.fixture
def empty_redis(stack: Stack) -> None:
    """No queue, presence or conversation left over from another test."""
    assert stack.redis is not None
    redis.Redis.from_url(stack.redis.url).flushdb()


@pytest.fixture
def agent_account(stack: Stack) -> Iterator[Callable[..., tuple[str, str]]]:
    """Create agent accounts with unique logins; each call returns (login, password)."""
    directory = AgentDirectory(stack.settings.database_url)

    def make(
        role: str = "agent",
        skills: tuple[str, ...] = ("account", "billing", "general"),
        capacity: int = 3,
        name: str = "Ann Lee",
    ) -> tuple[str, str]:
        login = f"agent-{uuid.uuid4().hex[:8]}"
        directory.add(login, name, AGENT_PASSWORD, role=role, skills=skills, capacity=capacity)
        return login, AGENT_PASSWORD

    yield make
    directory.close()


@pytest.fixture
def accounts(stack: Stack) -> Iterator[AccountClient]:
    """The database the action server uses, reseeded with the demo customers."""
    reset_customers(stack.settings.database_url)
    client = AccountClient(stack.settings.database_url)
    yield client
    client.close()


@pytest.fixture
def clients() -> Iterator[list[Client]]:
    """Sockets a test opened; all closed at its end, which fails if any of them received an
    event the protocol schema refuses and the test did not wait long enough to hear of it."""
    opened: list[Client] = []
    yield opened
    # Each close waits for the server's goodbye: close them side by side.
    closing = [threading.Thread(target=client.close, daemon=True) for client in opened]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join(timeout=10)  # a socket the server already dropped may never say goodbye
    for client in opened:
        client.check_protocol()


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


def user_turns(stack: Stack, conversation_id: str) -> list[str]:
    """What Rasa's tracker holds as the customer's messages."""
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": RASA_TOKEN},
        timeout=10,
    ).json()
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


def verify_as_dana(chat: Customer) -> None:
    """Ask for the balance and pass the in-chat identity check as the demo customer Dana."""
    chat.say("what's my balance")
    chat.bot_says("confirm who you are")
    chat.say("dana@example.com")
    chat.bot_says("last 4 digits")
    chat.say("4821")
    chat.bot_says("you're verified")
