"""A widget that knows only Rasa's SocketIO channel, as rasa-webchat speaks it, through the
real gateway: it sends what rasa-webchat sends and reads only `session_confirm` and
`bot_uttered`, in Rasa's shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from bot.gateway_client import AgentClient, Customer
from bot.stack import Stack
from tests.conftest import RASA_TOKEN

NewCustomer = Callable[[], Customer]
NewAgent = Callable[..., tuple[AgentClient, str]]
# What rasa-webchat adds to every line: the website's `customData` prop.
CUSTOM_DATA = {"language": "en", "page": "/billing"}
RASA_SHAPE_KEYS = {"text", "quick_replies", "metadata"}


def said(widget: Customer, contains: str) -> dict[str, Any]:
    """The next `bot_uttered` with ``contains`` in its text, checked against Rasa's shape."""
    reply = widget.bot_says(contains)
    assert set(reply) <= RASA_SHAPE_KEYS and isinstance(reply["text"], str)
    for button in reply.get("quick_replies", []):
        assert set(button) == {"content_type", "title", "payload"}
    return reply


def say(widget: Customer, text: str | None) -> None:
    """A line as rasa-webchat sends it: no message id, its customData, the session id."""
    widget.emit(
        "user_uttered",
        {"message": text, "customData": CUSTOM_DATA, "session_id": widget.session_id},
    )


def opened(widget: Customer) -> Customer:
    """Connected and confirmed as rasa-webchat does it; ``session_id`` is what it keeps."""
    widget.connect()
    widget.emit("session_request", {"session_id": None})
    confirmed = widget.wait_for("session_confirm")
    assert isinstance(confirmed, str)  # one argument, as Rasa's channel sends it
    widget.session_id = confirmed
    return widget


def conversation_of(widget: Customer) -> str:
    """The conversation id in the session id a Rasa widget keeps (``<id>.<resume secret>``)."""
    return widget.session_id.partition(".")[0]


def latest_user_metadata(stack: Stack, conversation_id: str) -> dict[str, Any]:
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": RASA_TOKEN},
        timeout=10,
    ).json()
    metadata: dict[str, Any] = tracker["latest_message"]["metadata"]
    return metadata


def test_a_rasa_widget_chats_with_the_bot_waits_for_a_person_and_comes_back(
    stack: Stack, customer: NewCustomer, agent: NewAgent
) -> None:
    ann, _ = agent(name="Ann Lee")
    ann.set_status("away")
    widget = opened(customer())

    say(widget, None)  # rasa-webchat's start message without an initPayload: nothing happens
    say(widget, "/get_started")  # its initPayload: the bot's greeting
    said(widget, "I'm Tandem's assistant")
    assert latest_user_metadata(stack, conversation_of(widget))["language"] == "en"

    say(widget, "I want to talk to a person")
    said(widget, "connecting you to a person")
    assert said(widget, "in line")["text"] == "You're next in line."

    ann.set_status("available")
    chat = ann.wait_for("assigned")
    assert said(widget, "has joined the chat")["text"] == "Ann Lee has joined the chat."
    ann.act("send", conversation_id=conversation_of(widget), text="Hi, I'm Ann. How can I help?")
    line = said(widget, "I'm Ann")
    assert (line["metadata"]["sender"], line["metadata"]["agent_name"]) == ("agent", "Ann Lee")
    # The connection drops; rasa-webchat reconnects with the session id it kept.
    kept = widget.session_id
    widget.close()
    widget.connect()
    widget.emit("session_request", {"session_id": kept})
    assert widget.wait_for("session_confirm") == kept
    ann.act("send", conversation_id=conversation_of(widget), text="Still there?")
    said(widget, "Still there?")
    say(widget, "thanks, that's all")
    assert ann.wait_for("message", lambda m: m["kind"] == "customer")["text"] == (
        "thanks, that's all"
    )

    ann.act("hand_back", conversation_id=chat["conversation"]["id"])
    said(widget, "back with the assistant")
    say(widget, "hello")
    said(widget, "What can I do for you?")
    # Tandem's own events came too (Rasa widgets ignore them); no refusal among them.
    assert not [data for name, data in widget.seen if name == "error"]


def test_a_rasa_widget_leaves_an_email_by_typing_it_when_nobody_is_there(
    customer: NewCustomer,
) -> None:
    widget = opened(customer())

    say(widget, "I want to talk to a person")
    said(widget, "Leave your email address")
    say(widget, "dana@example.com")

    ticket = said(widget, "Your reference is")
    assert ticket["metadata"]["status"] == "ticket"
