"""A Rasa server killed while it works on a customer's turn: the customer is answered — by the
bot or with the offer of a person — never left in silence, and the turn is not sent again
(its actions may have run); later turns go to the other server."""

from __future__ import annotations

import zlib
from collections.abc import Callable

from bot.gateway_client import Client
from bot.stack import Stack
from tests.clusters import back_up, crash, new_agent, new_customer
from tests.faults.lines import Tally


def rasa_server_of(cluster: Stack, conversation_id: str) -> str:
    """The stack's name of the Rasa server the gateway sends this conversation to first."""
    number = zlib.crc32(conversation_id.encode()) % len(cluster.rasa_urls) + 1
    return f"rasa-{number}"


def test_a_rasa_server_killed_mid_turn_leaves_no_customer_in_silence(
    fresh_cluster: Stack, clients: list[Client], tally: Callable[[str], Tally]
) -> None:
    cluster = fresh_cluster
    answers = tally("customer turns answered")
    new_agent(cluster, clients)  # someone to offer
    dana = new_customer(cluster, clients)
    dana.say("hello")
    dana.bot_says("I can reset your password")
    server = rasa_server_of(cluster, dana.session_id)

    dana.say("I want to pay my bill")
    crash(cluster, server)
    answers.sent.append("the turn in flight")
    kind, data = dana.next_event(("bot_uttered", "handoff"), timeout=30)
    if kind == "handoff":
        assert data["status"] == "bot_unavailable", data
        answers.note = "the turn in flight: offered a person"
    else:
        answers.note = "the turn in flight: answered before the server died"
    answers.received.append("the turn in flight")
    # The next turn goes to the other server, which reads the conversation from Redis.
    dana.say("hello")
    dana.bot_says("I can reset your password", timeout=60)
    answers.sent.append("the next turn")
    answers.received.append("the next turn")
    answers.check()
    back_up(cluster, server)
