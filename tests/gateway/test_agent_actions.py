"""The agent's tools on a live chat: pick from the queue, typing, notes, transfer, archive."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import redis

from bot.gateway_client import AgentClient, Customer
from bot.stack import Stack
from handoff.records.archive import Archive
from handoff.stores.conversations import ConversationStore
from handoff.stores.queue import HandoffQueue

NewCustomer = Callable[[], Customer]
NewAgent = Callable[..., tuple[AgentClient, str]]


def waiting_customer(customer: NewCustomer) -> Customer:
    client = customer()
    client.start()
    client.say("I want to talk to a person")
    client.status("queued")
    return client


def test_pick_from_the_queue_type_and_note(customer: NewCustomer, agent: NewAgent) -> None:
    ann, _ = agent()
    ann.set_status("away")
    uma = waiting_customer(customer)
    queue = ann.wait_for(
        "queue", lambda q: any(e["conversation_id"] == uma.session_id for e in q["entries"])
    )
    assert queue["entries"][0]["skill"] == "general"
    ann.act("accept", conversation_id=uma.session_id)
    ann.wait_for("assigned")
    uma.status("assigned")

    ann.act("typing", conversation_id=uma.session_id, typing=True)
    assert uma.wait_for("typing") == {"sender": "agent", "typing": True}
    uma.emit("typing", {"typing": True})
    assert ann.wait_for("typing")["conversation_id"] == uma.session_id

    ann.act("note", conversation_id=uma.session_id, text="customer sounds upset")
    note = ann.wait_for("message", lambda m: m["kind"] == "note")
    assert note["text"] == "customer sounds upset"
    ann.act("send", conversation_id=uma.session_id, text="visible line")
    uma.bot_says("visible line")
    assert all("upset" not in str(data) for _, data in uma.seen)


def test_a_second_agent_cannot_pick_a_taken_chat(customer: NewCustomer, agent: NewAgent) -> None:
    ann, _ = agent()
    ben, _ = agent(name="Ben Ode")
    for console in (ann, ben):
        console.set_status("away")
    vic = waiting_customer(customer)
    ann.act("accept", conversation_id=vic.session_id)
    ann.wait_for("assigned")
    ben.act("accept", conversation_id=vic.session_id)
    assert ben.error("not_queued")["message"] == "Someone else has taken this chat."


def test_transfer_to_a_colleague_and_to_a_skill(customer: NewCustomer, agent: NewAgent) -> None:
    ann, _ = agent(skills=("general",))
    ben, ben_login = agent(name="Ben Ode", skills=("billing", "general"))
    ben.set_status("away")
    wes = customer()
    wes.start()
    wes.say("agent please")
    first = ann.wait_for("assigned")
    assert first["conversation"]["id"] == wes.session_id

    ben.set_status("available")
    ann.act("transfer", conversation_id=wes.session_id, to_agent=ben_login)
    moved = ben.wait_for("assigned")
    assert moved["conversation"]["agent_id"] == ben_login
    wes.status("transferred")
    ann.act("send", conversation_id=wes.session_id, text="still mine?")
    assert ann.error("not_your_conversation")

    ben.act("transfer", conversation_id=wes.session_id, to_skill="billing")
    back = ben.wait_for("assigned", lambda c: c["conversation"]["skill"] == "billing")
    assert back["conversation"]["id"] == wes.session_id


def test_a_closed_chat_is_archived_with_its_rating(
    stack: Stack, customer: NewCustomer, agent: NewAgent
) -> None:
    ann, _ = agent()
    xia = customer()
    xia.start()
    xia.say("can I talk to a human")
    ann.wait_for("assigned")
    ann.act("send", conversation_id=xia.session_id, text="my card is 4111 1111 1111 1111?")
    ann.act("close", conversation_id=xia.session_id, resolution="resolved")
    xia.status("closed")
    xia.emit("csat", {"rating": 4})
    xia.status("rated")
    archived = Archive(stack.settings.database_url).conversation(xia.session_id)
    assert archived is not None
    record, messages = archived
    assert record["csat"] == 4 and record["resolution"] == "resolved"
    texts = " ".join(m["text"] for m in messages)
    assert "can I talk to a human" in texts
    assert "4111 1111 1111 1111" not in texts and "[card ending 1111]" in texts


def test_a_chat_queued_without_a_wake_up_is_still_routed(stack: Stack, agent: NewAgent) -> None:
    """Routing runs on events (handoff, close, status); the housekeeping tick catches the rest."""
    ann, login = agent()
    assert stack.redis is not None
    store = redis.Redis.from_url(stack.redis.url, decode_responses=True)
    conversations = ConversationStore(store)
    conversation_id = uuid.uuid4().hex
    conversations.open(conversation_id)
    # Straight into the queue, as a lost wake-up would leave it: no gateway event follows.
    HandoffQueue(store, conversations).enqueue(conversation_id, "normal", "general")
    chat = ann.wait_for("assigned", timeout=10)
    assert (chat["conversation"]["id"], chat["conversation"]["agent_id"]) == (
        conversation_id,
        login,
    )
