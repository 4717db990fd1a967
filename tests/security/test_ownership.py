"""Who a customer conversation belongs to, exactly-once customer lines, and tickets.

Each test is one attack, tried as an attacker would against the running stack
(real gateway, Redis, Rasa and action server).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis
import requests

from bot.gateway_client import AgentClient, Customer
from bot.stack import Stack
from core.mail import Outbox
from handoff.customer_tokens import sign_customer_token
from handoff.stores.transcripts import TranscriptStore
from tests.conftest import CUSTOMER_TOKEN_SECRET, RASA_TOKEN

pytestmark = pytest.mark.usefixtures("empty_redis")

NewCustomer = Callable[[], Customer]
NewAgent = Callable[..., tuple[AgentClient, str]]
CARD = "4111 1111 1111 1111"


def user_events(stack: Stack, conversation_id: str) -> list[dict[str, Any]]:
    """The customer's turns as Rasa's tracker holds them."""
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": RASA_TOKEN},
        timeout=10,
    ).json()
    return [e for e in tracker["events"] if e["event"] == "user"]


def customer_lines(stack: Stack, conversation_id: str) -> list[str]:
    """The customer's lines as the gateway stored them."""
    assert stack.redis is not None
    store = TranscriptStore(redis.Redis.from_url(stack.redis.url, decode_responses=True))
    return [m.text for m in store.all(conversation_id) if m.kind == "customer"]


def mails_to(stack: Stack, address: str) -> list[Any]:
    return [m for m in Outbox.from_settings(stack.settings).newest(limit=200) if m.to == address]


def offered_email(client: Customer) -> None:
    """Ask for a person while nobody is online: the gateway offers to take an email."""
    client.say("can I talk to someone? see https://evil.example/win")
    client.status("offline", timeout=20)


def test_a_known_conversation_id_alone_does_not_resume_the_conversation(
    customer: NewCustomer,
) -> None:
    alice = customer()
    alice.start()
    alice.say("I forgot my password")
    alice.bot_says("email address or username")

    for stolen in (None, "guessed-" + uuid.uuid4().hex):
        mallory = customer()
        history = mallory.start(session_id=alice.session_id, resume_secret=stolen)
        assert mallory.session_id != alice.session_id
        assert history["messages"] == []
        assert mallory.resume_secret and mallory.resume_secret != alice.resume_secret

    chosen = "attacker-chosen-id-0001"
    eve = customer()
    eve.start(session_id=chosen)
    assert eve.session_id != chosen

    again = customer()
    history = again.start(session_id=alice.session_id, resume_secret=alice.resume_secret)
    assert again.session_id == alice.session_id
    assert [m["text"] for m in history["messages"]][0] == "I forgot my password"


def test_a_socket_stops_hearing_the_conversation_it_left(customer: NewCustomer) -> None:
    sam = customer()
    sam.start()
    first, secret = sam.session_id, sam.resume_secret
    sam.start()  # the same socket opens a new conversation
    assert sam.session_id != first

    other_tab = customer()
    other_tab.start(session_id=first, resume_secret=secret)
    other_tab.say("a line in the first conversation")
    other_tab.bot_says("")
    heard = [str(data) for _, data in sam.drain(settle=1.0)]
    assert not any("a line in the first conversation" in text for text in heard)


def test_a_customers_conversation_cannot_be_resumed_without_their_token(
    customer: NewCustomer,
) -> None:
    dana_token = sign_customer_token("ACC-1001", "Dana Whitfield", CUSTOMER_TOKEN_SECRET)
    eli_token = sign_customer_token("ACC-1002", "Eli Park", CUSTOMER_TOKEN_SECRET)
    dana = customer()
    dana.start(customer_token=dana_token)
    dana.say("what's my balance?")
    dana.bot_says("Your balance is")

    for token in (None, eli_token):
        thief = customer()
        history = thief.start(
            session_id=dana.session_id, resume_secret=dana.resume_secret, customer_token=token
        )
        assert thief.session_id != dana.session_id
        assert history["messages"] == []

    reload = customer()
    history = reload.start(
        session_id=dana.session_id, resume_secret=dana.resume_secret, customer_token=dana_token
    )
    assert reload.session_id == dana.session_id
    assert history["messages"]


def test_leave_email_is_not_an_open_mail_relay(
    stack: Stack, customer: NewCustomer, agent: NewAgent
) -> None:
    victim = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    # Not offered: a fresh chat with the bot cannot send mail.
    spammer = customer()
    spammer.start()
    spammer.emit("leave_email", {"email": victim})
    assert spammer.wait_for("error")["code"] == "email_not_offered"

    # Offered: one ticket per conversation, with a neutral text and no customer-written words.
    offered_email(spammer)
    spammer.emit("leave_email", {"email": victim})
    spammer.status("ticket")
    spammer.emit("leave_email", {"email": victim})
    assert spammer.wait_for("error")["code"] == "email_not_offered"
    [mail] = mails_to(stack, victim)
    assert "evil.example" not in mail.body and "talk to someone" not in mail.body
    assert "http" not in mail.body

    # At most three a day to one address, across conversations.
    for _ in range(2):
        more = customer()
        more.start()
        offered_email(more)
        more.emit("leave_email", {"email": victim})
        more.status("ticket")
    fourth = customer()
    fourth.start()
    offered_email(fourth)
    fourth.emit("leave_email", {"email": victim})
    assert fourth.wait_for("error")["code"] == "rate_limited"
    assert len(mails_to(stack, victim)) == 3

    # Never closes a chat an agent holds.
    ann, _ = agent()
    fourth.say("I want to talk to a person")
    ann.wait_for("assigned")
    fourth.emit("leave_email", {"email": f"other-{victim}"})
    assert fourth.wait_for("error")["code"] == "chat_with_agent"
    ann.act("send", conversation_id=fourth.session_id, text="still here")
    fourth.bot_says("still here")


def test_a_card_number_is_acknowledged_masked_and_a_resend_is_not_stored_twice(
    stack: Stack, customer: NewCustomer
) -> None:
    pat = customer()
    pat.start()
    line = f"my card is {CARD}"
    message_id = pat.say(line)
    ack = pat.wait_for("user_message")
    assert ack["metadata"]["message_id"] == message_id
    assert CARD not in ack["text"] and "1111" in ack["text"]
    pat.bot_says("")

    pat.say(line, message_id=message_id)  # the widget's resend after a dropped connection
    again = pat.wait_for("user_message")
    assert (again["metadata"]["seq"], again["text"], again["metadata"]["message_id"]) == (
        ack["metadata"]["seq"],
        ack["text"],
        message_id,
    )
    pat.drain(settle=1.0)
    assert customer_lines(stack, pat.session_id) == [ack["text"]]
    assert len(user_events(stack, pat.session_id)) == 1


def test_a_typed_intent_payload_is_only_obeyed_when_the_bot_offered_it(
    stack: Stack, customer: NewCustomer
) -> None:
    ivan = customer()
    ivan.start()
    ivan.say("hello")
    ivan.bot_says("")
    ivan.say("/EXTERNAL_welcome_back")
    ivan.bot_says("")
    [_, typed] = user_events(stack, ivan.session_id)
    assert typed["text"] == "EXTERNAL_welcome_back"
    assert typed["parse_data"]["intent"]["name"] != "EXTERNAL_welcome_back"

    ivan.say("help")
    offered = ivan.bot_says("I can reset your password")
    assert "/pay_bill" in [reply["payload"] for reply in offered["quick_replies"]]
    ivan.say("/pay_bill")
    ivan.bot_says("")
    clicked = user_events(stack, ivan.session_id)[-1]
    assert (clicked["text"], clicked["parse_data"]["intent"]["name"]) == ("/pay_bill", "pay_bill")
