"""The multi-process stack of the cluster and fault tests: two gateways behind HAProxy, two
Rasa servers, as `bot run --gateways 2 --rasa 2` starts it, and what tests do to it.

Clients go through the balancer, pinned to a gateway by its sticky cookie when a test says
which; services are killed with SIGKILL, as a crash would, and the stack brings them back.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable

import requests

from bot.balancer import STICKY_COOKIE
from bot.gateway_client import AgentClient, Client, Customer
from bot.stack import Stack
from handoff.records.agents import AgentDirectory
from tests.conftest import AGENT_PASSWORD


def new_login(cluster: Stack, name: str = "Ann Lee", role: str = "agent") -> str:
    """A new agent (or supervisor) account, password ``AGENT_PASSWORD``; its login."""
    login = f"agent-{uuid.uuid4().hex[:8]}"
    directory = AgentDirectory(cluster.settings.database_url)
    directory.add(login, name, AGENT_PASSWORD, role=role, skills=("account", "billing", "general"))
    directory.close()
    return login


def new_agent(
    cluster: Stack, clients: list[Client], login: str | None = None, **client: str
) -> AgentClient:
    """An agent logged in and connected: ``login``'s, or a new account's (``client``:
    transport, gateway)."""
    agent = AgentClient(cluster, **client)
    clients.append(agent)
    agent.login(login or new_login(cluster), AGENT_PASSWORD)
    return agent


def new_customer(cluster: Stack, clients: list[Client], **client: str) -> Customer:
    """A customer with a new conversation (``client``: transport, gateway)."""
    customer = Customer(cluster, **client)
    clients.append(customer)
    customer.start()
    return customer


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f} s"
        time.sleep(0.25)


def crash(cluster: Stack, name: str) -> None:
    """SIGKILL ``name`` and wait until it is gone: a large process takes a moment to die."""
    pid = cluster.pids()[name]
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not os.path.exists(f"/proc/{pid}"), 30, f"{name} gone")


def back_up(cluster: Stack, name: str) -> None:
    """Wait until the stack has restarted ``name`` and it is ready, for the tests after; a
    gateway, until the balancer sends clients pinned to it there again."""
    wait_until(lambda: cluster.ready(name), 240, f"{name} restarted and ready")
    if name.startswith("gateway"):
        wait_until(lambda: balancer_sends_to(cluster, name), 60, f"the balancer using {name}")


def balancer_sends_to(cluster: Stack, gateway: str) -> bool:
    """Whether a request pinned to ``gateway`` reaches it: the balancer health-checks a
    restarted gateway for a few seconds first, and meanwhile re-pins clients elsewhere."""
    response = requests.get(
        f"{cluster.gateway_url}/health", cookies={STICKY_COOKIE: gateway}, timeout=5
    )
    return response.ok and response.cookies.get(STICKY_COOKIE, gateway) == gateway
