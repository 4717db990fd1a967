"""The multi-process stack of the cluster and fault tests: two gateways behind HAProxy, two
Rasa servers, as `bot run --gateways 2 --rasa 2` starts it, and what tests do to it.

Clients go through the balancer, pinned to a gateway by its sticky cookie when a test says
which; services are killed with SIGKILL, as a crash would, and the stack brings them back.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator

import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.balancer import STICKY_COOKIE
from bot.gateway_client import AgentClient, Client, Customer
from bot.stack import Stack
from handoff.records.agents import AgentDirectory
from tests.conftest import AGENT_PASSWORD, METRICS_TOKEN

Figures = dict[tuple[str, tuple[tuple[str, str], ...]], float]


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
    with landing(cluster, agent):
        agent.login(login or new_login(cluster), AGENT_PASSWORD)
    return agent


def new_customer(cluster: Stack, clients: list[Client], **client: str) -> Customer:
    """A customer with a new conversation (``client``: transport, gateway)."""
    customer = Customer(cluster, **client)
    clients.append(customer)
    with landing(cluster, customer):
        customer.start()
    return customer


def hand_over(customer: Customer, agent: AgentClient) -> None:
    """The customer asks for a person and the agent (the only one available) takes the chat."""
    customer.say("I want to talk to a person")
    agent.wait_for("assigned")
    customer.status("assigned")


@contextlib.contextmanager
def landing(cluster: Stack, client: Client) -> Iterator[None]:
    """Check that a client pinned to a gateway connects there: a test of what happens when
    that gateway dies means nothing if the balancer had sent the client elsewhere."""
    if client.gateway is None:
        yield
        return
    before = sockets_on(cluster, client.gateway, client.namespace)
    yield
    wait_until(
        lambda: sockets_on(cluster, client.gateway or "", client.namespace) == before + 1,
        10,
        f"a socket on {client.gateway} (pinned), not on the other gateway",
    )


def scrape(url: str) -> Figures:
    """A gateway's own metrics (with the cluster's token), by name and labels."""
    response = requests.get(
        f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )
    response.raise_for_status()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sockets_on(cluster: Stack, gateway: str, namespace: str) -> float:
    """How many sockets of ``namespace`` the gateway named ``gateway-N`` holds."""
    url = cluster.gateway_urls[int(gateway.rsplit("-", 1)[1]) - 1]
    return scrape(url).get(("tandem_sockets", (("namespace", namespace),)), 0.0)


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
