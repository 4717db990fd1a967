"""Whole conversations through Rasa's REST channel on the trained model and the real action server.

Each test drives one task as a customer would and checks the account database
changed (or did not) as it should. The stack (Redis, action server, Rasa) is
started once for the session by tests/conftest.py.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
import requests

from actions.accounts import AccountClient
from bot.stack import Stack
from core.mail import Outbox

pytestmark = pytest.mark.e2e


class Chat:
    """One customer's conversation over the REST channel."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.sender = f"e2e-{uuid.uuid4().hex[:12]}"

    def say(self, text: str) -> list[dict[str, Any]]:
        """Send one message; return the bot's replies."""
        response = requests.post(
            f"{self.stack.rasa_url}/webhooks/rest/webhook",
            params={"token": self.stack.settings.rasa_token},
            json={"sender": self.sender, "message": text},
            timeout=30,
        )
        response.raise_for_status()
        replies: list[dict[str, Any]] = response.json()
        return replies

    def text(self, message: str) -> str:
        """Send one message; return the bot's reply texts joined, for reading."""
        return " | ".join(r["text"] for r in self.say(message) if r.get("text"))

    def verify(self, identifier: str = "dana@example.com", last4: str = "4821") -> str:
        self.text(identifier)
        return self.text(last4)

    def tracker(self) -> dict[str, Any]:
        response = requests.get(
            f"{self.stack.rasa_url}/conversations/{self.sender}/tracker",
            params={"token": self.stack.settings.rasa_token},
            timeout=10,
        )
        response.raise_for_status()
        tracker: dict[str, Any] = response.json()
        return tracker


def handoff_of(replies: list[dict[str, Any]]) -> dict[str, Any]:
    (packet,) = [r["custom"]["handoff"] for r in replies if "handoff" in (r.get("custom") or {})]
    return packet


@pytest.fixture
def chat(stack: Stack) -> Chat:
    return Chat(stack)


def test_password_reset_sends_one_link_and_reveals_nothing(
    chat: Chat, stack: Stack, accounts: AccountClient
) -> None:
    outbox = Outbox.from_settings(stack.settings)
    before = len(outbox.newest(limit=1000))
    assert "email address or username" in chat.text("I forgot my password")
    known = chat.text("dana@example.com")
    assert "If an account matches dana@example.com" in known
    assert "15 minutes" in known
    assert len(outbox.newest(limit=1000)) == before + 1
    assert outbox.newest(limit=1)[0].to == "dana@example.com"

    other = Chat(stack)
    other.text("reset my password please")
    unknown = other.text("nobody-here@example.com")
    assert unknown == known.replace("dana@example.com", "nobody-here@example.com")
    assert len(outbox.newest(limit=1000)) == before + 1


def test_password_reset_refuses_a_broken_email_then_continues(chat: Chat) -> None:
    chat.text("need a password reset")
    assert "doesn't look like a complete email" in chat.text("dana@example")
    assert "If an account matches" in chat.text("dana@example.com")


def test_address_change_in_one_message_is_saved_after_confirmation(
    chat: Chat, accounts: AccountClient
) -> None:
    assert "confirm who you are" in chat.text("I moved and need to change my address")
    assert "Dana, you're verified" in chat.verify()
    readback = chat.text("12 Oak Street, Springfield, 62704")
    assert "12 Oak Street, Springfield, IL 62704. Shall I save it?" in readback
    done = chat.text("yes")
    assert "Your reference is ADR-" in done
    saved = accounts.get("ACC-1001")
    assert (saved.street, saved.city, saved.postal_code) == (
        "12 Oak Street",
        "Springfield",
        "62704",
    )


def test_address_change_asks_only_for_missing_parts_and_a_no_saves_nothing(
    chat: Chat, accounts: AccountClient
) -> None:
    chat.text("update my address")
    chat.verify()
    assert "town or city" in chat.text("400 Main St")
    assert "ZIP code" in chat.text("Riverton")
    assert "doesn't look like a ZIP code" in chat.text("840")
    assert "Shall I save it?" in chat.text("84065")
    assert "let's fix it" in chat.text("no")
    assert accounts.get("ACC-1001").street == "14 Harbor View Lane"


def test_bill_payment_with_odd_amounts_pays_once(chat: Chat, accounts: AccountClient) -> None:
    chat.text("I want to pay my bill")
    asked = chat.verify()
    assert "Your balance is $120.50, due on December 15, 2026" in asked
    assert "more than zero" in chat.text("-5")
    second_try = chat.text("1e9")
    assert "in digits with up to two decimals" in second_try
    assert "connect you to a person" in second_try
    assert "I'll pay $50.00 with your Visa ending 4242" in chat.text("fifty")
    paid = chat.text("yes")
    assert "Payment of $50.00 made" in paid and "receipt number is RCP-" in paid
    chat.text("yes")
    assert accounts.get("ACC-1001").balance == Decimal("70.50")


def test_payment_stopped_midway_takes_nothing(chat: Chat, accounts: AccountClient) -> None:
    chat.text("pay my bill")
    chat.verify()
    chat.text("$50.00")
    assert "Nothing was changed" in chat.text("stop")
    assert accounts.get("ACC-1001").balance == Decimal("120.50")


def test_balance_question_in_the_middle_of_a_payment(chat: Chat) -> None:
    chat.text("pay my bill")
    chat.verify()
    reply = chat.text("what's my balance?")
    assert "Your balance is $120.50" in reply
    assert "How much would you like to pay?" in reply


def test_declined_card_goes_to_a_person(chat: Chat, accounts: AccountClient) -> None:
    chat.text("pay bill")
    chat.verify("priya@example.com", "1958")
    chat.text("the full balance")
    replies = chat.say("yes")
    assert "declined" in replies[0]["text"]
    packet = handoff_of(replies)
    assert (packet["reason"], packet["skill"], packet["priority"]) == (
        "failed_task",
        "billing",
        "high",
    )
    assert accounts.get("ACC-1003").balance == Decimal("89.99")


def test_asking_for_a_person_mid_form_ends_with_the_handoff_packet(chat: Chat) -> None:
    chat.text("change my address")
    chat.verify()
    replies = chat.say("I want to talk to a real person")
    assert "connecting you to a person" in replies[0]["text"]
    packet = handoff_of(replies)
    assert packet["reason"] == "explicit_request"
    assert packet["skill"] == "account"
    assert packet["active_form"] == "address_form"
    assert packet["requested_slot"] == "street"
    assert packet["slots"]["customer_id"] == "ACC-1001"
    assert packet["last_intents"][-1]["name"] == "request_human"
    assert 0 < packet["last_intents"][-1]["confidence"] <= 1
    assert [line["sender"] for line in packet["transcript"]][:2] == ["customer", "bot"]
    assert chat.tracker()["active_loop"] in ({}, None) or not chat.tracker()["active_loop"].get(
        "name"
    )


def test_two_misunderstandings_in_a_row_go_to_a_person(chat: Chat) -> None:
    # What counts as not understood depends on the model; the payload makes it certain here.
    assert "didn't quite get that" in chat.text("/nlu_fallback")
    packet = handoff_of(chat.say("/nlu_fallback"))
    assert packet["reason"] == "repeated_fallback"


def test_unsupported_topic_goes_to_a_person(chat: Chat) -> None:
    packet = handoff_of(chat.say("I was charged twice for the same bill, I want a refund"))
    assert (packet["reason"], packet["skill"]) == ("unsupported_topic", "billing")


@pytest.mark.parametrize("message", ["🙂🙂🙂", "x" * 5000, "<script>alert(1)</script>"])
def test_odd_messages_get_a_polite_answer(chat: Chat, message: str) -> None:
    replies = chat.say(message)
    assert replies and all(r.get("text") or r.get("custom") for r in replies)


def test_emoji_and_long_text_inside_a_form_keep_the_form_going(
    chat: Chat, accounts: AccountClient
) -> None:
    chat.text("pay my bill")
    chat.verify()
    assert "Please type it in digits" in chat.text("🙂🙂🙂")
    assert "no more than your balance of $120.50" in chat.text("1,000,000")
    assert "How much would you like to pay?" in chat.text("x" * 5000)
    assert "I'll pay $120.50" in chat.text("all of it")
    assert accounts.get("ACC-1001").balance == Decimal("120.50")


def test_every_offer_of_a_person_comes_with_a_button(chat: Chat) -> None:
    replies = chat.say("are you a real person or a bot?")
    [offer] = [r for r in replies if "not a person" in r.get("text", "")]
    assert {"title": "Talk to a person", "payload": "/request_human"} in offer["buttons"]
