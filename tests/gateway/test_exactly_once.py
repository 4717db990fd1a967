"""Exactly once through real sockets: an action sent again with its message id, on a new
connection after the first dropped, is applied once and answered as the first was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from bot.gateway_client import AgentClient, Client, Customer, has_text
from bot.stack import Stack
from handoff.records.archive import Archive
from handoff.stores.transcripts import TranscriptStore
from tests.conftest import AGENT_PASSWORD

NewCustomer = Callable[[], Customer]
NewAgent = Callable[..., tuple[AgentClient, str]]


def chat_with_agent(customer: NewCustomer, agent: NewAgent) -> tuple[Customer, AgentClient, str]:
    """A customer whose chat an agent has; the agent's login."""
    ann, login = agent()
    uma = customer()
    uma.start()
    uma.say("I want to talk to a person")
    ann.wait_for("assigned")
    uma.status("assigned")
    return uma, ann, login


def console_again(
    stack: Stack, clients: list[Client], dropped: AgentClient, login: str
) -> AgentClient:
    """The agent's console on a new connection: the old one dropped (a reload, a bad network)."""
    dropped.close()
    console = AgentClient(stack)
    clients.append(console)
    console.login(login, AGENT_PASSWORD)
    return console


def sent_again(
    client: Customer, event: str, data: dict[str, Any], status: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A customer's command, answered with ``status``, then the same again (its id too) on a
    new connection, as a widget that lost the first answer would: both answers."""
    client.emit(event, data)
    first = client.status(status)
    client.close()
    client.start(client.session_id, last_seq=first["metadata"]["seq"])
    client.emit(event, data)
    return first, client.status(status)


def transcript(stack: Stack, conversation_id: str) -> list[tuple[str, str]]:
    """Every line of the conversation as Redis keeps it: (kind, text)."""
    assert stack.redis is not None
    store = TranscriptStore(redis.Redis.from_url(stack.redis.url, decode_responses=True))
    return [(m.kind, m.text) for m in store.all(conversation_id)]


@pytest.mark.parametrize(("event", "kind"), [("send", "agent"), ("note", "note")])
def test_an_agents_line_or_note_sent_again_after_a_reconnect_is_kept_and_heard_once(
    stack: Stack,
    clients: list[Client],
    customer: NewCustomer,
    agent: NewAgent,
    event: str,
    kind: str,
) -> None:
    uma, ann, login = chat_with_agent(customer, agent)
    text = "Your refund is on its way."
    line = {"conversation_id": uma.session_id, "text": text, "message_id": "l1"}
    ann.emit(event, line)
    first = ann.wait_for("message", has_text(text))
    if event == "send":
        uma.bot_says(text)

    console = console_again(stack, clients, ann, login)
    console.emit(event, line)  # the console never heard the answer: it sends it again

    told = [d for name, d in uma.drain(1.0) if name == "bot_uttered"]
    assert told == []  # today's gateway sends the customer the line a second time
    assert transcript(stack, uma.session_id).count((kind, text)) == 1  # today's keeps two
    assert console.wait_for("message", has_text(text)) == first  # as first stored
    assert first["data"]["message_id"] == "l1"


def test_a_close_sent_again_closes_once_and_is_answered_as_closed(
    stack: Stack, clients: list[Client], customer: NewCustomer, agent: NewAgent
) -> None:
    uma, ann, login = chat_with_agent(customer, agent)
    close = {"conversation_id": uma.session_id, "resolution": "resolved", "message_id": "c1"}
    ann.emit("close", close)
    first = ann.wait_for("released")
    uma.status("closed")

    console = console_again(stack, clients, ann, login)
    console.emit("close", close)

    # Today's gateway answers the repeat "not_your_conversation", as if the close had failed.
    assert console.wait_for("released") == first == {**first, "message_id": "c1"}
    assert [d["status"] for name, d in uma.drain(1.0) if name == "handoff"] == []
    ended = [t for _, t in transcript(stack, uma.session_id) if t.startswith("This chat has ended")]
    assert len(ended) == 1


def test_a_rating_sent_again_after_a_reconnect_is_kept_once(
    stack: Stack, customer: NewCustomer, agent: NewAgent
) -> None:
    uma, ann, _ = chat_with_agent(customer, agent)
    ann.act("close", conversation_id=uma.session_id, resolution="resolved")
    uma.status("closed")
    rating = {"rating": 4, "session_id": uma.session_id, "message_id": "r1"}

    first, again = sent_again(uma, "csat", rating, "rated")

    assert again == first
    thanks = [t for t in transcript(stack, uma.session_id) if t[1] == "Thanks for your feedback!"]
    assert len(thanks) == 1
    archived = Archive(stack.settings.database_url).conversation(uma.session_id)
    assert archived is not None and archived[0]["csat"] == 4


def test_an_email_left_again_is_one_ticket_and_the_repeat_gets_its_reference(
    customer: NewCustomer,
) -> None:
    ivy = customer()
    ivy.start()
    ivy.say("can I talk to someone")
    ivy.status("offline")
    email = {"email": "ivy@example.com", "session_id": ivy.session_id, "message_id": "e1"}

    first, again = sent_again(ivy, "leave_email", email, "ticket")

    assert again == first  # today's gateway refuses the repeat: "email_not_offered"
