"""A gateway process killed with SIGKILL while a customer chats with an agent on the other one.

The stack restarts the gateway; the balancer sends a reconnecting client to whichever gateway
is up. Every line either side sent is counted on the other side: none lost, none twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from bot.gateway_client import AgentClient, Client, Customer, has_text
from bot.stack import Stack
from tests.clusters import back_up, crash, hand_over, new_agent, new_customer, new_login
from tests.conftest import AGENT_PASSWORD
from tests.faults.lines import Tally, agent_lines, agent_says, customer_lines, customer_says

TallyFor = Callable[[str], Tally]


def test_the_customers_gateway_dies_and_they_get_exactly_what_they_missed(
    fresh_cluster: Stack, clients: list[Client], tally: TallyFor
) -> None:
    cluster = fresh_cluster
    to_agent = tally("customer to agent")
    to_customer = tally("agent to customer")
    ann = new_agent(cluster, clients, gateway="gateway-2")
    alice = new_customer(cluster, clients, gateway="gateway-1")
    hand_over(alice, ann)
    for n in range(3):
        to_agent.sent.append(customer_says(alice, f"before the crash {n}"))
        ann.wait_for("message", has_text(f"before the crash {n}"))
        to_customer.sent.append(agent_says(ann, alice.session_id, f"answer {n}"))
        seen = alice.bot_says(f"answer {n}")["metadata"]["seq"]

    # A line the widget sent as its gateway died: not acknowledged, so sent again below.
    unacknowledged = uuid.uuid4().hex
    to_agent.sent.append(customer_says(alice, "sent as it died", unacknowledged))
    crash(cluster, "gateway-1")
    for n in range(3):
        to_customer.sent.append(agent_says(ann, alice.session_id, f"while you were away {n}"))

    again = Customer(cluster, gateway="gateway-1")  # the cookie still names the dead gateway
    clients.append(again)
    history = again.start(alice.session_id, last_seq=seen, resume_secret=alice.resume_secret)
    seqs = [m["metadata"]["seq"] for m in history["messages"]]
    assert seqs == list(range(seen + 1, seen + 1 + len(seqs)))  # nothing skipped or repeated
    again.say("sent as it died", message_id=unacknowledged)
    to_agent.sent.append(customer_says(again, "after the crash"))
    ann.wait_for("message", has_text("after the crash"))
    ann.drain(settle=1.0)
    again.drain(settle=1.0)

    to_agent.received = customer_lines(ann, alice.session_id)
    to_customer.received = agent_lines(alice) + agent_lines(again)
    to_agent.check()
    to_customer.check()
    back_up(cluster, "gateway-1")


def test_the_agents_gateway_dies_and_their_console_comes_back_to_its_chats(
    fresh_cluster: Stack, clients: list[Client], tally: TallyFor
) -> None:
    cluster = fresh_cluster
    to_agent = tally("customer to agent")
    login = new_login(cluster)
    ann = new_agent(cluster, clients, login, gateway="gateway-1")
    bob = new_customer(cluster, clients, gateway="gateway-2")
    hand_over(bob, ann)
    to_agent.sent.append(customer_says(bob, "before the crash"))
    ann.wait_for("message", has_text("before the crash"))

    crash(cluster, "gateway-1")
    for n in range(3):
        to_agent.sent.append(customer_says(bob, f"while your console was away {n}"))
    # The console reconnects (to the gateway that is up) within the grace period.
    again = AgentClient(cluster, gateway="gateway-1")  # the cookie names the dead gateway
    clients.append(again)
    again.login(login, AGENT_PASSWORD)
    [state] = [data for event, data in again.seen if event == "state"]
    assert [chat["conversation"]["id"] for chat in state["chats"]] == [bob.session_id]
    to_agent.sent.append(customer_says(bob, "after the crash"))
    again.wait_for("message", has_text("after the crash"))
    again.drain(settle=1.0)

    # The console shows what it got since it reconnected: its state (the whole chat), then live.
    to_agent.received = customer_lines(again, bob.session_id)
    to_agent.check()
    back_up(cluster, "gateway-1")


def test_an_agent_whose_gateway_died_and_who_never_came_back_loses_their_chats_after_the_grace(
    fresh_cluster: Stack, clients: list[Client], tally: TallyFor
) -> None:
    """No `disconnect` ever runs for the sockets of a killed process: without another
    gateway noticing, the agent would hold the chat (and take new ones) for ever."""
    cluster = fresh_cluster
    to_agent = tally("customer to the next agent")
    ann = new_agent(cluster, clients, gateway="gateway-1")
    carol = new_customer(cluster, clients, gateway="gateway-2")
    hand_over(carol, ann)
    to_agent.sent.append(customer_says(carol, "before the crash"))
    ann.wait_for("message", has_text("before the crash"))
    cat = new_agent(cluster, clients, gateway="gateway-2")

    crash(cluster, "gateway-1")
    to_agent.sent.append(customer_says(carol, "after the crash"))
    chat = cat.wait_for(
        "assigned", lambda c: c["conversation"]["id"] == carol.session_id, timeout=60
    )
    to_agent.received = [line["text"] for line in chat["transcript"] if line["kind"] == "customer"]
    to_agent.check()
    back_up(cluster, "gateway-1")
