"""The gateway's service on real Redis and SQLite, with a scripted Rasa and a recorded emit.

Every decision of ``Gateway`` (who owns a chat, what is stored, who is told) is
checked here through what its ``Relay`` emitted, to which room and namespace, and
what the stores and the archive hold afterwards. No sockets, no Rasa, no threads.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest

import handoff.service.customers as customers_module
from handoff.records.agents import Agent
from handoff.records.archive import Archive
from handoff.service.customers import GREETING, MESSAGES_PER_MINUTE, REQUEST_HUMAN
from handoff.service.errors import GatewayError
from handoff.service.gateway import Gateway
from handoff.service.handoffs import LEAVE_QUEUE, QUEUE_SHOWN
from handoff.service.relay import (
    AGENTS,
    ALL_AGENTS,
    CUSTOMERS,
    SUPERVISORS,
    agent_room,
    conversation_room,
    plain_room,
    queue_words,
)
from handoff.stores.conversations import Conversation
from tests.handoff.conftest import GRACE, SLA, MakeGateway
from tests.handoff.service_doubles import FALLBACK_TEXT, EmitRecorder, ScriptedRasa

ANN = Agent(id="ann", name="Ann Lee", role="agent", skills=("billing", "general"), capacity=3)
BOB = Agent(id="bob", name="Bob Stone", role="agent", skills=("general",), capacity=3)
PACKET: dict[str, Any] = {
    "reason": "explicit_request",
    "skill": "billing",
    "priority": "high",
    "slots": {"customer_id": "ACC-1001"},
    "active_form": "address_form",
    "requested_slot": "street",
}
ASK_FOR_PERSON = "I want to talk to a person"
ONE_MOMENT = "Let me find someone for you."


def come_online(gateway: Gateway, agent: Agent) -> dict[str, Any]:
    """The agent's console connects; returns the state it is sent."""
    states: list[dict[str, Any]] = []
    gateway.agents.online(agent, states.append)
    [state] = states
    return state


def open_chat(gateway: Gateway, conversation_id: str = "conv-0001") -> str:
    """An anonymous customer's new conversation, with the bot, under a readable id.

    (Customers get gateway-issued ids from ``open_session``; its own tests show that.)
    """
    conversation = gateway.stores.conversations.open(conversation_id)
    assert conversation.mode == "bot"
    return conversation.id


def ask_for_person(
    gateway: Gateway, rasa: ScriptedRasa, conversation_id: str, packet: dict[str, Any] = PACKET
) -> None:
    """The customer asks for a person; the bot says so and sends its handoff packet."""
    rasa.script(ASK_FOR_PERSON, {"text": ONE_MOMENT}, {"custom": {"handoff": packet}})
    gateway.customers.says(conversation_id, ASK_FOR_PERSON)


def assigned_chat(
    gateway: Gateway, rasa: ScriptedRasa, agent: Agent = ANN, conversation_id: str = "conv-0001"
) -> str:
    """A chat the bot handed off and the router gave to ``agent`` (who comes online)."""
    come_online(gateway, agent)
    open_chat(gateway, conversation_id)
    ask_for_person(gateway, rasa, conversation_id)
    conversation = gateway.stores.conversations.get(conversation_id)
    assert (conversation.mode, conversation.agent_id) == ("assigned", agent.id)
    return conversation_id


def queued_chat(gateway: Gateway, rasa: ScriptedRasa, conversation_id: str) -> str:
    """A chat handed off while the only agent (Ann) is connected but away: it waits."""
    if gateway.stores.presence.get(ANN.id) is None:
        come_online(gateway, ANN)
        gateway.agents.set_status(ANN, "away")
    open_chat(gateway, conversation_id)
    ask_for_person(gateway, rasa, conversation_id)
    assert gateway.stores.conversations.get(conversation_id).mode == "queued"
    return conversation_id


def to_customer(emitted: EmitRecorder, conversation_id: str, event: str) -> list[Any]:
    """Payloads of ``event`` sent to the customer's room, checking the namespace."""
    room = conversation_room(conversation_id)
    assert all(e.namespace == CUSTOMERS for e in emitted.to_room(room))
    return emitted.events(event, to=room)


def to_agent(emitted: EmitRecorder, agent_id: str, event: str) -> list[Any]:
    """Payloads of ``event`` sent to the agent's consoles, checking the namespace."""
    room = agent_room(agent_id)
    assert all(e.namespace == AGENTS for e in emitted.to_room(room))
    return emitted.events(event, to=room)


def statuses(emitted: EmitRecorder, conversation_id: str) -> list[str | None]:
    """The `status` of every `handoff` event the customer got, in order."""
    return [h.get("status") for h in to_customer(emitted, conversation_id, "handoff")]


def away_from_minute_boundary() -> None:
    """Wait for the next minute when this one is nearly over (rate counters are per minute)."""
    if time.time() % 60 > 58:
        time.sleep(60 - time.time() % 60 + 0.05)


# --- The customer and the bot -------------------------------------------------------------


def test_bot_reply_reaches_customer_with_buttons_as_quick_replies(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = open_chat(gateway)
    rasa.script(
        "hi",
        {
            "text": "Hello! What can I do for you?",
            "buttons": [
                {"title": "Billing", "payload": "/billing"},
                {"title": "Talk to a person", "payload": REQUEST_HUMAN},
            ],
        },
    )

    gateway.customers.says(conversation_id, "hi")

    assert rasa.sent == [(conversation_id, "hi")]
    mine = to_customer(emitted, conversation_id, "user_message")
    assert [(m["metadata"]["seq"], m["metadata"]["sender"], m["text"]) for m in mine] == [
        (1, "customer", "hi")
    ]
    [reply] = to_customer(emitted, conversation_id, "bot_uttered")
    assert (reply["metadata"]["seq"], reply["metadata"]["sender"], reply["text"]) == (
        2,
        "bot",
        "Hello! What can I do for you?",
    )
    assert reply["quick_replies"] == [
        {"content_type": "text", "title": "Billing", "payload": "/billing"},
        {"content_type": "text", "title": "Talk to a person", "payload": REQUEST_HUMAN},
    ]
    lines = gateway.stores.transcripts.all(conversation_id)
    assert [(m.kind, m.text) for m in lines] == [
        ("customer", "hi"),
        ("bot", "Hello! What can I do for you?"),
    ]
    assert lines[1].data["quick_replies"] == [
        {"title": "Billing", "payload": "/billing"},
        {"title": "Talk to a person", "payload": REQUEST_HUMAN},
    ]


def test_a_plain_bot_reply_has_no_quick_replies(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = open_chat(gateway)

    gateway.customers.says(conversation_id, "something odd")

    [reply] = to_customer(emitted, conversation_id, "bot_uttered")
    assert reply["text"] == FALLBACK_TEXT
    assert "quick_replies" not in reply


def test_handoff_packet_queues_the_chat_and_tells_the_customer_their_place(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    come_online(gateway, ANN)
    gateway.agents.set_status(ANN, "away")  # connected, so someone could come; not routable
    conversation_id = open_chat(gateway)

    ask_for_person(gateway, rasa, conversation_id)

    conversation = gateway.stores.conversations.get(conversation_id)
    assert (conversation.mode, conversation.skill, conversation.priority, conversation.reason) == (
        "queued",
        "billing",
        "high",
        "explicit_request",
    )
    assert conversation.packet == PACKET
    assert [e.conversation_id for e in gateway.stores.queue.entries()] == [conversation_id]
    # The bot's text is said; the packet itself is never shown to the customer.
    assert [b["text"] for b in to_customer(emitted, conversation_id, "bot_uttered")] == [ONE_MOMENT]
    [waiting, place] = to_customer(emitted, conversation_id, "handoff")
    assert (waiting["status"], waiting["quick_replies"][0]["payload"]) == ("waiting", LEAVE_QUEUE)
    assert place == {"status": "queued", "position": 1, "wait_seconds": None}


def test_a_guest_verified_by_the_bot_is_named_after_their_account_and_a_customer_is_not_renamed(
    gateway: Gateway, rasa: ScriptedRasa
) -> None:
    come_online(gateway, ANN)
    account = {"name": "Dana Whitfield", "email": "dana@example.com"}
    verified = {
        **PACKET,
        "slots": {"customer_id": "ACC-1001", "verified": True},
        "account": account,
    }
    ask_for_person(gateway, rasa, open_chat(gateway, "guest"), verified)
    gateway.stores.conversations.open("signed-in", {"name": "Dana W.", "customer_id": "ACC-1001"})
    ask_for_person(gateway, rasa, "signed-in", verified)

    guest = gateway.stores.conversations.get("guest")
    assert guest.customer == {"name": "Dana Whitfield"}
    assert guest.verified_customer_id == "ACC-1001"
    assert gateway.stores.conversations.get("signed-in").customer["name"] == "Dana W."


def test_handoff_with_no_agent_online_offers_email(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = open_chat(gateway)

    ask_for_person(gateway, rasa, conversation_id)

    [offline] = to_customer(emitted, conversation_id, "handoff")
    assert offline["status"] == "offline"
    assert "Leave your email address" in offline["text"]
    assert gateway.stores.conversations.get(conversation_id).mode == "bot"
    assert gateway.stores.queue.entries() == []


def test_handoff_outside_business_hours_offers_email_even_with_agents_online(
    make_gateway: MakeGateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    gateway = make_gateway(is_open=lambda now: False)
    come_online(gateway, ANN)
    conversation_id = open_chat(gateway)

    ask_for_person(gateway, rasa, conversation_id)

    assert statuses(emitted, conversation_id) == ["offline"]
    assert gateway.stores.conversations.get(conversation_id).mode == "bot"


def test_handoff_needing_a_skill_nobody_online_has_offers_email(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    come_online(gateway, BOB)  # general only; the packet needs billing
    conversation_id = open_chat(gateway)

    ask_for_person(gateway, rasa, conversation_id)

    assert statuses(emitted, conversation_id) == ["offline"]
    assert gateway.stores.queue.entries() == []


def test_rasa_down_offers_the_customer_a_person(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = open_chat(gateway)
    rasa.down = True

    gateway.customers.says(conversation_id, "hello?")

    assert to_customer(emitted, conversation_id, "bot_uttered") == []
    [notice] = to_customer(emitted, conversation_id, "handoff")
    assert (notice["status"], notice["metadata"]["sender"], notice["metadata"]["seq"]) == (
        "bot_unavailable",
        "system",
        2,
    )
    assert notice["quick_replies"] == [
        {"content_type": "text", "title": "Talk to a person", "payload": REQUEST_HUMAN}
    ]
    assert "not available" in notice["text"]
    last = gateway.stores.transcripts.all(conversation_id)[-1]
    assert (last.kind, last.data["status"]) == ("system", "bot_unavailable")
    assert gateway.stores.conversations.get(conversation_id).mode == "bot"


def test_a_turn_rasa_answers_with_nothing_offers_the_customer_a_person(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    """Rasa's REST channel answers a turn whose custom action failed with no message at all."""
    conversation_id = open_chat(gateway)
    rasa.script("yes")  # the action server died during the turn

    gateway.customers.says(conversation_id, "yes")

    [notice] = to_customer(emitted, conversation_id, "handoff")
    assert notice["status"] == "bot_unavailable"
    assert rasa.sent == [(conversation_id, "yes")]  # not sent again: its actions may have run


def test_request_human_while_rasa_is_down_hands_off_with_reason_bot_unavailable(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    come_online(gateway, ANN)
    gateway.agents.set_status(ANN, "away")
    conversation_id = open_chat(gateway)
    rasa.down = True

    gateway.customers.says(conversation_id, REQUEST_HUMAN)

    conversation = gateway.stores.conversations.get(conversation_id)
    assert (conversation.mode, conversation.reason, conversation.skill) == (
        "queued",
        "bot_unavailable",
        "general",
    )
    assert conversation.packet == {"reason": "bot_unavailable", "skill": "general"}
    assert statuses(emitted, conversation_id) == ["waiting", "queued"]


def test_open_session_with_a_bad_customer_token_goes_on_as_a_guest(
    gateway: Gateway, rasa: ScriptedRasa
) -> None:
    session = gateway.customers.open_session(None, customer_token="not-a-jwt")

    problem, conversation = session.problem, session.conversation
    assert problem is not None and problem.code == "invalid_customer_token"
    assert (conversation.mode, conversation.customer) == ("bot", {})
    assert rasa.slots == []  # nothing vouched for, nothing told to the bot


# --- Routing to agents --------------------------------------------------------------------


def test_available_agent_is_assigned_the_handed_off_chat(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    come_online(gateway, ANN)
    conversation_id = open_chat(gateway)

    ask_for_person(gateway, rasa, conversation_id)

    conversation = gateway.stores.conversations.get(conversation_id)
    assert (conversation.mode, conversation.agent_id) == ("assigned", "ann")
    [joined] = to_customer(emitted, conversation_id, "handoff")
    assert (joined["status"], joined["agent"], joined["text"]) == (
        "assigned",
        "Ann Lee",
        "Ann Lee has joined the chat.",
    )
    [chat] = to_agent(emitted, "ann", "assigned")
    assert chat["conversation"]["id"] == conversation_id
    assert chat["conversation"]["packet"] == PACKET
    assert [(line["kind"], line["text"]) for line in chat["transcript"]] == [
        ("customer", ASK_FOR_PERSON),
        ("bot", ONE_MOMENT),
        ("system", "Ann Lee has joined the chat."),
    ]
    assert all(line["conversation_id"] == conversation_id for line in chat["transcript"])


def test_a_chat_routed_while_a_console_is_sent_its_state_arrives_after_that_state(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    """A route by another gateway process while Ann's console connects: the chat waits until
    her console has its state, then arrives as "assigned" — never before the state, where a
    console (or a client) that takes the state as the whole list would lose it."""
    conversation_id = open_chat(gateway)

    def routed_meanwhile(state: dict[str, Any]) -> None:
        ask_for_person(gateway, rasa, conversation_id)  # routes: nobody else is online
        assert state["chats"] == []
        assert to_agent(emitted, "ann", "assigned") == []
        emitted("state", state, to=agent_room("ann"), namespace=AGENTS)

    gateway.agents.online(ANN, routed_meanwhile)

    assert emitted.names(agent_room("ann")) == ["state", "assigned"]
    conversation = gateway.stores.conversations.get(conversation_id)
    assert (conversation.mode, conversation.agent_id) == ("assigned", "ann")


def test_an_agent_whose_state_could_not_be_sent_is_still_routable(gateway: Gateway) -> None:
    def fails(state: dict[str, Any]) -> None:
        raise ConnectionError("the socket closed")

    with pytest.raises(ConnectionError):
        gateway.agents.online(ANN, fails)
    ann = gateway.stores.presence.get(ANN.id)
    assert ann is not None and ann.routable


def test_customer_lines_go_to_their_agent_once_assigned(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    emitted.clear()
    rasa.sent.clear()

    gateway.customers.says(conversation_id, "Are you there?")

    assert rasa.sent == []  # the bot no longer owns the chat
    [line] = to_agent(emitted, "ann", "message")
    assert (line["conversation_id"], line["kind"], line["text"]) == (
        conversation_id,
        "customer",
        "Are you there?",
    )
    assert to_customer(emitted, conversation_id, "bot_uttered") == []


def test_agent_reply_reaches_the_customer_with_the_agents_name(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    emitted.clear()

    gateway.agents.says(ANN, conversation_id, "Hi, I'm Ann. How can I help?")

    [reply] = to_customer(emitted, conversation_id, "bot_uttered")
    assert (reply["metadata"]["sender"], reply["metadata"]["agent_name"], reply["text"]) == (
        "agent",
        "Ann Lee",
        "Hi, I'm Ann. How can I help?",
    )
    [echo] = to_agent(emitted, "ann", "message")  # her other consoles see it too
    assert (echo["kind"], echo["seq"]) == ("agent", reply["metadata"]["seq"])
    assert gateway.stores.conversations.get(conversation_id).first_agent_reply_at is not None


OWNER_ONLY: dict[str, Callable[[Gateway, Agent, str], object]] = {
    "send": lambda g, a, c: g.agents.says(a, c, "I am not your agent"),
    "typing": lambda g, a, c: g.agents.typing(a, c, True),
    "note": lambda g, a, c: g.agents.note(a, c, "A note on someone else's chat"),
    "resume": lambda g, a, c: g.agents.resume(a, c, 0),
    "transfer_to_skill": lambda g, a, c: g.agents.transfer(a, c, None, "general"),
    "transfer_to_agent": lambda g, a, c: g.agents.transfer(a, c, "bob", None),
    "hand_back": lambda g, a, c: g.agents.hand_back(a, c, True, {"street": "12 High St"}),
    "close": lambda g, a, c: g.agents.close(a, c, "resolved"),
}


@pytest.mark.parametrize("action", sorted(OWNER_ONLY))
def test_only_the_owner_may_act_on_a_chat(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder, action: str
) -> None:
    conversation_id = assigned_chat(gateway, rasa)  # Ann's
    come_online(gateway, BOB)
    lines_before = gateway.stores.transcripts.all(conversation_id)
    emitted.clear()

    with pytest.raises(GatewayError) as refused:
        OWNER_ONLY[action](gateway, BOB, conversation_id)

    assert refused.value.code == "not_your_conversation"
    assert emitted.emitted == []
    conversation = gateway.stores.conversations.get(conversation_id)
    assert (conversation.mode, conversation.agent_id) == ("assigned", "ann")
    assert gateway.stores.transcripts.all(conversation_id) == lines_before
    assert (rasa.slots, rasa.triggered) == ([], [])
    assert gateway.archive.conversation(conversation_id) is None


def test_a_queued_chat_is_nobodys_to_write_to(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = queued_chat(gateway, rasa, "conv-0001")

    with pytest.raises(GatewayError) as refused:
        gateway.agents.says(ANN, conversation_id, "Hello?")

    assert refused.value.code == "not_your_conversation"


def test_a_note_reaches_the_agent_but_never_the_customer(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    emitted.clear()

    gateway.agents.note(ANN, conversation_id, "Customer sounds upset; offer a refund")

    assert emitted.to_room(conversation_room(conversation_id)) == []
    [note] = to_agent(emitted, "ann", "message")
    assert (note["kind"], note["sender"], note["text"]) == (
        "note",
        "Ann Lee",
        "Customer sounds upset; offer a refund",
    )
    assert "offer a refund" not in str(gateway.customers.missed(conversation_id, 0))
    assert gateway.stores.transcripts.all(conversation_id)[-1].kind == "note"


def test_close_archives_the_chat_and_asks_the_customer_for_a_rating(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder, archive: Archive
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    gateway.agents.says(ANN, conversation_id, "Your refund is on its way.")
    emitted.clear()

    gateway.agents.close(ANN, conversation_id, "resolved")

    conversation = gateway.stores.conversations.get(conversation_id)
    assert (conversation.mode, conversation.resolution) == ("closed", "resolved")
    assert gateway.stores.presence.chats("ann") == set()
    assert to_agent(emitted, "ann", "released") == [
        {"conversation_id": conversation_id, "why": "closed", "resolution": "resolved"}
    ]
    [closed] = to_customer(emitted, conversation_id, "handoff")
    assert (closed["status"], closed["csat_request"]) == ("closed", True)
    archived = archive.conversation(conversation_id)
    assert archived is not None
    row, messages = archived
    assert (row["resolution"], row["reason"], row["csat"]) == ("resolved", "explicit_request", None)
    assert row["agent_id"] == "ann"  # who handled it, for reports
    assert [m["text"] for m in messages][-2:] == ["Your refund is on its way.", closed["text"]]


def test_close_with_an_unknown_resolution_is_refused(
    gateway: Gateway, rasa: ScriptedRasa, archive: Archive
) -> None:
    conversation_id = assigned_chat(gateway, rasa)

    with pytest.raises(GatewayError) as refused:
        gateway.agents.close(ANN, conversation_id, "fixed-it-probably")

    assert refused.value.code == "bad_resolution"
    assert gateway.stores.conversations.get(conversation_id).mode == "assigned"
    assert archive.conversation(conversation_id) is None


def test_rating_a_closed_chat_is_kept_with_the_archived_copy(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder, archive: Archive
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    gateway.agents.close(ANN, conversation_id, "resolved")
    emitted.clear()

    gateway.customers.rate(conversation_id, 4)

    [thanks] = to_customer(emitted, conversation_id, "handoff")
    assert (thanks["status"], thanks["rating"]) == ("rated", 4)
    assert gateway.stores.conversations.get(conversation_id).csat == 4
    archived = archive.conversation(conversation_id)
    assert archived is not None and archived[0]["csat"] == 4


def test_rating_before_the_chat_is_closed_is_refused(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    emitted.clear()

    with pytest.raises(GatewayError) as refused:
        gateway.customers.rate(conversation_id, 5)

    assert refused.value.code == "not_closed"
    assert emitted.emitted == []
    assert gateway.stores.conversations.get(conversation_id).csat is None


def test_hand_back_with_resume_sets_corrected_slots_and_resumes_the_interrupted_task(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    rasa.script_intent("EXTERNAL_resume_task", {"text": "Let's finish your address change."})
    emitted.clear()

    gateway.agents.hand_back(ANN, conversation_id, True, {"street": "12 High Street"})

    assert rasa.slots == [
        # the customer is asked to confirm the corrected address
        (conversation_id, {"street": "12 High Street", "address_confirmed": None}),
        (conversation_id, {"interrupted_form": "address_form"}),
    ]
    assert rasa.triggered == [(conversation_id, "EXTERNAL_resume_task")]
    conversation = gateway.stores.conversations.get(conversation_id)
    assert (conversation.mode, conversation.agent_id) == ("bot", None)
    assert gateway.stores.presence.chats("ann") == set()
    assert to_agent(emitted, "ann", "released") == [
        {"conversation_id": conversation_id, "why": "returned_to_bot"}
    ]
    assert emitted.names(conversation_room(conversation_id)) == ["handoff", "bot_uttered"]
    [back] = to_customer(emitted, conversation_id, "handoff")
    assert (back["status"], back["text"]) == (
        "returned_to_bot",
        "Ann Lee handed you back to the assistant.",
    )
    [bot] = to_customer(emitted, conversation_id, "bot_uttered")
    assert bot["text"] == "Let's finish your address change."


def test_hand_back_without_resume_has_the_bot_welcome_the_customer_back(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    rasa.script_intent("EXTERNAL_welcome_back", {"text": "Welcome back! Anything else?"})

    gateway.agents.hand_back(ANN, conversation_id, False, {})

    assert rasa.slots == []
    assert rasa.triggered == [(conversation_id, "EXTERNAL_welcome_back")]
    texts = [b["text"] for b in to_customer(emitted, conversation_id, "bot_uttered")]
    assert texts[-1] == "Welcome back! Anything else?"


def test_hand_back_while_rasa_is_down_still_returns_the_chat_to_the_bot(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    rasa.down = True
    emitted.clear()

    gateway.agents.hand_back(ANN, conversation_id, True, {"street": "12 High Street"})

    assert gateway.stores.conversations.get(conversation_id).mode == "bot"
    assert statuses(emitted, conversation_id) == ["returned_to_bot"]
    assert to_customer(emitted, conversation_id, "bot_uttered") == []


def test_transfer_to_a_skill_puts_the_chat_back_at_the_front_of_the_queue(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    ann = Agent(id="ann", name="Ann Lee", role="agent", skills=("billing",), capacity=1)
    first = assigned_chat(gateway, rasa, agent=ann, conversation_id="conv-first")
    waiting = open_chat(gateway, "conv-waiting")
    ask_for_person(gateway, rasa, waiting)  # Ann is full: it waits
    gateway.agents.set_status(ann, "away")  # so the router gives her nothing back
    emitted.clear()

    gateway.agents.transfer(ann, first, None, "account")

    entries = gateway.stores.queue.entries()
    assert [(e.conversation_id, e.skill, e.position) for e in entries] == [
        ("conv-first", "account", 1),
        ("conv-waiting", "billing", 2),
    ]
    assert gateway.stores.conversations.get(first).mode == "queued"
    assert statuses(emitted, first) == ["transferred"]
    assert to_agent(emitted, "ann", "released") == [
        {"conversation_id": first, "why": "transferred"}
    ]


def test_transfer_to_a_named_agent_with_room_assigns_them_the_chat(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    come_online(gateway, BOB)
    emitted.clear()

    gateway.agents.transfer(ANN, conversation_id, "bob", None)

    conversation = gateway.stores.conversations.get(conversation_id)
    assert (conversation.mode, conversation.agent_id) == ("assigned", "bob")
    assert statuses(emitted, conversation_id) == ["transferred", "assigned"]
    assert to_customer(emitted, conversation_id, "handoff")[-1]["agent"] == "Bob Stone"
    [chat] = to_agent(emitted, "bob", "assigned")
    assert chat["conversation"]["id"] == conversation_id
    assert to_agent(emitted, "ann", "released") == [
        {"conversation_id": conversation_id, "why": "transferred"}
    ]


def test_transfer_to_an_agent_who_is_not_connected_is_refused(
    gateway: Gateway, rasa: ScriptedRasa
) -> None:
    conversation_id = assigned_chat(gateway, rasa)

    with pytest.raises(GatewayError) as refused:
        gateway.agents.transfer(ANN, conversation_id, "bob", None)

    assert refused.value.code == "agent_unavailable"
    assert gateway.stores.conversations.get(conversation_id).agent_id == "ann"


# --- Customers' other events --------------------------------------------------------------


def test_a_conversation_may_send_only_so_many_messages_a_minute(gateway: Gateway) -> None:
    conversation_id = open_chat(gateway)
    away_from_minute_boundary()
    for _ in range(MESSAGES_PER_MINUTE):
        gateway.customers.check_rate(conversation_id)

    with pytest.raises(GatewayError) as refused:
        gateway.customers.check_rate(conversation_id)

    assert refused.value.code == "rate_limited"
    gateway.customers.check_rate(open_chat(gateway, "conv-other"))  # others are unaffected


def test_leave_email_creates_a_ticket_and_closes_the_chat(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder, archive: Archive
) -> None:
    conversation_id = open_chat(gateway)
    ask_for_person(gateway, rasa, conversation_id)  # nobody online: offered email
    emitted.clear()

    ticket = gateway.customers.leave_email(conversation_id, "dana@example.com", "198.51.100.7")

    assert re.fullmatch(r"TKT-[0-9A-F]{8}", ticket)
    conversation = gateway.stores.conversations.get(conversation_id)
    assert (conversation.mode, conversation.resolution) == ("closed", "ticket")
    [told] = to_customer(emitted, conversation_id, "handoff")
    assert (told["status"], told["ticket"]) == ("ticket", ticket)
    assert "dana@example.com" in told["text"]
    archived = archive.conversation(conversation_id)
    assert archived is not None
    row, messages = archived
    assert (row["tickets"], row["resolution"]) == ([ticket], "ticket")
    assert messages[-1]["data"]["status"] == "ticket"
    # The handoff nobody could take is kept with the chat and the ticket: skill, priority, why.
    assert (row["skill"], row["priority"], row["reason"]) == ("billing", "high", "explicit_request")
    kept = gateway.tickets.tickets.view(ticket, time.time())
    assert (kept["skill"], kept["priority"], kept["assignee"]) == ("billing", "high", None)


def test_close_with_a_follow_up_email_makes_a_ticket_for_the_agent(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder, archive: Archive
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    with pytest.raises(GatewayError) as refused:
        gateway.agents.close(ANN, conversation_id, "unresolved", "c1", follow_up_email="dana")
    assert refused.value.code == "bad_email"
    assert gateway.stores.conversations.get(conversation_id).mode == "assigned"

    gateway.agents.close(ANN, conversation_id, "unresolved", "c1", follow_up_email="d@example.com")
    gateway.agents.close(ANN, conversation_id, "unresolved", "c1", follow_up_email="d@example.com")

    first, again = to_agent(emitted, "ann", "released")
    assert first == again and first["resolution"] == "unresolved"
    ticket = gateway.tickets.tickets.view(first["ticket"], time.time())
    assert (ticket["assignee"], ticket["email"], ticket["conversation_id"]) == (
        "ann",
        "d@example.com",
        conversation_id,
    )
    assert archive.conversation(conversation_id)[0]["tickets"] == [first["ticket"]]  # type: ignore[index]


def test_leave_email_with_a_bad_address_is_refused(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder, archive: Archive
) -> None:
    conversation_id = open_chat(gateway)
    emitted.clear()

    with pytest.raises(GatewayError) as refused:
        gateway.customers.leave_email(conversation_id, "not an email", "198.51.100.7")

    assert refused.value.code == "bad_email"
    assert gateway.stores.conversations.get(conversation_id).mode == "bot"
    assert emitted.emitted == []
    assert archive.conversation(conversation_id) is None


def test_customer_typing_is_shown_to_their_agent_only(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    emitted.clear()

    gateway.customers.typing(conversation_id, True)

    assert emitted.emitted == [
        (
            "typing",
            {"conversation_id": conversation_id, "typing": True},
            agent_room("ann"),
            AGENTS,
        )
    ]


# --- The queue's pushes, housekeeping and supervision -------------------------------------


def test_agents_are_pushed_the_head_of_a_long_queue_and_its_length(
    gateway: Gateway, emitted: EmitRecorder
) -> None:
    waiting = QUEUE_SHOWN + 10
    for number in range(waiting):
        conversation_id = open_chat(gateway, f"conv-{number:04d}")
        gateway.stores.queue.enqueue(conversation_id, "normal", "general")
    gateway.handoffs.push_queue()

    [queue] = emitted.events("queue", to=ALL_AGENTS)
    assert queue["length"] == waiting
    assert [e["conversation_id"] for e in queue["entries"]] == [
        f"conv-{number:04d}" for number in range(QUEUE_SHOWN)
    ]
    state = come_online(gateway, ANN)
    assert (len(state["queue"]), state["queue_length"]) == (QUEUE_SHOWN, waiting)
    assert len(gateway.handoffs.queue_view()) == QUEUE_SHOWN


def test_push_queue_resends_a_customers_place_only_when_it_changed(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    first = queued_chat(gateway, rasa, "conv-first")
    second = queued_chat(gateway, rasa, "conv-second")
    assert to_customer(emitted, second, "handoff")[-1] == {
        "status": "queued",
        "position": 2,
        "wait_seconds": None,
    }
    emitted.clear()

    gateway.handoffs.push_queue()  # nothing moved since each was told

    assert to_customer(emitted, first, "handoff") == []
    assert to_customer(emitted, second, "handoff") == []
    [queue] = emitted.events("queue", to=ALL_AGENTS)
    assert [e["conversation_id"] for e in queue["entries"]] == [first, second]
    [live] = emitted.events("live", to=SUPERVISORS)
    assert {c["id"] for c in live["conversations"]} == {first, second}

    gateway.agents.accept(ANN, first)  # away agents may still pick by hand
    emitted.clear()
    gateway.handoffs.push_queue()

    assert to_customer(emitted, second, "handoff") == [
        {"status": "queued", "position": 1, "wait_seconds": None}
    ]
    assert to_customer(emitted, first, "handoff") == []
    emitted.clear()
    gateway.handoffs.push_queue()
    assert to_customer(emitted, second, "handoff") == []


def test_housekeeping_requeues_chats_of_an_agent_gone_past_the_grace_period(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    gateway.agents.disconnected("ann")
    emitted.clear()

    gateway.housekeeping.tick(time.time() + GRACE / 2)  # within the grace period: kept
    assert gateway.stores.conversations.get(conversation_id).agent_id == "ann"
    assert emitted.to_room(conversation_room(conversation_id)) == []

    gateway.housekeeping.tick(time.time() + GRACE + 1)

    conversation = gateway.stores.conversations.get(conversation_id)
    assert (conversation.mode, conversation.agent_id) == ("queued", None)
    assert [e.conversation_id for e in gateway.stores.queue.entries()] == [conversation_id]
    ann = gateway.stores.presence.get("ann")
    assert ann is not None and ann.status == "offline"
    handoffs = to_customer(emitted, conversation_id, "handoff")
    # Ann was the only agent: the customer may also leave an email or go back to the bot.
    assert [h["status"] for h in handoffs] == ["requeued", "offline", "queued"]
    assert "front of the line" in handoffs[0]["text"]
    assert handoffs[2]["position"] == 1


def test_an_agent_gone_past_the_grace_period_is_requeued_once_by_two_processes_ticking(
    make_gateway: MakeGateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    """Both processes find Ann past her grace period in the same instant: one acts."""
    first, second = make_gateway(), make_gateway()
    conversation_id = assigned_chat(first, rasa)
    first.agents.disconnected("ann")
    emitted.clear()
    now = time.time() + GRACE + 1
    requeue = first.handoffs.requeue

    def meanwhile_the_other_ticks(conversation: Conversation, skill: str | None = None) -> None:
        second.housekeeping.tick(now)  # it read Ann's chats too, and acts first
        requeue(conversation, skill)

    first.handoffs.requeue = meanwhile_the_other_ticks  # type: ignore[method-assign]
    first.housekeeping.tick(now)

    statuses = [h["status"] for h in to_customer(emitted, conversation_id, "handoff")]
    assert statuses.count("requeued") == 1
    assert [e.conversation_id for e in first.stores.queue.entries()] == [conversation_id]


def test_todays_figures_tell_the_bots_own_chats_from_handoffs_answered_or_not(
    gateway: Gateway, rasa: ScriptedRasa
) -> None:
    rasa.script("hello", {"text": "Hi! How can I help?"})
    gateway.customers.says(open_chat(gateway, "conv-bot"), "hello")
    ask_for_person(gateway, rasa, open_chat(gateway, "conv-nobody"))  # no agent at all
    assigned_chat(gateway, rasa, conversation_id="conv-taken")
    gateway.agents.set_status(ANN, "away")
    queued = queued_chat(gateway, rasa, "conv-left")
    gateway.handoffs.leave_queue(queued)

    assert gateway.stores.daily.counts(time.time()) == {
        "conversations": 4,
        "bot_alone": 1,
        "handed_off": 3,
        "answered": 1,
        "unanswered": 2,
    }


def test_an_agent_who_logs_out_is_gone_at_once_and_their_chats_go_to_a_colleague(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    colleague = Agent(id="cat", name="Cat Fox", role="agent", skills=("billing",), capacity=3)
    come_online(gateway, colleague)
    emitted.clear()

    gateway.agents.logged_out("ann")

    ann = gateway.stores.presence.get("ann")
    assert ann is not None and ann.presence == "offline"  # never "available (disconnected)"
    conversation = gateway.stores.conversations.get(conversation_id)
    assert (conversation.mode, conversation.agent_id) == ("assigned", "cat")
    handoffs = to_customer(emitted, conversation_id, "handoff")
    assert [h["status"] for h in handoffs] == ["requeued", "assigned"]
    assert "had to leave" in handoffs[0]["text"]
    snapshot = gateway.supervision.snapshot(time.time())
    assert [a["id"] for a in snapshot["agents"]] == ["cat"]  # those who left are not listed


def test_housekeeping_gives_a_returning_agent_their_chats_within_the_grace_period(
    gateway: Gateway, rasa: ScriptedRasa
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    gateway.agents.disconnected("ann")

    state = come_online(gateway, ANN)
    gateway.housekeeping.tick(time.time() + GRACE + 1)

    assert [c["conversation"]["id"] for c in state["chats"]] == [conversation_id]
    assert gateway.stores.conversations.get(conversation_id).agent_id == "ann"


def test_housekeeping_raises_an_sla_breach_to_supervisors_only_once(
    make_gateway: MakeGateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    gateway = make_gateway(sla_seconds=0.25)
    conversation_id = queued_chat(gateway, rasa, "conv-0001")
    gateway.housekeeping.tick(time.time())
    assert emitted.events("sla_breach") == []  # not waited long enough yet
    time.sleep(0.3)

    gateway.housekeeping.tick(time.time())
    gateway.housekeeping.tick(time.time())

    breaches = [e for e in emitted.emitted if e.event == "sla_breach"]
    assert [(e.to, e.namespace) for e in breaches] == [(SUPERVISORS, AGENTS)]
    assert (breaches[0].data["conversation_id"], breaches[0].data["skill"]) == (
        conversation_id,
        "billing",
    )


def test_snapshot_reports_the_queue_and_every_live_chat(
    gateway: Gateway, rasa: ScriptedRasa
) -> None:
    assigned = assigned_chat(gateway, rasa, conversation_id="conv-assigned")
    gateway.agents.set_status(ANN, "away")
    waiting = queued_chat(gateway, rasa, "conv-waiting")
    with_bot = open_chat(gateway, "conv-bot")
    now = time.time()

    snapshot = gateway.supervision.snapshot(now)

    assert snapshot["queue"]["length"] == 1
    assert snapshot["queue"]["sla_seconds"] == SLA
    assert 0 <= snapshot["queue"]["longest_wait_seconds"] < 5
    chats = {c["id"]: (c["mode"], c["agent"]) for c in snapshot["conversations"]}
    assert chats == {
        assigned: ("assigned", "Ann Lee"),
        waiting: ("queued", None),
        with_bot: ("bot", None),
    }
    [ann] = snapshot["agents"]
    assert (ann["id"], ann["status"], ann["load"], ann["connected"]) == ("ann", "away", 1, True)
    assert snapshot["today"]["handed_off"] == 2


# --- Rasa widgets: what a widget that knows only Rasa's events is told -------------------


def to_plain(emitted: EmitRecorder, conversation_id: str) -> list[Any]:
    """What the conversation's plain widgets (Rasa widgets) were sent as `bot_uttered`."""
    room = plain_room(conversation_id)
    assert {(e.event, e.namespace) for e in emitted.to_room(room)} <= {("bot_uttered", CUSTOMERS)}
    return emitted.events("bot_uttered", to=room)


def test_status_changes_reach_plain_widgets_as_bot_text(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = queued_chat(gateway, rasa, "conv-plain")

    [waiting, queued] = to_plain(emitted, conversation_id)
    assert waiting["metadata"]["status"] == "waiting"
    assert queued == {
        "text": "You're next in line.",
        "metadata": {"sender": "system", "status": "queued", "position": 1, "wait_seconds": None},
    }
    emitted.clear()

    gateway.agents.set_status(ANN, "available")

    [joined] = to_plain(emitted, conversation_id)
    [notice] = to_customer(emitted, conversation_id, "handoff")
    assert joined["text"] == "Ann Lee has joined the chat." == notice["text"]
    assert joined["metadata"] == notice["metadata"]
    assert (joined["metadata"]["sender"], joined["metadata"]["status"]) == ("system", "assigned")
    # Tandem's widget, in the conversation's room, gets `handoff` and no copy as bot text.
    assert to_customer(emitted, conversation_id, "bot_uttered") == []


def test_a_plain_widget_is_told_its_place_in_words_only_when_it_moved(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    first = queued_chat(gateway, rasa, "conv-first")
    second = queued_chat(gateway, rasa, "conv-second")
    assert [m["text"] for m in to_plain(emitted, second)][-1] == "You're number 2 in line."
    emitted.clear()

    gateway.agents.accept(ANN, first)
    gateway.handoffs.push_queue()

    assert [m["text"] for m in to_plain(emitted, second)] == ["You're next in line."]
    emitted.clear()
    gateway.stores.queue.record_pushed({second: "1|300"})  # the same place, another wait
    gateway.handoffs.push_queue()
    assert to_customer(emitted, second, "handoff") != []
    assert to_plain(emitted, second) == []


@pytest.mark.parametrize(
    ("position", "wait", "words"),
    [
        (1, None, "You're next in line."),
        (3, 30, "You're number 3 in line. Estimated wait: less than a minute."),
        (2, 80, "You're number 2 in line. Estimated wait: about a minute."),
        (
            None,
            600,
            "You're in line for the next person available. Estimated wait: about 10 minutes.",
        ),
    ],
)
def test_queue_words(position: int | None, wait: float | None, words: str) -> None:
    assert queue_words(position, wait) == words


def test_a_tapped_quick_reply_is_kept_as_its_title_and_the_bot_gets_its_payload(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = open_chat(gateway)
    rasa.script(
        "hi",
        {"text": "What can I do?", "buttons": [{"title": "Pay my bill", "payload": "/pay_bill"}]},
    )
    gateway.customers.says(conversation_id, "hi")
    emitted.clear()

    gateway.customers.says(conversation_id, "/pay_bill")

    assert rasa.sent[-1] == (conversation_id, "/pay_bill")
    [echo] = to_customer(emitted, conversation_id, "user_message")
    assert echo["text"] == "Pay my bill"
    line = gateway.stores.transcripts.all(conversation_id)[2]
    assert (line.kind, line.text, line.data["payload"]) == ("customer", "Pay my bill", "/pay_bill")


def test_talk_to_a_person_is_kept_by_its_title_even_when_typed(
    gateway: Gateway, rasa: ScriptedRasa
) -> None:
    conversation_id = open_chat(gateway)
    gateway.customers.says(conversation_id, "hello")

    ask_for_person(gateway, rasa, conversation_id)  # typed words: kept as typed
    gateway.customers.says(conversation_id, REQUEST_HUMAN)

    texts = [
        m.text for m in gateway.stores.transcripts.all(conversation_id) if m.kind == "customer"
    ]
    assert texts == ["hello", ASK_FOR_PERSON, "Talk to a person"]


def test_a_widgets_opening_payload_is_answered_with_the_greeting_and_not_kept(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = open_chat(gateway)
    rasa.script(GREETING, {"text": "Hi! How can I help?"})

    gateway.customers.says(conversation_id, "/get_started")

    assert rasa.sent == [(conversation_id, GREETING)]
    assert [m.kind for m in gateway.stores.transcripts.all(conversation_id)] == ["bot"]
    assert to_customer(emitted, conversation_id, "user_message") == []
    # Once the customer has written, a typed "/..." is their words, as before.
    gateway.customers.says(conversation_id, "hello")
    gateway.customers.says(conversation_id, "/get_started")
    assert rasa.sent[-1] == (conversation_id, "get_started")


def test_a_widgets_metadata_reaches_the_bot_but_never_overrides_the_gateways(
    gateway: Gateway, rasa: ScriptedRasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation_id = open_chat(gateway)
    monkeypatch.setattr(customers_module, "client_metadata", lambda: {"client": "hash-of-peer"})

    gateway.customers.says(
        conversation_id, "hi", metadata={"language": "en", "client": "someone-else"}
    )

    assert rasa.metadata == [{"language": "en", "client": "hash-of-peer"}]


def test_an_email_typed_after_the_offer_leaves_a_ticket(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = open_chat(gateway)
    ask_for_person(gateway, rasa, conversation_id)  # nobody online: offered email
    sent = len(rasa.sent)
    [offline] = to_plain(emitted, conversation_id)
    assert "Leave your email address" in offline["text"]
    emitted.clear()

    gateway.customers.says(conversation_id, " dana@example.com ", client="198.51.100.7")

    conversation = gateway.stores.conversations.get(conversation_id)
    assert (conversation.mode, conversation.resolution) == ("closed", "ticket")
    [told] = to_plain(emitted, conversation_id)
    assert told["metadata"]["status"] == "ticket" and "dana@example.com" in told["text"]
    assert len(rasa.sent) == sent  # the address is not the bot's to read


def test_an_email_typed_without_an_offer_goes_to_the_bot(
    gateway: Gateway, rasa: ScriptedRasa
) -> None:
    conversation_id = open_chat(gateway)

    gateway.customers.says(conversation_id, "dana@example.com")

    assert rasa.sent == [(conversation_id, "dana@example.com")]
    assert gateway.stores.conversations.get(conversation_id).mode == "bot"


def test_a_rating_typed_after_the_chat_ended_is_kept(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    gateway.agents.close(ANN, conversation_id, "resolved")
    closed = to_plain(emitted, conversation_id)[-1]
    assert "from 1 (poor) to 5 (excellent)" in closed["text"]
    sent = len(rasa.sent)

    gateway.customers.says(conversation_id, "4")

    assert gateway.stores.conversations.get(conversation_id).csat == 4
    assert to_plain(emitted, conversation_id)[-1]["text"] == "Thanks for your feedback!"
    assert len(rasa.sent) == sent
    # Once rated, a digit is the customer's words again: the chat starts over with the bot.
    gateway.customers.says(conversation_id, "5")
    assert gateway.stores.conversations.get(conversation_id).mode == "bot"
    assert rasa.sent[-1] == (conversation_id, "5")


# --- Waiting customers are never stranded ------------------------------------------------


def test_a_waiting_customer_goes_back_to_the_bot_with_the_button(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = queued_chat(gateway, rasa, "conv-wait")
    emitted.clear()

    gateway.customers.says(conversation_id, LEAVE_QUEUE)

    conversation = gateway.stores.conversations.get(conversation_id)
    assert conversation.mode == "bot"
    assert gateway.stores.queue.entries() == []
    [back] = to_customer(emitted, conversation_id, "handoff")
    assert (back["status"], back["text"]) == (
        "returned_to_bot",
        "You've left the queue. How can I help?",
    )
    [echo] = to_customer(emitted, conversation_id, "user_message")
    assert echo["text"] == "Back to the assistant"
    assert LEAVE_QUEUE not in [text for _, text in rasa.sent]


def test_a_waiting_customer_can_still_use_the_bot_and_keeps_their_place(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = queued_chat(gateway, rasa, "conv-busy")
    rasa.script("whats my balance", {"text": "Your balance is $120.50."})
    emitted.clear()

    gateway.customers.says(conversation_id, "whats my balance")
    gateway.customers.says(conversation_id, ASK_FOR_PERSON)  # the bot hands off again

    assert [text for _, text in rasa.sent][-2:] == ["whats my balance", ASK_FOR_PERSON]
    said = [m["text"] for m in to_customer(emitted, conversation_id, "bot_uttered")]
    assert said == ["Your balance is $120.50.", ONE_MOMENT]
    [reminder] = to_customer(emitted, conversation_id, "handoff")
    assert reminder["status"] == "waiting"
    assert [e.conversation_id for e in gateway.stores.queue.entries()] == [conversation_id]
    assert gateway.stores.conversations.get(conversation_id).mode == "queued"


def test_a_waiting_customer_who_says_never_mind_leaves_the_queue(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = queued_chat(gateway, rasa, "conv-nvm")
    rasa.script(
        "never mind, i figured it out",
        {"text": "Okay, nothing is in progress."},
        {"custom": {"leave_queue": True}},
    )
    emitted.clear()

    gateway.customers.says(conversation_id, "never mind, i figured it out")

    assert gateway.stores.conversations.get(conversation_id).mode == "bot"
    assert gateway.stores.queue.entries() == []
    [back] = to_customer(emitted, conversation_id, "handoff")
    assert back["status"] == "returned_to_bot"
    # the same words from a customer who is not waiting change nothing
    gateway.customers.says(conversation_id, "never mind, i figured it out")
    assert gateway.stores.conversations.get(conversation_id).mode == "bot"


def test_the_last_agent_leaving_offers_waiting_customers_email(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = queued_chat(gateway, rasa, "conv-stranded")
    now = time.time()
    gateway.housekeeping.tick(now)  # Ann is away but connected: she could still come
    assert [h["status"] for h in to_customer(emitted, conversation_id, "handoff")] == [
        "waiting",
        "queued",
    ]
    emitted.clear()

    gateway.stores.presence.offline(ANN.id)
    gateway.housekeeping.tick(now)
    gateway.housekeeping.tick(now)  # once only

    [offer] = to_customer(emitted, conversation_id, "handoff")
    assert offer["status"] == "offline" and "Leave your email address" in offer["text"]
    assert offer["quick_replies"][0]["payload"] == LEAVE_QUEUE
    assert gateway.stores.conversations.get(conversation_id).mode == "queued"  # may keep waiting
    gateway.customers.says(conversation_id, "erin@example.com", client="198.51.100.9")
    assert gateway.stores.conversations.get(conversation_id).resolution == "ticket"
