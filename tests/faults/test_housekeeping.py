"""Housekeeping ticks every second on every gateway process: each of its effects must still
happen once — an SLA alert, a chat requeued after the grace period, a place in line pushed."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.gateway_client import Client
from bot.stack import Stack
from tests.clusters import hand_over, new_agent, new_customer, new_login
from tests.faults.lines import Tally

# Longer than the tests' SLA (3 s) and grace period (5 s), with a tick or two to spare.
SETTLE_SECONDS = 8.0


def test_each_housekeeping_effect_happens_once_with_two_gateways_ticking(
    fresh_cluster: Stack, clients: list[Client], tally: Callable[[str], Tally]
) -> None:
    cluster = fresh_cluster
    alerts, requeued = tally("SLA alert to supervisors"), tally("requeue notice to customer")
    places = tally("place in line to customer")
    boss = new_agent(cluster, clients, new_login(cluster, "Sam Boss", "supervisor"))
    boss.set_status("away")  # supervises; takes no chats
    ann = new_agent(cluster, clients, gateway="gateway-1")
    alice = new_customer(cluster, clients, gateway="gateway-2")
    hand_over(alice, ann)
    ann.close()  # her console drops: after the grace period the chat goes back to the line
    bob = new_customer(cluster, clients, gateway="gateway-1")
    bob.say("I want to talk to a person")
    bob.status("queued")
    time.sleep(SETTLE_SECONDS)
    boss.drain(settle=2.0)
    alice.drain(settle=0.5)
    bob.drain(settle=0.5)

    # Alice is requeued ahead of Bob (front of the line); both wait past the SLA.
    alerts.sent = [alice.session_id, bob.session_id]
    alerts.received = [d["conversation_id"] for e, d in boss.seen if e == "sla_breach"]
    requeued.sent = ["back at the front of the line"]
    requeued.received = [
        "back at the front of the line"
        for e, d in alice.seen
        if e == "handoff" and d.get("status") == "requeued"
    ]
    places.sent = [f"{bob.session_id} at 1", f"{bob.session_id} at 2"]
    places.received = [
        f"{bob.session_id} at {d['position']}"
        for e, d in bob.seen
        if e == "handoff" and d.get("status") == "queued"
    ]
    for each in (alerts, requeued, places):
        each.check()
